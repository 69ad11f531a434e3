"""processed_events by (consumer, processed_at): what the consumer's pruning of old records looks up

Revision ID: 0002
Revises: 07192abf8307
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from libs.events.outbox import PROCESSED_AGE_INDEX, index_processed_events

revision: str = "0002"
down_revision: str | None = "07192abf8307"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    index_processed_events()


def downgrade() -> None:
    op.drop_index(PROCESSED_AGE_INDEX, "processed_events")
