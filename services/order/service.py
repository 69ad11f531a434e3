"""Use cases of the order service. Each owns its transactions and writes its events to the outbox in
the transaction that changes the order.

Calls to the inventory follow the transaction that decided them (the order row records the intent in
`stock_state` first), so a crash between the two leaves an intent that the sweeper or the order's
expiry completes: never a reservation nobody will release. Calls to the payment provider happen while
the order row is locked, so two payments of one order cannot both charge.
"""

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

import structlog
from depot.order.v1 import events_pb2, order_pb2
from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth import Principal
from libs.db import Executor, in_autocommit, in_transaction
from libs.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Unavailable
from libs.events import topics
from libs.events.outbox import add_event
from libs.idempotency import FIELD as IDEMPOTENCY_FIELD
from libs.idempotency import MISMATCH as IDEMPOTENCY_MISMATCH
from libs.idempotency import fingerprint
from libs.ids import parse_id
from libs.paging import MAX_PAGE_SIZE, Page, Window
from libs.validation import require
from services.order import repository
from services.order.catalog import CatalogClient, Product
from services.order.inventory import InventoryClient
from services.order.messages import order_message
from services.order.models import OrderStatus, PaymentStatus, StockState
from services.order.payments import PaymentProvider
from services.order.repository import OrderFilter
from services.order.validation import (
    OrderDraft,
    PaymentRequest,
    check_key,
    check_payment,
    check_reason,
    normalized_draft,
)
from services.order.views import ItemView, OrderView, PaymentView

T = TypeVar("T")
log = structlog.get_logger("order")

SOURCE = "order"
CENT = Decimal("0.01")
DEFAULT_PAGE_SIZE = 20
# The status machine; anything else is FAILED_PRECONDITION.
TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED},
    OrderStatus.PAID: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
}
FULFILMENT = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


@dataclass(frozen=True)
class Policy:
    ttl: timedelta
    tax_rate: Decimal
    shipping_cost: Decimal
    currency: str


def _may_read(principal: Principal, order: OrderView) -> bool:
    return order.customer_id == principal.user_id or principal.has("order:read:all")


def _check_transition(order: OrderView, target: OrderStatus) -> None:
    if target not in TRANSITIONS.get(order.status, ()):
        if order.status == target:
            raise FailedPrecondition(f"Order is already {target}")
        raise FailedPrecondition(f"Order is {order.status} and cannot become {target}")


