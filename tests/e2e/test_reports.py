"""/api/reports and /api/report-schedules through the gateway: a paid order shows in the sales report
(the report service learns it from order.paid), downloads carry the file's type and name, schedules
make their reports, and bad requests or callers without report permissions are refused."""

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from libs.stack import poll_until
from tests.e2e.helpers import assert_error, pay, place, stocked_product

EVENT_TIMEOUT = 60.0  # the consumers of a fresh fleet join their groups first


def ready(api: httpx.Client, headers: dict, report_id: str) -> dict:
    def finished() -> dict | None:
        answer = api.get(f"/reports/{report_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json() if answer.json()["status"] != "PENDING" else None

    report = poll_until(finished, EVENT_TIMEOUT, interval=0.2, message=f"report {report_id} generated")
    assert report["status"] == "READY", report
    return report


def report_of(api: httpx.Client, headers: dict, **body) -> tuple[dict, httpx.Response]:
    created = api.post("/reports", json=body, headers=headers)
    assert created.status_code == 202, created.text
    assert created.json()["status"] == "PENDING"
    report = ready(api, headers, created.json()["id"])
    download = api.get(f"/reports/{report['id']}/download", headers=headers)
    assert download.status_code == 200, download.text
    return report, download


def test_a_paid_order_shows_in_the_sales_report_and_its_files_download(
    api: httpx.Client, admin_headers: dict, customer_headers: dict,
) -> None:
    product = stocked_product(api, admin_headers, quantity=50, price="99.99")
    since = datetime.now(UTC) - timedelta(seconds=1)
    order = place(api, customer_headers, product["id"], quantity=2)
    assert order.status_code == 201, order.text
    assert pay(api, customer_headers, order.json()["id"]).status_code == 200
    until = datetime.now(UTC) + timedelta(seconds=1)
    period = {"from": since.isoformat(), "to": until.isoformat()}

    def sales_with_the_order() -> tuple[dict, dict] | None:
        report, download = report_of(api, admin_headers, type="SALES", format="JSON", **period)
        products = {row["productId"]: row for row in download.json()["tables"]["topProducts"]}
        return (report, download.json()) if product["id"] in products else None

    report, body = poll_until(sales_with_the_order, EVENT_TIMEOUT, interval=0.5, message="the order in the report")
    mine = {row["productId"]: row for row in body["tables"]["topProducts"]}[product["id"]]
    assert (mine["quantity"], mine["revenue"]) == (2, "199.98")

    def stock_of_the_product() -> dict | None:  # the name comes from product.created, the levels from the inventory
        _, download = report_of(api, admin_headers, type="STOCK", format="JSON")
        rows = {row["productId"]: row for row in download.json()["tables"]["stock"]}
        return rows.get(product["id"]) if rows.get(product["id"], {}).get("quantity") == 48 else None

    stock = poll_until(stock_of_the_product, EVENT_TIMEOUT, interval=0.5, message="the product in the stock report")
    assert (stock["sku"], stock["name"], stock["available"]) == (product["sku"], "Order Widget", 48)
    assert body["summary"]["ordersPaid"] >= 1 and float(body["summary"]["revenue"]) >= 199.98
    assert (report["type"], report["format"], report["filename"].endswith(".json")) == ("SALES", "JSON", True)
    assert abs(datetime.fromisoformat(report["from"]) - since) < timedelta(milliseconds=1)

    _, download = report_of(api, admin_headers, type="SALES", format="CSV", **period)
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"].startswith('attachment; filename="sales-report-')
    rows = list(csv.reader(io.StringIO(download.text)))
    assert ["productId", "sku", "name", "quantity", "revenue"] in rows
    assert [product["id"], product["sku"], "Order Widget", "2", "199.98"] in rows

    for fmt, content_type, magic in (("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                      b"PK"), ("PDF", "application/pdf", b"%PDF")):
        _, download = report_of(api, admin_headers, type="STOCK", format=fmt)
        assert download.headers["content-type"] == content_type
        assert download.content.startswith(magic)

    listed = api.get("/reports", params={"type": "SALES", "limit": 1}, headers=admin_headers)
    assert listed.status_code == 200, listed.text
    assert set(listed.json()) == {"data", "total", "page", "limit", "totalPages"}
    assert (listed.json()["limit"], len(listed.json()["data"])) == (1, 1) and listed.json()["total"] >= 2


def test_a_schedule_makes_its_report_and_can_be_paused_and_deleted(api: httpx.Client, admin_headers: dict) -> None:
    first_run = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    created = api.post("/report-schedules", json={"type": "SHIPPING", "format": "CSV", "frequency": "DAILY",
                                                  "firstRunAt": first_run}, headers=admin_headers)
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert (schedule["active"], schedule["frequency"], schedule["type"]) == (True, "DAILY", "SHIPPING")

    def made() -> dict | None:
        answer = api.get("/reports", params={"scheduleId": schedule["id"]}, headers=admin_headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"][0] if answer.json()["data"] else None

    report = ready(api, admin_headers, poll_until(made, EVENT_TIMEOUT, interval=0.2, message="the report")["id"])
    assert (report["scheduleId"], report["format"]) == (schedule["id"], "CSV")
    moved = api.get(f"/report-schedules/{schedule['id']}", headers=admin_headers).json()
    assert datetime.fromisoformat(moved["nextRunAt"]) > datetime.now(UTC) and moved["lastRunAt"]

    paused = api.patch(f"/report-schedules/{schedule['id']}", json={"active": False}, headers=admin_headers)
    assert paused.status_code == 200 and paused.json()["active"] is False
    listed = api.get("/report-schedules", headers=admin_headers)
    assert schedule["id"] in [s["id"] for s in listed.json()["data"]]
    assert api.delete(f"/report-schedules/{schedule['id']}", headers=admin_headers).status_code == 204
    assert_error(api.get(f"/report-schedules/{schedule['id']}", headers=admin_headers), 404,
                 f"Report schedule {schedule['id']} not found")


def test_bad_report_requests_name_their_fields(api: httpx.Client, admin_headers: dict) -> None:
    answer = api.post("/reports", json={"type": "PROFIT", "format": "JSON"}, headers=admin_headers)
    assert answer.status_code == 400, answer.text
    assert [d["field"] for d in answer.json()["details"]] == ["type"]
    assert_error(api.post("/reports", json={"type": "SALES", "from": "2026-02-01T00:00:00Z",
                                            "to": "2026-01-01T00:00:00Z"}, headers=admin_headers),
                 400, ["From must be before to"])
    assert_error(api.post("/reports", json={"type": "SALES", "from": "2024-01-01T00:00:00Z",
                                            "to": "2026-01-01T00:00:00Z"}, headers=admin_headers),
                 400, ["The period must be at most 366 days"])
    answer = api.post("/report-schedules", json={"type": "SALES", "format": "PDF"}, headers=admin_headers)
    assert answer.status_code == 400 and [d["field"] for d in answer.json()["details"]] == ["frequency"]
    answer = api.post("/report-schedules", json={"type": "SALES", "frequency": "DAILY",
                                                 "firstRunAt": "2020-01-01T00:00:00Z"}, headers=admin_headers)
    assert_error(answer, 400, ["First run at must be within 366 days of now"])
    assert answer.json()["details"][0]["field"] == "firstRunAt"
    assert_error(api.get("/reports/00000000-0000-4000-8000-000000000000/download", headers=admin_headers), 404,
                 "Report 00000000-0000-4000-8000-000000000000 not found")


def test_customers_may_neither_read_nor_ask_for_reports(api: httpx.Client, customer_headers: dict) -> None:
    assert api.post("/reports", json={"type": "SALES"}, headers=customer_headers).status_code == 403
    assert api.get("/reports", headers=customer_headers).status_code == 403
    assert api.get("/report-schedules", headers=customer_headers).status_code == 403
    assert api.post("/report-schedules", json={"type": "SALES", "frequency": "DAILY"},
                    headers=customer_headers).status_code == 403
    assert_error(api.get("/reports"), 401, "No token provided")


def test_the_activity_report_counts_the_requests_the_gateway_recorded(api: httpx.Client, admin_headers: dict) -> None:
    admin_id = api.get("/auth/me", headers=admin_headers).json()["id"]
    since = datetime.now(UTC) - timedelta(seconds=1)
    refused = api.post("/reports", json={"type": "SALES", "format": "DOCX"}, headers=admin_headers)
    assert refused.status_code == 400  # recorded too, as a failure

    def recorded() -> dict | None:
        _, download = report_of(api, admin_headers, type="ACTIVITY", format="JSON", **{"from": since.isoformat()})
        actions = {row["action"]: row for row in download.json()["tables"]["requestsPerAction"]}
        return download.json() if actions.get("POST /api/reports", {}).get("failure") else None

    body = poll_until(recorded, EVENT_TIMEOUT, interval=0.5, message="the gateway's records in the activity report")
    actors = {row["actorId"]: row for row in body["tables"]["requestsPerActor"]}
    assert actors[admin_id]["requests"] >= 2 and actors[admin_id]["failure"] >= 1
    assert body["summary"]["requests"] >= 2
