"""Create, read, update and delete products: the rules on input, sku uniqueness, optimistic concurrency,
soft delete, the outbox rows written with each change, and the stock initialized at the inventory."""

import json

import grpc
from depot.inventory.v1 import inventory_pb2
from depot.product.v1 import product_pb2

from libs.errors import FieldViolation
from libs.stack import apoll_until, unique
from services.product.__main__ import build
from tests.grpc_helpers import fails, serve
from tests.product.conftest import ProductApp


async def test_a_created_product_reads_back_with_its_categories_variants_and_version(app: ProductApp) -> None:
    category = unique("Electronics")
    created = await app.create(
        initial_quantity=5, name="Gaming Laptop", price="1299.90", categories=[category], weight_grams=2100,
        image_urls=["https://img.example.com/laptop.jpg"],
        variants=[product_pb2.VariantInput(sku=unique("V").upper(), name="16 GB", attributes={"ram": "16GB"},
                                           price="1399.90")],
    )

    product = await app.get(created.id)

    assert product == created
    assert (product.name, product.price, product.status, product.version) == (
        "Gaming Laptop", "1299.90", product_pb2.PRODUCT_STATUS_ACTIVE, 1)
    assert [c.name for c in product.categories] == [category]
    assert product.categories[0].slug == category.lower()
    assert dict(product.variants[0].attributes) == {"ram": "16GB"} and product.variants[0].price == "1399.90"
    assert product.in_stock and product.weight_grams == 2100


async def test_prices_are_kept_to_the_cent(app: ProductApp) -> None:
    assert (await app.create(price="5")).price == "5.00"
    assert (await app.create(price="0.10")).price == "0.10"


async def test_a_category_named_in_the_body_is_created_once_and_then_reused(app: ProductApp) -> None:
    name = unique("Garden")

    first = await app.create(categories=[name])
    second = await app.create(categories=[name.upper()])
    by_id = await app.create(categories=[first.categories[0].id])

    assert first.categories[0].id == second.categories[0].id == by_id.categories[0].id
    assert await app.rows("SELECT id FROM categories WHERE slug = :slug", slug=name.lower()) != []


async def test_an_unknown_category_id_is_a_field_violation(app: ProductApp) -> None:
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.create(categories=["6f1c2a52-52a4-4bb2-9d61-3b2f3f6a0c11"])
    assert failure.violations == [FieldViolation("categories[0]", "Category not found")]


async def test_a_category_name_with_nothing_to_slug_is_a_name_violation(app: ProductApp) -> None:
    # "日本" makes an empty slug: the violation named `slug`, a field the caller had not sent.
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.CreateCategory(product_pb2.CreateCategoryRequest(name="日本"), metadata=app.admin)
    assert failure.violations == [
        FieldViolation("name", "Name must have a Latin letter or digit, or the category a slug")]
    category = (await app.stub.CreateCategory(product_pb2.CreateCategoryRequest(name="日本", slug=unique("japan")),
                                              metadata=app.admin)).category
    assert category.name == "日本"


async def test_bad_input_is_named_field_by_field(app: ProductApp) -> None:
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.create(
            sku=" ", name="", price="-5", weight_grams=-1, image_urls=["ftp://x"], initial_quantity=-2,
            variants=[product_pb2.VariantInput(sku="V1", price="1.234"), product_pb2.VariantInput(sku="V1")],
        )

    assert failure.violations == [
        FieldViolation("sku", "SKU should not be empty"),
        FieldViolation("name", "Name should not be empty"),
        FieldViolation("price", "Price must be a positive number"),
        FieldViolation("variants[0].price", "Price must have at most 2 decimal places"),
        FieldViolation("variants[1].sku", "Variant SKUs must be unique"),
        FieldViolation("image_urls[0]", "Image URL must be an http(s) URL"),
        FieldViolation("weight_grams", "Weight must not be negative"),
        FieldViolation("initial_quantity", "Initial quantity must not be negative"),
    ]


async def test_price_must_be_a_positive_amount_in_cents(app: ProductApp) -> None:
    for bad, message in [("0", "Price must be a positive number"), ("abc", "Price must be a positive number"),
                         ("NaN", "Price must be a positive number"), ("", "Price must be a positive number"),
                         ("1.999", "Price must have at most 2 decimal places")]:
        async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
            await app.create(price=bad)
        assert failure.violations == [FieldViolation("price", message)], bad


async def test_a_duplicate_sku_is_refused(app: ProductApp) -> None:
    sku = unique("DUP").upper()
    await app.create(sku=sku)

    async with fails(grpc.StatusCode.ALREADY_EXISTS, "Product with this SKU already exists"):
        await app.create(sku=sku)


