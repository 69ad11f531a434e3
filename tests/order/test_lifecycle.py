"""After placing: cancelling, expiring, shipping events, the status machine, and who sees what."""

import json
import uuid

import grpc
from depot.common.v1 import page_pb2
from depot.order.v1 import order_pb2, order_pb2_grpc

from libs.events import topics
from libs.stack import apoll_until
from tests.grpc_helpers import fails
from tests.order.conftest import DECLINED_CARD, OrderApp, status


async def test_cancelling_a_pending_order_releases_its_stock(app: OrderApp) -> None:
    product = await app.product(quantity=10)
    customer = app.customer()
    order = await app.place(customer, (product.id, 4))

    cancelled = await app.cancel(customer, order.id, reason="Changed my mind")

    assert (cancelled.status, cancelled.cancel_reason) == (status("CANCELLED"), "Changed my mind")
    assert cancelled.HasField("cancelled_at")
    stock = await app.stock(product.id)
    assert (stock.quantity, stock.reserved, stock.available) == (10, 0, 10)
    assert await app.events(order.id) == ["order.created", "order.cancelled"]


async def test_cancelling_a_paid_order_refunds_it_and_takes_the_stock_back_at_once(app: OrderApp) -> None:
    product = await app.product(quantity=10)
    customer = app.customer()
    order = await app.place(customer, (product.id, 3))
    await app.pay(customer, order.id)
    assert (await app.stock(product.id)).quantity == 7

    cancelled = await app.cancel(customer, order.id)

    stock = await app.stock(product.id)  # before order.cancelled could have reached the inventory
    assert (stock.quantity, stock.reserved, stock.available) == (10, 0, 10)
    assert cancelled.status == status("CANCELLED")
    assert cancelled.payment.status == order_pb2.PAYMENT_STATUS_REFUNDED
    assert cancelled.payment.HasField("refunded_at")
    [event] = await app.rows("SELECT payload FROM outbox WHERE key = :id AND event_type = 'order.cancelled'",
                             id=order.id)
    assert json.loads(event.payload)["previous_status"] == "ORDER_STATUS_PAID"
    [row] = await app.rows("SELECT stock_state FROM orders WHERE id = :id", id=order.id)
    assert row.stock_state == "RETURN_REQUESTED"


async def test_an_unpaid_order_expires_and_releases_its_stock(app: OrderApp,
                                                              expiring: order_pb2_grpc.OrderServiceStub) -> None:
    product = await app.product(quantity=10)
    customer = app.customer()
    order = await app.place(customer, (product.id, 5), stub=expiring)
    assert (await app.stock(product.id)).reserved == 5

    async def expired() -> bool:
        return (await app.get(customer, order.id)).status == status("EXPIRED")

    await apoll_until(expired, timeout=10, message="the order to expire")
    await apoll_until(lambda: _released(app, product.id), timeout=10, message="the reservation to be released")
    assert await app.events(order.id) == ["order.created", "order.expired"]
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Order is EXPIRED and cannot become PAID"):
        await app.pay(customer, order.id)


async def _released(app: OrderApp, product_id: str) -> bool:
    stock = await app.stock(product_id)
    return (stock.reserved, stock.available) == (0, 10)


async def test_illegal_transitions_are_refused(app: OrderApp) -> None:
    product = await app.product()
    customer = app.customer()
    cancelled = await app.place(customer, (product.id, 1))
    await app.cancel(customer, cancelled.id)
    paid = await app.place(customer, (product.id, 1))
    await app.pay(customer, paid.id)

    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Order is already CANCELLED"):
        await app.cancel(customer, cancelled.id)
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Order is CANCELLED and cannot become PAID"):
        await app.pay(customer, cancelled.id)
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Order is already PAID"):
        await app.pay(customer, paid.id, DECLINED_CARD)
    assert _charge_count(app, cancelled.id) == 0


