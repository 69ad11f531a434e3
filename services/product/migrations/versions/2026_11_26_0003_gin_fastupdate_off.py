"""GIN indexes without a pending list: every search scanned up to 4 MB of unsorted pending entries

With `fastupdate` on (PostgreSQL's default) new rows' entries wait in a pending list until a vacuum or
until it outgrows gin_pending_list_limit, and every search reads all of it: after 100,000 inserts that
was ~300 pages per index, ~5 ms for a word that matches nothing (each typo pays it before the trigram
step) and ~1.5 ms for the sku ILIKE of every search. A catalog is read far more than written, so writes
pay for inserting into the index instead.

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

INDEXES = ("ix_products_search_vector", "ix_products_name_trgm", "ix_products_sku_trgm", "ix_products_category_ids")


def upgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        # Turning it off does not move the entries already pending into the index.
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
