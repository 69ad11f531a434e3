"""The product list: filters, full-text + trigram search, sort, page and facets (queries only).

Search is case-insensitive over name, description and sku, in two steps:
  1. words: the full-text vector (name, sku, description; english stems and prefixes, so "laptops"
     and "lapt" find "Laptop") or the sku containing the text. Both are GIN-indexed and cheap to
     check, so thousands of matches are counted in milliseconds.
  2. only when the words match nothing (a typo): trigram word similarity with the name
     (`name %> q`, GIN-indexed: "lapptop" finds "Laptop"). Checking it costs ~100 times a word
     match per row, which PostgreSQL's planner does not know (it would scan the whole table), hence
     the planner hint below, and why it is not part of step 1.
One statement makes one materialized pass over the matches for the total, the price buckets, the top
categories and, when searching, the ranked page (ranking needs every match anyway); without a search
the page is an index walk of its own. Statements are built once per shape (which filters, which
sort) with bind parameters, since building SQLAlchemy expressions costs more CPU than running them.
"""

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Numeric,
    RowMapping,
    Select,
    String,
    bindparam,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by
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
    products: list[RowMapping]  # repository.read_products rows, in the page's order
    total: int
    price_buckets: list[tuple[str, Decimal | None, Decimal | None, int]]
    categories: list[tuple[uuid.UUID, str, str, int]]


@dataclass(frozen=True)
class _Shape:
    """What a statement depends on besides its parameter values."""

    match: str | None  # "words", "sku" (no word in the text), "similar" or None (no search)
    category: bool
    min_price: bool
    max_price: bool
    in_stock: bool
    keys: tuple[tuple[str, bool], ...]  # (column, descending)


SEARCH = bindparam("search", type_=String)
WORDS = func.to_tsquery("english", bindparam("words", type_=String))
IN_SKU = Product.sku.ilike(bindparam("pattern", type_=String), escape="\\")
MATCHES = {
    # Normalization 2 divides by the document's length: "Laptop" ranks above "Laptop Sleeve".
    "words": (or_(Product.search_vector.op("@@")(WORDS), IN_SKU), func.ts_rank_cd(Product.search_vector, WORDS, 2)),
    "sku": (IN_SKU, func.similarity(SEARCH, Product.name)),
    "similar": (Product.name.op("%>")(SEARCH),
                func.word_similarity(SEARCH, Product.name) + func.similarity(SEARCH, Product.name)),
}


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    conditions = [Product.deleted_at.is_(None), Product.status == bindparam("status", type_=String)]
    if shape.match is not None:
        conditions.append(MATCHES[shape.match][0])
    if shape.category:
        conditions.append(Product.category_ids.overlap(bindparam("category_ids", type_=ARRAY(UUID(as_uuid=True)))))
    if shape.min_price:
        conditions.append(Product.price >= bindparam("min_price", type_=Numeric(12, 2)))
    if shape.max_price:
        conditions.append(Product.price <= bindparam("max_price", type_=Numeric(12, 2)))
    if shape.in_stock:
        conditions.append(Product.in_stock == bindparam("in_stock", type_=Boolean))
    return conditions


def _order(columns, keys: tuple[tuple[str, bool], ...]) -> list:
    return [columns[name].desc() if descending else columns[name].asc() for name, descending in keys]


# The offset is page × page size of two int32s: far pages overflow an int4 (a 500 before it was an int8).
LIMIT, OFFSET = bindparam("limit", type_=Integer), bindparam("offset", type_=BigInteger)


# The buckets are contiguous, so one `width_bucket` call numbers a price's bucket (0 below the first bound).
BOUNDS = [low for _, low, _ in PRICE_BUCKETS[1:]]
assert BOUNDS == [high for _, _, high in PRICE_BUCKETS[:-1]], "price buckets must be contiguous"


