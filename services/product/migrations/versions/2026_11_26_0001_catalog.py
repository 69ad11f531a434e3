"""catalog: categories, products, variants, search indexes, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from libs.events.outbox import create_event_tables, drop_event_tables
from services.product.models import SEARCH_VECTOR_SQL

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    # Trigram indexes make search tolerant of typos ("lapptop" finds "Laptop").
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "categories",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("parent_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("sort_order", sa.Integer, server_default=sa.text("0"), nullable=False),
        sa.Column("active", sa.Boolean, server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["categories.id"], name="fk_categories_parent_id_categories",
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_categories"),
        sa.UniqueConstraint("slug", name="uq_categories_slug"),
    )
    op.create_index("ix_categories_parent_id", "categories", ["parent_id"])
    op.create_table(
        "products",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, server_default="", nullable=False),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(16), server_default="ACTIVE", nullable=False),
        sa.Column("image_urls", postgresql.ARRAY(sa.Text), server_default="{}", nullable=False),
        sa.Column("weight_grams", sa.Integer, server_default=sa.text("0"), nullable=False),
        sa.Column("in_stock", sa.Boolean, server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer, server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search_vector", postgresql.TSVECTOR, sa.Computed(SEARCH_VECTOR_SQL, persisted=True)),
        sa.CheckConstraint("price > 0", name="ck_products_price_positive"),
        sa.CheckConstraint("status IN ('ACTIVE', 'DRAFT', 'ARCHIVED')", name="ck_products_status_known"),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
    )
    op.create_index("ix_products_sku_live", "products", ["sku"], unique=True, postgresql_where=LIVE)
    op.create_index("ix_products_search_vector", "products", ["search_vector"], postgresql_using="gin")
    op.create_index("ix_products_name_trgm", "products", ["name"], postgresql_using="gin",
                    postgresql_ops={"name": "gin_trgm_ops"})
    op.create_index("ix_products_sku_trgm", "products", ["sku"], postgresql_using="gin",
                    postgresql_ops={"sku": "gin_trgm_ops"})
    op.create_index("ix_products_created_at_live", "products", ["created_at", "id"], postgresql_where=LIVE)
    op.create_index("ix_products_price_live", "products", ["price", "id"], postgresql_where=LIVE)
    op.create_index("ix_products_name_live", "products", ["name", "id"], postgresql_where=LIVE)
    op.create_table(
        "product_categories",
        sa.Column("product_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("category_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_product_categories_product_id_products",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name="fk_product_categories_category_id_categories", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_id", "category_id", name="pk_product_categories"),
    )
    op.create_index("ix_product_categories_category_id", "product_categories", ["category_id"])
    op.create_table(
        "product_variants",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), server_default="", nullable=False),
        sa.Column("attributes", postgresql.JSONB, server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("price", sa.Numeric(12, 2), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_product_variants_product_id_products",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_product_variants"),
        sa.UniqueConstraint("product_id", "sku", name="uq_product_variants_product_id_sku"),
    )
    create_event_tables()


def downgrade() -> None:
    drop_event_tables()
    op.drop_table("product_variants")
    op.drop_table("product_categories")
    op.drop_table("products")
    op.drop_table("categories")

