"""Use cases of the inventory service. Each runs in one transaction that also writes the ledger rows
and the outbox events of the change (DESIGN.md §5).

Every change locks the stock rows it touches (`SELECT … FOR UPDATE`, in product-id order) and checks
them while they are locked, so no two transactions can both take the last unit.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from depot.common.v1 import page_pb2
from depot.inventory.v1 import events_pb2, inventory_pb2
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs import idempotency
from libs.context import principal_var
from libs.db import in_transaction
from libs.errors import FailedPrecondition, NotFound
from libs.events import topics
from libs.events.outbox import add_event
from libs.ids import id_violation, parse_id
from libs.paging import Page, page_window
from libs.timestamps import to_timestamp
from libs.validation import require
from services.inventory import repository
from services.inventory.messages import movement_message, reservation_message, stock_message
from services.inventory.models import Movement, Reservation, Stock
from services.inventory.validation import (
    ADJUSTMENT_SIGNS,
    check_adjustment,
    check_lines,
    check_note_fields,
    check_period,
    check_stock_fields,
)

T = TypeVar("T")
SOURCE = "inventory"
STOCK_PAGE_SIZE = 20
MOVEMENTS_PAGE_SIZE = 50  # DESIGN.md §7: history, 50 a page
ADJUST_SCOPE = "inventory.AdjustStock"


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
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, default_reorder_level: int,
                 default_location: str):
        self._sessions = sessions
        self._default_reorder_level = default_reorder_level
        self._default_location = default_location

    async def _run(self, work: Callable[[AsyncSession], Awaitable[T]], session: AsyncSession | None) -> T:
        """In the caller's transaction when given one (an event handler's, which also records the event
        as processed), else in a transaction of its own."""
        return await work(session) if session is not None else await in_transaction(self._sessions, work)

    # -- stock ------------------------------------------------------------------------------------

    async def initialize_stock(self, *, product_id: str, sku: str, initial_quantity: int, reorder_level: int | None,
                               location: str | None, session: AsyncSession | None = None,
                               ) -> tuple[inventory_pb2.Stock, bool]:
        """Idempotent by product id: (stock, created). The initial quantity is a RECEIVED movement."""
        require(id_violation(product_id, "product_id"),
                *check_stock_fields(sku, initial_quantity, reorder_level, location))
        pid = uuid.UUID(product_id)

        async def work(session: AsyncSession):
            now = datetime.now(UTC)
            stock = await repository.add_stock_if_absent(
                session, product_id=pid, sku=sku.strip(), quantity=0, reserved=0,
                reorder_level=self._default_reorder_level if reorder_level is None else reorder_level,
                location=location or self._default_location, created_at=now, updated_at=now,
            )
            if stock is None:
                return stock_message(await repository.get_stock(session, pid)), False
            if initial_quantity:
                await self._move(session, stock, "RECEIVED", initial_quantity, on_hand=initial_quantity,
                                 notes="Initial stock")
            else:
                await self._announce(session, stock, None)
            return stock_message(stock), True

        return await self._run(work, session)

    async def get_stock(self, product_id: str) -> inventory_pb2.Stock:
        pid = parse_id(product_id, "product_id")

        async def work(session: AsyncSession):
            return stock_message(await self._existing(session, pid))

        return await in_transaction(self._sessions, work)

    async def list_stock(self, *, page: page_pb2.PageRequest, low_stock: bool,
                         location: str) -> Page[inventory_pb2.Stock]:
        window = page_window(page.page, page.page_size, STOCK_PAGE_SIZE)

        async def work(session: AsyncSession):
            rows, total = await repository.list_stock(session, low_stock=low_stock, location=location,
                                                      offset=window.offset, limit=window.size)
            return Page.of([stock_message(s) for s in rows], window, total)

        return await in_transaction(self._sessions, work)

    async def adjust_stock(self, *, product_id: str, movement_type: str, quantity: int, notes: str,
                           reference_id: str, idempotency_key: str) -> events_pb2.InventoryUpdated:
        """The stock after the change and its ledger row; a replay of the key answers the same."""
        require(id_violation(product_id, "product_id"), *check_adjustment(movement_type, quantity),
                *check_note_fields(notes, reference_id))
        pid = uuid.UUID(product_id)
        sign = ADJUSTMENT_SIGNS[movement_type]
        request = {"product_id": str(pid), "type": movement_type, "quantity": quantity, "notes": notes,
                   "reference_id": reference_id, "actor": _actor()}

        async def work(session: AsyncSession):
            if idempotency_key and (earlier := await idempotency.claim(
                session, scope=ADJUST_SCOPE, key=idempotency_key, request=request,
                response_type=events_pb2.InventoryUpdated,
            )) is not None:
                return earlier
            stock = await self._locked(session, pid)
            movement = await self._move(session, stock, movement_type, quantity,
                                        on_hand=quantity * sign if sign else quantity,
                                        reference_id=reference_id, notes=notes)
            answer = events_pb2.InventoryUpdated(stock=stock_message(stock), movement=movement_message(movement))
            if idempotency_key:
                await idempotency.record(session, scope=ADJUST_SCOPE, key=idempotency_key, response=answer)
            return answer

        return await in_transaction(self._sessions, work)

    async def list_movements(self, *, product_id: str, page: page_pb2.PageRequest, start: datetime | None,
                             end: datetime | None) -> Page[inventory_pb2.Movement]:
        pid = parse_id(product_id, "product_id")
        require(check_period(start, end))
        window = page_window(page.page, page.page_size, MOVEMENTS_PAGE_SIZE)

        async def work(session: AsyncSession):
            await self._existing(session, pid)
            rows, total = await repository.list_movements(session, pid, start=start, end=end,
                                                          offset=window.offset, limit=window.size)
            return Page.of([movement_message(m) for m in rows], window, total)

        return await in_transaction(self._sessions, work)

    async def deactivate_stock(self, product_id: str, *, missing_ok: bool = False,
                               session: AsyncSession | None = None) -> inventory_pb2.Stock | None:
        """The product is gone: its stock is no longer listed or reservable. Idempotent."""
        pid = parse_id(product_id, "product_id")

        async def work(session: AsyncSession):
            stocks = await repository.lock_stock(session, [pid])
            if not stocks:
                if missing_ok:
                    return None
                raise NotFound(f"Stock for product {pid} not found")
            stock = stocks[0]
            if stock.active:
                stock.active = False
                self._touch(stock, datetime.now(UTC))
                await self._announce(session, stock, None)
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

        async def work(session: AsyncSession):
            await repository.lock_order(session, oid)
            if existing := await repository.reservations_of(session, oid):
                return reservation_message(str(oid), existing)
            stocks = {s.product_id: s for s in await repository.lock_stock(session, wanted) if s.active}
            for pid in sorted(wanted):
                if pid not in stocks:
                    raise NotFound(f"Product {pid} not found")
            for pid in sorted(wanted):
                await self._move(session, stocks[pid], "RESERVED", wanted[pid], reserved=wanted[pid],
                                 reference_id=str(oid), shortage=f"Insufficient stock for product {pid}")
            rows = [Reservation(order_id=oid, product_id=pid, quantity=wanted[pid], status="RESERVED")
                    for pid in sorted(wanted)]
            repository.add_reservations(session, rows)
            return reservation_message(str(oid), rows)

        return await in_transaction(self._sessions, work)

    async def commit_reservation(self, order_id: str) -> inventory_pb2.Reservation:
        return await self._settle(order_id, COMMIT)

    async def release_reservation(self, order_id: str) -> inventory_pb2.Reservation:
        return await self._settle(order_id, RELEASE)

    async def settle_cancelled_order(self, order_id: str, *,
                                     session: AsyncSession | None = None) -> inventory_pb2.Reservation | None:
        """A cancelled or expired order: a held reservation is released, sold stock comes back; an
        order with nothing reserved, or already settled, changes nothing."""
        oid = parse_id(order_id, "order_id")

        async def work(session: AsyncSession):
            await repository.lock_order(session, oid)
            rows = await repository.reservations_of(session, oid)
            status = rows[0].status if rows else None
            transition = {RELEASE.source: RELEASE, RETURN.source: RETURN}.get(status)
            if transition is None:
                return reservation_message(str(oid), rows) if rows else None
            return await self._apply(session, oid, rows, transition)

        return await self._run(work, session)

    async def _settle(self, order_id: str, transition: Transition) -> inventory_pb2.Reservation:
        oid = parse_id(order_id, "order_id")

        async def work(session: AsyncSession):
            await repository.lock_order(session, oid)
            rows = await repository.reservations_of(session, oid)
            if not rows:
                raise NotFound(f"No reservation for order {oid}")
            status = rows[0].status
            if status == transition.target:
                return reservation_message(str(oid), rows)
            if status != transition.source:
                raise FailedPrecondition(f"Reservation for order {oid} is {status.lower()}")
            return await self._apply(session, oid, rows, transition)

        return await in_transaction(self._sessions, work)

    async def _apply(self, session: AsyncSession, oid: uuid.UUID, rows: list[Reservation],
                     transition: Transition) -> inventory_pb2.Reservation:
        stocks = {s.product_id: s for s in await repository.lock_stock(session, [r.product_id for r in rows])}
        now = datetime.now(UTC)
        for row in rows:
            await self._move(session, stocks[row.product_id], transition.movement, row.quantity,
                             on_hand=transition.on_hand * row.quantity, reserved=transition.reserved * row.quantity,
                             reference_id=str(oid))
            row.status, row.updated_at = transition.target, now
        return reservation_message(str(oid), rows)

    # -- the one way stock changes -------------------------------------------------------------------

    async def _move(self, session: AsyncSession, stock: Stock, movement_type: str, quantity: int, *,
                    on_hand: int = 0, reserved: int = 0, reference_id: str = "", notes: str = "",
                    shortage: str = "Insufficient stock") -> Movement:
        """Apply one movement to a locked stock row, with its ledger row and events."""
        new_quantity, new_reserved = stock.quantity + on_hand, stock.reserved + reserved
        if new_quantity < new_reserved:
            raise FailedPrecondition(shortage)
        now = datetime.now(UTC)
        movement = Movement(
            id=uuid.uuid4(), product_id=stock.product_id, type=movement_type, quantity=quantity,
            previous_quantity=stock.quantity, new_quantity=new_quantity, reference_id=reference_id,
            notes=notes, created_by=_actor(), created_at=now,
        )
        stock.quantity, stock.reserved = new_quantity, new_reserved
        if movement_type == "RECEIVED":
            stock.last_restocked_at = now
        self._touch(stock, now)
        repository.add_movement(session, movement)
        await self._announce(session, stock, movement)
        return movement

    @staticmethod
    def _touch(stock: Stock, now: datetime) -> None:
        stock.updated_at = now
        stock.version += 1

    async def _announce(self, session: AsyncSession, stock: Stock, movement: Movement | None) -> None:
        """inventory.updated for every change; inventory.low_stock when available stock falls to the
        reorder level, once until it rises above it again."""
        await add_event(
            session, topic=topics.INVENTORY, key=str(stock.product_id), event_type="inventory.updated", source=SOURCE,
            payload=events_pb2.InventoryUpdated(
                stock=stock_message(stock), movement=movement_message(movement) if movement else None
            ),
        )
        if not stock.is_low:
            stock.low_stock_alerted = False
        elif stock.active and not stock.low_stock_alerted:
            stock.low_stock_alerted = True
            await add_event(
                session, topic=topics.INVENTORY, key=str(stock.product_id), event_type="inventory.low_stock",
                source=SOURCE,
                payload=events_pb2.LowStock(
                    product_id=str(stock.product_id), sku=stock.sku, quantity=stock.quantity,
                    available=stock.available, reorder_level=stock.reorder_level,
                    suggested_restock_quantity=2 * stock.reorder_level, location=stock.location,
                    occurred_at=to_timestamp(stock.updated_at),
                ),
            )

    async def _existing(self, session: AsyncSession, pid: uuid.UUID) -> Stock:
        stock = await repository.get_stock(session, pid)
        if stock is None:
            raise NotFound(f"Stock for product {pid} not found")
        return stock

    async def _locked(self, session: AsyncSession, pid: uuid.UUID) -> Stock:
        stocks = await repository.lock_stock(session, [pid])
        if not stocks:
            raise NotFound(f"Stock for product {pid} not found")
        return stocks[0]
