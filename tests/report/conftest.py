"""The report service as it runs in production (its real `build()` wiring: consumer, outbox relay and
report worker as tasks), on port 0, against the session's PostgreSQL and the package's own broker,
reached through real stubs. The other contexts' events are published to the broker as their relays
would; each test puts its data in a period of its own (`ReportApp.period()`), so the figures of a
report over that period are the test's alone."""

import csv
import io
import itertools
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from depot.audit.v1 import audit_pb2
from depot.audit.v1 import events_pb2 as audit_events
from depot.common.v1 import page_pb2
from depot.inventory.v1 import events_pb2 as inventory_events
from depot.inventory.v1 import inventory_pb2
from depot.order.v1 import events_pb2 as order_events
from depot.order.v1 import order_pb2
from depot.report.v1 import report_pb2, report_pb2_grpc
from depot.shipping.v1 import events_pb2 as shipping_events
from depot.shipping.v1 import shipping_pb2
from google.protobuf.message import Message
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.db import create_engine
from libs.events import topics
from libs.stack import apoll_until
from libs.timestamps import to_timestamp
from services.report.__main__ import MIGRATIONS, build
from services.report.settings import Settings
from tests import package_fixtures
from tests.grpc_helpers import Caller, Deployment, Keys, Metadata, Publisher, Rows, serve

broker, deployment = package_fixtures.broker, package_fixtures.deployment

DATABASE = "depot_report_test"
EVENT_TIMEOUT = 30.0  # the first event waits for the consumer to join its group
REPORT_TIMEOUT = 30.0
# Each test's period: a day of its own, far from the others' and from now.
_DAYS = itertools.count(random.randrange(0, 20_000, 100))
EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


def ts(moment: datetime | None):
    return to_timestamp(moment)


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    def at(self, hours: float) -> datetime:
        return self.since + timedelta(hours=hours)


@dataclass
class Files:
    """One report in every format, read back."""

    json: dict
    csv: dict[str, list[dict]]  # section → rows by column
    xlsx: dict[str, list[dict]]  # sheet → rows by column
    pdf: bytes


def csv_sections(content: bytes) -> dict[str, list[dict]]:
    rows = list(csv.reader(io.StringIO(content.decode())))
    sections: dict[str, list[dict]] = {}
    index = 2  # the first line names the report and its period, then an empty line
    while index < len(rows):
        [name], columns = rows[index], rows[index + 1]
        index += 2
        sections[name] = []
        while rows[index]:
            sections[name].append(dict(zip(columns, rows[index], strict=True)))
            index += 1
        index += 1
    return sections


def xlsx_sheets(content: bytes) -> dict[str, list[dict]]:
    book = load_workbook(io.BytesIO(content))
    sheets = {}
    for sheet in book.worksheets:
        [columns, *rows] = list(sheet.iter_rows(values_only=True))
        sheets[sheet.title] = [dict(zip(columns, row, strict=True)) for row in rows]
    return sheets


