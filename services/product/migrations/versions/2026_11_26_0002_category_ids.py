"""category ids on the product row, for search filters and facets without a join

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("products", sa.Column("category_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)),
                                        server_default="{}", nullable=False))
    op.execute("UPDATE products p SET category_ids = ARRAY(SELECT pc.category_id FROM product_categories pc "
               "WHERE pc.product_id = p.id ORDER BY pc.category_id)")
    op.create_index("ix_products_category_ids", "products", ["category_ids"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_products_category_ids", table_name="products")
    op.drop_column("products", "category_ids")
