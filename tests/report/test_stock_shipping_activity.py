"""The stock, shipping and activity reports from inventory.updated, shipment.* and audit.request events
over the real broker, in every format."""

import uuid
from datetime import timedelta

from depot.audit.v1 import audit_pb2
from depot.product.v1 import events_pb2 as product_events
from depot.product.v1 import product_pb2
from depot.shipping.v1 import shipping_pb2

from libs.events import topics
from tests.report.conftest import ReportApp, shipment, stock, ts


async def test_stock_shows_each_products_latest_level_and_what_needs_restocking(reports: ReportApp) -> None:
    period = reports.period()
    plenty, low, out, gone = (str(uuid.uuid4()) for _ in range(4))
    sku = uuid.uuid4().hex[:8].upper()
    events = [
        await reports.stock_event(stock(plenty, f"{sku}-A", 90, reserved=5, at=period.at(2))),
        await reports.stock_event(stock(plenty, f"{sku}-A", 100, at=period.at(1))),  # late: older, ignored
        await reports.stock_event(stock(low, f"{sku}-B", 12, reserved=4, at=period.at(1))),  # 8 available <= 10
        await reports.stock_event(stock(out, f"{sku}-C", 3, reserved=3, at=period.at(1))),
        await reports.stock_event(stock(gone, f"{sku}-D", 50, at=period.at(1), active=False)),  # product deleted
    ]
    events += [
        await reports.publish(topics.PRODUCT, plenty, "product.created", product_events.ProductCreated(
            product_id=plenty, sku=f"{sku}-A", name="Espresso Machine", occurred_at=ts(period.at(1)))),
        await reports.publish(topics.PRODUCT, plenty, "product.updated", product_events.ProductUpdated(
            product=product_pb2.Product(id=plenty, name="Espresso Machine Pro", updated_at=ts(period.at(3))))),
        await reports.publish(topics.PRODUCT, plenty, "product.updated", product_events.ProductUpdated(  # late
            product=product_pb2.Product(id=plenty, name="Old Name", updated_at=ts(period.at(2))))),
    ]
    await reports.consumed(*events)

    files = await reports.files("STOCK")

    mine = {row["productId"]: row for row in files.json["tables"]["stock"] if row["sku"].startswith(sku)}
    assert {p: (r["quantity"], r["reserved"], r["available"], r["status"]) for p, r in mine.items()} == {
        plenty: (90, 5, 85, "IN_STOCK"), low: (12, 4, 8, "LOW_STOCK"), out: (3, 3, 0, "OUT_OF_STOCK")}
    assert {row["productId"] for row in files.json["tables"]["needsRestock"]} >= {low, out}
    assert plenty not in {row["productId"] for row in files.json["tables"]["needsRestock"]}
    assert files.json["summary"]["lowStock"] >= 1 and files.json["summary"]["outOfStock"] >= 1
    assert files.json["since"] == ""  # a snapshot, not a period
    assert {p: r["name"] for p, r in mine.items()} == {plenty: "Espresso Machine Pro", low: "", out: ""}
    assert {row["productId"]: row["status"] for row in files.csv["stock"] if row["sku"].startswith(sku)} == {
        plenty: "IN_STOCK", low: "LOW_STOCK", out: "OUT_OF_STOCK"}
    assert {row["productId"]: row["available"] for row in files.xlsx["stock"] if row["sku"].startswith(sku)} == {
        plenty: 85, low: 8, out: 0}
    assert files.pdf.startswith(b"%PDF") and b"/Type /Page" in files.pdf


