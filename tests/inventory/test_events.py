"""Events in and out over the real broker: product.created/deleted and order.cancelled/expired are
consumed idempotently; the outbox relay publishes inventory events."""

import uuid

from depot.inventory.v1 import inventory_pb2
from depot.order.v1 import events_pb2 as order_events
from depot.order.v1 import order_pb2
from depot.product.v1 import events_pb2 as product_events

from libs.events import topics
from libs.stack import apoll_until, unique
from tests.inventory.conftest import InventoryApp

TIMEOUT = 30.0  # the first test waits for the consumer to join its group


async def stock_row(inventory: InventoryApp, product_id: str):
    rows = await inventory.rows("SELECT * FROM stock WHERE product_id = :id", id=product_id)
    return rows[0] if rows else None


async def test_product_created_initializes_stock_once_however_often_it_comes(inventory: InventoryApp) -> None:
    product_id = str(uuid.uuid4())
    created = product_events.ProductCreated(product_id=product_id, sku=unique("SKU"), initial_quantity=7)

    first = await inventory.publisher.publish(topics.PRODUCT, product_id, "product.created", created)
    # redelivery
    await inventory.publisher.publish(topics.PRODUCT, product_id, "product.created", created, event_id=first)
    second = await inventory.publisher.publish(topics.PRODUCT, product_id, "product.created", created)  # same product
    await inventory.stub.InitializeStock(inventory_pb2.InitializeStockRequest(
        product_id=product_id, sku=created.sku, initial_quantity=7))  # the product service's direct call

    async def processed() -> bool:
        rows = await inventory.rows("SELECT event_id FROM processed_events WHERE consumer = 'inventory' "
                                    "AND event_id IN (:first, :second)", first=first, second=second)
        return len(rows) == 2

    await apoll_until(processed, TIMEOUT, message="both product.created events processed")
    stock = await stock_row(inventory, product_id)
    assert (stock.sku, stock.quantity) == (created.sku, 7)
    assert [m.type for m in await inventory.movements(product_id)] == ["RECEIVED"]


async def test_product_deleted_makes_the_stock_inactive(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(3)
    unknown = str(uuid.uuid4())

    await inventory.publisher.publish(topics.PRODUCT, unknown, "product.deleted",
                            product_events.ProductDeleted(product_id=unknown))
    await inventory.publisher.publish(topics.PRODUCT, stock.id, "product.deleted", product_events.ProductDeleted(
        product_id=stock.id, sku=stock.sku))

    await apoll_until(lambda: _inactive(inventory, stock.id), TIMEOUT, message="stock deactivated")


async def _inactive(inventory: InventoryApp, product_id: str) -> bool:
    return not (await stock_row(inventory, product_id)).active


async def test_a_cancelled_order_releases_its_reservation_and_a_paid_one_gets_its_stock_back(
    inventory: InventoryApp,
) -> None:
    stock = await inventory.new_stock(10)
    pending, paid, expired = (str(uuid.uuid4()) for _ in range(3))
    for order_id, quantity in ((pending, 2), (paid, 3), (expired, 1)):
        await inventory.stub.ReserveStock(inventory_pb2.ReserveStockRequest(
            order_id=order_id, lines=[inventory_pb2.StockLine(product_id=stock.id, quantity=quantity)]))
    await inventory.stub.CommitReservation(inventory_pb2.CommitReservationRequest(order_id=paid))

    for order_id in (pending, paid):
        await inventory.publisher.publish(topics.ORDER, order_id, "order.cancelled",
                                order_events.OrderCancelled(order=order_pb2.Order(id=order_id)))
    await inventory.publisher.publish(topics.ORDER, expired, "order.expired",
                            order_events.OrderExpired(order=order_pb2.Order(id=expired)))

    async def settled() -> bool:
        after = await stock_row(inventory, stock.id)
        return (after.quantity, after.reserved) == (10, 0)

    await apoll_until(settled, TIMEOUT, message="reservations released and sold stock returned")
    statuses = await inventory.rows("SELECT order_id::text, status FROM reservations WHERE product_id = :id",
                                    id=stock.id)
    assert dict(statuses) == {pending: "RELEASED", paid: "RETURNED", expired: "RELEASED"}
    ledger = [(m.type, m.quantity) for m in await inventory.movements(stock.id)]
    assert ledger[:5] == [("RECEIVED", 10), ("RESERVED", 2), ("RESERVED", 3), ("RESERVED", 1), ("SOLD", 3)]
    assert sorted(ledger[5:]) == [("RELEASED", 1), ("RELEASED", 2), ("RETURNED", 3)]


async def test_the_relay_publishes_inventory_events(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(3)

    async def published() -> bool:
        rows = await inventory.rows("SELECT published_at FROM outbox WHERE key = :id", id=stock.id)
        return bool(rows) and all(r.published_at is not None for r in rows)

    await apoll_until(published, TIMEOUT, message="inventory.updated published")
