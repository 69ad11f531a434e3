"""Core statements on a passed-in connection or session; nothing here commits. They read rows into the
records of views.py and are built once, at import, since building one costs more CPU than running it."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime

from sqlalchemy import ARRAY, any_, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as upsert

from libs.db import Executor
from libs.paging import select_page
from services.inventory.models import Movement, Reservation, Stock
from services.inventory.views import MovementRecord, ReservationRecord, StockRecord

_stock, _movements, _reservations = Stock.__table__, Movement.__table__, Reservation.__table__
_UUIDS = ARRAY(UUID(as_uuid=True))


def _columns(table, record: type) -> list:
    """The table's columns in the record's field order."""
    return [table.c[field.name] for field in fields(record)]


_STOCK_COLUMNS = _columns(_stock, StockRecord)
_SELECT_STOCK = select(*_STOCK_COLUMNS)
_GET_STOCK = _SELECT_STOCK.where(_stock.c.product_id == bindparam("product_id"))
_STOCKS = _SELECT_STOCK.where(_stock.c.product_id == any_(bindparam("ids", type_=_UUIDS)))
# Every writer locks in product-id order, so two multi-product changes cannot deadlock.
_LOCK_STOCK = _STOCKS.order_by(_stock.c.product_id).with_for_update()
# What a change may touch, written back whole. Update statements here are executed with the new values
# by column name (they make the SET clause) and the row's key under another name.
_MUTABLE = ("quantity", "reserved", "low_stock_alerted", "active", "last_restocked_at", "updated_at", "version")
_SAVE_STOCK = update(_stock).where(_stock.c.product_id == bindparam("stock_id"))
_MOVEMENT_COLUMNS = _columns(_movements, MovementRecord)
_MOVEMENTS = select(*_MOVEMENT_COLUMNS).where(_movements.c.id == any_(bindparam("ids", type_=_UUIDS)))
_INSERT_MOVEMENTS = insert(_movements)
_RESERVATIONS_OF = (select(*_columns(_reservations, ReservationRecord))
                    .where(_reservations.c.order_id == bindparam("order_id")).order_by(_reservations.c.product_id))
_INSERT_RESERVATIONS = insert(_reservations)
_SET_RESERVATIONS = update(_reservations).where(_reservations.c.order_id == bindparam("reservation_order_id"))
_LOCK_ORDER = text("SELECT pg_advisory_xact_lock(hashtextextended(:order_id, 0))")


async def add_stock_if_absent(db: Executor, **values) -> StockRecord | None:
    """Insert the stock row, or return None if the product already has one (also when a concurrent
    transaction inserts it first: the insert waits for it instead of failing)."""
    statement = (upsert(_stock).values(**values).on_conflict_do_nothing(index_elements=[_stock.c.product_id])
                 .returning(*_STOCK_COLUMNS))
    row = (await db.execute(statement)).first()
    return StockRecord(*row) if row else None


async def get_stock(db: Executor, product_id: uuid.UUID) -> StockRecord | None:
    row = (await db.execute(_GET_STOCK, {"product_id": product_id})).first()
    return StockRecord(*row) if row else None


async def lock_stock(db: Executor, product_ids: Iterable[uuid.UUID]) -> list[StockRecord]:
    """The rows of these products, locked FOR UPDATE in product-id order."""
    return [StockRecord(*row) for row in await db.execute(_LOCK_STOCK, {"ids": list(set(product_ids))})]


async def save_stocks(db: Executor, stocks: Sequence[StockRecord]) -> None:
    await db.execute(_SAVE_STOCK, [{"stock_id": stock.product_id, **{name: getattr(stock, name) for name in _MUTABLE}}
                                   for stock in stocks])


async def list_stock(db: Executor, *, low_stock: bool, location: str, offset: int,
                     limit: int) -> tuple[list[StockRecord], int]:
    statement = select(_stock.c.product_id).where(_stock.c.active)
    if low_stock:
        statement = statement.where(_stock.c.quantity - _stock.c.reserved <= _stock.c.reorder_level)
    if location:
        statement = statement.where(_stock.c.location == location)
    ids, total = await select_page(db, statement.order_by(_stock.c.sku, _stock.c.product_id), offset, limit)
    rows = {row.product_id: StockRecord(*row) for row in await db.execute(_STOCKS, {"ids": ids})}
    return [rows[product_id] for product_id in ids if product_id in rows], total


async def add_movements(db: Executor, movements: Sequence[MovementRecord]) -> None:
    await db.execute(_INSERT_MOVEMENTS, [{column.key: getattr(movement, column.key) for column in _MOVEMENT_COLUMNS}
                                         for movement in movements])


async def list_movements(
    db: Executor, product_id: uuid.UUID, *, start: datetime | None, end: datetime | None,
    offset: int, limit: int,
) -> tuple[list[MovementRecord], int]:
    statement = select(_movements.c.id).where(_movements.c.product_id == product_id)
    if start is not None:
        statement = statement.where(_movements.c.created_at >= start)
    if end is not None:
        statement = statement.where(_movements.c.created_at <= end)
    ids, total = await select_page(
        db, statement.order_by(_movements.c.created_at.desc(), _movements.c.id.desc()), offset, limit)
    rows = {row.id: MovementRecord(*row) for row in await db.execute(_MOVEMENTS, {"ids": ids})}
    return [rows[movement_id] for movement_id in ids if movement_id in rows], total


async def lock_order(db: Executor, order_id: uuid.UUID) -> None:
    """Serialize Reserve/Commit/Release of one order until the transaction ends, so two concurrent
    calls for the same order never both act (the second sees what the first did: it reads after this
    statement, never in it)."""
    await db.execute(_LOCK_ORDER, {"order_id": str(order_id)})


async def reservations_of(db: Executor, order_id: uuid.UUID) -> list[ReservationRecord]:
    return [ReservationRecord(*row) for row in await db.execute(_RESERVATIONS_OF, {"order_id": order_id})]


async def add_reservations(db: Executor, reservations: Sequence[ReservationRecord]) -> None:
    """created_at and updated_at come from the column defaults."""
    await db.execute(_INSERT_RESERVATIONS, [{"order_id": r.order_id, "product_id": r.product_id,
                                             "quantity": r.quantity, "status": r.status} for r in reservations])


async def set_reservations(db: Executor, order_id: uuid.UUID, status: str, now: datetime) -> None:
    """An order's reservation moves as a whole: every row of it takes `status`."""
    await db.execute(_SET_RESERVATIONS, {"reservation_order_id": order_id, "status": status, "updated_at": now})
