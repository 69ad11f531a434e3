"""Carrier webhooks: signed with the carrier's secret, fresh, each id once, then applied like a status
update."""

import json
import time

import grpc
from depot.shipping.v1 import shipping_pb2

from tests.grpc_helpers import fails
from tests.shipping.conftest import ShippingApp


def body(tracking_number: str, status: str, **fields) -> bytes:
    return json.dumps({"trackingNumber": tracking_number, "status": status, **fields}).encode()


async def test_a_signed_push_moves_the_shipment(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()

    answer = await shipping.webhook(shipment.carrier.lower(), body(
        shipment.tracking_number, "IN_TRANSIT", location="Memphis, TN", occurredAt="2026-11-26T08:30:00+00:00"))

    assert answer.tracking.status == shipping_pb2.SHIPMENT_STATUS_IN_TRANSIT
    assert answer.tracking.history[-1].location == "Memphis, TN"
    assert answer.tracking.history[-1].occurred_at.ToJsonString() == "2026-11-26T08:30:00Z"
    [row] = await shipping.rows("SELECT source FROM tracking_events WHERE shipment_id = :id AND status = "
                                "'IN_TRANSIT'", id=shipment.id)
    assert row.source == f"webhook:{shipment.carrier.lower()}"
    assert await shipping.events(shipment.id) == ["shipment.created", "shipment.shipped"]


async def test_a_bad_signature_a_stale_timestamp_and_a_replay_are_refused(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()
    push = body(shipment.tracking_number, "PICKED_UP")

    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid webhook signature"):
        await shipping.webhook(shipment.carrier, push, secret=b"not-the-secret")
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Invalid webhook signature"):
        await shipping.webhook(shipment.carrier, push, signature="0" * 64)
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Webhook timestamp is too old or too far in the future"):
        await shipping.webhook(shipment.carrier, push, timestamp=int(time.time()) - 301)
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "Webhook id, timestamp and signature headers are required"):
        await shipping.webhook(shipment.carrier, push, signature=" ", webhook_id="")
    assert (await shipping.get(shipment.id)).status == shipping_pb2.SHIPMENT_STATUS_LABEL_CREATED

    await shipping.webhook(shipment.carrier, push, webhook_id="wh-replayed-" + shipment.id)
    async with fails(grpc.StatusCode.ALREADY_EXISTS, f"Webhook wh-replayed-{shipment.id} was already received"):
        await shipping.webhook(shipment.carrier, push, webhook_id="wh-replayed-" + shipment.id)
    assert len((await shipping.get(shipment.id)).history) == 2


async def test_a_push_that_fails_leaves_its_id_usable(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()
    webhook_id = "wh-retried-" + shipment.id

    async with fails(grpc.StatusCode.FAILED_PRECONDITION):
        await shipping.webhook(shipment.carrier, body(shipment.tracking_number, "DELIVERED"), webhook_id=webhook_id)
    answer = await shipping.webhook(shipment.carrier, body(shipment.tracking_number, "PICKED_UP"),
                                    webhook_id=webhook_id)

    assert answer.tracking.status == shipping_pb2.SHIPMENT_STATUS_PICKED_UP


async def test_a_carrier_moves_only_its_own_shipments(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()
    other = next(code for code in ("DHL", "FEDEX", "UPS") if code != shipment.carrier)

    async with fails(grpc.StatusCode.NOT_FOUND, f"No {other} shipment with tracking number "
                                                f"{shipment.tracking_number}"):
        await shipping.webhook(other, body(shipment.tracking_number, "PICKED_UP"))
    async with fails(grpc.StatusCode.NOT_FOUND, "Unknown carrier acme"):
        await shipping.webhook("acme", b"{}", secret=b"whatever")


async def test_a_signed_but_malformed_body_names_its_fields(shipping: ShippingApp) -> None:
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await shipping.webhook("dhl", json.dumps({"status": "LOST", "occurredAt": "yesterday"}).encode())
    assert [v.field for v in failure.violations] == ["trackingNumber", "status", "occurredAt"]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT, "Body must be JSON"):
        await shipping.webhook("ups", b"not json")


async def test_ids_are_forgotten_once_their_timestamps_would_be_refused_anyway(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()
    old, recent = f"wh-old-{shipment.id}", f"wh-recent-{shipment.id}"
    await shipping.execute("INSERT INTO webhook_deliveries (carrier, webhook_id, received_at) VALUES "
                           "('DHL', :old, now() - interval '11 minutes'), "
                           "('DHL', :recent, now() - interval '9 minutes')", old=old, recent=recent)

    await shipping.webhook(shipment.carrier, body(shipment.tracking_number, "PICKED_UP"))

    rows = await shipping.rows("SELECT webhook_id FROM webhook_deliveries WHERE webhook_id IN (:old, :recent)",
                               old=old, recent=recent)
    assert [row.webhook_id for row in rows] == [recent]
