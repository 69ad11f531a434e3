"""The product list: filters, full-text + trigram search, sort, page and facets (queries only).

Search is case-insensitive over name, description and sku, in two steps:
  1. words: the full-text vector (name, sku, description; english stems and prefixes, so "laptops"
     and "lapt" find "Laptop") or the sku containing the text. Both are GIN-indexed and cheap to
     check, so thousands of matches are counted in milliseconds.
  2. only when the words match nothing (a typo): trigram word similarity with the name
     (`name %> q`, GIN-indexed: "lapptop" finds "Laptop"). Checking it costs ~100 times a word
     match per row, which PostgreSQL's planner does not know (it would scan the whole table), hence
     the planner hint below, and why it is not part of step 1.
A page and its facets are two statements: the page's ids in sort order (an index walk when nothing is
searched), and the total, price buckets and top categories over one materialized pass of the matches.
"""

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from services.product import repository
from services.product.models import Category, Product

SORTS = ("relevance", "newest", "price_asc", "price_desc", "name_asc", "name_desc")
# (label, inclusive lower bound, exclusive upper bound): the REST contract's buckets.
PRICE_BUCKETS: tuple[tuple[str, Decimal | None, Decimal | None], ...] = (
    ("<50", None, Decimal(50)),
    ("50-100", Decimal(50), Decimal(100)),
    ("100-200", Decimal(100), Decimal(200)),
    (">=200", Decimal(200), None),
)
TOP_CATEGORIES = 10
MAX_WORDS = 8
WORD = re.compile(r"[^\W_]+")


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


@dataclass(frozen=True)
class _Match:
    condition: ColumnElement[bool]
    rank: ColumnElement


def _words(search: str) -> ColumnElement | None:
    """Every word of the text, each as a prefix: `to_tsquery('english', 'gam:* & lapt:*')`. Built from
    words only, so no input is a tsquery syntax error."""
    words = WORD.findall(search)[:MAX_WORDS]
    return func.to_tsquery("english", " & ".join(f"{w}:*" for w in words)) if words else None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _word_match(search: str) -> _Match:
    in_sku = Product.sku.ilike(f"%{_escape_like(search)}%", escape="\\")
    query = _words(search)
    if query is None:
        return _Match(in_sku, func.similarity(search, Product.name))
    # Normalization 2 divides by the document's length: "Laptop" ranks above "Laptop Sleeve".
    return _Match(or_(Product.search_vector.op("@@")(query), in_sku), func.ts_rank_cd(Product.search_vector, query, 2))


def _similar_name(search: str) -> _Match:
    return _Match(Product.name.op("%>")(search),
                  func.word_similarity(search, Product.name) + func.similarity(search, Product.name))


def _filters(query: ProductQuery, match: _Match | None) -> list[ColumnElement[bool]]:
    conditions = [Product.deleted_at.is_(None), Product.status == query.status]
    if match is not None:
        conditions.append(match.condition)
    if query.category_ids is not None:
        conditions.append(Product.category_ids.overlap(list(query.category_ids)))
    if query.min_price is not None:
        conditions.append(Product.price >= query.min_price)
    if query.max_price is not None:
        conditions.append(Product.price <= query.max_price)
    if query.in_stock is not None:
        conditions.append(Product.in_stock.is_(query.in_stock))
    return conditions


def _sort_keys(query: ProductQuery, match: _Match | None) -> list[tuple[str, bool]]:
    """(column name, descending) pairs; the id last so that pages never overlap."""
    if query.sort == "relevance" and match is not None:
        return [("rank", True), ("created_at", True), ("id", False)]
    sort = "newest" if query.sort == "relevance" else query.sort
    column = {"newest": "created_at", "price_asc": "price", "price_desc": "price", "name_asc": "name",
              "name_desc": "name"}[sort]
    descending = sort in ("newest", "price_desc", "name_desc")
    return [(column, descending), ("id", descending)]


def _order(columns, keys: list[tuple[str, bool]]) -> list:
    return [columns[name].desc() if descending else columns[name].asc() for name, descending in keys]


def _bucket(price: ColumnElement, low: Decimal | None, high: Decimal | None) -> ColumnElement[bool]:
    bounds = []
    if low is not None:
        bounds.append(price >= low)
    if high is not None:
        bounds.append(price < high)
    return and_(*bounds)


async def find_products(session: AsyncSession, query: ProductQuery) -> Found:
    # psycopg prepares a statement run 5 times; PostgreSQL may then reuse one generic plan for every
    # search text and bound, which is blind to how selective they are (seconds instead of milliseconds).
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    if not query.search:
        return await _find(session, query, None)
    found = await _find(session, query, _word_match(query.search))
    if found.total or len(query.search) < 3:  # a trigram needs 3 characters
        return found
    # The planner would check `%>` on every row instead of walking its index (see the module's doc).
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    return await _find(session, query, _similar_name(query.search))


async def _find(session: AsyncSession, query: ProductQuery, match: _Match | None) -> Found:
    """One pass over the matches for the counts and, when searching, the page too (ranking needs every
    match anyway); without a search the page is an index walk of its own."""
    conditions = _filters(query, match)
    keys = _sort_keys(query, match)
    columns = [Product.id, Product.price, Product.category_ids]
    if match is not None:
        columns += [match.rank.label("rank"), Product.created_at, Product.name]
    matched = select(*columns).where(*conditions).cte("matched").prefix_with("MATERIALIZED")
    counts = select(
        func.count().label("total"),
        *(func.count().filter(_bucket(matched.c.price, low, high)) for _, low, high in PRICE_BUCKETS),
    ).select_from(matched).subquery("counts")
    category_id = func.unnest(matched.c.category_ids).table_valued("id").render_derived("category")
    per_category = func.count().label("n")
    top = (
        select(Category.id, Category.name, Category.slug, per_category)
        .select_from(matched).join(category_id, literal(True)).join(Category, Category.id == category_id.c.id)
        .group_by(Category.id).order_by(per_category.desc(), Category.name).limit(TOP_CATEGORIES)
        .subquery("top")
    )
    categories = select(func.json_agg(aggregate_order_by(
        func.json_build_array(top.c.id, top.c.name, top.c.slug, top.c.n), top.c.n.desc(), top.c.name,
    ))).scalar_subquery()
    offset = (query.page - 1) * query.page_size
    wanted = [counts, categories.label("categories")]
    if match is not None:
        page = select(matched).order_by(*_order(matched.c, keys)).limit(query.page_size).offset(offset).subquery()
        wanted.append(select(func.array_agg(aggregate_order_by(page.c.id, *_order(page.c, keys))))
                      .scalar_subquery().label("page"))
    row = (await session.execute(select(*wanted))).one()
    total, *bucket_counts = row[:1 + len(PRICE_BUCKETS)]
    if match is not None:
        ids = row.page or []
    elif total > offset:
        ids = (await session.execute(
            select(Product.id).where(*conditions).order_by(*_order(Product.__table__.c, keys))
            .limit(query.page_size).offset(offset)
        )).scalars().all()
    else:
        ids = []
    by_id = {p.id: p for p in await repository.get_products(session, ids)} if ids else {}
    products = [by_id[i] for i in ids if i in by_id]
    top_categories = row.categories
    return Found(
        products=products,
        total=total,
        price_buckets=[(label, low, high, count)
                       for (label, low, high), count in zip(PRICE_BUCKETS, bucket_counts, strict=True)],
        categories=[(uuid.UUID(i), name, slug, n) for i, name, slug, n in top_categories or ()],
    )

