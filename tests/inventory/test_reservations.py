"""Reservations per order: all-or-nothing, idempotent by order id, never oversold under concurrency."""

import asyncio
import uuid

import grpc
from depot.inventory.v1 import inventory_pb2

from tests.grpc_helpers import fails
from tests.inventory.conftest import InventoryApp

RESERVED, COMMITTED, RELEASED = (inventory_pb2.RESERVATION_STATUS_RESERVED, inventory_pb2.RESERVATION_STATUS_COMMITTED,
                                 inventory_pb2.RESERVATION_STATUS_RELEASED)


async def reserve(inventory: InventoryApp, order_id: str, *lines: tuple[str, int]) -> inventory_pb2.Reservation:
    request = inventory_pb2.ReserveStockRequest(
        order_id=order_id, lines=[inventory_pb2.StockLine(product_id=p, quantity=q) for p, q in lines]
    )
    return (await inventory.stub.ReserveStock(request)).reservation


async def commit(inventory: InventoryApp, order_id: str) -> inventory_pb2.Reservation:
    return (await inventory.stub.CommitReservation(
        inventory_pb2.CommitReservationRequest(order_id=order_id))).reservation


async def release(inventory: InventoryApp, order_id: str) -> inventory_pb2.Reservation:
    return (await inventory.stub.ReleaseReservation(
        inventory_pb2.ReleaseReservationRequest(order_id=order_id))).reservation


async def test_reserving_holds_stock_without_moving_the_quantity_on_hand(inventory: InventoryApp) -> None:
    a, b = await inventory.new_stock(10), await inventory.new_stock(5)
    order = str(uuid.uuid4())

    reservation = await reserve(inventory, order, (a.id, 3), (b.id, 2), (a.id, 1))

    assert reservation.status == RESERVED
    assert {(line.product_id, line.quantity) for line in reservation.lines} == {(a.id, 4), (b.id, 2)}
    stock_a, stock_b = await inventory.stock(a.id), await inventory.stock(b.id)
    assert (stock_a.quantity, stock_a.reserved, stock_a.available) == (10, 4, 6)
    assert (stock_b.quantity, stock_b.reserved, stock_b.available) == (5, 2, 3)
    [row] = (await inventory.movements(a.id))[1:]
    assert (row.type, row.quantity, row.previous_quantity, row.new_quantity, row.reference_id) == (
        "RESERVED", 4, 10, 10, order)


async def test_reserving_is_all_or_nothing(inventory: InventoryApp) -> None:
    plenty, scarce = await inventory.new_stock(10), await inventory.new_stock(1)

    async with fails(grpc.StatusCode.FAILED_PRECONDITION, f"Insufficient stock for product {scarce.id}"):
        await reserve(inventory, str(uuid.uuid4()), (plenty.id, 2), (scarce.id, 2))
    missing = str(uuid.uuid4())
    async with fails(grpc.StatusCode.NOT_FOUND, f"Product {missing} not found"):
        await reserve(inventory, str(uuid.uuid4()), (plenty.id, 2), (missing, 1))

    assert (await inventory.stock(plenty.id)).reserved == 0
    assert (await inventory.stock(scarce.id)).reserved == 0
    assert len(await inventory.movements(plenty.id)) == 1


async def test_reserve_commit_and_release_are_idempotent_by_order_id(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(10)
    paid, cancelled = str(uuid.uuid4()), str(uuid.uuid4())

    assert (await reserve(inventory, paid, (stock.id, 3))).status == RESERVED
    assert (await reserve(inventory, paid, (stock.id, 3))).status == RESERVED
    assert (await reserve(inventory, cancelled, (stock.id, 2))).status == RESERVED
    assert (await commit(inventory, paid)).status == COMMITTED
    assert (await commit(inventory, paid)).status == COMMITTED
    assert (await release(inventory, cancelled)).status == RELEASED
    assert (await release(inventory, cancelled)).status == RELEASED
    assert (await reserve(inventory, cancelled, (stock.id, 2))).status == RELEASED

    after = await inventory.stock(stock.id)
    assert (after.quantity, after.reserved, after.available) == (7, 0, 7)
    ledger = [(m.type, m.quantity, m.previous_quantity, m.new_quantity) for m in await inventory.movements(stock.id)]
    assert ledger == [("RECEIVED", 10, 0, 10), ("RESERVED", 3, 10, 10), ("RESERVED", 2, 10, 10),
                      ("SOLD", 3, 10, 7), ("RELEASED", 2, 7, 7)]


async def test_a_settled_reservation_cannot_move_the_other_way(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(10)
    paid, cancelled, unknown = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await reserve(inventory, paid, (stock.id, 1))
    await reserve(inventory, cancelled, (stock.id, 1))
    await commit(inventory, paid)
    await release(inventory, cancelled)

    async with fails(grpc.StatusCode.FAILED_PRECONDITION, f"Reservation for order {paid} is committed"):
        await release(inventory, paid)
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, f"Reservation for order {cancelled} is released"):
        await commit(inventory, cancelled)
    async with fails(grpc.StatusCode.NOT_FOUND, f"No reservation for order {unknown}"):
        await commit(inventory, unknown)


async def test_a_cancelled_order_is_settled_whatever_its_reservation_holds(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(10)
    held, sold, unknown = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await reserve(inventory, held, (stock.id, 2))
    await reserve(inventory, sold, (stock.id, 3))
    await commit(inventory, sold)

    async def settle(order_id: str) -> inventory_pb2.SettleCancelledOrderResponse:
        return await inventory.stub.SettleCancelledOrder(inventory_pb2.SettleCancelledOrderRequest(order_id=order_id))

    for _ in range(2):  # idempotent by order id
        assert (await settle(held)).reservation.status == RELEASED
        assert (await settle(sold)).reservation.status == inventory_pb2.RESERVATION_STATUS_RETURNED
    assert not (await settle(unknown)).HasField("reservation")
    after = await inventory.stock(stock.id)
    assert (after.quantity, after.reserved, after.available) == (10, 0, 10)
    assert [m.type for m in await inventory.movements(stock.id)][-2:] == ["RELEASED", "RETURNED"]


async def test_bad_reservation_requests_name_their_fields(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(10)

    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reserve(inventory, str(uuid.uuid4()), (stock.id, 0), ("nope", 1))
    assert [v.field for v in failure.violations] == ["lines[0].quantity", "lines[1].product_id"]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reserve(inventory, str(uuid.uuid4()))
    assert [v.field for v in failure.violations] == ["lines"]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reserve(inventory, "order-1", (stock.id, 1))
    assert [v.field for v in failure.violations] == ["order_id"]


async def test_concurrent_reservations_never_oversell(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(20)

    async def attempt() -> bool:
        try:
            await reserve(inventory, str(uuid.uuid4()), (stock.id, 1))
            return True
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
            return False

    outcomes = await asyncio.gather(*(attempt() for _ in range(50)))

    assert outcomes.count(True) == 20
    after = await inventory.stock(stock.id)
    assert (after.quantity, after.reserved, after.available) == (20, 20, 0)
    reserved_rows = [m for m in await inventory.movements(stock.id) if m.type == "RESERVED"]
    assert len(reserved_rows) == 20 and sum(m.quantity for m in reserved_rows) == after.reserved
    [[held]] = await inventory.rows("SELECT coalesce(sum(quantity), 0) FROM reservations WHERE product_id = :id",
                                    id=stock.id)
    assert held == 20
