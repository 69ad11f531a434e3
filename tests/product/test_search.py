"""Listing and search: typo-tolerant, case-insensitive matching, filters, sort, paging, facets over the
filtered set, the category tree, and list caches that a write invalidates. Every test lists inside a
category of its own, so other tests' products never show up."""

import grpc
from depot.product.v1 import product_pb2

from libs.errors import FieldViolation
from libs.stack import unique
from tests.grpc_helpers import fails
from tests.product.conftest import ProductApp


async def _catalog(app: ProductApp, *items: tuple[str, str], **fields) -> tuple[str, list[product_pb2.Product]]:
    """A fresh category holding one product per (name, price)."""
    category = unique("Cat")
    products = [await app.create(name=name, price=price, categories=[category], **fields) for name, price in items]
    return category, products


def _names(answer: product_pb2.ListProductsResponse) -> list[str]:
    return [p.name for p in answer.products]


async def test_a_typo_still_finds_the_product(app: ProductApp) -> None:
    category, _ = await _catalog(app, ("Gaming Laptop", "999.00"), ("Office Chair", "120.00"))

    assert _names(await app.list(search="lapptop", category=category)) == ["Gaming Laptop"]
    assert _names(await app.list(search="LAPTOPS", category=category)) == ["Gaming Laptop"]



async def test_each_misspelt_word_is_corrected_to_the_closest_word_of_a_name(app: ProductApp) -> None:
    category, _ = await _catalog(app, ("Wireless Keyboard", "49.00"), ("Wired Keyboard", "19.00"),
                                 ("Wireless Mouse", "29.00"), ("Office Chair", "120.00"))

    assert sorted(_names(await app.list(search="keybord", category=category))) == [
        "Wired Keyboard", "Wireless Keyboard"]
    # The known word stays as typed, the other is corrected; ranked and sorted like any word search.
    assert _names(await app.list(search="wireless keybord", category=category)) == ["Wireless Keyboard"]
    assert _names(await app.list(search="KEYBORD wirless", category=category,
                                 sort=product_pb2.PRODUCT_SORT_PRICE_ASC)) == ["Wireless Keyboard"]
    assert _names(await app.list(search="keybord", category=category, max_price="20")) == ["Wired Keyboard"]


async def test_a_text_with_nothing_to_correct_finds_nothing(app: ProductApp) -> None:
    category, _ = await _catalog(app, ("Wireless Keyboard", "49.00"), ("Office Chair", "120.00"))

    for search in ("zzzzqx", "wireless qqqqqq", "wireless chair", "qz"):
        answer = await app.list(search=search, category=category)
        assert (answer.page_info.total_size, _names(answer)) == (0, []), search


async def test_the_words_of_a_new_or_renamed_product_correct_typos_at_once(app: ProductApp) -> None:
    """Words no other product has (hex digits and letters), misspelt in the middle so that they are no prefix."""
    created, renamed = unique("w")[2:] + "gh", unique("w")[2:] + "jk"
    category, (_, product) = await _catalog(app, (f"Gizmo {created}", "10.00"), ("Plain Widget", "12.00"))

    assert _names(await app.list(search=created[:5] + created[6:], category=category)) == [f"Gizmo {created}"]
    assert _names(await app.list(search=renamed[:5] + renamed[6:], category=category)) == []
    await app.update(product.id, name=f"Widget {renamed.upper()}")
    assert _names(await app.list(search=renamed[:5] + renamed[6:], category=category)) == [
        f"Widget {renamed.upper()}"]


async def test_a_typo_equally_close_to_several_words_finds_them_all(app: ProductApp) -> None:
    stem = unique("w")[2:]  # hex: none of the letters below
    category, _ = await _catalog(app, (f"Gizmo {stem}gh", "10.00"), (f"Gizmo {stem}jk", "12.00"),
                                 (f"Gizmo {stem}pqrs", "14.00"))  # similar, but less

    assert sorted(_names(await app.list(search=f"{stem}mn", category=category))) == [
        f"Gizmo {stem}gh", f"Gizmo {stem}jk"]


