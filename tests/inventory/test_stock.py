"""Stock and its ledger: initialization, adjustments by type, the rules that refuse a change, and who
may read or adjust."""

import uuid

import grpc
from depot.inventory.v1 import inventory_pb2

from libs.errors import FieldViolation
from libs.stack import unique
from tests.grpc_helpers import fails
from tests.inventory.conftest import InventoryApp

IN_STOCK, LOW_STOCK, OUT_OF_STOCK = (inventory_pb2.STOCK_STATUS_IN_STOCK, inventory_pb2.STOCK_STATUS_LOW_STOCK,
                                     inventory_pb2.STOCK_STATUS_OUT_OF_STOCK)


async def test_initial_quantity_is_a_received_movement_and_initializing_again_changes_nothing(
    inventory: InventoryApp,
) -> None:
    product_id, sku = str(uuid.uuid4()), unique("SKU")
    request = inventory_pb2.InitializeStockRequest(product_id=product_id, sku=sku, initial_quantity=25)

    first = await inventory.stub.InitializeStock(request)
    again = await inventory.stub.InitializeStock(request)

    assert first.created and not again.created
    stock = await inventory.stock(product_id)
    assert (stock.id, stock.product_id, stock.sku) == (product_id, product_id, sku)
    assert (stock.quantity, stock.reserved, stock.available) == (25, 0, 25)
    assert (stock.reorder_level, stock.location, stock.status) == (10, "MAIN", IN_STOCK)
    assert stock.active and stock.last_restocked_at.seconds > 0
    [movement] = await inventory.movements(product_id)
    assert (movement.type, movement.quantity, movement.previous_quantity, movement.new_quantity) == (
        "RECEIVED", 25, 0, 25)
    assert movement.created_by == "system"
    assert len(await inventory.events(product_id, "inventory.updated")) == 1


