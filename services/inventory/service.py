"""Use cases of the inventory service. Each runs in one transaction that also writes the ledger rows
and the outbox events of the change (DESIGN.md §5).

Every change locks the stock rows it touches (`SELECT … FOR UPDATE`, in product-id order) and checks
them while they are locked, so no two transactions can both take the last unit.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

from depot.common.v1 import page_pb2
from depot.inventory.v1 import events_pb2, inventory_pb2
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncEngine

from libs import idempotency
from libs.context import principal_var
from libs.db import Executor, in_autocommit, in_transaction
from libs.errors import FailedPrecondition, NotFound
from libs.events import topics
from libs.events.outbox import add_event
from libs.ids import id_violation, parse_id
from libs.paging import Page, page_window
from libs.timestamps import to_timestamp
from libs.validation import require
from services.inventory import repository
from services.inventory.messages import movement_message, reservation_message, stock_message
from services.inventory.validation import (
    ADJUSTMENT_SIGNS,
    QUANTITY_MAX,
    check_adjustment,
    check_lines,
    check_note_fields,
    check_period,
    check_stock_fields,
)
from services.inventory.views import MovementRecord, ReservationRecord, StockRecord

T = TypeVar("T")
SOURCE = "inventory"
STOCK_PAGE_SIZE = 20
MOVEMENTS_PAGE_SIZE = 50  # DESIGN.md §7: history, 50 a page
ADJUST_SCOPE = "inventory.AdjustStock"


@dataclass(frozen=True)
class Move:
    """One ledger row's worth of change to a locked stock row."""

    stock: StockRecord
    quantity: int  # as the ledger row records it
    on_hand: int = 0  # added to the quantity on hand
    reserved: int = 0  # added to the reserved count


@dataclass(frozen=True)
class Transition:
    """What settling an order's reservation does to each of its lines."""

    source: str  # reservation status it applies to
    target: str
    movement: str  # ledger row type
    on_hand: int  # sign applied to the quantity on hand
    reserved: int  # sign applied to the reserved count


COMMIT = Transition("RESERVED", "COMMITTED", "SOLD", -1, -1)
RELEASE = Transition("RESERVED", "RELEASED", "RELEASED", 0, -1)
# A paid order cancelled: what it bought comes back on hand.
RETURN = Transition("COMMITTED", "RETURNED", "RETURNED", 1, 0)


def _actor() -> str:
    principal = principal_var.get()
    return principal.user_id if principal else "system"


