"""The movements history, low-stock alerts once per crossing, and Idempotency-Key replays."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import grpc
from depot.inventory.v1 import inventory_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from libs.errors import FieldViolation
from libs.stack import unique
from tests.grpc_helpers import fails
from tests.inventory.conftest import InventoryApp


def stamp(moment: datetime) -> Timestamp:
    message = Timestamp()
    message.FromDatetime(moment)
    return message


async def history(inventory: InventoryApp, product_id: str, **fields) -> inventory_pb2.ListMovementsResponse:
    return await inventory.stub.ListMovements(inventory_pb2.ListMovementsRequest(product_id=product_id, **fields),
                                              metadata=inventory.staff)


async def test_history_is_newest_first_fifty_a_page(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(1)
    for _ in range(54):
        await inventory.adjust(stock.id, "RECEIVED", 1)

    first, second = await history(inventory, stock.id), await history(inventory, stock.id, page={"page": 2})

    assert len(first.movements) == 50 and len(second.movements) == 5
    assert (first.page_info.total_size, first.page_info.total_pages, first.page_info.page_size) == (55, 2, 50)
    assert [m.new_quantity for m in first.movements] == list(range(55, 5, -1))
    assert [m.new_quantity for m in second.movements] == [5, 4, 3, 2, 1]
    assert second.movements[-1].notes == "Initial stock"


async def test_history_between_start_and_end(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(1)
    await inventory.adjust(stock.id, "RECEIVED", 1)
    middle = datetime.now(UTC)
    await inventory.adjust(stock.id, "RECEIVED", 1)

    before = await history(inventory, stock.id, end_time=stamp(middle))
    after = await history(inventory, stock.id, start_time=stamp(middle))
    future = await history(inventory, stock.id, start_time=stamp(middle + timedelta(days=1)))

    assert [m.new_quantity for m in before.movements] == [2, 1]
    assert [m.new_quantity for m in after.movements] == [3]
    assert list(future.movements) == []
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await history(inventory, stock.id, start_time=stamp(middle), end_time=stamp(middle - timedelta(seconds=1)))
    assert [v.field for v in failure.violations] == ["start_time"]


async def test_low_stock_is_announced_once_per_crossing_with_a_restock_suggestion(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(14, reorder_level=10)

    for _ in range(6):  # 13 … 8: crosses at 10, then stays below
        await inventory.adjust(stock.id, "SOLD", 1)
    assert len(await inventory.events(stock.id, "inventory.low_stock")) == 1
    await inventory.adjust(stock.id, "RECEIVED", 2)  # 10: still at the level, no new crossing
    await inventory.adjust(stock.id, "SOLD", 1)
    assert len(await inventory.events(stock.id, "inventory.low_stock")) == 1
    await inventory.adjust(stock.id, "RECEIVED", 5)  # 14: above again
    await inventory.adjust(stock.id, "SOLD", 4)  # 10: the second crossing

    alerts = await inventory.events(stock.id, "inventory.low_stock")
    assert len(alerts) == 2
    payload = json.loads(alerts[-1].payload)
    assert payload["product_id"] == stock.id and payload["sku"] == stock.sku
    assert (payload["available"], payload["reorder_level"], payload["suggested_restock_quantity"]) == (10, 10, 20)
    assert alerts[-1].topic == "depot.inventory"
    updated = await inventory.events(stock.id, "inventory.updated")
    assert len(updated) == 1 + 6 + 2 + 2
    assert json.loads(updated[-1].payload)["stock"]["status"] == "STOCK_STATUS_LOW_STOCK"


async def test_a_replayed_idempotency_key_returns_the_first_answer(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(10)
    key = unique("key")
    actor = inventory.token("staff")
    request = inventory_pb2.AdjustStockRequest(product_id=stock.id, type=inventory_pb2.MOVEMENT_TYPE_SOLD,
                                               quantity=3, notes="order by phone", idempotency_key=key)

    first = await inventory.stub.AdjustStock(request, metadata=actor)
    await inventory.adjust(stock.id, "RECEIVED", 5)
    replay = await inventory.stub.AdjustStock(request, metadata=actor)

    assert replay == first
    assert (first.movement.previous_quantity, first.movement.new_quantity) == (10, 7)
    assert (await inventory.stock(stock.id)).quantity == 12
    assert [m.type for m in await inventory.movements(stock.id)] == ["RECEIVED", "SOLD", "RECEIVED"]


async def test_concurrent_requests_with_one_key_change_the_stock_once(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(10)
    actor = inventory.token("staff")
    request = inventory_pb2.AdjustStockRequest(product_id=stock.id, type=inventory_pb2.MOVEMENT_TYPE_SOLD,
                                               quantity=1, idempotency_key=unique("key"))

    answers = await asyncio.gather(*(inventory.stub.AdjustStock(request, metadata=actor) for _ in range(5)))

    assert all(answer == answers[0] for answer in answers)
    assert (await inventory.stock(stock.id)).quantity == 9
    assert len(await inventory.movements(stock.id)) == 2


async def test_an_idempotency_key_with_a_different_request_is_refused(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(10)
    key = unique("key")
    actor = inventory.token("staff")
    request = inventory_pb2.AdjustStockRequest(product_id=stock.id, type=inventory_pb2.MOVEMENT_TYPE_SOLD,
                                               quantity=3, idempotency_key=key)
    await inventory.stub.AdjustStock(request, metadata=actor)
    request.quantity = 4

    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await inventory.stub.AdjustStock(request, metadata=actor)
    assert failure.violations == [FieldViolation("Idempotency-Key",
                                                 "Idempotency-Key was used with a different request")]
    assert (await inventory.stock(stock.id)).quantity == 7


async def test_a_failed_request_leaves_its_key_free_for_a_retry(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(2)
    key = unique("key")
    request = inventory_pb2.AdjustStockRequest(product_id=stock.id, type=inventory_pb2.MOVEMENT_TYPE_SOLD,
                                               quantity=3, idempotency_key=key)
    actor = inventory.token("staff")
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Insufficient stock"):
        await inventory.stub.AdjustStock(request, metadata=actor)

    await inventory.adjust(stock.id, "RECEIVED", 1)

    assert (await inventory.stub.AdjustStock(request, metadata=actor)).stock.quantity == 0