@lru_cache(maxsize=512)
def _statements(shape: _Shape) -> tuple[Select, Select | None]:
    """The facets statement (with the page's ids when searching) and, without a search, the page's."""
    conditions = _conditions(shape)
    columns = [Product.id, Product.price, Product.category_ids]
    if shape.match is not None:
        # Only what the page's sort needs: every column is copied for each of thousands of matches.
        columns += [MATCHES[shape.match][1].label("rank"),
                    *(Product.__table__.c[name] for name, _ in shape.keys if name not in ("rank", "id", "price"))]
    matched = select(*columns).where(*conditions).cte("matched").prefix_with("MATERIALIZED")
    # One pass over the matches counts them per (category set, price bucket): a handful of groups, from
    # which the total, the buckets and the categories are summed (unnesting every match cost more).
    bucket = func.width_bucket(matched.c.price, literal(BOUNDS, ARRAY(Numeric(12, 2))))
    groups = (select(matched.c.category_ids, bucket.label("bucket"), func.count().label("n"))
              .group_by(matched.c.category_ids, bucket).cte("groups").prefix_with("MATERIALIZED"))

    def total(*where: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(groups.c.n).filter(*where) if where else func.sum(groups.c.n), 0).cast(BigInteger)

    counts = select(
        total().label("total"), *(total(groups.c.bucket == i) for i in range(len(PRICE_BUCKETS))),
    ).subquery("counts")
    category_id = func.unnest(groups.c.category_ids).table_valued("id").render_derived("category")
    per_category = func.sum(groups.c.n).label("n")
    top = (
        select(Category.id, Category.name, Category.slug, per_category)
        .select_from(groups).join(category_id, literal(True)).join(Category, Category.id == category_id.c.id)
        .group_by(Category.id).order_by(per_category.desc(), Category.name).limit(TOP_CATEGORIES)
        .subquery("top")
    )
    categories = select(func.json_agg(aggregate_order_by(
        func.json_build_array(top.c.id, top.c.name, top.c.slug, top.c.n), top.c.n.desc(), top.c.name,
    ))).scalar_subquery()
    wanted = [counts, categories.label("categories")]
    if shape.match is None:
        page = select(Product.id).where(*conditions).order_by(*_order(Product.__table__.c, shape.keys))
        return select(*wanted), page.limit(LIMIT).offset(OFFSET)
    ranked = (select(*(matched.c[name] for name, _ in shape.keys)).order_by(*_order(matched.c, shape.keys))
              .limit(LIMIT).offset(OFFSET).subquery())
    wanted.append(select(func.array_agg(aggregate_order_by(ranked.c.id, *_order(ranked.c, shape.keys))))
                  .scalar_subquery().label("page"))
    return select(*wanted), None


def _sort_keys(query: ProductQuery, searching: bool) -> tuple[tuple[str, bool], ...]:
    """The id last, so that pages never overlap."""
    if query.sort == "relevance" and searching:
        return ("rank", True), ("created_at", True), ("id", False)
    sort = "newest" if query.sort == "relevance" else query.sort
    column = {"newest": "created_at", "price_asc": "price", "price_desc": "price", "name_asc": "name",
              "name_desc": "name"}[sort]
    descending = sort in ("newest", "price_desc", "name_desc")
    return (column, descending), ("id", descending)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def find_products(session: AsyncSession, query: ProductQuery) -> Found:
    # psycopg prepares a statement run 5 times; PostgreSQL may then reuse one generic plan for every
    # search text and bound, which is blind to how selective they are (seconds instead of milliseconds).
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    params = {"status": query.status, "category_ids": list(query.category_ids or ()), "min_price": query.min_price,
              "max_price": query.max_price, "in_stock": query.in_stock, "limit": query.page_size,
              "offset": (query.page - 1) * query.page_size}
    if not query.search:
        return await _find(session, query, None, params)
    # Every word of the text as a prefix, `gam:* & lapt:*`: built from words only, so that no input
    # is a tsquery syntax error.
    words = WORD.findall(query.search)[:MAX_WORDS]
    params |= {"search": query.search, "words": " & ".join(f"{w}:*" for w in words),
               "pattern": f"%{_escape_like(query.search)}%"}
    found = await _find(session, query, "words" if words else "sku", params)
    if found.total or len(query.search) < 3:  # a trigram needs 3 characters
        return found
    # The planner would check `%>` on every row instead of walking its index (see the module's doc).
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    return await _find(session, query, "similar", params)


async def _find(session: AsyncSession, query: ProductQuery, match: str | None, params: dict) -> Found:
    shape = _Shape(match=match, category=query.category_ids is not None, min_price=query.min_price is not None,
                   max_price=query.max_price is not None, in_stock=query.in_stock is not None,
                   keys=_sort_keys(query, match is not None))
    facets, page = _statements(shape)
    row = (await session.execute(facets, params)).one()
    total, *bucket_counts = row[:1 + len(PRICE_BUCKETS)]
    if page is None:
        ids = row.page or []
    else:
        ids = (await session.execute(page, params)).scalars().all() if total > params["offset"] else []
    by_id = {product["id"]: product for product in await repository.read_products(session, ids)} if ids else {}
    return Found(
        products=[by_id[i] for i in ids if i in by_id],
        total=total,
        price_buckets=[(label, low, high, count)
                       for (label, low, high), count in zip(PRICE_BUCKETS, bucket_counts, strict=True)],
        categories=[(uuid.UUID(i), name, slug, n) for i, name, slug, n in row.categories or ()],
    )
