"""The product list: filters, full-text search with typo correction, sort, page and facets (queries only).

Search is case-insensitive over name, description and sku, in two steps:
  1. words: the full-text vector (name, sku, description; english stems and prefixes, so "laptops"
     and "lapt" find "Laptop") or the sku containing the text. Both are GIN-indexed and cheap to
     check, so thousands of matches are counted in milliseconds.
  2. only when the words match nothing (a typo such as "lapptop"): pg_trgm's text search integration.
     Each word of the text (3 characters or more) that is not a word of some product's name (the
     `product_words` dictionary, kept by triggers on products) is corrected to its most similar
     dictionary words (`%`: trigram similarity above pg_trgm.similarity_threshold, 0.3 by default;
     GIN-indexed, one statement for all the words), and step 1's word search runs again, ranked
     alike, with `typed:* | corrected:*` in place of each such word ("lapptop" finds "Laptop",
     "wireless keybord" finds "Wireless Keyboard"). Words equally close to a typo are all ORed in
     (up to CANDIDATES): the text does not say which was meant. The typed word stays in, for the
     words of descriptions and skus, which the dictionary does not hold, except when it is the only
     word corrected: then the text as typed found nothing, so no product within the filters holds
     that word, and searching for it would change nothing but the cost (ts_rank_cd clears a 32 kB
     buffer per query term and match: `lapptop:* | laptop:*` cost 8 ms more than `laptop:*` over
     6,500 matches, for the same matches, facets and ranks). A text with no word to correct
     ("zzzzqx"; "chiar", only 0.2 similar to "chair") finds nothing, without a second search.
     The lookup costs ~0.1 ms (~0.2 ms a typo with 20,000 words), so a typo costs what its
     corrected word costs; checking the trigrams of every similar name used to cost ~25 ms.
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
    Float,
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
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by

from libs.db import Executor
from services.product import repository
from services.product.models import Category, Product, ProductWord

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
WORD = re.compile(r"[^\W_]+")  # the words of product_words are split alike (migration 0004)
CANDIDATES = 4  # dictionary words read per typo, of which the closest are kept


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

    match: str | None  # "words", "sku" (no word in the text), "corrected" (step 2) or None (no search)
    category: bool
    min_price: bool
    max_price: bool
    in_stock: bool
    keys: tuple[tuple[str, bool], ...]  # (column, descending)


SEARCH = bindparam("search", type_=String)
WORDS = func.to_tsquery("english", bindparam("words", type_=String))
IN_SKU = Product.sku.ilike(bindparam("pattern", type_=String), escape="\\")
# Normalization 2 divides by the document's length: "Laptop" ranks above "Laptop Sleeve".
RANK = func.ts_rank_cd(Product.search_vector, WORDS, 2)
MATCHES = {
    "words": (or_(Product.search_vector.op("@@")(WORDS), IN_SKU), RANK),
    "sku": (IN_SKU, func.similarity(SEARCH, Product.name)),
    # The sku already did not contain the text.
    "corrected": (Product.search_vector.op("@@")(WORDS), RANK),
}


# For each typed word not in the dictionary, its closest dictionary words above the similarity threshold.
_typed = func.unnest(bindparam("typed", type_=ARRAY(String))).table_valued("word").render_derived("typed")
_distance = ProductWord.word.op("<->", return_type=Float)(_typed.c.word)
_closest = (select(ProductWord.word.label("closest"), _distance.label("distance"))
            .where(ProductWord.word.op("%")(_typed.c.word)).order_by(_distance).limit(CANDIDATES)
            .lateral("closest"))
_known = select(ProductWord.word).where(ProductWord.word == _typed.c.word).exists()
CLOSEST = (select(_typed.c.word, _closest.c.closest, _closest.c.distance)
           .select_from(_typed).join(_closest, literal(True)).where(~_known))


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
        # Only what the page's sort needs: every column is copied for each of thousands of matches, and the rank
        # (ts_rank_cd, ~1 µs a match) is computed only to sort by relevance.
        columns += [MATCHES[shape.match][1].label("rank") if name == "rank" else Product.__table__.c[name]
                    for name, _ in shape.keys if name not in ("id", "price")]
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


async def find_products(session: Executor, query: ProductQuery) -> Found:
    """Expects a connection whose statements are planned for their parameters (plan_cache_mode
    force_custom_plan, as the product service's engine sets it); a few statements, no transaction needed."""
    params = {"status": query.status, "category_ids": list(query.category_ids or ()), "min_price": query.min_price,
              "max_price": query.max_price, "in_stock": query.in_stock, "limit": query.page_size,
              "offset": (query.page - 1) * query.page_size}
    if not query.search:
        return await _find(session, query, None, params)
    words = [word.lower() for word in WORD.findall(query.search)[:MAX_WORDS]]
    params |= {"search": query.search, "words": _tsquery([[word] for word in words]),
               "pattern": f"%{_escape_like(query.search)}%"}
    found = await _find(session, query, "words" if words else "sku", params)
    if found.total:
        return found
    typed = list(dict.fromkeys(word for word in words if len(word) >= 3))  # a trigram needs 3 characters
    corrections = await _corrections(session, typed)
    if not corrections:
        return found
    params["words"] = _tsquery([_alternatives(word, corrections) for word in words])
    return await _find(session, query, "corrected", params)


def _alternatives(word: str, corrections: dict[str, list[str]]) -> list[str]:
    """What a word of the text is searched as, once the text as typed found nothing. With one word corrected,
    `a & b & typo` found nothing, so `a & b & (typo | correction)` finds what `a & b & correction` finds, and
    no match holds the typo (it would have been found), so that ranks are alike too."""
    if word not in corrections:
        return [word]
    return corrections[word] if len(corrections) == 1 else [word, *corrections[word]]


def _tsquery(alternatives: list[list[str]]) -> str:
    """Every word as a prefix, `gam:* & (lapptop:* | laptop:*)`: built from words only (WORD), so that no
    input is a tsquery syntax error."""
    terms = [" | ".join(f"{word}:*" for word in words) for words in alternatives]
    return " & ".join(term if " " not in term else f"({term})" for term in terms)


async def _corrections(session: Executor, words: list[str]) -> dict[str, list[str]]:
    """The closest dictionary words of each word that is not one (none if nothing is similar enough)."""
    if not words:
        return {}
    closest: dict[str, list[tuple[str, float]]] = {}
    for word, candidate, distance in await session.execute(CLOSEST, {"typed": words}):
        if WORD.fullmatch(candidate):  # PostgreSQL's letters and digits may not be Python's
            closest.setdefault(word, []).append((candidate, distance))
    return {word: [c for c, distance in candidates if distance == min(d for _, d in candidates)]
            for word, candidates in closest.items()}


async def _find(session: Executor, query: ProductQuery, match: str | None, params: dict) -> Found:
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
