"""Placing an order: a price snapshot, stock reserved before the answer, all-or-nothing, replayable."""

import asyncio
import uuid
from datetime import timedelta

import grpc
from depot.order.v1 import order_pb2
from depot.product.v1 import product_pb2

from libs.errors import FieldViolation
from libs.idempotency import MISMATCH
from libs.stack import unique
from tests.grpc_helpers import fails
from tests.order.conftest import ADDRESS, OrderApp, status


async def test_an_order_snapshots_prices_and_reserves_its_stock(app: OrderApp) -> None:
    product = await app.product(quantity=100, price="99.99", weight_grams=1250)
    customer = app.customer()

    order = await app.place(customer, (product.id, 2))

    assert order.status == status("PENDING")
    assert order.customer_id == customer.id
    [item] = order.items
    assert (item.product_id, item.sku, item.name, item.unit_price, item.quantity, item.line_total,
            item.weight_grams) == (product.id, product.sku, product.name, "99.99", 2, "199.98", 1250)
    assert (order.subtotal, order.total_amount, order.tax_amount, order.shipping_cost, order.grand_total) == (
        "199.98", "199.98", "0.00", "0.00", "199.98")
    assert order.currency == "USD"
    assert order.shipping_address.country == "US"
    assert order.expires_at.ToDatetime() - order.created_at.ToDatetime() == timedelta(minutes=30)
    stock = await app.stock(product.id)
    assert (stock.quantity, stock.reserved, stock.available) == (100, 2, 98)
    assert await app.events(order.id) == ["order.created"]


async def test_a_later_price_change_does_not_touch_a_placed_order(app: OrderApp) -> None:
    product = await app.product(price="10.00")
    customer = app.customer()
    order = await app.place(customer, (product.id, 3))

    request = product_pb2.UpdateProductRequest(id=product.id, product=product_pb2.ProductInput(price="12.50"))
    request.update_mask.paths.append("price")
    await app.products.UpdateProduct(request, metadata=app.role("admin"))

    assert (await app.get(customer, order.id)).items[0].unit_price == "10.00"
    assert (await app.place(customer, (product.id, 1))).items[0].unit_price == "12.50"


async def test_an_unknown_product_is_not_found_and_reserves_nothing(app: OrderApp) -> None:
    known = await app.product(quantity=5)
    missing = str(uuid.uuid4())
    customer = app.customer()

    async with fails(grpc.StatusCode.NOT_FOUND, f"Product {missing} not found"):
        await app.place(customer, (known.id, 1), (missing, 1))

    assert (await app.stock(known.id)).reserved == 0
    assert await app.rows("SELECT id FROM orders WHERE customer_id = :c", c=customer.id) == []


async def test_insufficient_stock_names_the_product_and_leaves_no_order(app: OrderApp) -> None:
    plenty, scarce = await app.product(quantity=10), await app.product(quantity=1)
    customer = app.customer()

    async with fails(grpc.StatusCode.FAILED_PRECONDITION, f"Insufficient stock for product {scarce.id}"):
        await app.place(customer, (plenty.id, 2), (scarce.id, 2))

    assert ((await app.stock(plenty.id)).reserved, (await app.stock(scarce.id)).reserved) == (0, 0)
    assert await app.rows("SELECT id FROM orders WHERE customer_id = :c", c=customer.id) == []


async def test_bad_input_names_every_field(app: OrderApp) -> None:
    request = order_pb2.CreateOrderRequest(
        items=[order_pb2.CreateOrderItem(product_id="nope", quantity=0)],
        shipping_address=order_pb2.Address(street="1 Main St", country="USA"),
    )
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.CreateOrder(request, metadata=app.customer().metadata)

    assert set(failure.violations) == {
        FieldViolation("items[0].product_id", "items[0].product_id must be a UUID"),
        FieldViolation("items[0].quantity", "Quantity must be between 1 and 1000"),
        FieldViolation("shipping_address.city", "Shipping address city should not be empty"),
        FieldViolation("shipping_address.postal_code", "Shipping address postal code should not be empty"),
        FieldViolation("shipping_address.country", "Shipping address country must be a two-letter ISO code"),
    }
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.CreateOrder(order_pb2.CreateOrderRequest(), metadata=app.customer().metadata)
    assert {v.field for v in failure.violations} == {"items", "shipping_address"}


async def test_placing_needs_the_order_create_permission(app: OrderApp) -> None:
    product = await app.product()
    request = order_pb2.CreateOrderRequest(
        items=[order_pb2.CreateOrderItem(product_id=product.id, quantity=1)], shipping_address=ADDRESS)

    async with fails(grpc.StatusCode.UNAUTHENTICATED, "No token provided"):
        await app.stub.CreateOrder(request)
    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await app.stub.CreateOrder(request, metadata=app.role("staff"))


async def test_a_replay_returns_the_first_order_and_reserves_once(app: OrderApp) -> None:
    product = await app.product(quantity=20)
    customer = app.customer()
    key = unique("key")

    first, second = await asyncio.gather(app.place(customer, (product.id, 2), key=key),
                                         app.place(customer, (product.id, 2), key=key))
    third = await app.place(customer, (product.id, 2), key=key)

    assert first.id == second.id == third.id
    assert len(await app.rows("SELECT id FROM orders WHERE customer_id = :c", c=customer.id)) == 1
    assert (await app.stock(product.id)).reserved == 2
    assert await app.events(first.id) == ["order.created"]


async def test_a_key_reused_for_another_order_is_refused(app: OrderApp) -> None:
    product = await app.product()
    customer = app.customer()
    key = unique("key")
    await app.place(customer, (product.id, 1), key=key)

    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.place(customer, (product.id, 3), key=key)

    assert failure.violations == [FieldViolation("Idempotency-Key", MISMATCH)]
    # Keys belong to their customer: another one may use the same key for a different order.
    assert (await app.place(app.customer(), (product.id, 3), key=key)).items[0].quantity == 3


async def test_thirty_customers_racing_for_the_last_ten_units_get_exactly_ten_orders(app: OrderApp) -> None:
    product = await app.product(quantity=10)
    customers = [app.customer() for _ in range(30)]

    results = await asyncio.gather(*(app.place(c, (product.id, 1)) for c in customers), return_exceptions=True)

    placed = [r for r in results if isinstance(r, order_pb2.Order)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(placed) == 10
    assert len(refused) == 20
    assert {e.code() for e in refused} == {grpc.StatusCode.FAILED_PRECONDITION}
    stock = await app.stock(product.id)
    assert (stock.quantity, stock.reserved, stock.available) == (10, 10, 0)
    rows = await app.rows("SELECT DISTINCT order_id FROM order_items WHERE product_id = :p", p=product.id)
    assert {str(row.order_id) for row in rows} == {o.id for o in placed}


async def test_a_variant_line_takes_the_variant_sku_and_price(app: OrderApp) -> None:
    variant_sku = unique("VAR").upper()
    product = await app.product(price="20.00", variants=[
        product_pb2.VariantInput(sku=variant_sku, name="Large", price="25.50")])
    request = order_pb2.CreateOrderRequest(
        items=[order_pb2.CreateOrderItem(product_id=product.id, variant_id=product.variants[0].id, quantity=2)],
        shipping_address=ADDRESS)

    order = (await app.stub.CreateOrder(request, metadata=app.customer().metadata)).order

    [item] = order.items
    assert (item.sku, item.name, item.unit_price, item.line_total) == (
        variant_sku, f"{product.name} (Large)", "25.50", "51.00")
    assert (await app.stock(product.id)).reserved == 2
