"""The four kinds of report, each built from the read model in the generating transaction."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.report import repository
from services.report.document import Document, Table
from services.report.models import ReportType, RequestRecord, StockLevel

TOP_PRODUCTS = 10
TOP_REQUESTERS = 100  # actors and actions: the busiest this many
CENTS = Decimal("0.01")


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(CENTS, rounding=ROUND_HALF_UP)


async def sales(session: AsyncSession, since: datetime, until: datetime, now: datetime) -> Document:
    per_day = await repository.revenue_per_day(session, since, until)
    products = await repository.top_products(session, since, until, TOP_PRODUCTS)
    statuses = await repository.orders_by_status(session, since, until)
    revenue = sum((row.revenue for row in per_day), Decimal(0))
    paid = sum(row.orders for row in per_day)
    return Document(
        type=ReportType.SALES, title="Sales report", since=since, until=until, generated_at=now,
        summary={
            "ordersPaid": paid, "revenue": _money(revenue),
            "charged": _money(sum((row.charged for row in per_day), Decimal(0))),
            "averageOrderValue": _money(revenue / paid if paid else None),
            "currency": ", ".join(await repository.currencies(session, since, until)),
        },
        tables=[
            Table("revenuePerDay", "Revenue per day (orders paid, PAID/SHIPPED/DELIVERED)",
                  ("day", "orders", "revenue", "charged"),
                  [(row.day, row.orders, _money(row.revenue), _money(row.charged)) for row in per_day]),
            Table("topProducts", f"Top {TOP_PRODUCTS} products by revenue",
                  ("productId", "sku", "name", "quantity", "revenue"),
                  [(row.product_id, row.sku, row.name, row.quantity, _money(row.revenue)) for row in products]),
            Table("ordersByStatus", "Orders placed in the period, by status now", ("status", "orders", "amount"),
                  [(row.status, row.orders, _money(row.amount)) for row in statuses]),
        ],
    )


def stock_status(level: StockLevel) -> str:
    """DESIGN.md §7: OUT_OF_STOCK at 0 available, LOW_STOCK at or below the reorder level."""
    if level.available <= 0:
        return "OUT_OF_STOCK"
    return "LOW_STOCK" if level.available <= level.reorder_level else "IN_STOCK"


async def stock(session: AsyncSession, since: datetime, until: datetime, now: datetime) -> Document:
    found = await repository.stock_levels(session)
    levels = [level for level, _ in found]
    rows = [(s.product_id, s.sku, name, s.quantity, s.reserved, s.available, s.reorder_level, stock_status(s),
             s.location, s.updated_at) for s, name in found]
    columns = ("productId", "sku", "name", "quantity", "reserved", "available", "reorderLevel", "status", "location",
               "updatedAt")
    attention = [row for row in rows if row[7] != "IN_STOCK"]
    return Document(
        type=ReportType.STOCK, title="Stock report", since=None, until=now, generated_at=now,
        summary={
            "products": len(rows), "units": sum(s.quantity for s in levels),
            "available": sum(s.available for s in levels),
            "lowStock": sum(1 for row in rows if row[7] == "LOW_STOCK"),
            "outOfStock": sum(1 for row in rows if row[7] == "OUT_OF_STOCK"),
        },
        tables=[Table("needsRestock", "Low and out of stock", columns, attention),
                Table("stock", "Stock per product", columns, rows)],
    )


async def shipping(session: AsyncSession, since: datetime, until: datetime, now: datetime) -> Document:
    groups = await repository.shipments_by_carrier_status(session, since, until)
    deliveries = await repository.deliveries_by_carrier(session, since, until)
    delivered = sum(row.delivered for row in deliveries)
    on_time = sum(row.on_time for row in deliveries)
    return Document(
        type=ReportType.SHIPPING, title="Shipping report", since=since, until=until, generated_at=now,
        summary={
            "shipments": sum(row.shipments for row in groups),
            "shippingCost": _money(sum((row.cost for row in groups), Decimal(0))),
            "delivered": delivered, "onTime": on_time, "late": delivered - on_time,
            "onTimeRate": (Decimal(on_time) / delivered).quantize(CENTS) if delivered else None,
        },
        tables=[
            Table("shipmentsByCarrierAndStatus", "Shipments created in the period, by carrier and status now",
                  ("carrier", "status", "shipments", "cost"),
                  [(row.carrier, row.status, row.shipments, _money(row.cost)) for row in groups]),
            Table("deliveriesByCarrier", "Deliveries in the period: on time means by the estimated date",
                  ("carrier", "delivered", "onTime", "late", "averageDays"),
                  [(row.carrier, row.delivered, row.on_time, row.delivered - row.on_time,
                    Decimal(row.average_days).quantize(CENTS) if row.average_days is not None else None)
                   for row in deliveries]),
        ],
    )


def _outcome_rows(rows) -> list[tuple]:
    return [(row.key or "(anonymous)", row.requests, row.success, row.denied, row.failure) for row in rows]


async def activity(session: AsyncSession, since: datetime, until: datetime, now: datetime) -> Document:
    total = await repository.requests_total(session, since, until)
    actors = await repository.requests_by(session, RequestRecord.actor_id, since, until, TOP_REQUESTERS)
    actions = await repository.requests_by(session, RequestRecord.action, since, until, TOP_REQUESTERS)
    return Document(
        type=ReportType.ACTIVITY, title="Activity report", since=since, until=until, generated_at=now,
        summary={"requests": total.requests, "success": total.success, "denied": total.denied,
                 "failure": total.failure, "actors": total.actors},
        tables=[
            Table("requestsPerActor", f"Requests per actor (the busiest {TOP_REQUESTERS})",
                  ("actorId", "requests", "success", "denied", "failure"), _outcome_rows(actors)),
            Table("requestsPerAction", f"Requests per action (the busiest {TOP_REQUESTERS})",
                  ("action", "requests", "success", "denied", "failure"), _outcome_rows(actions)),
        ],
    )


Builder = Callable[[AsyncSession, datetime, datetime, datetime], Awaitable[Document]]
BUILDERS: dict[str, Builder] = {
    ReportType.SALES: sales, ReportType.STOCK: stock, ReportType.SHIPPING: shipping, ReportType.ACTIVITY: activity,
}
