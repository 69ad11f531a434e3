"""Queries on a passed-in session; nothing here commits. The read model is written with upserts that
only move a row forward (to a newer `updated_at`), so a redelivered or late event changes nothing."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Insert, Row, Table, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from libs.paging import select_page
from services.report.models import (
    ProductName,
    ReportSchedule,
    ReportStatus,
    ReportType,
    RequestRecord,
    SalesOrder,
    SalesOrderItem,
    ShipmentRecord,
    StockLevel,
)
from services.report.models import Report as ReportRow

REVENUE_STATUSES = ("PAID", "SHIPPED", "DELIVERED")  # DESIGN.md §7


# -- the read model ------------------------------------------------------------------------------


@cache
def _newer_upsert(table: Table, key: str, columns: tuple[str, ...]) -> Insert:
    """Built once per table and set of columns: building and caching a statement per event cost more
    CPU than running it. Only the columns given are set, so an absent one keeps what it held."""
    statement = upsert(table)
    return statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in columns if name != key},
        where=table.c.updated_at <= statement.excluded.updated_at,
    )


_NEW_ITEMS = upsert(SalesOrderItem.__table__).on_conflict_do_nothing()  # the lines never change once placed
_NEW_REQUEST = upsert(RequestRecord.__table__).on_conflict_do_nothing()


async def _upsert_newer(session: AsyncSession, table: Table, key: str, values: dict) -> None:
    await session.execute(_newer_upsert(table, key, tuple(values)), values)


async def save_order(session: AsyncSession, order: dict, items: list[dict]) -> None:
    await _upsert_newer(session, SalesOrder.__table__, "id", order)
    if items:
        await session.execute(_NEW_ITEMS, items)


async def save_stock(session: AsyncSession, stock: dict) -> None:
    await _upsert_newer(session, StockLevel.__table__, "product_id", stock)


async def save_product_name(session: AsyncSession, product: dict) -> None:
    await _upsert_newer(session, ProductName.__table__, "product_id", product)


async def save_shipment(session: AsyncSession, shipment: dict) -> None:
    await _upsert_newer(session, ShipmentRecord.__table__, "id", shipment)


async def save_request(session: AsyncSession, record: dict) -> None:
    await session.execute(_NEW_REQUEST, record)


# -- report figures ------------------------------------------------------------------------------


def _paid_between(since: datetime, until: datetime):
    return (SalesOrder.status.in_(REVENUE_STATUSES), SalesOrder.paid_at >= since, SalesOrder.paid_at < until)


async def revenue_per_day(session: AsyncSession, since: datetime, until: datetime) -> list[Row]:
    day = func.date(func.timezone("UTC", SalesOrder.paid_at)).label("day")
    statement = (select(day, func.count().label("orders"), func.sum(SalesOrder.total_amount).label("revenue"),
                        func.sum(SalesOrder.grand_total).label("charged"))
                 .where(*_paid_between(since, until)).group_by(day).order_by(day))
    return list(await session.execute(statement))


async def top_products(session: AsyncSession, since: datetime, until: datetime, limit: int) -> list[Row]:
    revenue = func.sum(SalesOrderItem.line_total).label("revenue")
    statement = (
        select(SalesOrderItem.product_id, func.max(SalesOrderItem.sku).label("sku"),
               func.max(SalesOrderItem.name).label("name"), func.sum(SalesOrderItem.quantity).label("quantity"),
               revenue)
        .join(SalesOrder, SalesOrder.id == SalesOrderItem.order_id)
        .where(*_paid_between(since, until))
        .group_by(SalesOrderItem.product_id).order_by(revenue.desc(), SalesOrderItem.product_id).limit(limit)
    )
    return list(await session.execute(statement))


async def orders_by_status(session: AsyncSession, since: datetime, until: datetime) -> list[Row]:
    statement = (select(SalesOrder.status, func.count().label("orders"),
                        func.sum(SalesOrder.total_amount).label("amount"))
                 .where(SalesOrder.created_at >= since, SalesOrder.created_at < until)
                 .group_by(SalesOrder.status).order_by(SalesOrder.status))
    return list(await session.execute(statement))


async def currencies(session: AsyncSession, since: datetime, until: datetime) -> list[str]:
    statement = select(SalesOrder.currency).where(*_paid_between(since, until)).distinct().order_by(
        SalesOrder.currency)
    return list(await session.scalars(statement))


async def stock_levels(session: AsyncSession) -> list[Row]:
    """(StockLevel, name) of every active product; the name is "" until a product event has said it."""
    name = func.coalesce(ProductName.name, "").label("name")
    statement = (select(StockLevel, name).outerjoin(ProductName, ProductName.product_id == StockLevel.product_id)
                 .where(StockLevel.active).order_by(StockLevel.sku, StockLevel.product_id))
    return list(await session.execute(statement))


async def shipments_by_carrier_status(session: AsyncSession, since: datetime, until: datetime) -> list[Row]:
    statement = (select(ShipmentRecord.carrier, ShipmentRecord.status, func.count().label("shipments"),
                        func.sum(ShipmentRecord.cost).label("cost"))
                 .where(ShipmentRecord.created_at >= since, ShipmentRecord.created_at < until)
                 .group_by(ShipmentRecord.carrier, ShipmentRecord.status)
                 .order_by(ShipmentRecord.carrier, ShipmentRecord.status))
    return list(await session.execute(statement))


async def deliveries_by_carrier(session: AsyncSession, since: datetime, until: datetime) -> list[Row]:
    """Shipments delivered in the period: on time when delivered (UTC date) by the estimated date."""
    delivered_on = func.date(func.timezone("UTC", ShipmentRecord.actual_delivery))
    on_time = func.count().filter(delivered_on <= ShipmentRecord.estimated_delivery)
    days = func.extract("epoch", ShipmentRecord.actual_delivery - ShipmentRecord.created_at) / 86400
    statement = (select(ShipmentRecord.carrier, func.count().label("delivered"), on_time.label("on_time"),
                        func.avg(days).label("average_days"))
                 .where(ShipmentRecord.actual_delivery >= since, ShipmentRecord.actual_delivery < until)
                 .group_by(ShipmentRecord.carrier).order_by(ShipmentRecord.carrier))
    return list(await session.execute(statement))


def _outcomes():
    return [func.count().filter(RequestRecord.outcome == outcome).label(outcome.lower())
            for outcome in ("SUCCESS", "DENIED", "FAILURE")]


async def requests_by(session: AsyncSession, column, since: datetime, until: datetime, limit: int) -> list[Row]:
    """Requests answered in the period per `column` (actor_id, action), the busiest first."""
    statement = (select(column.label("key"), func.count().label("requests"), *_outcomes())
                 .where(RequestRecord.occurred_at >= since, RequestRecord.occurred_at < until)
                 .group_by(column).order_by(func.count().desc(), column).limit(limit))
    return list(await session.execute(statement))


async def requests_total(session: AsyncSession, since: datetime, until: datetime) -> Row:
    statement = (select(func.count().label("requests"), *_outcomes(),
                        func.count(func.distinct(case((RequestRecord.actor_id != "", RequestRecord.actor_id))))
                        .label("actors"))
                 .where(RequestRecord.occurred_at >= since, RequestRecord.occurred_at < until))
    return (await session.execute(statement)).one()


# -- reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    type: ReportType | None = None
    status: ReportStatus | None = None
    schedule_id: uuid.UUID | None = None


async def get_report(session: AsyncSession, report_id: uuid.UUID, *, with_content: bool = False) -> ReportRow | None:
    statement = select(ReportRow).where(ReportRow.id == report_id).execution_options(populate_existing=True)
    if with_content:
        statement = statement.options(undefer(ReportRow.content))
    return await session.scalar(statement)


async def list_reports(session: AsyncSession, where: ReportFilter, *, offset: int,
                       limit: int) -> tuple[list[ReportRow], int]:
    statement = select(ReportRow)
    if where.type:
        statement = statement.where(ReportRow.type == where.type)
    if where.status:
        statement = statement.where(ReportRow.status == where.status)
    if where.schedule_id:
        statement = statement.where(ReportRow.schedule_id == where.schedule_id)
    statement = statement.order_by(ReportRow.created_at.desc(), ReportRow.id.desc())
    return await select_page(session, statement, offset, limit)


async def claim_pending(session: AsyncSession) -> ReportRow | None:
    """The oldest PENDING report, locked; one another worker holds is skipped, not waited for."""
    statement = (select(ReportRow).where(ReportRow.status == ReportStatus.PENDING)
                 .order_by(ReportRow.created_at).limit(1).with_for_update(skip_locked=True))
    return await session.scalar(statement)


# -- schedules -----------------------------------------------------------------------------------


async def get_schedule(session: AsyncSession, schedule_id: uuid.UUID, *,
                       for_update: bool = False) -> ReportSchedule | None:
    statement = select(ReportSchedule).where(ReportSchedule.id == schedule_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement.execution_options(populate_existing=True))


async def list_schedules(session: AsyncSession, *, offset: int, limit: int) -> tuple[list[ReportSchedule], int]:
    statement = select(ReportSchedule).order_by(ReportSchedule.created_at.desc(), ReportSchedule.id.desc())
    return await select_page(session, statement, offset, limit)


async def lock_due_schedules(session: AsyncSession, now: datetime, limit: int) -> list[ReportSchedule]:
    """Active schedules whose run has come, locked; another replica's are skipped, not waited for."""
    statement = (select(ReportSchedule).where(ReportSchedule.active, ReportSchedule.next_run_at <= now)
                 .order_by(ReportSchedule.next_run_at).limit(limit).with_for_update(skip_locked=True))
    return list(await session.scalars(statement))


async def delete_schedule(session: AsyncSession, schedule_id: uuid.UUID) -> bool:
    result = await session.execute(delete(ReportSchedule).where(ReportSchedule.id == schedule_id))
    return result.rowcount > 0