async def test_writes_need_their_permission(app: ProductApp) -> None:
    request = product_pb2.CreateProductRequest(product=product_pb2.ProductInput(sku="X1", name="X", price="1"))

    async with fails(grpc.StatusCode.UNAUTHENTICATED, "No token provided"):
        await app.stub.CreateProduct(request)
    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await app.stub.CreateProduct(request, metadata=app.keys.metadata("product:read", "product:update"))
    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await app.stub.DeleteProduct(product_pb2.DeleteProductRequest(id=(await app.create()).id),
                                     metadata=app.keys.metadata("product:update"))


async def test_an_update_changes_only_the_masked_fields_and_bumps_the_version(app: ProductApp) -> None:
    created = await app.create(description="Old text")

    updated = await app.update(created.id, expected_version=1, price="24.50", name="Better Widget")

    assert (updated.price, updated.name, updated.description, updated.version) == (
        "24.50", "Better Widget", "Old text", 2)
    assert updated.updated_at.ToDatetime() >= created.updated_at.ToDatetime()
    assert (await app.update(created.id, price="24.50")).version == 2  # nothing changed, nothing written


async def test_an_update_from_a_stale_version_is_aborted(app: ProductApp) -> None:
    created = await app.create()
    await app.update(created.id, expected_version=1, name="First writer")

    async with fails(grpc.StatusCode.ABORTED):
        await app.update(created.id, expected_version=1, name="Second writer")
    assert (await app.get(created.id)).name == "First writer"


async def test_an_update_validates_and_keeps_skus_unique(app: ProductApp) -> None:
    taken = await app.create()
    product = await app.create()

    async with fails(grpc.StatusCode.ALREADY_EXISTS, "Product with this SKU already exists"):
        await app.update(product.id, sku=taken.sku)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.update(product.id, price="-1")
    assert failure.violations == [FieldViolation("price", "Price must be a positive number")]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT):
        await app.stub.UpdateProduct(product_pb2.UpdateProductRequest(id="not-a-uuid"), metadata=app.admin)


async def test_variants_and_categories_are_replaced_as_a_whole(app: ProductApp) -> None:
    created = await app.create(categories=[unique("Old")], variants=[product_pb2.VariantInput(sku="A"),
                                                                     product_pb2.VariantInput(sku="B")])
    new_category = unique("New")

    updated = await app.update(created.id, categories=[new_category],
                               variants=[product_pb2.VariantInput(sku="B", name="Blue")])

    assert [c.name for c in updated.categories] == [new_category]
    assert [(v.sku, v.name) for v in updated.variants] == [("B", "Blue")]


async def test_a_deleted_product_is_not_found_and_its_sku_is_free_again(app: ProductApp) -> None:
    created = await app.create()
    await app.get(created.id)  # cached

    await app.stub.DeleteProduct(product_pb2.DeleteProductRequest(id=created.id), metadata=app.admin)

    async with fails(grpc.StatusCode.NOT_FOUND, "Product not found"):
        await app.get(created.id)
    async with fails(grpc.StatusCode.NOT_FOUND, "Product not found"):
        await app.stub.DeleteProduct(product_pb2.DeleteProductRequest(id=created.id), metadata=app.admin)
    assert (await app.rows("SELECT deleted_at FROM products WHERE id = :id", id=created.id))[0].deleted_at
    assert (await app.create(sku=created.sku)).id != created.id


async def test_a_draft_is_read_by_id_only_by_the_back_office(app: ProductApp) -> None:
    draft = await app.create(status=product_pb2.PRODUCT_STATUS_DRAFT)
    request = product_pb2.GetProductRequest(id=draft.id)

    assert (await app.stub.GetProduct(request, metadata=app.admin)).product.name == draft.name  # now cached
    for metadata in (None, app.keys.role("customer")):
        async with fails(grpc.StatusCode.NOT_FOUND, "Product not found"):
            await app.stub.GetProduct(request, metadata=metadata)
    await app.update(draft.id, status=product_pb2.PRODUCT_STATUS_ACTIVE)
    assert (await app.get(draft.id)).status == product_pb2.PRODUCT_STATUS_ACTIVE


async def test_a_delete_from_a_stale_version_is_aborted(app: ProductApp) -> None:
    created = await app.create()
    await app.update(created.id, name="Renamed")

    async with fails(grpc.StatusCode.ABORTED):
        await app.stub.DeleteProduct(product_pb2.DeleteProductRequest(id=created.id, expected_version=1),
                                     metadata=app.admin)


