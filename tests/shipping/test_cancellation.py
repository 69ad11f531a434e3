"""order.cancelled over the real broker: a shipment no carrier has yet is CANCELLED (once, with its event
for the read models), one already carried stays as it is, and no status change may ask for CANCELLED."""

import uuid

import grpc
from depot.order.v1 import events_pb2 as order_events
from depot.order.v1 import order_pb2
from depot.shipping.v1 import shipping_pb2

from libs.events import topics
from libs.stack import apoll_until
from tests.grpc_helpers import fails
from tests.shipping.conftest import EVENT_TIMEOUT, ShippingApp

S = shipping_pb2


async def cancel(shipping: ShippingApp, order_id: str, reason: str = "") -> str:
    """order.cancelled as the order service's relay publishes it, processed; returns the event id."""
    order = order_pb2.Order(id=order_id, status=order_pb2.ORDER_STATUS_CANCELLED, cancel_reason=reason)
    event_id = await shipping.publisher.publish(topics.ORDER, order_id, "order.cancelled", order_events.OrderCancelled(
        order=order, previous_status=order_pb2.ORDER_STATUS_PAID))
    await apoll_until(lambda: shipping.processed(event_id), EVENT_TIMEOUT, message="order.cancelled processed")
    return event_id


async def test_a_cancelled_order_cancels_its_shipment_before_pickup(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()

    await cancel(shipping, shipment.order_id, "Customer changed their mind")
    await cancel(shipping, shipment.order_id)  # a replay: nothing more happens

    cancelled = await shipping.get(shipment.id)
    assert cancelled.status == S.SHIPMENT_STATUS_CANCELLED
    assert [(e.status, e.note) for e in cancelled.history][1:] == [
        (S.SHIPMENT_STATUS_CANCELLED, "Order cancelled: Customer changed their mind")]
    assert await shipping.events(shipment.id) == ["shipment.created", "shipment.cancelled"]
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Shipment is CANCELLED and cannot become PICKED_UP"):
        await shipping.move(shipment.id, "PICKED_UP")


async def test_a_label_exception_before_pickup_is_cancelled_too(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()
    await shipping.move(shipment.id, "EXCEPTION", note="Address label unreadable")

    await cancel(shipping, shipment.order_id)

    assert (await shipping.get(shipment.id)).status == S.SHIPMENT_STATUS_CANCELLED


async def test_a_shipment_a_carrier_has_stays_as_it_is(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()
    await shipping.move(shipment.id, "PICKED_UP")

    await cancel(shipping, shipment.order_id)

    assert (await shipping.get(shipment.id)).status == S.SHIPMENT_STATUS_PICKED_UP
    assert await shipping.events(shipment.id) == ["shipment.created", "shipment.shipped"]


async def test_an_order_cancelled_before_payment_has_no_shipment_to_cancel(shipping: ShippingApp) -> None:
    order_id = str(uuid.uuid4())

    await cancel(shipping, order_id)

    assert await shipping.shipment_of(order_id) is None


async def test_no_status_change_may_ask_for_cancelled(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()

    statuses = "PICKED_UP, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, EXCEPTION, RETURNED"
    async with fails(grpc.StatusCode.INVALID_ARGUMENT, f"Status must be one of {statuses}"):
        await shipping.move(shipment.id, "CANCELLED")
    assert (await shipping.get(shipment.id)).status == S.SHIPMENT_STATUS_LABEL_CREATED
