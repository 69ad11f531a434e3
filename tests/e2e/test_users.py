"""/api/users and /api/roles as an administrator."""

import math
import uuid

import httpx

from libs.stack import unique
from tests.e2e.helpers import Account, assert_error, register


def test_admin_lists_users_in_pages(api: httpx.Client, admin_headers: dict):
    register(api), register(api)

    answer = api.get("/users", params={"page": 1, "limit": 2}, headers=admin_headers)

    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert set(page) == {"data", "total", "page", "limit", "totalPages"}
    assert (page["page"], page["limit"], len(page["data"])) == (1, 2, 2)
    assert page["total"] >= 3 and page["totalPages"] == math.ceil(page["total"] / 2)
    assert "email" in page["data"][0] and "password" not in str(page["data"][0]).lower()


def test_search_finds_one_user(api: httpx.Client, admin_headers: dict, customer: Account):
    page = api.get("/users", params={"search": customer.username.upper()}, headers=admin_headers).json()

    assert (page["total"], [u["id"] for u in page["data"]]) == (1, [customer.id])


def test_paging_limits_are_checked(api: httpx.Client, admin_headers: dict):
    assert_error(api.get("/users", params={"limit": 101}, headers=admin_headers), 400,
                 ["Limit must not be greater than 100"])
    assert_error(api.get("/users", params={"page": 0}, headers=admin_headers), 400, ["Page must not be less than 1"])
    assert_error(api.get("/users", params={"page": "x"}, headers=admin_headers), 400, ["Page must be an integer"])


def test_get_user_and_its_errors(api: httpx.Client, admin_headers: dict, customer: Account):
    assert api.get(f"/users/{customer.id}", headers=admin_headers).json()["email"] == customer.email
    assert_error(api.get(f"/users/{uuid.uuid4()}", headers=admin_headers), 404, "User not found")
    assert_error(api.get("/users/not-a-uuid", headers=admin_headers), 400, ["Id must be a UUID"])


def test_admin_updates_then_deactivates_a_user(api: httpx.Client, admin_headers: dict, customer: Account):
    patched = api.patch(f"/users/{customer.id}", headers=admin_headers, json={"firstName": "Grace"})
    deleted = api.delete(f"/users/{customer.id}", headers=admin_headers)

    assert patched.status_code == 200, patched.text
    assert (patched.json()["firstName"], patched.json()["lastName"]) == ("Grace", None)
    assert deleted.status_code == 200 and deleted.json()["isActive"] is False
    assert_error(api.post("/auth/login", json={"email": customer.email, "password": customer.password}), 401,
                 "Invalid credentials")


def test_admin_assigns_roles(api: httpx.Client, admin_headers: dict, customer: Account):
    assigned = api.put(f"/users/{customer.id}/roles", headers=admin_headers, json={"roles": ["manager", "customer"]})
    unknown = api.put(f"/users/{customer.id}/roles", headers=admin_headers, json={"roles": ["emperor"]})

    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["roles"] == ["customer", "manager"]
    assert_error(unknown, 400, ["Unknown role: emperor"])


def test_admin_lists_and_creates_roles(api: httpx.Client, admin_headers: dict):
    name = unique("auditor").replace("-", "_")
    role = {"name": name, "description": "Reads the audit log", "permissions": ["audit:read"]}

    created = api.post("/roles", headers=admin_headers, json=role)
    again = api.post("/roles", headers=admin_headers, json=role)
    roles = api.get("/roles", headers=admin_headers).json()

    assert created.status_code == 201, created.text
    assert created.json() == role
    assert_error(again, 409, "Role already exists")
    assert {"admin", "manager", "staff", "customer", name} <= {r["name"] for r in roles}
