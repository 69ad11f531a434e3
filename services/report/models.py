"""The report service's tables: its read model (what the other contexts' events said, one row per
aggregate, upserted), and its own reports and schedules (DESIGN.md §5)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from libs.db import metadata, one_of
from libs.events.outbox import add_event_tables

EXTERNAL_ID_MAX = 64  # ids owned by other services (users), kept as given
ERROR_MAX = 1000


class ReportType(StrEnum):
    SALES = "SALES"
    STOCK = "STOCK"
    SHIPPING = "SHIPPING"
    ACTIVITY = "ACTIVITY"


class ReportFormat(StrEnum):
    JSON = "JSON"
    CSV = "CSV"
    XLSX = "XLSX"
    PDF = "PDF"


class ReportStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class Frequency(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class Base(DeclarativeBase):
    metadata = metadata()


add_event_tables(Base.metadata)


# -- the read model ------------------------------------------------------------------------------


class SalesOrder(Base):
    """An order as its latest event described it (events may come twice or out of order: a row only
    moves to a newer `updated_at`)."""

    __tablename__ = "sales_orders"
    __table_args__ = (
        Index("ix_sales_orders_paid_at", "paid_at"),
        Index("ix_sales_orders_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    grand_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    item_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SalesOrderItem(Base):
    """An order's lines, as placed (they never change afterwards)."""

    __tablename__ = "sales_order_items"

    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("sales_orders.id", ondelete="CASCADE"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    line_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class StockLevel(Base):
    """A product's stock as the latest inventory.updated said."""

    __tablename__ = "stock_levels"

    product_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX), primary_key=True)
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    available: Mapped[int] = mapped_column(Integer)
    reorder_level: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProductName(Base):
    """A product's name as its latest product.created or product.updated said: stock events carry only
    the sku."""

    __tablename__ = "product_names"

    product_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ShipmentRecord(Base):
    """A shipment as its latest shipment.* event described it."""

    __tablename__ = "shipment_records"
    __table_args__ = (Index("ix_shipment_records_created_at", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    carrier: Mapped[str] = mapped_column(String(16))
    service_level: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    estimated_delivery: Mapped[date | None] = mapped_column(Date)
    actual_delivery: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RequestRecord(Base):
    """One audit.request: a request the gateway answered (the event id is the record's id)."""

    __tablename__ = "request_records"
    __table_args__ = (Index("ix_request_records_occurred_at", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    action: Mapped[str] = mapped_column(String(300))
    resource_type: Mapped[str] = mapped_column(String(100))
    status_code: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))


# -- reports and schedules -----------------------------------------------------------------------


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(one_of("type", ReportType), name="type_known"),
        CheckConstraint(one_of("format", ReportFormat), name="format_known"),
        CheckConstraint(one_of("status", ReportStatus), name="status_known"),
        Index("ix_reports_created_at", "created_at"),
        # What the worker claims: the oldest PENDING first.
        Index("ix_reports_pending", "created_at", postgresql_where=text("status = 'PENDING'")),
        Index("ix_reports_schedule_id", "schedule_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str] = mapped_column(String(100))
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    error: Mapped[str] = mapped_column(Text, server_default="")
    filename: Mapped[str] = mapped_column(String(200), server_default="")
    content_type: Mapped[str] = mapped_column(String(100), server_default="")
    size_bytes: Mapped[int] = mapped_column(Integer, server_default="0")
    # The file, loaded only for a download.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReportSchedule(Base):
    __tablename__ = "report_schedules"
    __table_args__ = (
        CheckConstraint(one_of("type", ReportType), name="type_known"),
        CheckConstraint(one_of("format", ReportFormat), name="format_known"),
        CheckConstraint(one_of("frequency", Frequency), name="frequency_known"),
        Index("ix_report_schedules_due", "next_run_at", postgresql_where=text("active")),
        Index("ix_report_schedules_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean)
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
