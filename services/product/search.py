"""The product list: filters, full-text + trigram search, sort, page and facets (queries only).

Search matches a product when any of these holds, each backed by its own GIN index so PostgreSQL
combines them with a BitmapOr instead of scanning:
  - the full-text vector (name, sku, description; english stems: "laptops" finds "Laptop");
  - trigram word similarity with the name (`name %> q`, typos: "lapptop" finds "Laptop");
  - the sku contains the text (case-insensitive).
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.product.models import Category, Product, product_categories

SORTS = ("relevance", "newest", "price_asc", "price_desc", "name_asc", "name_desc")
# (label, inclusive lower bound, exclusive upper bound): the REST contract's buckets.
PRICE_BUCKETS: tuple[tuple[str, Decimal | None, Decimal | None], ...] = (
    ("<50", None, Decimal(50)),
    ("50-100", Decimal(50), Decimal(100)),
    ("100-200", Decimal(100), Decimal(200)),
    (">=200", Decimal(200), None),
)
TOP_CATEGORIES = 10


@dataclass(frozen=True)
class ProductQuery:
    search: str = ""
    # None: no category filter; empty: a category that does not exist, so nothing matches.
    category_ids: tuple[uuid.UUID, ...] | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    status: str = "ACTIVE"
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class Found:
    products: list[Product]
    total: int
    price_buckets: list[tuple[str, Decimal | None, Decimal | None, int]]
    categories: list[tuple[uuid.UUID, str, str, int]]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filters(query: ProductQuery) -> list[ColumnElement[bool]]:
    conditions = [Product.deleted_at.is_(None), Product.status == query.status]
    if query.search:
        conditions.append(or_(
            Product.search_vector.op("@@")(func.websearch_to_tsquery("english", query.search)),
            Product.name.op("%>")(query.search),
            Product.sku.ilike(f"%{_escape_like(query.search)}%", escape="\\"),
        ))
    if query.category_ids is not None:
        conditions.append(exists().where(
            product_categories.c.product_id == Product.id, product_categories.c.category_id.in_(query.category_ids)
        ))
    if query.min_price is not None:
        conditions.append(Product.price >= query.min_price)
    if query.max_price is not None:
        conditions.append(Product.price <= query.max_price)
    if query.in_stock is not None:
        conditions.append(Product.in_stock.is_(query.in_stock))
    return conditions


def _order(query: ProductQuery) -> list:
    sort = query.sort
    if sort == "relevance" and not query.search:
        sort = "newest"
    if sort == "relevance":
        # Word similarity rewards a name containing the text, similarity one that is little more than it.
        rank = (func.ts_rank_cd(Product.search_vector, func.websearch_to_tsquery("english", query.search))
                + func.word_similarity(query.search, Product.name) + func.similarity(query.search, Product.name))
        return [rank.desc(), Product.created_at.desc(), Product.id]
    column = {"newest": Product.created_at, "price_asc": Product.price, "price_desc": Product.price,
              "name_asc": Product.name, "name_desc": Product.name}[sort]
    if sort in ("newest", "price_desc", "name_desc"):
        return [column.desc(), Product.id.desc()]
    return [column.asc(), Product.id.asc()]


def _bucket(low: Decimal | None, high: Decimal | None) -> ColumnElement[bool]:
    bounds = []
    if low is not None:
        bounds.append(Product.price >= low)
    if high is not None:
        bounds.append(Product.price < high)
    return and_(*bounds)


async def find_products(session: AsyncSession, query: ProductQuery) -> Found:
    conditions = _filters(query)
    page = await session.execute(
        select(Product).options(selectinload(Product.categories), selectinload(Product.variants))
        .where(*conditions).order_by(*_order(query))
        .limit(query.page_size).offset((query.page - 1) * query.page_size)
    )
    counts = (await session.execute(
        select(func.count(), *(func.count().filter(_bucket(low, high)) for _, low, high in PRICE_BUCKETS))
        .where(*conditions)
    )).one()
    matching = select(Product.id).where(*conditions)
    per_category = func.count().label("count")
    categories = await session.execute(
        select(Category.id, Category.name, Category.slug, per_category)
        .join(product_categories, product_categories.c.category_id == Category.id)
        .where(product_categories.c.product_id.in_(matching))
        .group_by(Category.id).order_by(per_category.desc(), Category.name).limit(TOP_CATEGORIES)
    )
    return Found(
        products=list(page.scalars()),
        total=counts[0],
        price_buckets=[(label, low, high, count)
                       for (label, low, high), count in zip(PRICE_BUCKETS, counts[1:], strict=True)],
        categories=[tuple(row) for row in categories],
    )