@dataclass
class ReportApp(Rows):
    stub: report_pb2_grpc.ReportServiceStub
    settings: Settings
    keys: Keys
    db: AsyncEngine
    publisher: Publisher

    def user(self, role: str) -> Caller:
        return self.keys.caller(role)

    @property
    def manager(self) -> Metadata:
        return self.keys.role("manager")

    @staticmethod
    def period() -> Period:
        since = EPOCH + timedelta(days=next(_DAYS))
        return Period(since, since + timedelta(days=1))

    # -- events, as the other contexts' relays publish them ---------------------------------------

    async def publish(self, topic: str, key: str, event_type: str, payload: Message,
                      event_id: str | None = None) -> str:
        return await self.publisher.publish(topic, key, event_type, payload, event_id)

    async def processed(self, *event_ids: str) -> bool:
        rows = await self.rows("SELECT event_id FROM processed_events WHERE event_id = ANY(:ids)",
                               ids=list(event_ids))
        return len(rows) == len(set(event_ids))

    async def consumed(self, *event_ids: str) -> None:
        await apoll_until(lambda: self.processed(*event_ids), EVENT_TIMEOUT, message=f"events {event_ids} consumed")

    async def order_event(self, event_type: str, order: order_pb2.Order, event_id: str | None = None) -> str:
        message_class = {"order.created": order_events.OrderCreated, "order.paid": order_events.OrderPaid,
                         "order.cancelled": order_events.OrderCancelled, "order.expired": order_events.OrderExpired,
                         "order.shipped": order_events.OrderShipped,
                         "order.delivered": order_events.OrderDelivered}[event_type]
        return await self.publish(topics.ORDER, order.id, event_type, message_class(order=order), event_id)

    async def stock_event(self, stock: inventory_pb2.Stock) -> str:
        return await self.publish(topics.INVENTORY, stock.product_id, "inventory.updated",
                                  inventory_events.InventoryUpdated(stock=stock))

    async def shipment_event(self, event_type: str, shipment: shipping_pb2.Shipment) -> str:
        if event_type == "shipment.created":
            payload = shipping_events.ShipmentCreated(shipment=shipment)
        else:
            message_class = {"shipment.shipped": shipping_events.ShipmentShipped,
                             "shipment.delivered": shipping_events.ShipmentDelivered,
                             "shipment.cancelled": shipping_events.ShipmentCancelled}[event_type]
            payload = message_class(shipment_id=shipment.id, order_id=shipment.order_id, carrier=shipment.carrier,
                                    tracking_number=shipment.tracking_number, shipment=shipment)
        return await self.publish(topics.SHIPPING, shipment.id, event_type, payload)

    async def request_event(self, actor_id: str, action: str, status_code: int, outcome: int,
                            at: datetime) -> str:
        record = audit_pb2.AuditLog(id=str(uuid.uuid4()), occurred_at=ts(at), actor_id=actor_id, action=action,
                                    method=action.split()[0], path=action.split()[1], status_code=status_code,
                                    outcome=outcome, resource_type=action.split("/")[2])
        return await self.publish(topics.AUDIT_REQUESTS, actor_id or "127.0.0.1", "audit.request",
                                  audit_events.RequestAnswered(record=record))

    # -- reports ----------------------------------------------------------------------------------

    async def create(self, kind: str, fmt: str = "JSON", period: Period | None = None,
                     metadata: Metadata | None = None) -> report_pb2.Report:
        request = report_pb2.CreateReportRequest(
            type=report_pb2.ReportType.Value(f"REPORT_TYPE_{kind}"),
            format=report_pb2.ReportFormat.Value(f"REPORT_FORMAT_{fmt}"),
            since=ts(period.since) if period else None, until=ts(period.until) if period else None)
        return (await self.stub.CreateReport(request, metadata=metadata or self.manager)).report

    async def get(self, report_id: str) -> report_pb2.Report:
        return (await self.stub.GetReport(report_pb2.GetReportRequest(id=report_id), metadata=self.manager)).report

    async def finished(self, report_id: str) -> report_pb2.Report:
        async def done() -> report_pb2.Report | None:
            report = await self.get(report_id)
            return report if report.status != report_pb2.REPORT_STATUS_PENDING else None

        return await apoll_until(done, REPORT_TIMEOUT, message=f"report {report_id} generated")

    async def generated(self, kind: str, fmt: str = "JSON",
                        period: Period | None = None) -> tuple[report_pb2.Report, report_pb2.DownloadReportResponse]:
        report = await self.finished((await self.create(kind, fmt, period)).id)
        assert report.status == report_pb2.REPORT_STATUS_READY, report.error
        return report, await self.download(report.id)

    async def download(self, report_id: str) -> report_pb2.DownloadReportResponse:
        """The streamed file as one message: the first message's name and type, every message's bytes."""
        request = report_pb2.DownloadReportRequest(id=report_id)
        pieces = [piece async for piece in self.stub.DownloadReport(request, metadata=self.manager)]
        return report_pb2.DownloadReportResponse(content_type=pieces[0].content_type, filename=pieces[0].filename,
                                                 content=b"".join(piece.content for piece in pieces))

    async def files(self, kind: str, period: Period | None = None) -> Files:
        contents = {fmt: (await self.generated(kind, fmt, period))[1].content for fmt in ("JSON", "CSV", "XLSX", "PDF")}
        return Files(json=json.loads(contents["JSON"]), csv=csv_sections(contents["CSV"]),
                     xlsx=xlsx_sheets(contents["XLSX"]), pdf=contents["PDF"])

    async def listing(self, page_size: int = 0, metadata: Metadata | None = None,
                      **criteria) -> report_pb2.ListReportsResponse:
        request = report_pb2.ListReportsRequest(page=page_pb2.PageRequest(page_size=page_size), **criteria)
        return await self.stub.ListReports(request, metadata=metadata or self.manager)


