"""orders, their items and payments; outbox

Revision ID: 7c3e91a4d2b0
Revises:
Create Date: 2026-11-26 09:54:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.events.outbox import create_event_tables, drop_event_tables

revision: str = "7c3e91a4d2b0"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_STATUSES = "'PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'EXPIRED'"
STOCK_STATES = "'RESERVING', 'RESERVED', 'COMMITTING', 'COMMITTED', 'RELEASING', 'RELEASED', 'RETURN_REQUESTED'"


def money(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(precision=12, scale=2), nullable=False)


def moment(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_event_tables()
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stock_state", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        money("subtotal"), money("shipping_cost"), money("tax_amount"), money("grand_total"),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("billing_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        moment("created_at", False), moment("updated_at", False), moment("expires_at", False),
        moment("paid_at"), moment("shipped_at"), moment("delivered_at"), moment("cancelled_at"),
        sa.CheckConstraint(f"status IN ({ORDER_STATUSES})", name=op.f("ck_orders_status_known")),
        sa.CheckConstraint(f"stock_state IN ({STOCK_STATES})", name=op.f("ck_orders_stock_state_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index("ix_orders_created_at", "orders", ["created_at"])
    op.create_index("ix_orders_customer_id_created_at", "orders", ["customer_id", "created_at"])
    op.create_index("ix_orders_pending_expires_at", "orders", ["expires_at"],
                    postgresql_where=sa.text("status = 'PENDING'"))
    op.create_index("ix_orders_unsettled", "orders", ["updated_at"],
                    postgresql_where=sa.text("stock_state IN ('COMMITTING', 'RELEASING')"))
    op.create_index("uq_orders_customer_id_idempotency_key", "orders", ["customer_id", "idempotency_key"],
                    unique=True)
    op.create_table(
        "order_items",
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("variant_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        money("unit_price"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        money("line_total"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity_positive")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("order_id", "position", name=op.f("pk_order_items")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("brand", sa.String(length=20), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        money("amount"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        moment("refunded_at"),
        sa.CheckConstraint("status IN ('SUCCEEDED', 'REFUNDED')", name=op.f("ck_payments_status_known")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index("uq_payments_order_id", "payments", ["order_id"], unique=True)


def downgrade() -> None:
    op.drop_table("payments")
    op.drop_table("order_items")
    op.drop_table("orders")
    drop_event_tables()