async def test_search_is_case_insensitive_over_name_description_and_sku(app: ProductApp) -> None:
    category = unique("Cat")
    sku = unique("ZX").upper()
    await app.create(name="Kettle", description="Boils water with a stainless steel body", categories=[category])
    await app.create(name="Toaster", sku=sku, categories=[category])

    assert _names(await app.list(search="STAINLESS", category=category)) == ["Kettle"]
    assert _names(await app.list(search="kettle", category=category)) == ["Kettle"]
    assert _names(await app.list(search=sku.lower()[3:], category=category)) == ["Toaster"]


async def test_the_best_match_comes_first(app: ProductApp) -> None:
    category, _ = await _catalog(app, ("Laptop Sleeve", "20.00"), ("Laptop", "900.00"), ("Mouse", "15.00"))

    answer = await app.list(search="laptop", category=category)

    assert _names(answer) == ["Laptop", "Laptop Sleeve"]
    assert answer.page_info.total_size == 2


async def test_price_filters_sorting_and_paging(app: ProductApp) -> None:
    category, _ = await _catalog(app, ("A", "10.00"), ("B", "60.00"), ("C", "150.00"), ("D", "250.00"))

    cheap_first = await app.list(category=category, sort=product_pb2.PRODUCT_SORT_PRICE_ASC, page_size=3)
    second_page = await app.list(category=category, sort=product_pb2.PRODUCT_SORT_PRICE_ASC, page=2, page_size=3)
    bounded = await app.list(category=category, min_price="50", max_price="150.00",
                             sort=product_pb2.PRODUCT_SORT_PRICE_DESC)

    assert _names(cheap_first) == ["A", "B", "C"] and _names(second_page) == ["D"]
    assert (cheap_first.page_info.total_size, cheap_first.page_info.total_pages) == (4, 2)
    assert _names(bounded) == ["C", "B"]
    assert _names(await app.list(category=category, sort=product_pb2.PRODUCT_SORT_NAME_DESC)) == ["D", "C", "B", "A"]
    assert _names(await app.list(category=category)) == ["D", "C", "B", "A"]  # newest first


async def test_facets_count_the_filtered_set(app: ProductApp) -> None:
    category, products = await _catalog(app, ("A", "10.00"), ("B", "49.99"), ("C", "50.00"), ("D", "199.99"),
                                        ("E", "200.00"), ("F", "999.00"))
    extra = unique("Sale")
    for product in products[:2]:
        await app.update(product.id, categories=[category, extra])

    facets = (await app.list(category=category)).facets
    expensive = (await app.list(category=category, min_price="100")).facets

    assert [(b.label, b.count) for b in facets.price_buckets] == [
        ("<50", 2), ("50-100", 1), ("100-200", 1), (">=200", 2)]
    assert [(c.name, c.count) for c in facets.categories] == [(category, 6), (extra, 2)]
    assert [b.count for b in expensive.price_buckets] == [0, 0, 1, 2]
    assert [(c.name, c.count) for c in expensive.categories] == [(category, 3)]


async def test_facets_of_a_search_count_its_matches_and_of_a_typo_its_similar_names(app: ProductApp) -> None:
    category, products = await _catalog(app, ("Gaming Laptop", "49.99"), ("Laptop Stand", "50.00"),
                                        ("Laptop Bag", "200.00"), ("Office Chair", "120.00"))
    extra = unique("Sale")
    await app.update(products[2].id, categories=[category, extra])

    words = await app.list(search="laptop", category=category, page_size=2)
    typo = await app.list(search="lapptop", category=category, min_price="50")
    nothing = await app.list(search="zzzzqx", category=category)

    assert words.page_info.total_size == 3 and len(words.products) == 2
    assert [(b.label, b.count) for b in words.facets.price_buckets] == [
        ("<50", 1), ("50-100", 1), ("100-200", 0), (">=200", 1)]
    assert [(c.name, c.count) for c in words.facets.categories] == [(category, 3), (extra, 1)]
    assert sorted(_names(typo)) == ["Laptop Bag", "Laptop Stand"]
    assert [b.count for b in typo.facets.price_buckets] == [0, 1, 0, 1]
    assert [(c.name, c.count) for c in typo.facets.categories] == [(category, 2), (extra, 1)]
    assert nothing.page_info.total_size == 0 and _names(nothing) == []
    assert [b.count for b in nothing.facets.price_buckets] == [0, 0, 0, 0] and list(nothing.facets.categories) == []


