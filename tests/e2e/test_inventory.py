"""/api/inventory through the gateway: stock, adjustments with their errors and Idempotency-Key, history.

Stock is initialized with the InitializeStock RPC the product service calls, so these tests do not
depend on the product routes."""

import uuid
from collections.abc import Callable, Iterator

import grpc
import httpx
import pytest
from depot.inventory.v1 import inventory_pb2, inventory_pb2_grpc

from libs.stack import Fleet, unique
from tests.e2e.helpers import assert_error

NewStock = Callable[..., str]


@pytest.fixture(scope="module")
def new_stock(fleet: Fleet) -> Iterator[NewStock]:
    """Makes stock for a fresh product id and returns that id."""
    with grpc.insecure_channel(fleet.address("inventory")) as channel:
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)

        def make(quantity: int = 20, **fields) -> str:
            product_id = str(uuid.uuid4())
            stub.InitializeStock(inventory_pb2.InitializeStockRequest(
                product_id=product_id, sku=unique("SKU"), initial_quantity=quantity, **fields), timeout=5)
            return product_id

        yield make


def adjust(api: httpx.Client, headers: dict, product_id: str, **body) -> httpx.Response:
    return api.post(f"/inventory/{product_id}/adjust", json=body, headers=headers)


def test_stock_has_the_contract_fields(api: httpx.Client, admin_headers: dict, new_stock: NewStock):
    product_id = new_stock(15)

    answer = api.get(f"/inventory/{product_id}", headers=admin_headers)

    assert answer.status_code == 200, answer.text
    stock = answer.json()
    assert {"id", "productId", "sku", "quantity", "reserved", "available", "reorderLevel", "location",
            "status", "lastRestockedAt"} <= set(stock)
    assert (stock["id"], stock["productId"]) == (product_id, product_id)
    assert (stock["quantity"], stock["reserved"], stock["available"]) == (15, 0, 15)
    assert (stock["reorderLevel"], stock["status"]) == (10, "IN_STOCK") and stock["lastRestockedAt"]


def test_adjusting_answers_previous_and_new_quantity_and_the_history_shows_it(
    api: httpx.Client, admin_headers: dict, new_stock: NewStock
):
    product_id = new_stock(15)

    sold = adjust(api, admin_headers, product_id, quantity=6, type="SOLD", notes="counter sale")
    corrected = adjust(api, admin_headers, product_id, quantity=-1, type="ADJUSTED")

    assert sold.status_code == 200, sold.text
    assert (sold.json()["previousQuantity"], sold.json()["newQuantity"], sold.json()["type"]) == (15, 9, "SOLD")
    assert sold.json()["stock"]["status"] == "LOW_STOCK" and sold.json()["notes"] == "counter sale"
    assert corrected.json()["newQuantity"] == 8
    history = api.get(f"/inventory/{product_id}/history", headers=admin_headers).json()
    assert (history["total"], history["limit"]) == (3, 50)
    assert [(m["type"], m["quantity"], m["newQuantity"]) for m in history["data"]] == [
        ("ADJUSTED", -1, 8), ("SOLD", 6, 9), ("RECEIVED", 15, 15)]


def test_adjustment_errors(api: httpx.Client, admin_headers: dict, new_stock: NewStock):
    product_id = new_stock(5)

    body = assert_error(adjust(api, admin_headers, product_id, quantity=1, type="STOLEN"), 400,
                        ["Invalid transaction type"])
    assert body["details"] == [{"field": "type", "message": "Invalid transaction type"}]
    assert_error(adjust(api, admin_headers, product_id, quantity=0, type="RECEIVED"), 400,
                 ["Quantity must be a positive integer"])
    assert_error(adjust(api, admin_headers, product_id, quantity=6, type="SOLD"), 409, "Insufficient stock")
    assert api.get(f"/inventory/{product_id}", headers=admin_headers).json()["quantity"] == 5
    missing = str(uuid.uuid4())
    assert_error(adjust(api, admin_headers, missing, quantity=1, type="SOLD"), 404,
                 f"Stock for product {missing} not found")
    body = assert_error(api.get("/inventory/not-a-uuid", headers=admin_headers), 400, ["Product id must be a UUID"])
    assert body["details"][0]["field"] == "productId"


def test_an_idempotency_key_replays_and_refuses_another_body(
    api: httpx.Client, admin_headers: dict, new_stock: NewStock
):
    product_id = new_stock(10)
    headers = {**admin_headers, "Idempotency-Key": unique("key")}

    first = adjust(api, headers, product_id, quantity=2, type="SOLD")
    replay = adjust(api, headers, product_id, quantity=2, type="SOLD")
    other = adjust(api, headers, product_id, quantity=3, type="SOLD")

    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert_error(other, 422, ["Idempotency-Key was used with a different request"])
    assert api.get(f"/inventory/{product_id}", headers=admin_headers).json()["quantity"] == 8


def test_listing_filters_and_pages(api: httpx.Client, admin_headers: dict, new_stock: NewStock):
    location = unique("shelf")
    plenty, low = new_stock(50, location=location), new_stock(3, location=location)

    everything = api.get("/inventory", params={"location": location}, headers=admin_headers).json()
    only_low = api.get("/inventory", params={"location": location, "lowStock": "true"}, headers=admin_headers).json()

    assert set(everything) == {"data", "total", "page", "limit", "totalPages"}
    assert {s["id"] for s in everything["data"]} == {plenty, low} and everything["total"] == 2
    assert [s["id"] for s in only_low["data"]] == [low]


def test_inventory_needs_a_token_and_the_permission(api: httpx.Client, customer_headers: dict,
                                                    new_stock: NewStock):
    product_id = new_stock()

    assert_error(api.get(f"/inventory/{product_id}"), 401, "No token provided")
    assert api.get(f"/inventory/{product_id}", headers=customer_headers).status_code == 403
    assert adjust(api, customer_headers, product_id, quantity=1, type="SOLD").status_code == 403
