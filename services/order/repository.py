"""Core statements on a passed-in connection or session; nothing here commits.

An order is read whole in one statement (its lines and payment joined, one row per line) into the
records of views.py; the statements are built once, at import, since building one costs more CPU than
running it."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ARRAY, Select, any_, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import UUID

from libs.db import Executor
from libs.paging import select_page
from services.order.models import UNSETTLED, Order, OrderItem, OrderStatus, Payment, StockState
from services.order.views import ITEM_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS, ItemView, OrderView, PaymentView

_orders, _items, _payments = Order.__table__, OrderItem.__table__, Payment.__table__


@dataclass(frozen=True)
class OrderFilter:
    customer_id: str | None = None
    status: OrderStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def _whole(*where) -> Select:
    """Orders with their lines and payment, one row per line: the order's columns, then the line's, then
    the payment's, in the records' field order."""
    return (
        select(*(_orders.c[name] for name in ORDER_COLUMNS),
               *(_items.c[name].label(f"item_{name}") for name in ITEM_COLUMNS),
               *(_payments.c[name].label(f"payment_{name}") for name in PAYMENT_COLUMNS))
        .select_from(_orders.outerjoin(_items, _items.c.order_id == _orders.c.id)
                     .outerjoin(_payments, _payments.c.order_id == _orders.c.id))
        .where(*where)
        .order_by(_orders.c.id, _items.c.position)
    )


_BY_ID = _whole(_orders.c.id == bindparam("id"))
_LOCK = select(_orders.c.id).where(_orders.c.id == bindparam("id")).with_for_update()
_BY_IDS = _whole(_orders.c.id == any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))))
_BY_KEY = _whole(_orders.c.customer_id == bindparam("customer_id"),
                 _orders.c.idempotency_key == bindparam("idempotency_key"))
_ITEM_END = len(ORDER_COLUMNS) + len(ITEM_COLUMNS)

_INSERT_ORDER = insert(_orders)
_INSERT_ITEMS = insert(_items)
_INSERT_PAYMENT = insert(_payments)
# Executed with the new values by column name: they make the SET clause.
_UPDATE_ORDER = update(_orders).where(_orders.c.id == bindparam("order_id"))
_UPDATE_PAYMENT = update(_payments).where(_payments.c.id == bindparam("payment_id"))
_MOVE_STOCK_STATE = (
    update(_orders)
    .where(_orders.c.id == bindparam("order_id"), _orders.c.stock_state == bindparam("expected"))
    .values(stock_state=bindparam("new"))
)


def _views(rows: Iterable[Sequence]) -> list[OrderView]:
    """Rows of _whole → one record per order, in the rows' order."""
    found: dict[uuid.UUID, tuple[Sequence, list[ItemView], PaymentView | None]] = {}
    for row in rows:
        order_id = row[0]
        entry = found.get(order_id)
        if entry is None:
            payment = row[_ITEM_END:]
            entry = found[order_id] = (row[:len(ORDER_COLUMNS)], [],
                                       PaymentView(*payment) if payment[0] is not None else None)
        if row[len(ORDER_COLUMNS)] is not None:  # an outer join: an order without lines has a row of NULLs
            entry[1].append(ItemView(*row[len(ORDER_COLUMNS):_ITEM_END]))
    return [OrderView(*columns, items=tuple(items), payment=payment) for columns, items, payment in found.values()]


async def _one(db: Executor, statement: Select, values: dict) -> OrderView | None:
    views = _views(await db.execute(statement, values))
    return views[0] if views else None


async def get(db: Executor, order_id: uuid.UUID, *, for_update: bool = False) -> OrderView | None:
    """With `for_update`, the order row is locked first and read after, in a statement of its own: one
    that waited for the lock would see the order row as committed meanwhile, but its joined payment
    and lines as they were when it started."""
    if for_update and await db.scalar(_LOCK, {"id": order_id}) is None:
        return None
    return await _one(db, _BY_ID, {"id": order_id})