async def test_shipping_counts_shipments_per_carrier_and_status_and_deliveries_on_time(reports: ReportApp) -> None:
    period = reports.period()
    day = period.since.date()
    on_time = shipment(period, "DHL", "DELIVERED", eta=day + timedelta(days=1), delivered=20, cost="10.00")
    late = shipment(period, "DHL", "DELIVERED", eta=day - timedelta(days=1), delivered=21, cost="12.00")
    moving = shipment(period, "UPS", "IN_TRANSIT", eta=day + timedelta(days=3), cost="8.50")
    created = shipment(period, "UPS", "LABEL_CREATED", eta=day + timedelta(days=3), cost="8.50")
    moving_before = shipment(period, "UPS", "LABEL_CREATED", eta=day + timedelta(days=3), cost="8.50")
    moving_before.id, moving_before.updated_at.seconds = moving.id, moving.created_at.seconds
    moving.updated_at.seconds = moving.created_at.seconds + 3600
    events = [await reports.shipment_event("shipment.created", s) for s in (on_time, late, moving, created)]
    events += [await reports.shipment_event("shipment.delivered", on_time),
               await reports.shipment_event("shipment.delivered", late),
               await reports.shipment_event("shipment.created", moving_before)]  # late: older, ignored
    await reports.consumed(*events)

    files = await reports.files("SHIPPING", period)

    assert files.json["tables"]["shipmentsByCarrierAndStatus"] == [
        {"carrier": "DHL", "status": "DELIVERED", "shipments": 2, "cost": "22.00"},
        {"carrier": "UPS", "status": "IN_TRANSIT", "shipments": 1, "cost": "8.50"},
        {"carrier": "UPS", "status": "LABEL_CREATED", "shipments": 1, "cost": "8.50"},
    ]
    [dhl] = files.json["tables"]["deliveriesByCarrier"]
    assert (dhl["carrier"], dhl["delivered"], dhl["onTime"], dhl["late"]) == ("DHL", 2, 1, 1)
    assert dhl["averageDays"] == "0.81"  # 19.5 h from label to door on average
    summary = files.json["summary"]
    assert (summary["shipments"], summary["shippingCost"], summary["delivered"], summary["onTimeRate"]) == (
        4, "39.00", 2, "0.50")
    assert [row["onTime"] for row in files.csv["deliveriesByCarrier"]] == ["1"]
    assert [(row["carrier"], row["shipments"]) for row in files.xlsx["shipmentsByCarrierAndStatus"]] == [
        ("DHL", 2), ("UPS", 1), ("UPS", 1)]
    assert files.pdf.startswith(b"%PDF")


async def test_a_shipment_cancelled_with_its_order_counts_as_cancelled(reports: ReportApp) -> None:
    period = reports.period()
    labelled = shipment(period, "FEDEX", "LABEL_CREATED", eta=period.since.date() + timedelta(days=2), cost="7.00")
    cancelled = shipping_pb2.Shipment()
    cancelled.CopyFrom(labelled)
    cancelled.status = shipping_pb2.SHIPMENT_STATUS_CANCELLED
    cancelled.updated_at.seconds = labelled.updated_at.seconds + 60

    await reports.consumed(await reports.shipment_event("shipment.created", labelled),
                           await reports.shipment_event("shipment.cancelled", cancelled))

    assert (await reports.files("SHIPPING", period)).json["tables"]["shipmentsByCarrierAndStatus"] == [
        {"carrier": "FEDEX", "status": "CANCELLED", "shipments": 1, "cost": "7.00"}]


async def test_activity_counts_requests_per_actor_action_and_outcome(reports: ReportApp) -> None:
    period = reports.period()
    ann, bob = str(uuid.uuid4()), str(uuid.uuid4())
    events = [
        await reports.request_event(ann, "POST /api/orders", 201, audit_pb2.OUTCOME_SUCCESS, period.at(1)),
        await reports.request_event(ann, "POST /api/orders", 201, audit_pb2.OUTCOME_SUCCESS, period.at(2)),
        await reports.request_event(ann, "POST /api/orders/{id}/pay", 409, audit_pb2.OUTCOME_FAILURE, period.at(3)),
        await reports.request_event(bob, "DELETE /api/products/{id}", 403, audit_pb2.OUTCOME_DENIED, period.at(4)),
        await reports.request_event("", "POST /api/auth/login", 401, audit_pb2.OUTCOME_DENIED, period.at(5)),
        await reports.request_event(ann, "POST /api/orders", 201, audit_pb2.OUTCOME_SUCCESS,
                                    period.until + timedelta(hours=1)),  # after the period
    ]
    await reports.consumed(*events)

    files = await reports.files("ACTIVITY", period)

    assert files.json["summary"] == {"requests": 5, "success": 2, "denied": 2, "failure": 1, "actors": 2}
    assert files.json["tables"]["requestsPerActor"] == [
        {"actorId": ann, "requests": 3, "success": 2, "denied": 0, "failure": 1},
        *sorted([{"actorId": "(anonymous)", "requests": 1, "success": 0, "denied": 1, "failure": 0},
                 {"actorId": bob, "requests": 1, "success": 0, "denied": 1, "failure": 0}],
                key=lambda row: "" if row["actorId"] == "(anonymous)" else row["actorId"]),
    ]
    assert files.json["tables"]["requestsPerAction"][0] == {
        "action": "POST /api/orders", "requests": 2, "success": 2, "denied": 0, "failure": 0}
    assert {row["action"]: row["denied"] for row in files.csv["requestsPerAction"]}["DELETE /api/products/{id}"] == "1"
    assert {row["actorId"]: row["requests"] for row in files.xlsx["requestsPerActor"]}[ann] == 3
    assert files.pdf.startswith(b"%PDF")
