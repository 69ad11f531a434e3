"""shipments, their tracking events, received webhooks; outbox

Revision ID: 07192abf8307
Revises:
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.events.outbox import create_event_tables, drop_event_tables

revision: str = "07192abf8307"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'LABEL_CREATED', 'PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED'"


def moment(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_event_tables()
    op.create_table(
        "shipments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("service_level", sa.String(length=16), nullable=False),
        sa.Column("tracking_number", sa.String(length=40), nullable=False),
        sa.Column("label_reference", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("estimated_delivery", sa.Date(), nullable=False),
        moment("actual_delivery"), moment("shipped_at"), moment("created_at", False), moment("updated_at", False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_shipments_status_known")),
        sa.CheckConstraint("service_level IN ('STANDARD', 'EXPRESS')",
                           name=op.f("ck_shipments_service_level_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    op.create_index("uq_shipments_order_id", "shipments", ["order_id"], unique=True)
    op.create_index("uq_shipments_tracking_number", "shipments", ["tracking_number"], unique=True)
    op.create_index("ix_shipments_customer_id_created_at", "shipments", ["customer_id", "created_at"])
    op.create_index("ix_shipments_created_at", "shipments", ["created_at"])
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("shipment_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=200), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        moment("occurred_at", False), moment("recorded_at", False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_tracking_events_status_known")),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"],
                                name=op.f("fk_tracking_events_shipment_id_shipments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
    )
    op.create_index("ix_tracking_events_shipment_id_recorded_at", "tracking_events", ["shipment_id", "recorded_at"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("webhook_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("carrier", "webhook_id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index("ix_webhook_deliveries_received_at", "webhook_deliveries", ["received_at"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("tracking_events")
    op.drop_table("shipments")
    drop_event_tables()