class InventoryService:
    """Works on Core connections (views.py says why); event handlers pass the consumer's session."""

    def __init__(self, engine: AsyncEngine, *, default_reorder_level: int, default_location: str):
        self._engine = engine
        self._default_reorder_level = default_reorder_level
        self._default_location = default_location

    async def _transaction(self, work: Callable[[Executor], Awaitable[T]]) -> T:
        return await in_transaction(self._engine, work)

    async def _read(self, work: Callable[[Executor], Awaitable[T]]) -> T:
        """Reads need no transaction: under READ COMMITTED each statement sees the same either way."""
        return await in_autocommit(self._engine, work)

    async def _run(self, work: Callable[[Executor], Awaitable[T]], session: Executor | None) -> T:
        """In the caller's transaction when given one (an event handler's, which also records the event
        as processed), else in a transaction of its own."""
        return await work(session) if session is not None else await self._transaction(work)

    # -- stock ------------------------------------------------------------------------------------

    async def initialize_stock(self, *, product_id: str, sku: str, initial_quantity: int, reorder_level: int | None,
                               location: str | None, session: Executor | None = None,
                               ) -> tuple[inventory_pb2.Stock, bool]:
        """Idempotent by product id: (stock, created). The initial quantity is a RECEIVED movement."""
        require(id_violation(product_id, "product_id"),
                *check_stock_fields(sku, initial_quantity, reorder_level, location))
        pid = uuid.UUID(product_id)

        async def work(db: Executor):
            now = datetime.now(UTC)
            stock = await repository.add_stock_if_absent(
                db, product_id=pid, sku=sku.strip(), quantity=0, reserved=0,
                reorder_level=self._default_reorder_level if reorder_level is None else reorder_level,
                location=location or self._default_location, created_at=now, updated_at=now,
            )
            if stock is None:
                return stock_message(await repository.get_stock(db, pid)), False
            if initial_quantity:
                await self._move(db, "RECEIVED", [Move(stock, initial_quantity, on_hand=initial_quantity)],
                                 notes="Initial stock")
            else:
                await self._record(db, [stock], [])
            return stock_message(stock), True

        return await self._run(work, session)

    async def get_stock(self, product_id: str) -> inventory_pb2.Stock:
        pid = parse_id(product_id, "product_id")

        async def work(db: Executor):
            return stock_message(await self._existing(db, pid))

        return await self._read(work)

    async def list_stock(self, *, page: page_pb2.PageRequest, low_stock: bool,
                         location: str) -> Page[inventory_pb2.Stock]:
        window = page_window(page.page, page.page_size, STOCK_PAGE_SIZE)

        async def work(db: Executor):
            rows, total = await repository.list_stock(db, low_stock=low_stock, location=location,
                                                      offset=window.offset, limit=window.size)
            return Page.of([stock_message(s) for s in rows], window, total)

        return await self._read(work)

    async def adjust_stock(self, *, product_id: str, movement_type: str, quantity: int, notes: str,
                           reference_id: str, idempotency_key: str) -> events_pb2.InventoryUpdated:
        """The stock after the change and its ledger row; a replay of the key answers the same."""
        require(id_violation(product_id, "product_id"), *check_adjustment(movement_type, quantity),
                *check_note_fields(notes, reference_id))
        pid = uuid.UUID(product_id)
        sign = ADJUSTMENT_SIGNS[movement_type]
        request = {"product_id": str(pid), "type": movement_type, "quantity": quantity, "notes": notes,
                   "reference_id": reference_id, "actor": _actor()}

        async def work(db: Executor):
            if idempotency_key and (earlier := await idempotency.claim(
                db, scope=ADJUST_SCOPE, key=idempotency_key, request=request,
                response_type=events_pb2.InventoryUpdated,
            )) is not None:
                return earlier
            stock = await self._locked(db, pid)
            [movement] = await self._move(db, movement_type, [
                Move(stock, quantity, on_hand=quantity * sign if sign else quantity)],
                reference_id=reference_id, notes=notes)
            answer = events_pb2.InventoryUpdated(stock=stock_message(stock), movement=movement_message(movement))
            if idempotency_key:
                await idempotency.record(db, scope=ADJUST_SCOPE, key=idempotency_key, response=answer)
            return answer

        return await self._transaction(work)

    async def list_movements(self, *, product_id: str, page: page_pb2.PageRequest, start: datetime | None,
                             end: datetime | None) -> Page[inventory_pb2.Movement]:
        pid = parse_id(product_id, "product_id")
        require(check_period(start, end))
        window = page_window(page.page, page.page_size, MOVEMENTS_PAGE_SIZE)

        async def work(db: Executor):
            await self._existing(db, pid)
            rows, total = await repository.list_movements(db, pid, start=start, end=end,
                                                          offset=window.offset, limit=window.size)
            return Page.of([movement_message(m) for m in rows], window, total)

        return await self._read(work)

    async def deactivate_stock(self, product_id: str, *, missing_ok: bool = False,
                               session: Executor | None = None) -> inventory_pb2.Stock | None:
        """The product is gone: its stock is no longer listed or reservable. Idempotent."""
        pid = parse_id(product_id, "product_id")

        async def work(db: Executor):
            stocks = await repository.lock_stock(db, [pid])
            if not stocks:
                if missing_ok:
                    return None
                raise NotFound(f"Stock for product {pid} not found")
            stock = stocks[0]
            if stock.active:
                stock.active = False
                self._touch(stock, datetime.now(UTC))
                await self._record(db, [stock], [])
            return stock_message(stock)

        return await self._run(work, session)

    # -- reservations ----------------------------------------------------------------------------

    async def reserve_stock(self, *, order_id: str, lines: Sequence[tuple[str, int]]) -> inventory_pb2.Reservation:
        """All lines or none; a second call for the same order returns the first reservation."""
        oid = parse_id(order_id, "order_id")
        require(*check_lines(lines))
        wanted: dict[uuid.UUID, int] = {}
        for product, quantity in lines:  # the same product on two lines is one reservation row
            wanted[uuid.UUID(product)] = wanted.get(uuid.UUID(product), 0) + quantity

        async def work(db: Executor):
            await repository.lock_order(db, oid)
            if existing := await repository.reservations_of(db, oid):
                return reservation_message(str(oid), existing)
            stocks = {s.product_id: s for s in await repository.lock_stock(db, wanted) if s.active}
            for pid in sorted(wanted):
                if pid not in stocks:
                    raise NotFound(f"Product {pid} not found")
            await self._move(db, "RESERVED", [Move(stocks[pid], wanted[pid], reserved=wanted[pid])
                                              for pid in sorted(wanted)],
                             reference_id=str(oid), shortage="Insufficient stock for product {product_id}")
            rows = [ReservationRecord(order_id=oid, product_id=pid, quantity=wanted[pid], status="RESERVED")
                    for pid in sorted(wanted)]
            await repository.add_reservations(db, rows)
            return reservation_message(str(oid), rows)

        return await self._transaction(work)

    async def commit_reservation(self, order_id: str) -> inventory_pb2.Reservation:
        return await self._settle(order_id, COMMIT)

    async def release_reservation(self, order_id: str) -> inventory_pb2.Reservation:
        return await self._settle(order_id, RELEASE)

    async def settle_cancelled_order(self, order_id: str, *,
                                     session: Executor | None = None) -> inventory_pb2.Reservation | None:
        """A cancelled or expired order: a held reservation is released, sold stock comes back; an
        order with nothing reserved, or already settled, changes nothing."""
        oid = parse_id(order_id, "order_id")

        async def work(db: Executor):
            await repository.lock_order(db, oid)
            rows = await repository.reservations_of(db, oid)
            status = rows[0].status if rows else None
            transition = {RELEASE.source: RELEASE, RETURN.source: RETURN}.get(status)
            if transition is None:
                return reservation_message(str(oid), rows) if rows else None
            return await self._apply(db, oid, rows, transition)

        return await self._run(work, session)

    async def _settle(self, order_id: str, transition: Transition) -> inventory_pb2.Reservation:
        oid = parse_id(order_id, "order_id")

        async def work(db: Executor):
            await repository.lock_order(db, oid)
            rows = await repository.reservations_of(db, oid)
            if not rows:
                raise NotFound(f"No reservation for order {oid}")
            status = rows[0].status
            if status == transition.target:
                return reservation_message(str(oid), rows)
            if status != transition.source:
                raise FailedPrecondition(f"Reservation for order {oid} is {status.lower()}")
            return await self._apply(db, oid, rows, transition)

        return await self._transaction(work)

    async def _apply(self, db: Executor, oid: uuid.UUID, rows: list[ReservationRecord],
                     transition: Transition) -> inventory_pb2.Reservation:
        stocks = {s.product_id: s for s in await repository.lock_stock(db, [r.product_id for r in rows])}
        await self._move(db, transition.movement, [
            Move(stocks[row.product_id], row.quantity, on_hand=transition.on_hand * row.quantity,
                 reserved=transition.reserved * row.quantity) for row in rows], reference_id=str(oid))
        await repository.set_reservations(db, oid, transition.target, datetime.now(UTC))
        return reservation_message(str(oid), [replace(row, status=transition.target) for row in rows])

    # -- the one way stock changes -------------------------------------------------------------------

    async def _move(self, db: Executor, movement_type: str, moves: Sequence[Move], *, reference_id: str = "",
                    notes: str = "", shortage: str = "Insufficient stock") -> list[MovementRecord]:
        """Apply movements of one type to locked stock rows (one each), with their ledger rows and events;
        the first row short of stock (`shortage`, formatted with its product_id) refuses them all."""
        now = datetime.now(UTC)
        movements = []
        for move in moves:
            stock = move.stock
            new_quantity, new_reserved = stock.quantity + move.on_hand, stock.reserved + move.reserved
            if new_quantity < new_reserved:
                raise FailedPrecondition(shortage.format(product_id=stock.product_id))
            if new_quantity > QUANTITY_MAX:
                raise FailedPrecondition(f"Stock cannot exceed {QUANTITY_MAX} units")
            movements.append(MovementRecord(
                id=uuid.uuid4(), product_id=stock.product_id, type=movement_type, quantity=move.quantity,
                previous_quantity=stock.quantity, new_quantity=new_quantity, reference_id=reference_id,
                notes=notes, created_by=_actor(), created_at=now,
            ))
            stock.quantity, stock.reserved = new_quantity, new_reserved
            if movement_type == "RECEIVED":
                stock.last_restocked_at = now
            self._touch(stock, now)
        await self._record(db, [move.stock for move in moves], movements)
        return movements

    @staticmethod
    def _touch(stock: StockRecord, now: datetime) -> None:
        stock.updated_at = now
        stock.version += 1

    async def _record(self, db: Executor, stocks: Sequence[StockRecord], movements: Sequence[MovementRecord]) -> None:
        """Write changed stock rows back with their ledger rows (`movements`: none, or one per stock) and
        events: inventory.updated for every change; inventory.low_stock when available stock falls to
        the reorder level, once until it rises above it again."""
        events: list[tuple[StockRecord, str, Message]] = []
        for stock, movement in zip(stocks, movements or [None] * len(stocks), strict=True):
            events.append((stock, "inventory.updated", events_pb2.InventoryUpdated(
                stock=stock_message(stock), movement=movement_message(movement) if movement else None)))
            if not stock.is_low:
                stock.low_stock_alerted = False
            elif stock.active and not stock.low_stock_alerted:
                stock.low_stock_alerted = True
                events.append((stock, "inventory.low_stock", events_pb2.LowStock(
                    product_id=str(stock.product_id), sku=stock.sku, quantity=stock.quantity,
                    available=stock.available, reorder_level=stock.reorder_level,
                    suggested_restock_quantity=2 * stock.reorder_level, location=stock.location,
                    occurred_at=to_timestamp(stock.updated_at),
                )))
        await repository.save_stocks(db, stocks)
        if movements:
            await repository.add_movements(db, movements)
        for stock, event_type, payload in events:
            await add_event(db, topic=topics.INVENTORY, key=str(stock.product_id), event_type=event_type,
                            payload=payload, source=SOURCE)

    async def _existing(self, db: Executor, pid: uuid.UUID) -> StockRecord:
        stock = await repository.get_stock(db, pid)
        if stock is None:
            raise NotFound(f"Stock for product {pid} not found")
        return stock

    async def _locked(self, db: Executor, pid: uuid.UUID) -> StockRecord:
        stocks = await repository.lock_stock(db, [pid])
        if not stocks:
            raise NotFound(f"Stock for product {pid} not found")
        return stocks[0]