async def get_by_key(db: Executor, customer_id: str, idempotency_key: str) -> OrderView | None:
    return await _one(db, _BY_KEY, {"customer_id": customer_id, "idempotency_key": idempotency_key})


async def get_many(db: Executor, order_ids: Sequence[uuid.UUID]) -> list[OrderView]:
    """The orders that exist of `order_ids`, in that order."""
    found = {view.id: view for view in _views(await db.execute(_BY_IDS, {"ids": list(order_ids)}))}
    return [found[order_id] for order_id in order_ids if order_id in found]


async def add(db: Executor, order: OrderView) -> None:
    """The order row and its lines (two statements: run them in one transaction)."""
    await db.execute(_INSERT_ORDER, {name: getattr(order, name) for name in ORDER_COLUMNS})
    await db.execute(_INSERT_ITEMS, [{"order_id": order.id, **{name: getattr(item, name) for name in ITEM_COLUMNS}}
                                     for item in order.items])


async def add_payment(db: Executor, order_id: uuid.UUID, payment: PaymentView) -> None:
    await db.execute(_INSERT_PAYMENT, {"order_id": order_id, **{name: getattr(payment, name)
                                                                 for name in PAYMENT_COLUMNS}})


async def update_order(db: Executor, order_id: uuid.UUID, **values) -> None:
    await db.execute(_UPDATE_ORDER, {"order_id": order_id, **values})


async def update_payment(db: Executor, payment_id: uuid.UUID, **values) -> None:
    await db.execute(_UPDATE_PAYMENT, {"payment_id": payment_id, **values})


async def delete_unreserved(db: Executor, order_id: uuid.UUID) -> None:
    """Forget an order whose reservation the inventory refused outright (nothing was reserved)."""
    await db.execute(delete(_orders).where(_orders.c.id == order_id, _orders.c.stock_state == StockState.RESERVING))


async def list_orders(db: Executor, where: OrderFilter, *, offset: int, limit: int) -> tuple[list[OrderView], int]:
    statement = select(_orders.c.id)
    if where.customer_id:
        statement = statement.where(_orders.c.customer_id == where.customer_id)
    if where.status:
        statement = statement.where(_orders.c.status == where.status)
    if where.created_from:
        statement = statement.where(_orders.c.created_at >= where.created_from)
    if where.created_to:
        statement = statement.where(_orders.c.created_at <= where.created_to)
    ids, total = await select_page(db, statement.order_by(_orders.c.created_at.desc(), _orders.c.id.desc()),
                                   offset, limit)
    return await get_many(db, ids), total


async def lock_due_for_expiry(db: Executor, now: datetime, limit: int) -> list[OrderView]:
    """Unpaid orders past their expiry, locked, soonest due first; rows another transaction holds (a
    payment in progress, another sweeper) are skipped rather than waited for."""
    statement = (
        select(_orders.c.id)
        .where(_orders.c.status == OrderStatus.PENDING, _orders.c.expires_at <= now)
        .order_by(_orders.c.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return await get_many(db, list(await db.scalars(statement)))


async def unsettled(db: Executor, limit: int) -> list[tuple[uuid.UUID, str]]:
    """(order id, stock state) of orders whose inventory call has not been confirmed yet."""
    statement = (
        select(_orders.c.id, _orders.c.stock_state)
        .where(_orders.c.stock_state.in_(UNSETTLED))
        .order_by(_orders.c.updated_at)
        .limit(limit)
    )
    return [(row.id, row.stock_state) for row in await db.execute(statement)]


async def move_stock_state(db: Executor, order_id: uuid.UUID, expected: str, new: str) -> bool:
    """Compare-and-set of the stock state: False when someone else moved it first."""
    result = await db.execute(_MOVE_STOCK_STATE, {"order_id": order_id, "expected": expected, "new": new})
    return result.rowcount == 1