class OrderService:
    """Works on Core connections (views.py says why); record_shipment runs in the event consumer's session."""

    def __init__(self, engine: AsyncEngine, *, catalog: CatalogClient,
                 inventory: InventoryClient, payments: PaymentProvider, policy: Policy,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._engine = engine
        self._catalog = catalog
        self._inventory = inventory
        self._payments = payments
        self._policy = policy
        self._now = clock

    async def _transaction(self, work: Callable[[Executor], Awaitable[T]]) -> T:
        return await in_transaction(self._engine, work)

    async def _statement(self, work: Callable[[Executor], Awaitable[T]]) -> T:
        """For work that is a single statement: it commits by itself, without BEGIN and COMMIT."""
        return await in_autocommit(self._engine, work)

    # -- placing an order ------------------------------------------------------------------------

    async def create_order(self, principal: Principal, draft: OrderDraft, idempotency_key: str = "") -> OrderView:
        """Snapshot the prices, write the order as PENDING, then reserve its stock."""
        require(check_key(idempotency_key))
        draft = normalized_draft(draft)
        request_hash = fingerprint(asdict(draft))
        if idempotency_key:
            earlier = await self._statement(lambda db: repository.get_by_key(db, principal.user_id, idempotency_key))
            if earlier is not None:
                return await self._replay_create(earlier, request_hash)
        products = await self._catalog.get_products({item.product_id for item in draft.items})
        order = self._new_order(principal.user_id, draft, products, idempotency_key or None, request_hash)
        try:
            await self._transaction(lambda db: repository.add(db, order))
        except IntegrityError:
            if not idempotency_key:
                raise
            # A concurrent request with the same key inserted first: answer as its replay.
            earlier = await self._statement(lambda db: repository.get_by_key(db, principal.user_id, idempotency_key))
            return await self._replay_create(earlier, request_hash)
        return await self._reserve(order)

    def _new_order(self, customer_id: str, draft: OrderDraft, products: dict[str, Product],
                   idempotency_key: str | None, request_hash: str) -> OrderView:
        """The order as its rows will read back: money rounded to the columns' two places."""
        now = self._now()
        items = []
        for position, wanted in enumerate(draft.items):
            product = products.get(wanted.product_id)
            if product is None:
                raise NotFound(f"Product {wanted.product_id} not found")
            if not product.active:
                raise FailedPrecondition(f"Product {product.name} ({product.id}) is not available")
            sku, name, price = product.sku, product.name, product.price
            if wanted.variant_id:
                variant = product.variants.get(wanted.variant_id)
                if variant is None:
                    raise NotFound(f"Variant {wanted.variant_id} of product {product.id} not found")
                name = f"{product.name} ({variant.name})" if variant.name else product.name
                sku, price = variant.sku, variant.price or price
            items.append(ItemView(
                position=position, product_id=product.id, variant_id=wanted.variant_id, sku=sku, name=name,
                unit_price=price.quantize(CENT, rounding=ROUND_HALF_UP), quantity=wanted.quantity,
                line_total=(price * wanted.quantity).quantize(CENT), weight_grams=product.weight_grams,
            ))
        subtotal = sum((item.line_total for item in items), Decimal("0.00"))
        tax = (subtotal * self._policy.tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)
        shipping = self._policy.shipping_cost.quantize(CENT)
        return OrderView(
            id=uuid.uuid4(), customer_id=customer_id, status=OrderStatus.PENDING,
            stock_state=StockState.RESERVING, currency=self._policy.currency, items=tuple(items), subtotal=subtotal,
            shipping_cost=shipping, tax_amount=tax, grand_total=subtotal + shipping + tax,
            shipping_address=asdict(draft.shipping_address),
            billing_address=asdict(draft.billing_address) if draft.billing_address else None,
            notes=draft.notes, cancel_reason="", idempotency_key=idempotency_key, request_hash=request_hash,
            created_at=now, updated_at=now, expires_at=now + self._policy.ttl, paid_at=None, shipped_at=None,
            delivered_at=None, cancelled_at=None, payment=None,
        )

    async def _replay_create(self, earlier: OrderView, request_hash: str) -> OrderView:
        if earlier.request_hash != request_hash:
            raise InvalidArgument.field(IDEMPOTENCY_FIELD, IDEMPOTENCY_MISMATCH)
        if earlier.stock_state == StockState.RESERVING:
            return await self._reserve(earlier)  # the first call did not learn the outcome: ask again
        return earlier

    async def _reserve(self, order: OrderView) -> OrderView:
        lines = Counter()
        for item in order.items:
            lines[item.product_id] += item.quantity
        try:
            await self._inventory.reserve(order.id, lines)
        except (NotFound, FailedPrecondition, InvalidArgument):
            # Refused outright, nothing reserved: the order was never placed.
            await self._statement(lambda db: repository.delete_unreserved(db, order.id))
            raise
        # Unavailable propagates: the order stays RESERVING, and a replay or its expiry settles it.
        order = await self._transaction(lambda db: self._confirm_reserved(db, order))
        if order.stock_state != StockState.RELEASING:
            return order
        await self._settle(order.id, StockState.RELEASING)
        return await self._statement(lambda db: repository.get(db, order.id))

    async def _confirm_reserved(self, db: Executor, order: OrderView) -> OrderView:
        """RESERVING → RESERVED with order.created. While RESERVING nothing else changes the row, so
        `order` still is what it holds; it is read again only when it has left RESERVING meanwhile."""
        if await repository.move_stock_state(db, order.id, StockState.RESERVING, StockState.RESERVED):
            order = replace(order, stock_state=StockState.RESERVED)
            await self._publish(db, order, "order.created", events_pb2.OrderCreated(order=order_message(order)))
            return order
        # Expired or cancelled while the reservation was on its way: release it again, in case this
        # reservation landed after the release did.
        await repository.move_stock_state(db, order.id, StockState.RELEASED, StockState.RELEASING)
        return await repository.get(db, order.id)

    # -- reading ---------------------------------------------------------------------------------

    async def get_order(self, principal: Principal, order_id: str) -> OrderView:
        oid = parse_id(order_id, "id")
        order = await self._statement(lambda db: repository.get(db, oid))
        if order is None or not _may_read(principal, order):
            raise NotFound(f"Order {order_id} not found")
        return order

    async def list_orders(self, principal: Principal, where: OrderFilter, *, page: int,
                          page_size: int) -> Page[OrderView]:
        if not principal.has("order:read:all"):
            where = OrderFilter(**{**asdict(where), "customer_id": principal.user_id})
        # Out-of-range paging is brought into range here rather than refused.
        window = Window(max(page, 1), min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))
        # Statements outside a transaction see what READ COMMITTED would show them inside one.
        orders, total = await self._statement(
            lambda db: repository.list_orders(db, where, offset=window.offset, limit=window.size))
        return Page.of(orders, window, total)

    # -- paying and cancelling -------------------------------------------------------------------

    async def pay_order(self, principal: Principal, order_id: str, payment: PaymentRequest,
                        idempotency_key: str = "") -> OrderView:
        """Charge the grand total, mark the order PAID with order.paid, then commit its stock."""
        oid = parse_id(order_id, "order_id")
        require(check_key(idempotency_key), *check_payment(payment))
        request_hash = fingerprint(payment.fingerprint())
        # Fixed before the transaction: a retry of it (serialization failure) must not charge again.
        charge_key = f"{oid}:{idempotency_key or uuid.uuid4().hex}"

        async def work(db: Executor) -> OrderView:
            order = await self._locked_for_change(db, oid, principal)
            earlier = order.payment
            if idempotency_key and earlier is not None and earlier.idempotency_key == idempotency_key:
                if earlier.request_hash != request_hash:
                    raise InvalidArgument.field(IDEMPOTENCY_FIELD, IDEMPOTENCY_MISMATCH)
                return order
            _check_transition(order, OrderStatus.PAID)
            now = self._now()
            if order.expires_at <= now:
                raise FailedPrecondition("Order has expired")
            if order.stock_state != StockState.RESERVED:
                raise FailedPrecondition("The order's stock is not reserved yet: repeat the order request")
            charge = await self._payments.charge(idempotency_key=charge_key, amount=order.grand_total,
                                                 currency=order.currency, card=payment.card)
            paid = PaymentView(
                id=uuid.uuid4(), status=PaymentStatus.SUCCEEDED, method=payment.method, brand=charge.brand,
                last4=charge.last4, amount=charge.amount, currency=charge.currency,
                provider_reference=charge.reference, idempotency_key=idempotency_key or None,
                request_hash=request_hash, created_at=now, refunded_at=None,
            )
            await repository.add_payment(db, order.id, paid)
            order = await self._changed(db, replace(order, payment=paid), status=OrderStatus.PAID, paid_at=now,
                                        updated_at=now, stock_state=StockState.COMMITTING)
            await self._publish(db, order, "order.paid", events_pb2.OrderPaid(order=order_message(order)))
            return order

        order = await self._transaction(work)
        await self._settle(order.id, order.stock_state)
        return order

    async def cancel_order(self, principal: Principal, order_id: str, reason: str = "") -> OrderView:
        """PENDING: release the reservation. PAID: refund, and the inventory takes the stock back."""
        oid = parse_id(order_id, "order_id")
        require(check_reason(reason))

        async def work(db: Executor) -> OrderView:
            order = await self._locked_for_change(db, oid, principal)
            previous = order.status
            _check_transition(order, OrderStatus.CANCELLED)
            now = self._now()
            if previous == OrderStatus.PAID:
                payment = order.payment
                await self._payments.refund(idempotency_key=f"refund:{order.id}",
                                            charge_reference=payment.provider_reference, amount=payment.amount)
                await repository.update_payment(db, payment.id, status=PaymentStatus.REFUNDED, refunded_at=now)
                order = replace(order, payment=replace(payment, status=PaymentStatus.REFUNDED, refunded_at=now))
                stock_state = StockState.RETURN_REQUESTED
            else:
                stock_state = StockState.RELEASING
            order = await self._changed(db, order, status=OrderStatus.CANCELLED, cancelled_at=now, updated_at=now,
                                        cancel_reason=reason.strip(), stock_state=stock_state)
            await self._publish(db, order, "order.cancelled", events_pb2.OrderCancelled(
                order=order_message(order), previous_status=order_pb2.OrderStatus.Value(f"ORDER_STATUS_{previous}")))
            return order

        order = await self._transaction(work)
        await self._settle(order.id, order.stock_state)
        return order

    async def _locked_for_change(self, db: Executor, oid: uuid.UUID, principal: Principal) -> OrderView:
        order = await repository.get(db, oid, for_update=True)
        if order is None or not (_may_read(principal, order) or principal.has("order:update")):
            raise NotFound(f"Order {oid} not found")
        if order.customer_id != principal.user_id and not principal.has("order:update"):
            raise PermissionDenied("Only the customer or staff with order:update may change this order")
        return order

    @staticmethod
    async def _changed(db: Executor, order: OrderView, **values) -> OrderView:
        """The order row updated with `values`, and the record that says the same."""
        await repository.update_order(db, order.id, **values)
        return replace(order, **values)

    # -- shipping (driven by shipment events) ----------------------------------------------------

    async def record_shipment(self, db: Executor, order_id: str, target: OrderStatus, *,
                              shipment_id: str, tracking_number: str = "") -> None:
        """Move the order along PAID → SHIPPED → DELIVERED in the caller's transaction. A step already
        taken is skipped (a redelivered event); DELIVERED for a PAID order passes through SHIPPED."""
        order = await repository.get(db, parse_id(order_id, "order_id"), for_update=True)
        if order is None:
            raise NotFound(f"Order {order_id} not found")
        for step in FULFILMENT[FULFILMENT.index(OrderStatus.SHIPPED):FULFILMENT.index(target) + 1]:
            if order.status in FULFILMENT and FULFILMENT.index(order.status) >= FULFILMENT.index(step):
                continue
            _check_transition(order, step)
            now = self._now()
            if step == OrderStatus.SHIPPED:
                order = await self._changed(db, order, status=step, updated_at=now, shipped_at=now)
                payload = events_pb2.OrderShipped(shipment_id=shipment_id, tracking_number=tracking_number)
            else:
                order = await self._changed(db, order, status=step, updated_at=now, delivered_at=now)
                payload = events_pb2.OrderDelivered(shipment_id=shipment_id)
            payload.order.CopyFrom(order_message(order))
            await self._publish(db, order, f"order.{step.lower()}", payload)
            log.info("order.fulfilment", order_id=str(order.id), status=step, shipment_id=shipment_id)

    # -- housekeeping (the background sweeper) ---------------------------------------------------

    async def expire_due(self, batch_size: int) -> int:
        """Expire one batch of unpaid orders past their time; their reservations are released."""

        async def work(db: Executor) -> list[uuid.UUID]:
            now = self._now()
            expired = []
            for order in await repository.lock_due_for_expiry(db, now, batch_size):
                order = await self._changed(db, order, status=OrderStatus.EXPIRED, updated_at=now,
                                            stock_state=StockState.RELEASING)
                await self._publish(db, order, "order.expired", events_pb2.OrderExpired(order=order_message(order)))
                expired.append(order.id)
            return expired

        expired = await self._transaction(work)
        for order_id in expired:
            await self._settle(order_id, StockState.RELEASING)
        return len(expired)

    async def settle_pending(self, batch_size: int) -> int:
        """Retry the inventory calls that a crash or an outage left unconfirmed."""
        pending = await self._statement(lambda db: repository.unsettled(db, batch_size))
        for order_id, state in pending:
            await self._settle(order_id, state)
        return len(pending)

    async def _settle(self, order_id: uuid.UUID, state: str) -> None:
        """Make the inventory call the order's stock state asks for, then record that it was made (only if
        the state is still `state`). On failure the intent stays and the sweeper tries again (a return is
        asked for again by the order.cancelled event)."""
        try:
            if state == StockState.COMMITTING:
                await self._inventory.commit(order_id)
                done = StockState.COMMITTED
            elif state == StockState.RELEASING:
                done = await self._release(order_id)
            elif state == StockState.RETURN_REQUESTED:
                await self._inventory.settle_cancelled(order_id)
                return  # the state stays: the order.cancelled event asks for the same, and finds it done
            else:
                return
        except (Unavailable, FailedPrecondition, NotFound) as error:
            log.warning("order.stock_unsettled", order_id=str(order_id), stock_state=state, error=error.message)
            return
        await self._statement(lambda db: repository.move_stock_state(db, order_id, state, done))

    async def _release(self, order_id: uuid.UUID) -> StockState:
        try:
            await self._inventory.release(order_id)
        except NotFound:
            pass  # nothing was ever reserved (the reservation was refused or never arrived)
        except FailedPrecondition as error:
            # Not held any more: committed stock is the inventory's to return (order.cancelled/expired).
            log.warning("order.release_refused", order_id=str(order_id), error=error.message)
        return StockState.RELEASED

    async def _publish(self, db: Executor, order: OrderView, event_type: str, payload: Message) -> None:
        await add_event(db, topic=topics.ORDER, key=str(order.id), event_type=event_type, payload=payload,
                        source=SOURCE)
