import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from libs.db import metadata
from libs.events.outbox import add_event_tables

STATUSES = ("ACTIVE", "DRAFT", "ARCHIVED")

# Name and sku are matched as words (english stems for the name, sku verbatim), the description
# ranks below them. A stored generated column keeps the GIN index in step with every write.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('english', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(sku, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'B')"
)
LIVE = text("deleted_at IS NULL")
NO_PENDING = {"fastupdate": "off"}


class Base(DeclarativeBase):
    metadata = metadata()


add_event_tables(Base.metadata)

product_categories = Table(
    "product_categories",
    Base.metadata,
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", UUID(as_uuid=True), ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_product_categories_category_id", "category_id"),
)


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    sort_order: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint(f"status IN {STATUSES}", name="status_known"),
        # A deleted product's sku may be used again by a new product.
        Index("ix_products_sku_live", "sku", unique=True, postgresql_where=LIVE),
        # GIN without a pending list (fastupdate), which every search would read in full (migration 0003).
        Index("ix_products_search_vector", "search_vector", postgresql_using="gin", postgresql_with=NO_PENDING),
        Index("ix_products_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"},
              postgresql_with=NO_PENDING),
        Index("ix_products_sku_trgm", "sku", postgresql_using="gin", postgresql_ops={"sku": "gin_trgm_ops"},
              postgresql_with=NO_PENDING),
        # The sort orders of an unfiltered list, so its first pages read only `limit` rows.
        Index("ix_products_created_at_live", "created_at", "id", postgresql_where=LIVE),
        Index("ix_products_price_live", "price", "id", postgresql_where=LIVE),
        Index("ix_products_name_live", "name", "id", postgresql_where=LIVE),
        Index("ix_products_category_ids", "category_ids", postgresql_using="gin", postgresql_with=NO_PENDING),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(16), server_default="ACTIVE")
    image_urls: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    weight_grams: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # The ids of `categories`, copied onto the row for search: a GIN-indexed filter (`&&`) and facets
    # counted without a join. Written only together with `categories` (catalog.set_categories).
    category_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), server_default="{}")
    # Denormalized from inventory.updated; the inventory service owns the stock itself.
    in_stock: Mapped[bool] = mapped_column(server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search_vector = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True))

    categories: Mapped[list[Category]] = relationship(secondary=product_categories, order_by=Category.name)
    variants: Mapped[list["Variant"]] = relationship(
        cascade="all, delete-orphan", order_by="Variant.position", passive_deletes=True
    )



class ProductWord(Base):
    """A word of some product's name (lower case, letters and digits): the dictionary a search's typos
    are corrected from (search.py). Triggers on products add the words of inserted and renamed products
    (migration 0004); words are never removed, a stale one corrects to something that matches nothing."""

    __tablename__ = "product_words"
    __table_args__ = (
        # GIN for `word % :typo`, then sorted by distance: much faster than GiST's ordered `<->` (migration 0004).
        Index("ix_product_words_word_trgm", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"},
              postgresql_with=NO_PENDING),
    )

    word: Mapped[str] = mapped_column(Text, primary_key=True)

class Variant(Base):
    __tablename__ = "product_variants"
    __table_args__ = (UniqueConstraint("product_id", "sku"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), server_default="")
    attributes: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # NULL: the product's price.
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
