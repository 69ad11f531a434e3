"""Helpers of the end-to-end tests: accounts, products and orders made through the API, and the error
body's shape."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from libs.stack import unique

PASSWORD = "Secret123!"
ADDRESS = {"street": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"}
CARD = {"cardNumber": "4111111111111111", "expiryMonth": 12, "expiryYear": 2030, "cvc": "123"}


@dataclass
class Account:
    id: str
    email: str
    username: str
    password: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(api: httpx.Client, **fields) -> Account:
    name = unique("u").replace("-", "_")
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD, **fields}
    answer = api.post("/auth/register", json=body)
    assert answer.status_code == 201, answer.text
    return Account(answer.json()["id"], body["email"], body["username"], body["password"])


def login(api: httpx.Client, email: str, password: str = PASSWORD) -> dict:
    answer = api.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()


def sign_in(api: httpx.Client, account: Account) -> dict[str, str]:
    """The Authorization header of a fresh login of `account`."""
    return bearer(login(api, account.email, account.password)["accessToken"])


def new_product(api: httpx.Client, headers: dict, **fields) -> dict:
    """A product made through the API; `fields` replace or add to the body's defaults."""
    body = {"sku": unique("SKU").upper(), "name": "Plain Widget", "description": "A widget.", "price": "19.99",
            **fields}
    answer = api.post("/products", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def stocked_product(api: httpx.Client, headers: dict, quantity: int = 100, price: str = "99.99") -> dict:
    """A product with `quantity` in stock, ready to be ordered."""
    return new_product(api, headers, name="Order Widget", description="For orders.", price=price,
                       category="Electronics", initialQuantity=quantity)


def place(api: httpx.Client, headers: dict, product_id: str, quantity: int = 1, **extra) -> httpx.Response:
    """POST /orders for one line; `extra` headers (an Idempotency-Key) go with it."""
    body = {"items": [{"productId": product_id, "quantity": quantity}], "shippingAddress": ADDRESS}
    return api.post("/orders", json=body, headers={**headers, **extra})


def pay(api: httpx.Client, headers: dict, order_id: str, details: dict = CARD, **extra) -> httpx.Response:
    body = {"paymentMethod": "credit_card", "paymentDetails": details}
    return api.post(f"/orders/{order_id}/pay", json=body, headers={**headers, **extra})


def assert_error(answer: httpx.Response, status: int, message: str | list[str]) -> dict:
    """The contract's error body (DESIGN.md §3), with the request id of the response header."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["statusCode"] == status
    assert body["message"] == message
    assert body["requestId"] == answer.headers["x-request-id"]
    assert set(body) == {"statusCode", "error", "message", "details", "requestId"}
    return body