async def test_the_in_stock_filter(app: ProductApp) -> None:
    category = unique("Cat")
    await app.create(name="Stocked", categories=[category], initial_quantity=5)
    await app.create(name="Empty", categories=[category])

    assert _names(await app.list(category=category, in_stock=True)) == ["Stocked"]
    assert _names(await app.list(category=category, in_stock=False)) == ["Empty"]


async def test_a_category_filter_includes_its_subcategories(app: ProductApp) -> None:
    parent = (await app.stub.CreateCategory(product_pb2.CreateCategoryRequest(name=unique("Computers")),
                                            metadata=app.admin)).category
    child = (await app.stub.CreateCategory(
        product_pb2.CreateCategoryRequest(name=unique("Laptops"), parent_id=parent.id, sort_order=1),
        metadata=app.admin)).category
    await app.create(name="In child", categories=[child.id])
    await app.create(name="In parent", categories=[parent.id])

    assert set(_names(await app.list(category=parent.slug))) == {"In child", "In parent"}
    assert _names(await app.list(category=child.name.upper())) == ["In child"]
    assert _names(await app.list(category=unique("nothing"))) == []
    tree = {c.id: c for c in (await app.stub.ListCategories(product_pb2.ListCategoriesRequest())).categories}
    assert [c.id for c in tree[parent.id].children] == [child.id]


async def test_category_slugs_are_unique(app: ProductApp) -> None:
    name = unique("Toys")
    await app.stub.CreateCategory(product_pb2.CreateCategoryRequest(name=name), metadata=app.admin)

    async with fails(grpc.StatusCode.ALREADY_EXISTS, "Category with this slug already exists"):
        await app.stub.CreateCategory(product_pb2.CreateCategoryRequest(name=name.upper()), metadata=app.admin)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.stub.CreateCategory(product_pb2.CreateCategoryRequest(name="", parent_id="x"), metadata=app.admin)
    assert [v.field for v in failure.violations] == ["name", "slug", "parent_id"]


async def test_a_list_is_never_stale_after_a_write(app: ProductApp) -> None:
    category, (first,) = await _catalog(app, ("First", "10.00"))
    assert _names(await app.list(category=category)) == ["First"]

    await app.create(name="Second", categories=[category])
    await app.update(first.id, name="First renamed")

    assert _names(await app.list(category=category)) == ["Second", "First renamed"]


async def test_drafts_are_listed_only_for_the_back_office(app: ProductApp) -> None:
    category = unique("Cat")
    await app.create(name="Draft", status=product_pb2.PRODUCT_STATUS_DRAFT, categories=[category])
    request = product_pb2.ListProductsRequest(category=category, status=product_pb2.PRODUCT_STATUS_DRAFT)

    assert _names(await app.list(category=category)) == []
    assert _names(await app.stub.ListProducts(request, metadata=app.admin)) == ["Draft"]
    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await app.stub.ListProducts(request, metadata=app.keys.metadata("product:read"))


async def test_bad_list_parameters_are_named(app: ProductApp) -> None:
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.list(page_size=101, page=-1, min_price="-3", max_price="x")
    assert failure.violations == [
        FieldViolation("min_price", "Minimum price must be a non-negative number"),
        FieldViolation("max_price", "Maximum price must be a non-negative number"),
        FieldViolation("page", "Page must be a positive number"),
        FieldViolation("page_size", "Page size must be between 1 and 100"),
    ]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await app.list(min_price="20", max_price="10")
    assert failure.violations == [FieldViolation("min_price", "Minimum price must not exceed maximum price")]
