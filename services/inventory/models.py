"""Stock (id = product id), the movements ledger and per-order reservations (DESIGN.md §5, §7). The tables
are read and written with Core statements (repository.py) into the records of views.py."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.db import metadata
from libs.events.outbox import add_event_tables
from libs.idempotency import add_idempotency_table

SKU_MAX = 64  # as the product service stores it
LOCATION_MAX = 100
NOTES_MAX = 500
REFERENCE_MAX = 100
MOVEMENT_TYPES = ("RECEIVED", "SOLD", "ADJUSTED", "RETURNED", "DAMAGED", "RESERVED", "RELEASED")
RESERVATION_STATUSES = ("RESERVED", "COMMITTED", "RELEASED", "RETURNED")


class Base(DeclarativeBase):
    metadata = metadata()


add_event_tables(Base.metadata)
add_idempotency_table(Base.metadata)


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (
        # The last line of defence against overselling: the service checks first, these never fire.
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("quantity >= reserved", name="reserved_within_quantity"),
        CheckConstraint("reorder_level >= 0", name="reorder_level_not_negative"),
        Index("ix_stock_location", "location"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    sku: Mapped[str] = mapped_column(String(SKU_MAX))
    quantity: Mapped[int] = mapped_column(Integer)  # on hand
    reserved: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reorder_level: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(LOCATION_MAX))
    # Set when available stock fell to the reorder level and inventory.low_stock went out; cleared
    # when it rises above again, so the alert fires once per crossing, not on every sale.
    low_stock_alerted: Mapped[bool] = mapped_column(server_default=text("false"))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    last_restocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class Movement(Base):
    """One ledger row per stock change, written in the transaction that makes the change."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(f"type IN {MOVEMENT_TYPES}", name="type_known"),
        Index("ix_stock_movements_product_id_created_at", "product_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("stock.product_id"))
    type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)  # positive; the signed delta for ADJUSTED
    previous_quantity: Mapped[int] = mapped_column(Integer)  # on hand before
    new_quantity: Mapped[int] = mapped_column(Integer)  # on hand after
    reference_id: Mapped[str] = mapped_column(String(REFERENCE_MAX), server_default="")
    notes: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[str] = mapped_column(String(100))
    # Set by the service (not now()), so rows of one transaction keep their order in the history.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Reservation(Base):
    """What an order holds of one product; makes Reserve/Commit/Release idempotent by order id."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(f"status IN {RESERVATION_STATUSES}", name="status_known"),
        Index("ix_reservations_product_id", "product_id"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("stock.product_id"), primary_key=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
