"""order.* events over the real broker fill the sales figures: revenue counts PAID, SHIPPED and
DELIVERED orders by the day they were paid; redelivered and late events change nothing; the same
figures in JSON, CSV, XLSX and PDF."""

import json
import uuid
from datetime import date, datetime

from tests.report.conftest import ReportApp, order


async def test_sales_figures_count_paid_shipped_and_delivered_orders_once(reports: ReportApp) -> None:
    period = reports.period()
    laptop, mouse = str(uuid.uuid4()), str(uuid.uuid4())
    paid = order(period, "PAID", [(laptop, "LAP-1", 2, "99.99")], placed=1, paid=2)
    shipped = order(period, "SHIPPED", [(laptop, "LAP-1", 1, "99.99"), (mouse, "MOU-1", 3, "10.00")], placed=3,
                    paid=4, updated=5)
    pending = order(period, "PENDING", [(mouse, "MOU-1", 1, "10.00")], placed=6)
    cancelled = order(period, "CANCELLED", [(mouse, "MOU-1", 5, "10.00")], placed=7, updated=8)
    placed_as_pending = order(period, "PENDING", [(laptop, "LAP-1", 2, "99.99")], placed=1)
    placed_as_pending.id = paid.id

    events = [
        await reports.order_event("order.paid", paid),
        await reports.order_event("order.created", placed_as_pending),  # late: older than order.paid
        await reports.order_event("order.shipped", shipped),
        await reports.order_event("order.created", pending),
        await reports.order_event("order.cancelled", cancelled),
    ]
    events.append(await reports.order_event("order.paid", paid, event_id=events[0]))  # redelivered
    await reports.consumed(*events)

    files = await reports.files("SALES", period)

    summary = files.json["summary"]
    assert (summary["ordersPaid"], summary["revenue"], summary["currency"]) == (2, "329.97", "USD")
    assert summary["averageOrderValue"] == "164.99"  # 329.97 / 2, to the cent
    day = period.since.date().isoformat()
    assert files.json["tables"]["revenuePerDay"] == [{"day": day, "orders": 2, "revenue": "329.97",
                                                      "charged": "329.97"}]
    assert files.json["tables"]["topProducts"] == [
        {"productId": laptop, "sku": "LAP-1", "name": "Product LAP-1", "quantity": 3, "revenue": "299.97"},
        {"productId": mouse, "sku": "MOU-1", "name": "Product MOU-1", "quantity": 3, "revenue": "30.00"},
    ]
    assert files.json["tables"]["ordersByStatus"] == [
        {"status": "CANCELLED", "orders": 1, "amount": "50.00"}, {"status": "PAID", "orders": 1, "amount": "199.98"},
        {"status": "PENDING", "orders": 1, "amount": "10.00"}, {"status": "SHIPPED", "orders": 1, "amount": "129.99"},
    ]
    assert (files.json["type"], datetime.fromisoformat(files.json["since"])) == ("SALES", period.since)

    summary_rows = {row["metric"]: row["value"] for row in files.csv["summary"]}
    assert (summary_rows["ordersPaid"], summary_rows["revenue"]) == ("2", "329.97")
    assert files.csv["revenuePerDay"] == [{"day": day, "orders": "2", "revenue": "329.97", "charged": "329.97"}]
    assert [row["sku"] for row in files.csv["topProducts"]] == ["LAP-1", "MOU-1"]

    [per_day] = files.xlsx["revenuePerDay"]
    assert per_day["day"].date() == date.fromisoformat(day) and per_day["orders"] == 2
    assert float(per_day["revenue"]) == 329.97
    assert {row["metric"]: row["value"] for row in files.xlsx["summary"]}["ordersPaid"] == 2
    assert [row["quantity"] for row in files.xlsx["topProducts"]] == [3, 3]

    assert files.pdf.startswith(b"%PDF") and b"/Type /Page" in files.pdf


async def test_an_order_cancelled_after_payment_leaves_the_revenue(reports: ReportApp) -> None:
    period = reports.period()
    product = str(uuid.uuid4())
    paid = order(period, "PAID", [(product, "REF-1", 1, "50.00")], placed=1, paid=2)
    refunded = order(period, "CANCELLED", [(product, "REF-1", 1, "50.00")], placed=1, paid=2, updated=3)
    refunded.id = paid.id
    await reports.consumed(await reports.order_event("order.paid", paid),
                           await reports.order_event("order.cancelled", refunded))

    _, file = await reports.generated("SALES", "JSON", period)

    body = json.loads(file.content)
    assert (body["summary"]["ordersPaid"], body["summary"]["revenue"]) == (0, "0.00")
    assert body["tables"]["ordersByStatus"] == [{"status": "CANCELLED", "orders": 1, "amount": "50.00"}]
    assert file.filename == f"sales-report-{period.since:%Y%m%d}-{period.until:%Y%m%d}.json"
    assert file.content_type == "application/json"