def order(period: Period, status: str, lines: list[tuple[str, str, int, str]], *, placed: float = 1,
          paid: float | None = None, updated: float | None = None, customer: str = "c-1") -> order_pb2.Order:
    """An order placed `placed` hours into the period (paid `paid` hours in), with lines of
    (product id, sku, quantity, unit price)."""
    items = [order_pb2.OrderItem(product_id=p, sku=sku, name=f"Product {sku}", quantity=q, unit_price=price,
                                 line_total=str(Decimal(price) * q)) for p, sku, q, price in lines]
    total = str(sum(Decimal(i.line_total) for i in items))
    moments = [h for h in (placed, paid, updated) if h is not None]
    return order_pb2.Order(
        id=str(uuid.uuid4()), customer_id=customer, status=order_pb2.OrderStatus.Value(f"ORDER_STATUS_{status}"),
        items=items, subtotal=total, total_amount=total, grand_total=total, shipping_cost="0.00", tax_amount="0.00",
        currency="USD", created_at=ts(period.at(placed)), updated_at=ts(period.at(max(moments))),
        paid_at=ts(period.at(paid)) if paid is not None else None,
    )


def shipment(period: Period, carrier: str, status: str, *, created: float = 1, eta: date,
             delivered: float | None = None, cost: str = "9.99") -> shipping_pb2.Shipment:
    moments = [h for h in (created, delivered) if h is not None]
    return shipping_pb2.Shipment(
        id=str(uuid.uuid4()), order_id=str(uuid.uuid4()), customer_id="c-1", carrier=carrier,
        service_level=shipping_pb2.SERVICE_LEVEL_STANDARD, tracking_number=uuid.uuid4().hex[:12],
        status=shipping_pb2.ShipmentStatus.Value(f"SHIPMENT_STATUS_{status}"), cost=cost, currency="USD",
        estimated_delivery=eta.isoformat(), created_at=ts(period.at(created)),
        updated_at=ts(period.at(max(moments))),
        actual_delivery=ts(period.at(delivered)) if delivered is not None else None,
    )


def stock(product_id: str, sku: str, quantity: int, *, reserved: int = 0, reorder_level: int = 10,
          at: datetime, active: bool = True) -> inventory_pb2.Stock:
    return inventory_pb2.Stock(id=product_id, product_id=product_id, sku=sku, quantity=quantity, reserved=reserved,
                               available=quantity - reserved, reorder_level=reorder_level, location="A-1",
                               active=active, created_at=ts(at), updated_at=ts(at))


@pytest.fixture(scope="package")
def report_settings(deployment: Deployment) -> Settings:
    return deployment.settings(Settings, DATABASE, MIGRATIONS, worker_interval_seconds=0.5)


@pytest.fixture(scope="package")
async def reports(report_settings: Settings, keys: Keys) -> AsyncIterator[ReportApp]:
    server = await serve(await build(report_settings), keys)
    db = create_engine(report_settings.database_url, pool_size=2)
    publisher = Publisher(report_settings.kafka_bootstrap, source="tests.report")
    try:
        yield ReportApp(report_pb2_grpc.ReportServiceStub(server.channel), report_settings, keys, db, publisher)
    finally:
        await server.close()
        await db.dispose()
