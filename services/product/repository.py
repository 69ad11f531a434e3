"""Queries on a session the caller owns; nothing here commits. Listing and search live in search.py."""

import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import RowMapping, Select, Text, any_, bindparam, cast, func, literal, literal_column, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from libs.db import Executor
from services.product.models import Category, Product, Variant, product_categories

_WITH_RELATIONS = (selectinload(Product.categories), selectinload(Product.variants))


async def get_product(session: AsyncSession, product_id: uuid.UUID, *, for_update: bool = False) -> Product | None:
    """A live (not deleted) product with its categories and variants, to change it."""
    query = select(Product).options(*_WITH_RELATIONS).where(Product.id == product_id, Product.deleted_at.is_(None))
    if for_update:
        query = query.with_for_update(of=Product)
    return (await session.execute(query)).scalar_one_or_none()


def _product_rows() -> Select:
    categories = (
        select(func.json_agg(aggregate_order_by(
            func.json_build_object("id", Category.id, "name", Category.name, "slug", Category.slug,
                                   "parent_id", Category.parent_id, "sort_order", Category.sort_order,
                                   "active", Category.active), Category.name)))
        .join(product_categories, product_categories.c.category_id == Category.id)
        .where(product_categories.c.product_id == Product.id).scalar_subquery()
    )
    variants = (
        select(func.json_agg(aggregate_order_by(
            func.json_build_object("id", Variant.id, "sku", Variant.sku, "name", Variant.name,
                                   "attributes", Variant.attributes, "price", cast(Variant.price, Text)),
            Variant.position)))
        .where(Variant.product_id == Product.id).scalar_subquery()
    )
    return select(
        *(c for c in Product.__table__.c if c.key not in ("search_vector", "category_ids", "deleted_at")),
        func.coalesce(categories, literal_column("'[]'::json")).label("categories"),
        func.coalesce(variants, literal_column("'[]'::json")).label("variants"),
    # One array parameter, not an expanding IN: rendering a parameter per id cost more than the query.
    ).where(Product.id == any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))), Product.deleted_at.is_(None))


# Built once: constructing it costs more CPU than running it.
_PRODUCT_ROWS = _product_rows()


async def read_products(session: Executor, ids: Collection[uuid.UUID]) -> list[RowMapping]:
    """Live products as plain rows with their categories and variants as JSON lists, in one round trip
    (reads need no ORM identity map, and the page of a list has 20 products)."""
    return list((await session.execute(_PRODUCT_ROWS, {"ids": list(ids)})).mappings())


async def sku_taken(session: AsyncSession, sku: str, *, other_than: uuid.UUID | None = None) -> bool:
    query = select(literal(1)).where(Product.sku == sku, Product.deleted_at.is_(None))
    if other_than is not None:
        query = query.where(Product.id != other_than)
    return (await session.execute(query.limit(1))).first() is not None


async def add_product(session: AsyncSession, product: Product) -> None:
    session.add(product)
    await session.flush()


# A Core statement built once (the ORM-enabled UPDATE would also try to synchronize the session).
_SET_IN_STOCK = (
    update(Product.__table__)
    .where(Product.__table__.c.id == bindparam("product_id"),
           Product.__table__.c.in_stock.is_distinct_from(bindparam("flag")))
    .values(in_stock=bindparam("flag"))
)


async def set_in_stock(db: Executor, product_id: uuid.UUID, in_stock: bool) -> bool:
    """True when the flag changed (the product exists and had the other value)."""
    result = await db.execute(_SET_IN_STOCK, {"product_id": product_id, "flag": in_stock})
    return result.rowcount > 0


async def get_categories(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Category]:
    return list((await session.execute(select(Category).where(Category.id.in_(list(ids))))).scalars())


async def get_category(session: AsyncSession, category_id: uuid.UUID) -> Category | None:
    return await session.get(Category, category_id)


async def find_category(session: AsyncSession, reference: str) -> Category | None:
    """By id, slug or (case-insensitive) name, in that order of preference."""
    clauses = [Category.slug == reference.lower(), func.lower(Category.name) == reference.lower()]
    try:
        clauses.insert(0, Category.id == uuid.UUID(reference))
    except ValueError:
        pass
    for clause in clauses:
        found = (await session.execute(select(Category).where(clause).limit(1))).scalar_one_or_none()
        if found is not None:
            return found
    return None


async def get_or_add_category(session: AsyncSession, *, name: str, slug: str) -> Category:
    """The category with `slug`, created as a root named `name` if missing; safe against a concurrent add."""
    await session.execute(
        insert(Category).values(id=uuid.uuid4(), name=name, slug=slug).on_conflict_do_nothing(index_elements=["slug"])
    )
    return (await session.execute(select(Category).where(Category.slug == slug))).scalar_one()


async def add_category(session: AsyncSession, category: Category) -> Category:
    session.add(category)
    await session.flush()
    await session.refresh(category)
    return category


async def list_categories(session: AsyncSession, *, include_inactive: bool) -> list[Category]:
    query = select(Category).order_by(Category.sort_order, Category.name)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    return list((await session.execute(query)).scalars())


async def category_with_descendants(session: AsyncSession, category_id: uuid.UUID) -> list[uuid.UUID]:
    tree = select(Category.id).where(Category.id == category_id).cte("tree", recursive=True)
    tree = tree.union(select(Category.id).where(Category.parent_id == tree.c.id))
    return list((await session.execute(select(tree.c.id))).scalars())
