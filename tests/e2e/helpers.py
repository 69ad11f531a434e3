"""Helpers of the end-to-end tests: accounts made through the API, and the error body's shape."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from libs.stack import unique

PASSWORD = "Secret123!"


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


def assert_error(answer: httpx.Response, status: int, message: str | list[str]) -> dict:
    """The contract's error body (DESIGN.md §3), with the request id of the response header."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["statusCode"] == status
    assert body["message"] == message
    assert body["requestId"] == answer.headers["x-request-id"]
    assert set(body) == {"statusCode", "error", "message", "details", "requestId"}
    return body
