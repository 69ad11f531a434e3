"""Use cases of the shipping service. Each owns its transaction (or, for consumed events, runs in the
consumer's) and writes its events to the outbox in the transaction that changes the shipment."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import structlog
from depot.shipping.v1 import events_pb2
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.auth import Principal
from libs.db import in_transaction
from libs.errors import AlreadyExists, FailedPrecondition, NotFound
from libs.events import topics
from libs.events.outbox import add_event
from libs.ids import parse_id
from libs.paging import Page, page_window
from libs.validation import require
from services.shipping import repository
from services.shipping.carriers import Carrier, Parcel
from services.shipping.messages import shipment_message
from services.shipping.models import Shipment, ShipmentStatus, TrackingEvent
from services.shipping.rates import RatedQuote, rate
from services.shipping.repository import ShipmentFilter
from services.shipping.validation import (
    Address,
    Item,
    RateRequest,
    StatusChange,
    address_violations,
    check_rate_request,
    check_status_change,
    parcel_weight,
)
from services.shipping.webhooks import SignedRequest, parse_update, verify

T = TypeVar("T")
log = structlog.get_logger("shipping")

SOURCE = "shipping"
DEFAULT_PAGE_SIZE = 20
STAFF = "shipping:manage"  # may see every shipment and move it along
# The status machine; anything else is FAILED_PRECONDITION. IN_TRANSIT may repeat: each hub scans it.
# CANCELLED comes only from the order's cancellation (no status change may name it, see validation).
TRANSITIONS: dict[str, set[str]] = {
    ShipmentStatus.LABEL_CREATED: {ShipmentStatus.PICKED_UP, ShipmentStatus.IN_TRANSIT, ShipmentStatus.EXCEPTION,
                                   ShipmentStatus.CANCELLED},
    ShipmentStatus.PICKED_UP: {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.EXCEPTION},
    ShipmentStatus.IN_TRANSIT: {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED,
                                ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNED},
    ShipmentStatus.OUT_FOR_DELIVERY: {ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.EXCEPTION},
    ShipmentStatus.EXCEPTION: {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED,
                               ShipmentStatus.RETURNED, ShipmentStatus.CANCELLED},
}
# The carrier has the parcel: the first of these makes the shipment (and its order) shipped.
CARRIED = {ShipmentStatus.PICKED_UP, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY,
           ShipmentStatus.DELIVERED}


@dataclass(frozen=True)
class RateSheet:
    quotes: list[RatedQuote]
    weight_grams: int


@dataclass(frozen=True)
class OrderToShip:
    """What a paid order tells the shipping service."""

    order_id: str
    customer_id: str
    address: Address
    items: tuple[Item, ...]


@dataclass(frozen=True)
class WebhookPolicy:
    secrets: dict[str, bytes]  # carrier code → shared secret
    tolerance: timedelta


class ShippingService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, carriers: Sequence[Carrier],
                 default_item_grams: int, webhooks: WebhookPolicy,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._sessions = sessions
        self._carriers = {carrier.code: carrier for carrier in carriers}
        self._default_item_grams = default_item_grams
        self._webhooks = webhooks
        self._now = clock

    async def _transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await in_transaction(self._sessions, work)

    # -- rates -----------------------------------------------------------------------------------

    async def get_rates(self, request: RateRequest) -> RateSheet:
        request = RateRequest(address=request.address.normalized() if request.address else None,
                              items=request.items, weight_grams=request.weight_grams)
        check_rate_request(request)
        weight = request.weight_grams or parcel_weight(request.items, self._default_item_grams)
        quotes = await self._rate(request.address, weight)
        if not quotes:
            raise FailedPrecondition(f"No carrier ships {weight} g to {request.address.country}")
        return RateSheet(quotes, weight)

    async def _rate(self, address: Address, weight_grams: int) -> list[RatedQuote]:
        parcel = Parcel(country=address.country, postal_code=address.postal_code, weight_grams=weight_grams)
        return await rate(list(self._carriers.values()), parcel, self._now().date())

    # -- shipments from paid orders (order.paid, in the consumer's transaction) ------------------

    async def create_shipment(self, order: OrderToShip, *, session: AsyncSession) -> Shipment:
        """The order's one shipment with the cheapest rate, its tracking number and label. An order that
        already has one gets it back unchanged (the unique order_id stops a concurrent second one)."""
        order_id = parse_id(order.order_id, "order.id")
        existing = await repository.get_by_order(session, order_id)
        if existing is not None:
            return existing
        address = order.address.normalized()
        require(*address_violations(address, "order.shipping_address"))
        weight = parcel_weight(order.items, self._default_item_grams)
        quotes = await self._rate(address, weight)
        if not quotes:
            raise FailedPrecondition(f"No carrier ships order {order_id} ({weight} g to {address.country})")
        quote = next(rated.quote for rated in quotes if rated.cheapest)
        carrier = self._carriers[quote.carrier]
        # A tracking number that collides with an earlier one fails the unique index: the consumer then
        # retries the event, with a new number.
        tracking_number = await carrier.tracking_number()
        now = self._now()
        shipment = Shipment(
            id=uuid.uuid4(), order_id=order_id, customer_id=order.customer_id, carrier=quote.carrier,
            service_level=quote.service_level, tracking_number=tracking_number,
            label_reference=await carrier.label_reference(tracking_number), status=ShipmentStatus.LABEL_CREATED,
            cost=quote.amount, currency=quote.currency, weight_grams=weight, shipping_address=asdict(address),
            estimated_delivery=quote.estimated_delivery, created_at=now, updated_at=now,
            history=[TrackingEvent(id=uuid.uuid4(), status=ShipmentStatus.LABEL_CREATED, location="",
                                   note="Label created", occurred_at=now, recorded_at=now, source="system")],
        )
        await repository.add(session, shipment)
        await self._publish(session, shipment, "shipment.created",
                            events_pb2.ShipmentCreated(shipment=shipment_message(shipment)))
        log.info("shipment.created", shipment_id=str(shipment.id), order_id=str(order_id), carrier=quote.carrier,
                 service_level=quote.service_level)
        return shipment

    async def cancel_for_order(self, order_id: str, reason: str, *, session: AsyncSession) -> Shipment | None:
        """order.cancelled: the order's shipment is CANCELLED while no carrier has the parcel, so that a
        refunded order does not ship. Once a carrier has it, it stays as it is (the order service refuses
        to cancel a SHIPPED order; this is the race of a pickup and a cancel in flight): logged for staff.
        None when the order has no shipment (cancelled before it was paid)."""
        shipment = await repository.get_by_order(session, parse_id(order_id, "order.id"), for_update=True)
        if shipment is None or shipment.status == ShipmentStatus.CANCELLED:
            return shipment  # a replayed order.cancelled finds it done
        # An EXCEPTION after a pickup (shipped_at set) is a carrier's: too late, like any carried status.
        if shipment.shipped_at is not None or ShipmentStatus.CANCELLED not in TRANSITIONS.get(shipment.status, ()):
            log.warning("shipment.cancel_too_late", shipment_id=str(shipment.id), order_id=order_id,
                        status=shipment.status)
            return shipment
        note = f"Order cancelled: {reason}" if reason else "Order cancelled"
        await self._move(session, shipment, StatusChange(status=ShipmentStatus.CANCELLED, note=note), source="system")
        return shipment

    # -- reading ---------------------------------------------------------------------------------

    async def get_shipment(self, principal: Principal, shipment_id: str) -> Shipment:
        sid = parse_id(shipment_id, "id")
        shipment = await self._transaction(lambda s: repository.get(s, sid))
        if shipment is None or not _may_read(principal, shipment):
            raise NotFound(f"Shipment {shipment_id} not found")
        return shipment

    async def list_shipments(self, principal: Principal, where: ShipmentFilter, *, page: int,
                             page_size: int) -> Page[Shipment]:
        window = page_window(page, page_size, DEFAULT_PAGE_SIZE)
        if not principal.has(STAFF):
            where = ShipmentFilter(customer_id=principal.user_id, status=where.status, carrier=where.carrier,
                                   order_id=where.order_id)
        shipments, total = await self._transaction(
            lambda s: repository.list_shipments(s, where, offset=window.offset, limit=window.size))
        return Page.of(shipments, window, total)

    async def track(self, tracking_number: str) -> Shipment:
        number = tracking_number.strip().upper()
        shipment = await self._transaction(lambda s: repository.get_by_tracking_number(s, number)) \
            if number else None
        if shipment is None:
            raise NotFound(f"No shipment with tracking number {tracking_number}")
        return shipment

    # -- moving a shipment along -----------------------------------------------------------------

    async def update_status(self, principal: Principal, shipment_id: str, change: StatusChange) -> Shipment:
        sid = parse_id(shipment_id, "id")
        check_status_change(change, self._now())

        async def work(session: AsyncSession) -> Shipment:
            shipment = await repository.get(session, sid, for_update=True)
            if shipment is None:
                raise NotFound(f"Shipment {shipment_id} not found")
            await self._move(session, shipment, change, source=f"user:{principal.user_id}")
            return shipment

        return await self._transaction(work)

    async def handle_webhook(self, carrier_code: str, request: SignedRequest) -> Shipment:
        """A carrier's signed status push (see services.shipping.webhooks), applied once per webhook id."""
        code = carrier_code.strip().upper()
        secret = self._webhooks.secrets.get(code)
        if code not in self._carriers or secret is None:
            raise NotFound(f"Unknown carrier {carrier_code}")
        now = self._now()
        verify(request, secret, now=now, tolerance=self._webhooks.tolerance)
        update = parse_update(request.body)
        check_status_change(update.change, now)

        async def work(session: AsyncSession) -> Shipment:
            await repository.forget_webhooks(session, now - 2 * self._webhooks.tolerance)
            if not await repository.record_webhook(session, code, request.webhook_id):
                raise AlreadyExists(f"Webhook {request.webhook_id} was already received")
            shipment = await repository.get_by_tracking_number(session, update.tracking_number.upper(),
                                                               for_update=True)
            if shipment is None or shipment.carrier != code:
                raise NotFound(f"No {code} shipment with tracking number {update.tracking_number}")
            await self._move(session, shipment, update.change, source=f"webhook:{code.lower()}")
            return shipment

        return await self._transaction(work)

    async def _move(self, session: AsyncSession, shipment: Shipment, change: StatusChange, *, source: str) -> None:
        """One step of the status machine with its history row, shipped/delivered/cancelled events included."""
        target = change.status
        if target not in TRANSITIONS.get(shipment.status, ()):
            if shipment.status == target:
                raise FailedPrecondition(f"Shipment is already {target}")
            raise FailedPrecondition(f"Shipment is {shipment.status} and cannot become {target}")
        now = self._now()
        occurred_at = change.occurred_at or now
        first_carried = shipment.shipped_at is None and target in CARRIED
        shipment.status, shipment.updated_at = target, now
        shipment.history.append(TrackingEvent(status=target, location=change.location, note=change.note,
                                              occurred_at=occurred_at, recorded_at=now, source=source))
        if first_carried:
            shipment.shipped_at = occurred_at
        if target == ShipmentStatus.DELIVERED:
            shipment.actual_delivery = occurred_at
        await session.flush()
        if first_carried:
            await self._publish(session, shipment, "shipment.shipped", events_pb2.ShipmentShipped(
                **_references(shipment), shipment=shipment_message(shipment)))
        if target == ShipmentStatus.DELIVERED:
            await self._publish(session, shipment, "shipment.delivered", events_pb2.ShipmentDelivered(
                **_references(shipment), shipment=shipment_message(shipment)))
        if target == ShipmentStatus.CANCELLED:
            await self._publish(session, shipment, "shipment.cancelled", events_pb2.ShipmentCancelled(
                **_references(shipment), shipment=shipment_message(shipment)))
        log.info("shipment.status", shipment_id=str(shipment.id), status=target, source=source)

    async def _publish(self, session: AsyncSession, shipment: Shipment, event_type: str, payload: Message) -> None:
        await add_event(session, topic=topics.SHIPPING, key=str(shipment.id), event_type=event_type,
                        payload=payload, source=SOURCE)


def _may_read(principal: Principal, shipment: Shipment) -> bool:
    return shipment.customer_id == principal.user_id or principal.has(STAFF)


def _references(shipment: Shipment) -> dict[str, str]:
    """The top-level fields the order service reads (services/order/events.py)."""
    return {"shipment_id": str(shipment.id), "order_id": str(shipment.order_id),
            "tracking_number": shipment.tracking_number, "carrier": shipment.carrier}
