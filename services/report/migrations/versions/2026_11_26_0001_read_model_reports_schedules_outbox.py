"""read model of orders, stock, shipments and requests; reports and schedules; outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-26 14:15:47
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from libs.events.outbox import PROCESSED_AGE_INDEX, create_event_tables, drop_event_tables, index_processed_events

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_event_tables()
    index_processed_events()
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("format IN ('JSON', 'CSV', 'XLSX', 'PDF')", name=op.f("ck_report_schedules_format_known")),
        sa.CheckConstraint(
            "frequency IN ('DAILY', 'WEEKLY', 'MONTHLY')", name=op.f("ck_report_schedules_frequency_known")
        ),
        sa.CheckConstraint(
            "type IN ('SALES', 'STOCK', 'SHIPPING', 'ACTIVITY')", name=op.f("ck_report_schedules_type_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedules")),
    )
    op.create_index("ix_report_schedules_created_at", "report_schedules", ["created_at"], unique=False)
    op.create_index(
        "ix_report_schedules_due", "report_schedules", ["next_run_at"], unique=False, postgresql_where=sa.text("active")
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("schedule_id", sa.UUID(), nullable=True),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("filename", sa.String(length=200), server_default="", nullable=False),
        sa.Column("content_type", sa.String(length=100), server_default="", nullable=False),
        sa.Column("size_bytes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("format IN ('JSON', 'CSV', 'XLSX', 'PDF')", name=op.f("ck_reports_format_known")),
        sa.CheckConstraint("status IN ('PENDING', 'READY', 'FAILED')", name=op.f("ck_reports_status_known")),
        sa.CheckConstraint("type IN ('SALES', 'STOCK', 'SHIPPING', 'ACTIVITY')", name=op.f("ck_reports_type_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index("ix_reports_created_at", "reports", ["created_at"], unique=False)
    op.create_index(
        "ix_reports_pending", "reports", ["created_at"], unique=False, postgresql_where=sa.text("status = 'PENDING'")
    )
    op.create_index("ix_reports_schedule_id", "reports", ["schedule_id"], unique=False)
    op.create_table(
        "request_records",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.Column("resource_type", sa.String(length=100), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_records")),
    )
    op.create_index("ix_request_records_occurred_at", "request_records", ["occurred_at"], unique=False)
    op.create_table(
        "sales_orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("grand_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_orders")),
    )
    op.create_index("ix_sales_orders_created_at", "sales_orders", ["created_at"], unique=False)
    op.create_index("ix_sales_orders_paid_at", "sales_orders", ["paid_at"], unique=False)
    op.create_table(
        "shipment_records",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("service_level", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("estimated_delivery", sa.Date(), nullable=True),
        sa.Column("actual_delivery", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_records")),
    )
    op.create_index("ix_shipment_records_created_at", "shipment_records", ["created_at"], unique=False)
    op.create_table(
        "stock_levels",
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_stock_levels")),
    )
    op.create_table(
        "sales_order_items",
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_orders.id"],
            name=op.f("fk_sales_order_items_order_id_sales_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "line", name=op.f("pk_sales_order_items")),
    )


def downgrade() -> None:
    op.drop_table("sales_order_items")
    op.drop_table("stock_levels")
    op.drop_index("ix_shipment_records_created_at", table_name="shipment_records")
    op.drop_table("shipment_records")
    op.drop_index("ix_sales_orders_paid_at", table_name="sales_orders")
    op.drop_index("ix_sales_orders_created_at", table_name="sales_orders")
    op.drop_table("sales_orders")
    op.drop_index("ix_request_records_occurred_at", table_name="request_records")
    op.drop_table("request_records")
    op.drop_index("ix_reports_schedule_id", table_name="reports")
    op.drop_index("ix_reports_pending", table_name="reports", postgresql_where=sa.text("status = 'PENDING'"))
    op.drop_index("ix_reports_created_at", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_report_schedules_due", table_name="report_schedules", postgresql_where=sa.text("active"))
    op.drop_index("ix_report_schedules_created_at", table_name="report_schedules")
    op.drop_table("report_schedules")
    op.drop_index(PROCESSED_AGE_INDEX, "processed_events")
    drop_event_tables()
