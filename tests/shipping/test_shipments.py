"""order.paid over the real broker makes exactly one shipment; who sees it; public tracking."""

import json
import re
import uuid
from decimal import Decimal

import grpc
from depot.order.v1 import order_pb2
from depot.shipping.v1 import shipping_pb2

from libs.stack import apoll_until
from tests.grpc_helpers import fails
from tests.shipping.conftest import ADDRESS, EVENT_TIMEOUT, ShippingApp

TRACKING_FORMATS = {"DHL": r"\d{10}", "FEDEX": r"\d{12}", "UPS": r"1Z[0-9A-Z]{16}"}


async def test_a_paid_order_gets_one_shipment_with_the_cheapest_rate_however_often_the_event_comes(
    shipping: ShippingApp,
) -> None:
    customer = shipping.user("customer")
    order = order_pb2.Order(id=str(uuid.uuid4()), customer_id=customer.id, shipping_address=ADDRESS,
                            items=[order_pb2.OrderItem(product_id=str(uuid.uuid4()), quantity=2)])

    first = await shipping.publish_paid(order)
    await shipping.publish_paid(order, event_id=first)  # the broker redelivers it
    second = await shipping.publish_paid(order)  # published again under a new id
    await apoll_until(lambda: shipping.processed(first, second), EVENT_TIMEOUT, message="both order.paid processed")

    [row] = await shipping.rows("SELECT * FROM shipments WHERE order_id = :id", id=order.id)
    shipment = await shipping.get(str(row.id))
    rates = (await shipping.stub.GetRates(shipping_pb2.GetRatesRequest(
        address=shipping_pb2.Address(country="US", postal_code="02110"), weight=1000))).rates
    [cheapest] = [r for r in rates if r.cheapest]
    assert (shipment.order_id, shipment.customer_id, shipment.weight) == (order.id, customer.id, 1000)
    assert (shipment.carrier, shipment.service_level, shipment.cost) == (
        cheapest.carrier, cheapest.service_level, cheapest.amount)
    assert shipment.estimated_delivery == cheapest.estimated_delivery
    assert re.fullmatch(TRACKING_FORMATS[shipment.carrier], shipment.tracking_number)
    assert shipment.label_reference.endswith(shipment.tracking_number)
    assert shipment.status == shipping_pb2.SHIPMENT_STATUS_LABEL_CREATED
    assert (shipment.shipping_address.country, shipment.shipping_address.city) == ("US", "Boston")
    assert [e.status for e in shipment.history] == [shipping_pb2.SHIPMENT_STATUS_LABEL_CREATED]
    assert await shipping.events(shipment.id) == ["shipment.created"]
    [event] = await shipping.rows("SELECT payload FROM outbox WHERE key = :id", id=shipment.id)
    assert json.loads(event.payload)["shipment"]["order_id"] == order.id


async def test_the_weight_comes_from_the_items(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order(None, 3, 4)
    assert (shipment.weight, Decimal(shipment.cost) > 0) == (7 * 500, True)


async def test_the_items_weights_from_the_order_make_the_parcel(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order(None, 2, 1, weights=(1200, 0))  # 0: the catalog had no weight
    assert shipment.weight == 2 * 1200 + 500


async def test_customers_see_their_own_shipments_and_staff_see_all(shipping: ShippingApp) -> None:
    alice, bob = shipping.user("customer"), shipping.user("customer")
    mine = await shipping.paid_order(alice)
    await shipping.paid_order(bob)

    listed = await shipping.listing(alice.metadata, customer_id=bob.id)  # ignored for a customer
    assert [s.id for s in listed.shipments] == [mine.id]
    assert listed.shipments[0].history == []  # lists carry no history
    assert (listed.page_info.total_size, listed.page_info.page, listed.page_info.total_pages) == (1, 1, 1)
    assert (await shipping.get(mine.id, alice.metadata)).id == mine.id
    async with fails(grpc.StatusCode.NOT_FOUND, f"Shipment {mine.id} not found"):
        await shipping.get(mine.id, bob.metadata)

    by_staff = await shipping.listing(shipping.staff, customer_id=bob.id)
    assert [s.customer_id for s in by_staff.shipments] == [bob.id]
    assert (await shipping.get(mine.id)).customer_id == alice.id


async def test_lists_filter_and_page(shipping: ShippingApp) -> None:
    customer = shipping.user("customer")
    first = await shipping.paid_order(customer)
    second = await shipping.paid_order(customer)
    await shipping.move(second.id, "PICKED_UP")

    newest_first = await shipping.listing(customer.metadata, page_size=1)
    assert ([s.id for s in newest_first.shipments], newest_first.page_info.total_pages) == ([second.id], 2)
    picked = await shipping.listing(customer.metadata, status=shipping_pb2.SHIPMENT_STATUS_PICKED_UP)
    assert [s.id for s in picked.shipments] == [second.id]
    by_order = await shipping.listing(customer.metadata, order_id=first.order_id)
    assert [s.id for s in by_order.shipments] == [first.id]
    other_carrier = "DHL" if first.carrier != "DHL" else "UPS"
    assert (await shipping.listing(customer.metadata, carrier=other_carrier)).shipments == []

    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await shipping.listing(customer.metadata, page_size=101)
    assert [v.field for v in failure.violations] == ["page.page_size"]


async def test_reading_needs_a_token(shipping: ShippingApp) -> None:
    async with fails(grpc.StatusCode.UNAUTHENTICATED, "No token provided"):
        await shipping.stub.ListShipments(shipping_pb2.ListShipmentsRequest())


async def test_tracking_is_public_and_reveals_no_address(shipping: ShippingApp) -> None:
    shipment = await shipping.paid_order()

    tracking = (await shipping.stub.TrackShipment(
        shipping_pb2.TrackShipmentRequest(tracking_number=shipment.tracking_number.lower()))).tracking

    assert (tracking.tracking_number, tracking.carrier, tracking.status) == (
        shipment.tracking_number, shipment.carrier, shipping_pb2.SHIPMENT_STATUS_LABEL_CREATED)
    assert [e.note for e in tracking.history] == ["Label created"]
    assert not hasattr(tracking, "shipping_address") and not hasattr(tracking, "customer_id")
    async with fails(grpc.StatusCode.NOT_FOUND, "No shipment with tracking number 0000000000"):
        await shipping.stub.TrackShipment(shipping_pb2.TrackShipmentRequest(tracking_number="0000000000"))