def _charge_count(app: OrderApp, order_id: str) -> int:
    return sum(1 for key in app.payments.charges() if key.startswith(order_id))


async def test_shipment_events_move_a_paid_order_to_shipped_then_delivered(app: OrderApp) -> None:
    product = await app.product()
    customer = app.customer()
    order = await app.place(customer, (product.id, 1))
    await app.pay(customer, order.id)
    shipment = str(uuid.uuid4())
    shipped = {"shipment_id": shipment, "order_id": order.id, "tracking_number": "1Z999", "carrier": "UPS"}

    await _publish(app, "shipment.shipped", shipment, shipped, event_id := str(uuid.uuid4()))
    await apoll_until(lambda: _has_status(app, customer, order.id, "SHIPPED"), timeout=30,
                      message="the order to be SHIPPED")
    await _publish(app, "shipment.shipped", shipment, shipped, event_id)  # a redelivery
    await _publish(app, "shipment.delivered", shipment, shipped,
                   str(uuid.uuid4()))
    await apoll_until(lambda: _has_status(app, customer, order.id, "DELIVERED"), timeout=30,
                      message="the order to be DELIVERED")

    delivered = await app.get(customer, order.id)
    assert delivered.HasField("shipped_at") and delivered.HasField("delivered_at")
    assert await app.events(order.id) == ["order.created", "order.paid", "order.shipped", "order.delivered"]
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Order is DELIVERED and cannot become CANCELLED"):
        await app.cancel(customer, order.id)


async def _has_status(app: OrderApp, customer, order_id: str, name: str) -> bool:
    return (await app.get(customer, order_id)).status == status(name)


async def _publish(app: OrderApp, event_type: str, key: str, payload: dict, event_id: str) -> None:
    """As the shipping service's relay would: the envelope headers and the payload as JSON."""
    await app.publisher.publish(topics.SHIPPING, key, event_type, payload, event_id)


async def test_customers_see_only_their_own_orders_and_staff_see_all(app: OrderApp) -> None:
    product = await app.product()
    alice, bob = app.customer(), app.customer()
    mine = [await app.place(alice, (product.id, 1)) for _ in range(3)]
    theirs = await app.place(bob, (product.id, 1))

    async with fails(grpc.StatusCode.NOT_FOUND, f"Order {theirs.id} not found"):
        await app.get(alice, theirs.id)
    async with fails(grpc.StatusCode.NOT_FOUND):
        await app.cancel(alice, theirs.id)
    assert (await app.get(app.role("staff"), theirs.id)).customer_id == bob.id

    page = await _list(app, alice.metadata, customer_id=bob.id, page=page_pb2.PageRequest(page=1, page_size=2))
    assert [o.id for o in page.orders] == [mine[2].id, mine[1].id]
    assert (page.page_info.total_size, page.page_info.total_pages, page.page_info.page_size) == (3, 2, 2)
    staff_view = await _list(app, app.role("staff"), customer_id=bob.id)
    assert [o.id for o in staff_view.orders] == [theirs.id]


async def test_orders_can_be_filtered_by_status_and_date(app: OrderApp) -> None:
    product = await app.product()
    customer = app.customer()
    pending = await app.place(customer, (product.id, 1))
    paid = await app.place(customer, (product.id, 1))
    await app.pay(customer, paid.id)

    only_paid = await _list(app, customer.metadata, status=status("PAID"))
    assert [o.id for o in only_paid.orders] == [paid.id]
    since_pending = await _list(app, customer.metadata, created_from=pending.created_at)
    assert {o.id for o in since_pending.orders} == {pending.id, paid.id}
    before = await _list(app, customer.metadata, created_to=pending.created_at)
    assert [o.id for o in before.orders] == [pending.id]


async def _list(app: OrderApp, metadata, **criteria) -> order_pb2.ListOrdersResponse:
    return await app.stub.ListOrders(order_pb2.ListOrdersRequest(**criteria), metadata=metadata)
