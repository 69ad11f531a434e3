"""/api/products and /api/categories through the gateway: the contract's bodies, validation named by
JSON field, ETag and If-Match, soft delete, search with facets, and the stock the inventory starts with."""

import uuid

import httpx
from redis import Redis

from libs.stack import Fleet, unique
from tests.e2e.helpers import assert_error, new_product


def test_a_created_product_is_stocked_and_public(api: httpx.Client, admin_headers: dict) -> None:
    category = unique("Electronics")
    product = new_product(api, admin_headers, name="Laptop", price=999.99, category=category, initialQuantity=10,
                          weight=2000, images=["https://img.example.com/l.jpg"])

    answer = api.get(f"/products/{product['id']}")  # no token: reads are public

    assert answer.status_code == 200, answer.text
    assert answer.json() == product
    assert (product["price"], product["category"], product["inStock"], product["version"]) == (
        "999.99", category, True, 1)
    assert answer.headers["etag"] == '"1"'
    stock = api.get(f"/inventory/{product['id']}", headers=admin_headers).json()
    assert (stock["quantity"], stock["available"], stock["sku"]) == (10, 10, product["sku"])


def test_bad_bodies_and_parameters_are_named(api: httpx.Client, admin_headers: dict) -> None:
    answer = api.post("/products", json={"sku": "", "name": "X", "price": -5}, headers=admin_headers)
    body = assert_error(answer, 400, ["SKU should not be empty", "Price must be a positive number"])
    assert [d["field"] for d in body["details"]] == ["sku", "price"]

    answer = api.post("/products", json={"sku": "A1", "name": "X", "price": "1", "initialQuantity": -1},
                      headers=admin_headers)
    assert_error(answer, 400, ["Initial quantity must not be negative"])
    assert api.get("/products", params={"limit": 101}).status_code == 400
    assert api.get("/products", params={"page": 0}).status_code == 400
    assert_error(api.get("/products/not-a-uuid"), 400, ["Id must be a UUID"])


def test_writes_need_a_token_and_a_permission(api: httpx.Client, customer_headers: dict) -> None:
    body = {"sku": "NOPE-1", "name": "X", "price": "1.00"}

    assert_error(api.post("/products", json=body), 401, "No token provided")
    assert api.post("/products", json=body, headers=customer_headers).status_code == 403


def test_a_duplicate_sku_is_a_conflict(api: httpx.Client, admin_headers: dict) -> None:
    product = new_product(api, admin_headers)

    answer = api.post("/products", json={"sku": product["sku"], "name": "Again", "price": "2.00"},
                      headers=admin_headers)

    assert_error(answer, 409, "Product with this SKU already exists")


def test_etags_make_reads_cheap_and_writes_safe(api: httpx.Client, admin_headers: dict) -> None:
    product = new_product(api, admin_headers)
    url = f"/products/{product['id']}"

    assert api.get(url, headers={"If-None-Match": '"1"'}).status_code == 304
    updated = api.put(url, json={"price": "25.00"}, headers={**admin_headers, "If-Match": '"1"'})
    stale = api.patch(url, json={"name": "Lost update"}, headers={**admin_headers, "If-Match": '"1"'})

    assert updated.status_code == 200, updated.text
    assert (updated.json()["price"], updated.json()["name"], updated.headers["etag"]) == ("25.00", "Plain Widget",
                                                                                        '"2"')
    assert stale.status_code == 409
    assert api.get(url, headers={"If-None-Match": '"1"'}).json()["price"] == "25.00"


def test_the_gateway_serves_a_product_from_its_cache_until_a_write_retires_it(
        api: httpx.Client, admin_headers: dict, fleet: Fleet) -> None:
    product = new_product(api, admin_headers)
    url = f"/products/{product['id']}"
    redis = Redis.from_url(fleet.stack.redis_url)
    try:
        assert api.get(url).json() == product
        assert redis.keys(f"cache:product-rest-v2:{product['id']}:*")  # the rendered body, kept by the gateway

        api.patch(url, json={"price": "31.00"}, headers=admin_headers).raise_for_status()
        answer = api.get(url)  # the very next read, through the same cache
    finally:
        redis.close()

    assert (answer.json()["price"], answer.json()["version"], answer.headers["etag"]) == ("31.00", 2, '"2"')


def test_a_deleted_product_is_gone(api: httpx.Client, admin_headers: dict) -> None:
    product = new_product(api, admin_headers)

    assert api.delete(f"/products/{product['id']}", headers=admin_headers).status_code == 204
    assert_error(api.get(f"/products/{product['id']}"), 404, "Product not found")
    assert api.delete(f"/products/{uuid.uuid4()}", headers=admin_headers).status_code == 404


def test_a_draft_is_the_back_office_s_even_from_the_gateway_cache(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    draft = new_product(api, admin_headers, status="DRAFT")
    path = f"/products/{draft['id']}"

    assert api.get(path, headers=admin_headers).json()["status"] == "DRAFT"  # the gateway keeps it now
    assert_error(api.get(path), 404, "Product not found")
    assert_error(api.get(path, headers=customer_headers), 404, "Product not found")
    assert_error(api.get(path, headers={"Authorization": "Bearer nonsense"}), 401, "Invalid token")
    assert api.patch(path, json={"status": "ACTIVE"}, headers=admin_headers).status_code == 200
    assert api.get(path).json()["status"] == "ACTIVE"


def test_search_with_facets(api: httpx.Client, admin_headers: dict) -> None:
    category = unique("Computers")
    for name, price in [("Gaming Laptop", "1200.00"), ("Laptop Stand", "45.00"), ("Monitor", "180.00")]:
        new_product(api, admin_headers, name=name, price=price, category=category)

    answer = api.get("/products", params={"search": "lapptop", "category": category, "sort": "price_asc"})

    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert [p["name"] for p in page["data"]] == ["Laptop Stand", "Gaming Laptop"]
    assert (page["total"], page["page"], page["limit"], page["totalPages"]) == (2, 1, 20, 1)
    assert [(r["label"], r["count"]) for r in page["facets"]["priceRanges"]] == [
        ("<50", 1), ("50-100", 0), ("100-200", 0), (">=200", 1)]
    assert [(c["name"], c["count"]) for c in page["facets"]["categories"]] == [(category, 2)]


def test_the_category_tree(api: httpx.Client, admin_headers: dict) -> None:
    parent = api.post("/categories", json={"name": unique("Home")}, headers=admin_headers)
    assert parent.status_code == 201, parent.text
    child = api.post("/categories", json={"name": unique("Kitchen"), "parentId": parent.json()["id"]},
                     headers=admin_headers).json()

    tree = {c["id"]: c for c in api.get("/categories").json()}

    assert [c["id"] for c in tree[parent.json()["id"]]["children"]] == [child["id"]]
    assert child["parentId"] == parent.json()["id"]
