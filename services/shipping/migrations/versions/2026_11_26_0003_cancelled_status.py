"""CANCELLED: a shipment whose order was cancelled before a carrier had the parcel

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "'LABEL_CREATED', 'PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED'"
AFTER = f"{BEFORE}, 'CANCELLED'"
TABLES = ("shipments", "tracking_events")


def _allow(statuses: str) -> None:
    for table in TABLES:
        op.drop_constraint(op.f(f"ck_{table}_status_known"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_status_known"), table, f"status IN ({statuses})")


def upgrade() -> None:
    _allow(AFTER)


def downgrade() -> None:
    _allow(BEFORE)  # refused by PostgreSQL while a shipment is CANCELLED: no status is made up for it
