"""order_items.weight_grams: each line's unit weight as the catalog had it, for the shipment's parcel

Revision ID: 0002
Revises: 7c3e91a4d2b0
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "7c3e91a4d2b0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 0 (unknown): lines written before the column existed; shipping then counts its default weight.
    op.add_column("order_items", sa.Column("weight_grams", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("order_items", "weight_grams")
