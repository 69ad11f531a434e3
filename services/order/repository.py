"""Queries on a passed-in session; nothing here commits."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.paging import select_page
from services.order.models import UNSETTLED, Order, OrderStatus, StockState


@dataclass(frozen=True)
class OrderFilter:
    customer_id: str | None = None
    status: OrderStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


async def get(session: AsyncSession, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
    statement = select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    if for_update:
        statement = statement.with_for_update(of=Order)
    return await session.scalar(statement)


async def get_by_key(session: AsyncSession, customer_id: str, idempotency_key: str) -> Order | None:
    statement = select(Order).where(Order.customer_id == customer_id, Order.idempotency_key == idempotency_key)
    return await session.scalar(statement.execution_options(populate_existing=True))


def add(session: AsyncSession, order: Order) -> None:
    session.add(order)


async def delete_unreserved(session: AsyncSession, order_id: uuid.UUID) -> None:
    """Forget an order whose reservation the inventory refused outright (nothing was reserved)."""
    await session.execute(delete(Order).where(Order.id == order_id, Order.stock_state == StockState.RESERVING))


async def list_orders(session: AsyncSession, where: OrderFilter, *, offset: int, limit: int) -> tuple[list[Order], int]:
    statement = select(Order)
    if where.customer_id:
        statement = statement.where(Order.customer_id == where.customer_id)
    if where.status:
        statement = statement.where(Order.status == where.status)
    if where.created_from:
        statement = statement.where(Order.created_at >= where.created_from)
    if where.created_to:
        statement = statement.where(Order.created_at <= where.created_to)
    return await select_page(session, statement.order_by(Order.created_at.desc(), Order.id.desc()), offset, limit)


async def lock_due_for_expiry(session: AsyncSession, now: datetime, limit: int) -> list[Order]:
    """Unpaid orders past their expiry, locked; rows another transaction holds (a payment in progress,
    another sweeper) are skipped rather than waited for."""
    statement = (
        select(Order)
        .where(Order.status == OrderStatus.PENDING, Order.expires_at <= now)
        .order_by(Order.expires_at)
        .limit(limit)
        .with_for_update(of=Order, skip_locked=True)
    )
    return list(await session.scalars(statement))


async def unsettled(session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, str]]:
    """(order id, stock state) of orders whose inventory call has not been confirmed yet."""
    statement = (
        select(Order.id, Order.stock_state)
        .where(Order.stock_state.in_(UNSETTLED))
        .order_by(Order.updated_at)
        .limit(limit)
    )
    return [(row.id, row.stock_state) for row in await session.execute(statement)]


async def move_stock_state(session: AsyncSession, order_id: uuid.UUID, expected: str, new: str) -> bool:
    """Compare-and-set of the stock state: False when someone else moved it first."""
    result = await session.execute(
        update(Order).where(Order.id == order_id, Order.stock_state == expected).values(stock_state=new)
    )
    return result.rowcount == 1