async def test_initializing_with_nothing_on_hand_records_no_movement(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(0, reorder_level=3, location="B-2")

    assert (stock.quantity, stock.reorder_level, stock.location, stock.status) == (0, 3, "B-2", OUT_OF_STOCK)
    assert not stock.HasField("last_restocked_at")
    assert await inventory.movements(stock.id) == []


async def test_each_adjustment_type_moves_the_quantity_its_way_and_writes_a_ledger_row(
    inventory: InventoryApp,
) -> None:
    stock = await inventory.new_stock(50)
    actor = str(uuid.uuid4())

    steps = [("RECEIVED", 10, 60), ("SOLD", 5, 55), ("RETURNED", 2, 57), ("DAMAGED", 3, 54),
             ("ADJUSTED", -4, 50), ("ADJUSTED", 7, 57)]
    for movement_type, quantity, expected in steps:
        answer = await inventory.stub.AdjustStock(
            inventory_pb2.AdjustStockRequest(
                product_id=stock.id, type=inventory_pb2.MovementType.Value(f"MOVEMENT_TYPE_{movement_type}"),
                quantity=quantity, notes=f"{movement_type} {quantity}",
            ),
            metadata=inventory.token("staff", actor),
        )
        assert answer.stock.quantity == answer.movement.new_quantity == expected

    ledger = await inventory.movements(stock.id)
    assert [(m.type, m.quantity, m.previous_quantity, m.new_quantity) for m in ledger[1:]] == [
        ("RECEIVED", 10, 50, 60), ("SOLD", 5, 60, 55), ("RETURNED", 2, 55, 57), ("DAMAGED", 3, 57, 54),
        ("ADJUSTED", -4, 54, 50), ("ADJUSTED", 7, 50, 57),
    ]
    assert {m.created_by for m in ledger[1:]} == {actor}
    assert ledger[-1].notes == "ADJUSTED 7"
    assert len(await inventory.events(stock.id, "inventory.updated")) == 1 + len(steps)


async def test_receiving_sets_last_restocked_at(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(5)

    received = (await inventory.adjust(stock.id, "RECEIVED", 1)).stock
    sold = (await inventory.adjust(stock.id, "SOLD", 1)).stock

    assert received.last_restocked_at.ToDatetime() > stock.last_restocked_at.ToDatetime()
    assert sold.last_restocked_at == received.last_restocked_at


async def test_an_unknown_or_reservation_type_is_an_invalid_transaction_type(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(5)

    for movement_type in ("UNSPECIFIED", "RESERVED", "RELEASED"):
        async with fails(grpc.StatusCode.INVALID_ARGUMENT, "Invalid transaction type") as failure:
            await inventory.adjust(stock.id, movement_type, 1)
        assert failure.violations == [FieldViolation("type", "Invalid transaction type")]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT, "Invalid transaction type"):
        await inventory.stub.AdjustStock(
            inventory_pb2.AdjustStockRequest(product_id=stock.id, type=99, quantity=1), metadata=inventory.staff)


async def test_quantity_must_be_positive_and_an_adjustment_non_zero(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(5)

    for movement_type, quantity in [("RECEIVED", 0), ("SOLD", -1), ("RETURNED", -3)]:
        async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
            await inventory.adjust(stock.id, movement_type, quantity)
        assert failure.violations == [FieldViolation("quantity", "Quantity must be a positive integer")]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await inventory.adjust(stock.id, "ADJUSTED", 0)
    assert failure.violations == [FieldViolation("quantity", "Quantity must not be zero")]
    assert len(await inventory.movements(stock.id)) == 1


async def test_taking_more_than_is_available_fails_and_changes_nothing(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(5)

    for movement_type, quantity in [("SOLD", 6), ("DAMAGED", 6), ("ADJUSTED", -6)]:
        async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Insufficient stock"):
            await inventory.adjust(stock.id, movement_type, quantity)

    assert (await inventory.stock(stock.id)).quantity == 5
    assert len(await inventory.movements(stock.id)) == 1
    assert (await inventory.adjust(stock.id, "SOLD", 5)).stock.status == OUT_OF_STOCK


async def test_unknown_stock_and_malformed_ids(inventory: InventoryApp) -> None:
    missing = str(uuid.uuid4())

    async with fails(grpc.StatusCode.NOT_FOUND, f"Stock for product {missing} not found"):
        await inventory.stock(missing)
    async with fails(grpc.StatusCode.NOT_FOUND):
        await inventory.adjust(missing, "RECEIVED", 1)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await inventory.stock("not-a-uuid")
    assert failure.violations == [FieldViolation("product_id", "product_id must be a UUID")]


async def test_reading_needs_inventory_read_and_adjusting_inventory_adjust(inventory: InventoryApp) -> None:
    stock = await inventory.new_stock(5)
    get = inventory_pb2.GetStockRequest(product_id=stock.id)
    adjust = inventory_pb2.AdjustStockRequest(product_id=stock.id, type=inventory_pb2.MOVEMENT_TYPE_SOLD, quantity=1)

    async with fails(grpc.StatusCode.UNAUTHENTICATED, "No token provided"):
        await inventory.stub.GetStock(get)
    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await inventory.stub.GetStock(get, metadata=inventory.token("customer"))
    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await inventory.stub.AdjustStock(adjust, metadata=inventory.token("customer"))
    assert (await inventory.stub.AdjustStock(adjust, metadata=inventory.token("manager"))).stock.quantity == 4


async def test_list_filters_by_location_and_low_stock_and_pages(inventory: InventoryApp) -> None:
    location = unique("aisle")
    plenty = await inventory.new_stock(50, location=location, sku=f"A-{location}")
    low = await inventory.new_stock(10, location=location, sku=f"B-{location}")
    empty = await inventory.new_stock(0, location=location, sku=f"C-{location}")
    await inventory.new_stock(1)  # elsewhere

    async def listed(**fields) -> inventory_pb2.ListStockResponse:
        return await inventory.stub.ListStock(inventory_pb2.ListStockRequest(location=location, **fields),
                                              metadata=inventory.staff)

    everything = await listed()
    assert [s.id for s in everything.stocks] == [plenty.id, low.id, empty.id]
    assert [s.status for s in everything.stocks] == [IN_STOCK, LOW_STOCK, OUT_OF_STOCK]
    assert [s.id for s in (await listed(low_stock=True)).stocks] == [low.id, empty.id]
    second = await listed(page={"page": 2, "page_size": 2})
    assert [s.id for s in second.stocks] == [empty.id]
    assert (second.page_info.page, second.page_info.page_size, second.page_info.total_size,
            second.page_info.total_pages) == (2, 2, 3, 2)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await listed(page={"page_size": 101})
    assert failure.violations == [FieldViolation("page.page_size", "Page size must be between 1 and 100")]


async def test_deactivated_stock_is_kept_but_no_longer_listed(inventory: InventoryApp) -> None:
    location = unique("gone")
    stock = await inventory.new_stock(5, location=location)

    first = await inventory.stub.DeactivateStock(inventory_pb2.DeactivateStockRequest(product_id=stock.id))
    again = await inventory.stub.DeactivateStock(inventory_pb2.DeactivateStockRequest(product_id=stock.id))

    assert not first.stock.active and not again.stock.active
    assert not (await inventory.stock(stock.id)).active
    listed = await inventory.stub.ListStock(inventory_pb2.ListStockRequest(location=location),
                                            metadata=inventory.staff)
    assert list(listed.stocks) == []
    assert len(await inventory.events(stock.id, "inventory.updated")) == 2
