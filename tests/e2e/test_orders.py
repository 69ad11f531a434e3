"""/api/orders through the gateway: the reference flow (order, pay, stock committed at once), declines,
Idempotency-Key, cancelling, and who sees which order."""

import uuid

import httpx
import psycopg

from libs.stack import Fleet, poll_until, unique
from tests.e2e.helpers import ADDRESS, CARD, assert_error, pay, place, register, sign_in, stocked_product


def test_the_reference_flow_commits_the_stock_as_soon_as_the_order_is_paid(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    product = stocked_product(api, admin_headers, quantity=100, price="99.99")

    created = place(api, customer_headers, product["id"], quantity=2)
    assert created.status_code == 201, created.text
    order = created.json()
    assert (order["status"], order["totalAmount"], order["grandTotal"]) == ("PENDING", "199.98", "199.98")
    [item] = order["items"]
    assert (item["productId"], item["sku"], item["unitPrice"], item["quantity"], item["lineTotal"]) == (
        product["id"], product["sku"], "99.99", 2, "199.98")
    reserved = api.get(f"/inventory/{product['id']}", headers=admin_headers).json()
    assert (reserved["quantity"], reserved["reserved"], reserved["available"]) == (100, 2, 98)

    paid = pay(api, customer_headers, order["id"], {"cardNumber": "4111111111111111", "expiry": "12/30",
                                                    "cvc": "123"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "PAID"
    payment = paid.json()["payment"]
    assert (payment["status"], payment["brand"], payment["last4"], payment["amount"]) == (
        "SUCCEEDED", "visa", "1111", "199.98")
    assert "4111111111111111" not in paid.text

    stock = api.get(f"/inventory/{product['id']}", headers=admin_headers)
    assert stock.status_code == 200, stock.text
    assert (stock.json()["quantity"], stock.json()["reserved"]) == (98, 0)


def test_a_declined_card_is_a_402_and_the_order_stays_pending(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    product = stocked_product(api, admin_headers)
    order = place(api, customer_headers, product["id"]).json()

    assert_error(pay(api, customer_headers, order["id"], {**CARD, "cardNumber": "4000000000000002"}),
                 402, "Card declined")
    assert api.get(f"/orders/{order['id']}", headers=customer_headers).json()["status"] == "PENDING"
    body = assert_error(pay(api, customer_headers, order["id"], {**CARD, "cardNumber": "4111 1111 1111 1112"}),
                        400, ["Card number is invalid"])
    assert body["details"] == [{"field": "paymentDetails.cardNumber", "message": "Card number is invalid"}]


def test_insufficient_stock_is_a_conflict(api: httpx.Client, admin_headers: dict, customer_headers: dict) -> None:
    product = stocked_product(api, admin_headers, quantity=1)

    assert_error(place(api, customer_headers, product["id"], quantity=2), 409,
                 f"Insufficient stock for product {product['id']}")
    missing = str(uuid.uuid4())
    assert_error(place(api, customer_headers, missing), 404, f"Product {missing} not found")


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    product = stocked_product(api, admin_headers)
    key = {"Idempotency-Key": unique("create")}

    first, again = (place(api, customer_headers, product["id"], 2, **key) for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert_error(place(api, customer_headers, product["id"], 3, **key), 422,
                 ["Idempotency-Key was used with a different request"])

    pay_key = {"Idempotency-Key": unique("pay")}
    paid, repaid = (pay(api, customer_headers, first.json()["id"], **pay_key) for _ in range(2))
    assert (paid.status_code, repaid.status_code) == (200, 200)
    assert paid.json()["payment"]["id"] == repaid.json()["payment"]["id"]
    assert api.get(f"/inventory/{product['id']}", headers=admin_headers).json()["quantity"] == 98


def test_cancelling_releases_the_stock_and_cannot_happen_twice(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    product = stocked_product(api, admin_headers, quantity=10)
    order = place(api, customer_headers, product["id"], 4).json()

    cancelled = api.post(f"/orders/{order['id']}/cancel", json={"reason": "Changed my mind"}, headers=customer_headers)

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancelReason"]) == ("CANCELLED", "Changed my mind")
    assert api.get(f"/inventory/{product['id']}", headers=admin_headers).json()["available"] == 10
    assert_error(api.post(f"/orders/{order['id']}/cancel", headers=customer_headers), 409,
                 "Order is already CANCELLED")


def test_customers_see_their_own_orders_in_pages_and_staff_see_all(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    product = stocked_product(api, admin_headers)
    mine = [place(api, customer_headers, product["id"]).json() for _ in range(3)]
    stranger_headers = sign_in(api, register(api))

    page = api.get("/orders", params={"page": 2, "limit": 2}, headers=customer_headers)
    assert page.status_code == 200, page.text
    assert {k: v for k, v in page.json().items() if k != "data"} == {"total": 3, "page": 2, "limit": 2,
                                                                     "totalPages": 2}
    assert [o["id"] for o in page.json()["data"]] == [mine[0]["id"]]
    assert api.get("/orders", headers=stranger_headers).json()["total"] == 0
    assert_error(api.get(f"/orders/{mine[0]['id']}", headers=stranger_headers), 404, f"Order {mine[0]['id']} not found")
    assert_error(pay(api, stranger_headers, mine[0]["id"]), 404, f"Order {mine[0]['id']} not found")
    everyone = api.get("/orders", params={"customerId": mine[0]["customerId"], "status": "PENDING"},
                       headers=admin_headers)
    assert everyone.json()["total"] == 3


def test_bad_bodies_are_named(api: httpx.Client, customer_headers: dict) -> None:
    body = assert_error(api.post("/orders", json={"items": [], "shippingAddress": {**ADDRESS, "city": ""}},
                                 headers=customer_headers), 400,
                        ["Items must contain at least 1 items", "City should not be empty"])
    assert [d["field"] for d in body["details"]] == ["items", "shippingAddress.city"]
    assert api.post("/orders", json={"items": [{"productId": "x", "quantity": 1}], "shippingAddress": ADDRESS},
                    headers=customer_headers).status_code == 400
    assert_error(api.post("/orders", json={}), 401, "No token provided")


def test_cancelling_a_paid_order_refunds_it_and_the_inventory_takes_the_stock_back_at_once(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    product = stocked_product(api, admin_headers, quantity=10)
    order = place(api, customer_headers, product["id"], 3).json()
    assert pay(api, customer_headers, order["id"]).status_code == 200

    cancelled = api.post(f"/orders/{order['id']}/cancel", headers=customer_headers)

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["payment"]["status"]) == ("CANCELLED", "REFUNDED")
    stock = api.get(f"/inventory/{product['id']}", headers=admin_headers).json()
    assert (stock["quantity"], stock["reserved"], stock["available"]) == (10, 0, 10)
    history = api.get(f"/inventory/{product['id']}/history", headers=admin_headers).json()["data"]
    assert [(m["type"], m["quantity"]) for m in history[:2]] == [("RETURNED", 3), ("SOLD", 3)]


def test_a_paid_order_cancelled_before_pickup_does_not_ship(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    product = stocked_product(api, admin_headers)
    order = place(api, customer_headers, product["id"]).json()
    pay(api, customer_headers, order["id"]).raise_for_status()

    def shipment() -> dict | None:
        found = api.get("/shipments", params={"orderId": order["id"]}, headers=admin_headers).json()["data"]
        return found[0] if found else None

    created = poll_until(shipment, timeout=20, message="the order's shipment")
    api.post(f"/orders/{order['id']}/cancel", headers=customer_headers).raise_for_status()

    poll_until(lambda: shipment()["status"] == "CANCELLED", timeout=20, message="the shipment CANCELLED")
    moved = api.post(f"/shipments/{created['id']}/status", json={"status": "PICKED_UP"}, headers=admin_headers)
    assert_error(moved, 409, "Shipment is CANCELLED and cannot become PICKED_UP")
    asked = api.post(f"/shipments/{created['id']}/status", json={"status": "CANCELLED"}, headers=admin_headers)
    assert asked.status_code == 400, asked.text


def test_one_trace_runs_from_the_request_through_grpc_and_kafka_to_the_shipment(
        api: httpx.Client, admin_headers: dict, customer_headers: dict, fleet: Fleet) -> None:
    """The W3C trace context of a REST call reaches the order service over gRPC, rides order.paid through
    the broker, and the shipping service's shipment.created carries the same trace on."""
    trace_id = uuid.uuid4().hex
    traced = {**customer_headers, "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
    product = stocked_product(api, admin_headers)
    order = place(api, traced, product["id"]).json()
    pay(api, traced, order["id"]).raise_for_status()

    def traces(database: str, event_type: str) -> list[str]:
        with psycopg.connect(fleet.stack.dsn(database), autocommit=True) as conn:
            return [headers["traceparent"].split("-")[1] for (headers,) in conn.execute(
                "SELECT headers FROM outbox WHERE event_type = %s AND payload LIKE %s",
                (event_type, f"%{order['id']}%"))]

    assert traces("depot_order", "order.created") == [trace_id]
    assert traces("depot_order", "order.paid") == [trace_id]
    assert poll_until(lambda: traces("depot_shipping", "shipment.created"), timeout=20,
                      message="shipment.created of the order") == [trace_id]
