"""Queries on a passed-in session; nothing here commits."""

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.paging import select_page
from services.inventory.models import Movement, Reservation, Stock


async def add_stock_if_absent(session: AsyncSession, **values) -> Stock | None:
    """Insert the stock row, or return None if the product already has one (also when a concurrent
    transaction inserts it first: the insert waits for it instead of failing)."""
    statement = insert(Stock).values(**values).on_conflict_do_nothing(index_elements=[Stock.product_id])
    return (await session.scalars(statement.returning(Stock))).one_or_none()


async def get_stock(session: AsyncSession, product_id: uuid.UUID) -> Stock | None:
    return await session.get(Stock, product_id)


async def lock_stock(session: AsyncSession, product_ids: Iterable[uuid.UUID]) -> list[Stock]:
    """The rows of these products, locked FOR UPDATE in product-id order: every writer locks in the
    same order, so two multi-product changes cannot deadlock."""
    statement = (
        select(Stock).where(Stock.product_id.in_(set(product_ids)))
        .order_by(Stock.product_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(statement))


async def list_stock(
    session: AsyncSession, *, low_stock: bool, location: str, offset: int, limit: int
) -> tuple[list[Stock], int]:
    statement = select(Stock).where(Stock.active)
    if low_stock:
        statement = statement.where(Stock.quantity - Stock.reserved <= Stock.reorder_level)
    if location:
        statement = statement.where(Stock.location == location)
    return await select_page(session, statement.order_by(Stock.sku, Stock.product_id), offset, limit)


def add_movement(session: AsyncSession, movement: Movement) -> None:
    session.add(movement)


async def list_movements(
    session: AsyncSession, product_id: uuid.UUID, *, start: datetime | None, end: datetime | None,
    offset: int, limit: int,
) -> tuple[list[Movement], int]:
    statement = select(Movement).where(Movement.product_id == product_id)
    if start is not None:
        statement = statement.where(Movement.created_at >= start)
    if end is not None:
        statement = statement.where(Movement.created_at <= end)
    return await select_page(session, statement.order_by(Movement.created_at.desc(), Movement.id.desc()),
                             offset, limit)


async def lock_order(session: AsyncSession, order_id: uuid.UUID) -> None:
    """Serialize Reserve/Commit/Release of one order until the transaction ends, so two concurrent
    calls for the same order never both act (the second sees what the first did)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:order_id, 0))"),
                          {"order_id": str(order_id)})


async def reservations_of(session: AsyncSession, order_id: uuid.UUID) -> list[Reservation]:
    statement = select(Reservation).where(Reservation.order_id == order_id).order_by(Reservation.product_id)
    return list(await session.scalars(statement))


def add_reservations(session: AsyncSession, reservations: Iterable[Reservation]) -> None:
    session.add_all(reservations)
