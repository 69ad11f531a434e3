"""Queries on a passed-in session; nothing here commits."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from libs.paging import select_page
from services.shipping.models import Shipment, ShipmentStatus, TrackingEvent, WebhookDelivery


@dataclass(frozen=True)
class ShipmentFilter:
    customer_id: str | None = None
    status: ShipmentStatus | None = None
    carrier: str | None = None
    order_id: uuid.UUID | None = None


async def get(session: AsyncSession, shipment_id: uuid.UUID, *, for_update: bool = False) -> Shipment | None:
    statement = select(Shipment).where(Shipment.id == shipment_id).execution_options(populate_existing=True)
    if for_update:
        statement = statement.with_for_update(of=Shipment)
    return await session.scalar(statement)


_ID_OF_ORDER = select(Shipment.__table__.c.id).where(Shipment.__table__.c.order_id == bindparam("order_id"))
_INSERT_SHIPMENT = insert(Shipment.__table__)
_INSERT_HISTORY = insert(TrackingEvent.__table__)


async def get_by_order(session: AsyncSession, order_id: uuid.UUID, *, for_update: bool = False) -> Shipment | None:
    """The order's shipment, if it has one (most have not yet: that answer costs one Core statement)."""
    shipment_id = await session.scalar(_ID_OF_ORDER, {"order_id": order_id})
    return None if shipment_id is None else await get(session, shipment_id, for_update=for_update)


async def get_by_tracking_number(session: AsyncSession, tracking_number: str, *,
                                 for_update: bool = False) -> Shipment | None:
    statement = select(Shipment).where(Shipment.tracking_number == tracking_number)
    if for_update:
        statement = statement.with_for_update(of=Shipment)
    return await session.scalar(statement.execution_options(populate_existing=True))


async def add(session: AsyncSession, shipment: Shipment) -> None:
    """A new shipment (built with its ids) and its history, as two Core INSERTs: the rows are new and
    nothing else in the transaction holds them, so the ORM's unit of work has nothing to add."""
    await session.execute(_INSERT_SHIPMENT, {column.key: getattr(shipment, column.key)
                                             for column in Shipment.__table__.c})
    await session.execute(_INSERT_HISTORY, [
        {column.key: getattr(event, column.key) for column in TrackingEvent.__table__.c} | {"shipment_id": shipment.id}
        for event in shipment.history])


async def list_shipments(session: AsyncSession, where: ShipmentFilter, *, offset: int,
                         limit: int) -> tuple[list[Shipment], int]:
    statement = select(Shipment)
    if where.customer_id:
        statement = statement.where(Shipment.customer_id == where.customer_id)
    if where.status:
        statement = statement.where(Shipment.status == where.status)
    if where.carrier:
        statement = statement.where(Shipment.carrier == where.carrier)
    if where.order_id:
        statement = statement.where(Shipment.order_id == where.order_id)
    # Lists carry no history: skip the relationship's second query (and refuse to load it by accident).
    statement = statement.order_by(Shipment.created_at.desc(), Shipment.id.desc()).options(raiseload(Shipment.history))
    return await select_page(session, statement, offset, limit)


async def record_webhook(session: AsyncSession, carrier: str, webhook_id: str) -> bool:
    """False when this carrier's webhook id was recorded before (a replay). A concurrent request with
    the same id waits for the first transaction and then sees it."""
    statement = upsert(WebhookDelivery).values(carrier=carrier, webhook_id=webhook_id).on_conflict_do_nothing()
    return (await session.execute(statement.returning(WebhookDelivery.webhook_id))).first() is not None


async def forget_webhooks(session: AsyncSession, received_before: datetime) -> None:
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < received_before))