async def test_a_read_after_an_update_is_never_stale(app: ProductApp) -> None:
    created = await app.create(price="10.00")
    await app.get(created.id)
    # Changed behind the service's back: the cache still answers, which proves it is in use...
    await app.execute("UPDATE products SET description = 'edited in SQL' WHERE id = :id", id=created.id)
    assert (await app.get(created.id)).description == "A widget."

    await app.update(created.id, price="11.00")

    # ...and a write through the service invalidates it before answering.
    fresh = await app.get(created.id)
    assert (fresh.price, fresh.description, fresh.version) == ("11.00", "edited in SQL", 2)


async def test_each_change_writes_its_event_to_the_outbox(app: ProductApp) -> None:
    created = await app.create(initial_quantity=3, price="12.00")
    await app.update(created.id, price="13.00")
    await app.stub.DeleteProduct(product_pb2.DeleteProductRequest(id=created.id), metadata=app.admin)

    rows = await app.rows("SELECT topic, key, event_type, payload FROM outbox WHERE key = :key ORDER BY created_at",
                          key=created.id)

    assert [(r.topic, r.event_type) for r in rows] == [
        ("depot.product", "product.created"), ("depot.product", "product.updated"),
        ("depot.product", "product.deleted")]
    payloads = [json.loads(r.payload) for r in rows]
    assert {k: payloads[0][k] for k in ("product_id", "sku", "price", "initial_quantity")} == {
        "product_id": created.id, "sku": created.sku, "price": "12.00", "initial_quantity": 3}
    assert payloads[1]["changed_fields"] == ["price"] and payloads[1]["product"]["price"] == "13.00"
    assert payloads[2]["product_id"] == created.id


async def test_the_initial_quantity_is_stocked_at_the_inventory(app: ProductApp) -> None:
    created = await app.create(initial_quantity=7)

    stock = (await app.inventory.GetStock(inventory_pb2.GetStockRequest(product_id=created.id),
                                          metadata=app.keys.metadata("inventory:read"))).stock

    assert (stock.quantity, stock.sku) == (7, created.sku)


async def test_a_product_is_created_even_when_the_inventory_is_down(app: ProductApp) -> None:
    # Nothing listens on port 9 (discard); the product.created event will initialize the stock later.
    settings = app.settings.model_copy(update={"inventory_addr": "127.0.0.1:9"})
    server = await serve(await build(settings), app.keys, background=False)
    try:
        stub = type(app.stub)(server.channel)
        request = product_pb2.CreateProductRequest(
            product=product_pb2.ProductInput(sku=unique("OFF").upper(), name="Offline", price="3.00"),
            initial_quantity=4)
        created = (await stub.CreateProduct(request, metadata=app.admin)).product
    finally:
        await server.close()

    assert (await app.get(created.id)).in_stock
    assert await app.rows("SELECT 1 FROM outbox WHERE key = :key AND event_type = 'product.created'", key=created.id)


async def test_products_are_read_in_batches_for_other_services(app: ProductApp) -> None:
    first, second = await app.create(), await app.create()
    deleted = await app.create()
    await app.stub.DeleteProduct(product_pb2.DeleteProductRequest(id=deleted.id), metadata=app.admin)

    answer = await app.stub.GetProducts(product_pb2.GetProductsRequest(
        ids=[second.id, deleted.id, first.id, "0d5b1a9e-6c0e-4c65-8a38-000000000000"]))

    assert [p.id for p in answer.products] == [second.id, first.id]


async def test_the_relay_publishes_the_outbox(app: ProductApp) -> None:
    created = await app.create()

    async def published() -> bool:
        rows = await app.rows("SELECT published_at FROM outbox WHERE key = :key", key=created.id)
        return bool(rows) and all(r.published_at for r in rows)

    await apoll_until(published, timeout=20, message="product.created published")


async def test_stock_sold_out_at_the_inventory_clears_the_in_stock_flag(app: ProductApp) -> None:
    created = await app.create(initial_quantity=2)
    assert (await app.get(created.id)).in_stock  # now cached as in stock

    await app.inventory.AdjustStock(
        inventory_pb2.AdjustStockRequest(product_id=created.id, type=inventory_pb2.MOVEMENT_TYPE_SOLD, quantity=2),
        metadata=app.keys.metadata("inventory:adjust"))

    async def sold_out() -> bool:
        return not (await app.get(created.id)).in_stock

    # inventory.updated travels outbox → relay → broker → our consumer, which invalidates the cache.
    await apoll_until(sold_out, timeout=30, message="in_stock cleared by inventory.updated")
    listed = await app.list(search=created.sku, in_stock=False)
    assert [p.id for p in listed.products] == [created.id]
