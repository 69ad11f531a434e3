"""/api/shipping, /api/shipments and /api/tracking through the gateway: the reference flow (a paid order
gets its shipment; DELIVERED makes the order DELIVERED), public rates and tracking, who may move a
shipment, and a signed carrier webhook."""

import hashlib
import hmac
import json
import time
from datetime import date

import httpx

from libs.stack import poll_until
from services.shipping.settings import Settings as ShippingSettings
from tests.e2e.helpers import Account, assert_error, pay, place, register, sign_in, stocked_product

EVENT_TIMEOUT = 60.0  # the consumers of a fresh fleet join their groups first


def paid_order(api: httpx.Client, admin_headers: dict, customer_headers: dict) -> dict:
    product = stocked_product(api, admin_headers, quantity=100, price="99.99")
    order = place(api, customer_headers, product["id"], quantity=2)
    assert order.status_code == 201, order.text
    paid = pay(api, customer_headers, order.json()["id"])
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "PAID"
    return paid.json()


def shipment_of(api: httpx.Client, headers: dict, order_id: str) -> dict:
    def found() -> dict | None:
        answer = api.get("/shipments", params={"orderId": order_id}, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"][0] if answer.json()["data"] else None

    return poll_until(found, EVENT_TIMEOUT, interval=0.2, message=f"a shipment for order {order_id}")


def move(api: httpx.Client, headers: dict, shipment_id: str, status: str, **fields) -> httpx.Response:
    return api.post(f"/shipments/{shipment_id}/status", json={"status": status, **fields}, headers=headers)


def test_the_reference_flow_ships_and_delivers_the_paid_order(
    api: httpx.Client, admin_headers: dict, customer_headers: dict,
) -> None:
    order = paid_order(api, admin_headers, customer_headers)

    listed = shipment_of(api, customer_headers, order["id"])
    shipment = api.get(f"/shipments/{listed['id']}", headers=customer_headers).json()
    assert (shipment["orderId"], shipment["status"], shipment["shippingAddress"]["postalCode"]) == (
        order["id"], "LABEL_CREATED", "12345")
    assert shipment["carrier"] in {"DHL", "FEDEX", "UPS"} and shipment["trackingNumber"]
    assert date.fromisoformat(shipment["estimatedDelivery"]).weekday() < 5
    assert [e["status"] for e in shipment["history"]] == ["LABEL_CREATED"]

    for status in ("PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY"):
        assert move(api, admin_headers, shipment["id"], status, location="Springfield").status_code == 200
    delivered = move(api, admin_headers, shipment["id"], "DELIVERED", note="Signed by A. Lovelace")

    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "DELIVERED" and delivered.json()["actualDelivery"]
    assert [e["status"] for e in delivered.json()["history"]] == [
        "LABEL_CREATED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"]

    def order_delivered() -> bool:
        return api.get(f"/orders/{order['id']}", headers=customer_headers).json()["status"] == "DELIVERED"

    poll_until(order_delivered, EVENT_TIMEOUT, interval=0.2, message="the order DELIVERED")
    assert_error(move(api, admin_headers, shipment["id"], "IN_TRANSIT"), 409,
                 "Shipment is DELIVERED and cannot become IN_TRANSIT")
    tracking = api.get(f"/tracking/{shipment['trackingNumber']}")  # no token
    assert tracking.status_code == 200, tracking.text
    assert (tracking.json()["status"], len(tracking.json()["history"])) == ("DELIVERED", 5)
    assert "shippingAddress" not in tracking.json() and "customerId" not in tracking.json()


def test_rates_are_public_flagged_and_validated(api: httpx.Client) -> None:
    answer = api.post("/shipping/rates", json={"address": {"country": "US", "postalCode": "02110"},
                                               "items": [{"quantity": 2, "weight": 400}]})

    assert answer.status_code == 200, answer.text
    rates = answer.json()["rates"]
    assert answer.json()["weight"] == 800 and len(rates) == 6
    assert sum(r["cheapest"] for r in rates) == sum(r["fastest"] for r in rates) == 1
    assert all(date.fromisoformat(r["estimatedDelivery"]).weekday() < 5 for r in rates)
    assert set(rates[0]) == {"carrier", "service", "amount", "currency", "estimatedDelivery", "businessDays",
                             "cheapest", "fastest"}

    body = assert_error(api.post("/shipping/rates", json={"address": {"country": "USA", "postalCode": "1"}}),
                        400, ["Country must be a two-letter ISO code", "Items or weight should not be empty"])
    assert [d["field"] for d in body["details"]] == ["address.country", "items"]
    bad_item = api.post("/shipping/rates", json={"address": {"country": "US", "postalCode": "1"},
                                                 "items": [{"quantity": 0}]})
    assert [d["field"] for d in bad_item.json()["details"]] == ["items.0.quantity"]


def test_only_staff_move_shipments_and_customers_see_only_theirs(
    api: httpx.Client, admin_headers: dict, customer_headers: dict, customer: Account,
) -> None:
    order = paid_order(api, admin_headers, customer_headers)
    shipment = shipment_of(api, admin_headers, order["id"])
    assert shipment["customerId"] == customer.id

    assert_error(move(api, customer_headers, shipment["id"], "PICKED_UP"), 403, "Missing permission shipping:manage")
    assert_error(api.get("/shipments"), 401, "No token provided")
    other = sign_in(api, register(api))
    assert_error(api.get(f"/shipments/{shipment['id']}", headers=other), 404, f"Shipment {shipment['id']} not found")
    assert api.get("/shipments", params={"orderId": order["id"]}, headers=other).json()["total"] == 0


def test_a_signed_carrier_webhook_moves_the_shipment_once(
    api: httpx.Client, admin_headers: dict, customer_headers: dict,
) -> None:
    shipment = shipment_of(api, admin_headers, paid_order(api, admin_headers, customer_headers)["id"])
    secret = ShippingSettings().webhook_secrets[shipment["carrier"]].get_secret_value().encode()
    body = json.dumps({"trackingNumber": shipment["trackingNumber"], "status": "IN_TRANSIT",
                       "location": "Louisville, KY"}).encode()
    webhook_id, stamp = f"wh-{shipment['id']}", str(int(time.time()))
    # The documented contract, computed here rather than with the service's own code.
    signature = hmac.new(secret, f"{webhook_id}.{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Webhook-Id": webhook_id, "X-Webhook-Timestamp": stamp, "X-Webhook-Signature": signature,
               "Content-Type": "application/json"}
    url = f"/shipping/webhooks/{shipment['carrier'].lower()}"

    accepted = api.post(url, content=body, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "IN_TRANSIT"
    assert_error(api.post(url, content=body, headers=headers), 409, f"Webhook {webhook_id} was already received")
    assert_error(api.post(url, content=body, headers={**headers, "X-Webhook-Signature": "0" * 64}), 401,
                 "Invalid webhook signature")

