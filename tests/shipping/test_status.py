"""Moving a shipment along: legal steps with their history, illegal ones refused, and the shipped and
delivered events the order service waits for."""

import json
from datetime import UTC, datetime, timedelta

import grpc
from depot.shipping.v1 import shipping_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from libs.stack import apoll_until
from tests.grpc_helpers import fails
from tests.shipping.conftest import ShippingApp

S = shipping_pb2


async def test_a_shipment_travels_to_delivered_with_a_history_row_per_step(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()

    await shipping.move(shipment.id, "PICKED_UP", location="Boston, MA")
    await shipping.move(shipment.id, "IN_TRANSIT", location="Hartford, CT", note="Arrived at hub")
    await shipping.move(shipment.id, "IN_TRANSIT", location="Newark, NJ")  # scanned again at the next hub
    await shipping.move(shipment.id, "OUT_FOR_DELIVERY")
    delivered = await shipping.move(shipment.id, "DELIVERED", note="Left at the front door")

    assert delivered.status == S.SHIPMENT_STATUS_DELIVERED
    assert [(e.status, e.location) for e in delivered.history] == [
        (S.SHIPMENT_STATUS_LABEL_CREATED, ""), (S.SHIPMENT_STATUS_PICKED_UP, "Boston, MA"),
        (S.SHIPMENT_STATUS_IN_TRANSIT, "Hartford, CT"), (S.SHIPMENT_STATUS_IN_TRANSIT, "Newark, NJ"),
        (S.SHIPMENT_STATUS_OUT_FOR_DELIVERY, ""), (S.SHIPMENT_STATUS_DELIVERED, ""),
    ]
    assert delivered.history[-1].note == "Left at the front door"
    assert delivered.HasField("actual_delivery") and delivered.HasField("shipped_at")
    assert delivered.actual_delivery == delivered.history[-1].occurred_at
    assert delivered.shipped_at == delivered.history[1].occurred_at
    assert (await shipping.get(shipment.id)).history == delivered.history


async def test_shipped_is_published_once_and_delivered_carries_what_the_order_service_reads(
    shipping: ShippingApp,
) -> None:
    shipment = await shipping.paid_order()
    for status in ("IN_TRANSIT", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"):
        await shipping.move(shipment.id, status)

    assert await shipping.events(shipment.id) == ["shipment.created", "shipment.shipped", "shipment.delivered"]
    [row] = await shipping.rows("SELECT payload, headers FROM outbox WHERE key = :id "
                                "AND event_type = 'shipment.delivered'", id=shipment.id)
    payload = json.loads(row.payload)
    assert {k: payload[k] for k in ("order_id", "shipment_id", "tracking_number")} == {
        "order_id": shipment.order_id, "shipment_id": shipment.id, "tracking_number": shipment.tracking_number}
    assert "status" not in payload  # the order service would compare it with its own target
    assert payload["shipment"]["status"] == "SHIPMENT_STATUS_DELIVERED"
    assert row.headers["ce_source"] == "shipping"

    async def published() -> bool:
        rows = await shipping.rows("SELECT published_at FROM outbox WHERE key = :id", id=shipment.id)
        return all(r.published_at for r in rows)

    await apoll_until(published, 15, message="the relay published the shipment's events")


async def test_illegal_steps_are_refused_and_change_nothing(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()

    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Shipment is LABEL_CREATED and cannot become DELIVERED"):
        await shipping.move(shipment.id, "DELIVERED")
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Shipment is already LABEL_CREATED"):
        await shipping.move(shipment.id, "LABEL_CREATED")
    await shipping.move(shipment.id, "EXCEPTION", note="Address unreadable")
    await shipping.move(shipment.id, "RETURNED")
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Shipment is RETURNED and cannot become IN_TRANSIT"):
        await shipping.move(shipment.id, "IN_TRANSIT")

    after = await shipping.get(shipment.id)
    assert after.status == S.SHIPMENT_STATUS_RETURNED and not after.HasField("actual_delivery")
    assert len(after.history) == 3
    assert await shipping.events(shipment.id) == ["shipment.created"]  # never carried, never delivered


async def test_a_carrier_time_is_kept_but_not_one_in_the_future(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()
    scanned = Timestamp()
    scanned.FromDatetime(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
    later = Timestamp()
    later.FromDatetime(datetime.now(UTC) + timedelta(hours=1))

    moved = await shipping.move(shipment.id, "PICKED_UP", occurred_at=scanned)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await shipping.move(shipment.id, "IN_TRANSIT", occurred_at=later, location="x" * 201)

    assert moved.history[-1].occurred_at == scanned == moved.shipped_at
    assert [(v.field, v.message) for v in failure.violations] == [
        ("location", "Location must be at most 200 characters"),
        ("occurred_at", "Occurred at must not be in the future"),
    ]


async def test_only_shipping_managers_move_shipments(shipping: ShippingApp) -> None:
    customer = shipping.user("customer")
    shipment = await shipping.paid_order(customer)

    async with fails(grpc.StatusCode.PERMISSION_DENIED, "Missing permission shipping:manage"):
        await shipping.move(shipment.id, "PICKED_UP", customer.metadata)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await shipping.stub.UpdateShipmentStatus(S.UpdateShipmentStatusRequest(id=shipment.id),
                                                 metadata=shipping.staff)
    assert [v.field for v in failure.violations] == ["status"]
    async with fails(grpc.StatusCode.NOT_FOUND):
        await shipping.move("00000000-0000-4000-8000-000000000000", "PICKED_UP")
