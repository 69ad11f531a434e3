"""/api/audit-logs through the gateway: every change a client asks for (allowed or not) is recorded by the
gateway, carried by the broker to the audit service, and can be listed, walked and exported by the
holders of audit:read."""

import csv
import io
import json

import httpx
from openpyxl import load_workbook

from libs.stack import poll_until
from tests.e2e.helpers import Account, assert_error, new_product

EVENT_TIMEOUT = 60.0  # the audit consumer joins its group once per fleet


def records(api: httpx.Client, headers: dict, **filters) -> list[dict]:
    answer = api.get("/audit-logs", params=filters, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def wait_for(api: httpx.Client, headers: dict, count: int, **filters) -> list[dict]:
    return poll_until(lambda: (found := records(api, headers, **filters)) and len(found) >= count and found,
                      timeout=EVENT_TIMEOUT, interval=0.3, message=f"{count} audit records for {filters}")


def test_changes_allowed_or_not_are_recorded_with_who_and_how(
    api: httpx.Client, admin_headers: dict, customer: Account, customer_headers: dict
) -> None:
    created = api.post("/products", json={"sku": "AUDIT-1" + customer.id[:8], "name": "Audited", "price": "5.00"},
                       headers=admin_headers)
    assert created.status_code == 201, created.text
    product_id = created.json()["id"]
    changed = api.patch(f"/products/{product_id}", json={"price": "6.00"}, headers=admin_headers)
    refused = api.delete(f"/products/{product_id}", headers=customer_headers)
    assert (changed.status_code, refused.status_code) == (200, 403)
    api.get(f"/products/{product_id}")  # reads are not recorded

    [denied] = wait_for(api, admin_headers, 1, userId=customer.id, resourceId=product_id)
    assert (denied["action"], denied["statusCode"], denied["outcome"], denied["actorRoles"]) == (
        "DELETE /api/products/{id}", 403, "DENIED", ["customer"])
    assert denied["requestId"] == refused.headers["x-request-id"]
    on_product = wait_for(api, admin_headers, 1, resourceType="products", resourceId=product_id, outcome="SUCCESS")
    assert [(r["action"], r["statusCode"], r["method"]) for r in on_product] == [
        ("PATCH /api/products/{id}", 200, "PATCH")]
    admin_id = on_product[0]["actorId"]
    assert admin_id == api.get("/auth/me", headers=admin_headers).json()["id"]
    creates = records(api, admin_headers, userId=admin_id, action="POST /api/products")
    assert created.headers["x-request-id"] in {r["requestId"] for r in creates}
    assert all(r["action"] == "POST /api/products" and r["path"] == "/api/products" for r in creates)


def test_the_log_is_walked_by_page_or_cursor_and_exported(
    api: httpx.Client, admin_headers: dict, customer: Account, customer_headers: dict
) -> None:
    for n in range(3):  # three refusals of the same customer, recorded with the customer's id
        assert api.post("/products", json={"sku": f"NOPE-{n}", "name": "No", "price": "1.00"},
                        headers=customer_headers).status_code == 403
    newest_first = [r["id"] for r in wait_for(api, admin_headers, 3, userId=customer.id)]

    first = api.get("/audit-logs", params={"userId": customer.id, "limit": 2}, headers=admin_headers).json()
    assert (first["total"], first["totalPages"], first["page"], first["limit"]) == (3, 2, 1, 2)
    rest = api.get("/audit-logs", params={"userId": customer.id, "limit": 2, "cursor": first["nextCursor"]},
                   headers=admin_headers).json()
    assert (rest["total"], rest["totalPages"], rest["nextCursor"]) == (None, None, None)
    assert [r["id"] for r in first["data"] + rest["data"]] == newest_first

    as_csv = api.get("/audit-logs/export", params={"userId": customer.id, "format": "csv"}, headers=admin_headers)
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"].startswith('attachment; filename="audit-logs-')
    assert [row["id"] for row in csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig")))] == newest_first
    as_json = api.get("/audit-logs/export", params={"userId": customer.id, "format": "json"}, headers=admin_headers)
    assert [r["id"] for r in json.loads(as_json.content)] == newest_first
    as_xlsx = api.get("/audit-logs/export", params={"userId": customer.id, "format": "xlsx"}, headers=admin_headers)
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True).active
    assert [row[0] for row in list(sheet.values)[1:]] == newest_first


def test_reading_the_log_needs_audit_read_and_good_parameters(
    api: httpx.Client, admin_headers: dict, customer_headers: dict
) -> None:
    assert_error(api.get("/audit-logs"), 401, "No token provided")
    assert api.get("/audit-logs", headers=customer_headers).status_code == 403
    assert api.get("/audit-logs/export", headers=customer_headers).status_code == 403
    for params, field in (({"startDate": "2026-02-01", "endDate": "2026-01-01"}, "startDate"),
                          ({"outcome": "MAYBE"}, "outcome"), ({"limit": 101}, "limit"), ({"cursor": "x"}, "cursor"),
                          ({"format": "pdf"}, "format")):
        path = "/audit-logs/export" if "format" in params else "/audit-logs"
        answer = api.get(path, params=params, headers=admin_headers)
        assert answer.status_code == 400, (params, answer.text)
        assert [d["field"] for d in answer.json()["details"]] == [field], answer.text


def test_a_product_made_through_the_api_is_in_the_log(api: httpx.Client, admin_headers: dict) -> None:
    product = new_product(api, admin_headers)
    api.delete(f"/products/{product['id']}", headers=admin_headers)

    [deleted] = wait_for(api, admin_headers, 1, resourceId=product["id"], action="DELETE")
    assert (deleted["resourceType"], deleted["statusCode"], deleted["outcome"]) == ("products", 204, "SUCCESS")
