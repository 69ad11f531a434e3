"""Shipments, their tracking history and the carrier webhooks already received (DESIGN.md §5)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from libs.db import metadata, one_of
from libs.events.outbox import add_event_tables
from services.shipping.carriers import ServiceLevel

EXTERNAL_ID_MAX = 64  # ids owned by other services (users), kept as given
LOCATION_MAX = 200
NOTE_MAX = 1000


class ShipmentStatus(StrEnum):
    LABEL_CREATED = "LABEL_CREATED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"



class Base(DeclarativeBase):
    metadata = metadata()


add_event_tables(Base.metadata)


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(one_of("status", ShipmentStatus), name="status_known"),
        CheckConstraint(one_of("service_level", ServiceLevel), name="service_level_known"),
        # One shipment per order, whatever the broker redelivers or a replay publishes again.
        Index("uq_shipments_order_id", "order_id", unique=True),
        Index("uq_shipments_tracking_number", "tracking_number", unique=True),
        Index("ix_shipments_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_shipments_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    customer_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    carrier: Mapped[str] = mapped_column(String(16))
    service_level: Mapped[str] = mapped_column(String(16))
    tracking_number: Mapped[str] = mapped_column(String(40))
    label_reference: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    weight_grams: Mapped[int] = mapped_column(Integer)
    shipping_address: Mapped[dict] = mapped_column(JSONB)
    estimated_delivery: Mapped[date] = mapped_column(Date)
    actual_delivery: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    history: Mapped[list["TrackingEvent"]] = relationship(
        lazy="selectin", order_by=lambda: [TrackingEvent.recorded_at, TrackingEvent.id],
        cascade="all, delete-orphan",
    )


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (
        CheckConstraint(one_of("status", ShipmentStatus), name="status_known"),
        Index("ix_tracking_events_shipment_id_recorded_at", "shipment_id", "recorded_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    shipment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("shipments.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(LOCATION_MAX), server_default="")
    note: Mapped[str] = mapped_column(Text, server_default="")
    # When it happened (the carrier's scan time, which may be earlier than the step before it), and
    # when it was recorded here: the history is in recorded order, the order the steps were taken.
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Who said so: "system", "user:<id>" or "webhook:<carrier>".
    source: Mapped[str] = mapped_column(String(100))


class WebhookDelivery(Base):
    """Each carrier webhook id once: a replayed request is refused. Rows outlive the timestamp tolerance
    twice over and are then forgotten: by then the timestamp alone refuses a replay."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_received_at", "received_at"),)

    carrier: Mapped[str] = mapped_column(String(16), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
