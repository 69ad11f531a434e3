"""Orders with their lines (a price snapshot) and payments (DESIGN.md §5: money NUMERIC(12,2)). The tables
are read and written with Core statements (repository.py) into the records of views.py."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.db import metadata, one_of
from libs.events.outbox import add_event_tables

Money = Numeric(12, 2)
EXTERNAL_ID_MAX = 64  # ids owned by other services (users, products, variants), kept as given
KEY_MAX = 200


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class StockState(StrEnum):
    """Where the order's reservation stands in the inventory service.

    The order row records an intent in the transaction that decides it and the inventory call follows.
    COMMITTING and RELEASING outliving a crash or an outage are retried by the sweeper; RESERVING is
    confirmed by the create call or its replay, or else the order expires and moves to RELEASING.
    Every inventory call used here is idempotent by order id, so a retry never counts twice.
    """

    RESERVING = "RESERVING"  # order written, reservation not confirmed yet
    RESERVED = "RESERVED"
    COMMITTING = "COMMITTING"  # paid: on-hand quantity must go down
    COMMITTED = "COMMITTED"
    RELEASING = "RELEASING"  # cancelled or expired before payment
    RELEASED = "RELEASED"
    # Cancelled after payment: the cancel call asks the inventory to take the stock back before it
    # answers, and the order.cancelled event (written with the cancellation) asks again, so a failed
    # call costs a moment, not the stock; nothing is left for the sweeper.
    RETURN_REQUESTED = "RETURN_REQUESTED"


UNSETTLED = (StockState.COMMITTING, StockState.RELEASING)


class PaymentStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    REFUNDED = "REFUNDED"



class Base(DeclarativeBase):
    metadata = metadata()


add_event_tables(Base.metadata)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("status", OrderStatus), name="status_known"),
        CheckConstraint(one_of("stock_state", StockState), name="stock_state_known"),
        # The order row is the record of its Idempotency-Key: a second insert with the same key waits
        # for the first transaction and then fails, so two concurrent replays make one order.
        Index("uq_orders_customer_id_idempotency_key", "customer_id", "idempotency_key", unique=True),
        Index("ix_orders_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_orders_created_at", "created_at"),
        Index("ix_orders_pending_expires_at", "expires_at", postgresql_where=text("status = 'PENDING'")),
        Index("ix_orders_unsettled", "updated_at",
              postgresql_where=text(one_of("stock_state", UNSETTLED))),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    status: Mapped[str] = mapped_column(String(16))
    stock_state: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping_cost: Mapped[Decimal] = mapped_column(Money)
    tax_amount: Mapped[Decimal] = mapped_column(Money)
    grand_total: Mapped[Decimal] = mapped_column(Money)
    shipping_address: Mapped[dict] = mapped_column(JSONB)
    billing_address: Mapped[dict | None] = mapped_column(JSONB)
    notes: Mapped[str] = mapped_column(Text, server_default="")
    cancel_reason: Mapped[str] = mapped_column(Text, server_default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    variant_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX), server_default="")
    # Snapshot of the catalog when the order was placed: later price changes do not touch it.
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[Decimal] = mapped_column(Money)
    weight_grams: Mapped[int] = mapped_column(Integer, server_default="0")


class Payment(Base):
    """A successful charge. Never the card number or CVC: brand and last 4 digits only."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(one_of("status", PaymentStatus), name="status_known"),
        # One charge per order, whatever happens upstream: the last guard against charging twice.
        Index("uq_payments_order_id", "order_id", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    provider_reference: Mapped[str] = mapped_column(String(100))
    # The Idempotency-Key of the PayOrder call that made it, and a hash of that request (no card data).
    idempotency_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
