"""Catalog use cases: each write is one transaction with its outbox row; caches are invalidated after
commit and before the answer, so a client never reads older data after a successful write."""

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import Protocol, TypeVar

import structlog
from depot.product.v1 import events_pb2
from pydantic import TypeAdapter
from redis.asyncio import Redis
from sqlalchemy import event, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from libs.cache import PRODUCTS, Cache
from libs.context import current_principal, principal_var
from libs.db import Executor, in_autocommit, in_transaction, session_factory
from libs.errors import AlreadyExists, Conflict, FieldViolation, InvalidArgument, NotFound, Unavailable
from libs.events.outbox import add_event
from libs.ids import as_uuid
from services.product import catalog, messages, repository
from services.product.commands import (
    SLUG_PATTERN,
    UPDATABLE,
    ProductFields,
    check_product,
    page_of,
    parse_price,
    require_uuid,
    slugify,
)
from services.product.models import STATUSES, Category, Product
from services.product.search import SORTS, ProductQuery, find_products
from services.product.views import (
    CategoryCount,
    CategoryView,
    Facets,
    PriceBucketCount,
    ProductPage,
    ProductView,
    dumps,
)

log = structlog.get_logger("product")

TOPIC = "depot.product"
SOURCE = "depot/product"
ALL = "all"  # the one namespace of the list cache: any product write changes any list
IN_STOCK_SETTLED = "product.in_stock_settled"  # session.info: the flags this transaction has set or found
T = TypeVar("T")


class StockInitializer(Protocol):
    async def initialize_stock(self, product_id: uuid.UUID, sku: str, initial_quantity: int) -> None: ...


@dataclass(frozen=True)
class ListRequest:
    search: str = ""
    category: str = ""
    min_price: str = ""
    max_price: str = ""
    in_stock: bool | None = None
    sort: str = "relevance"
    status: str = ""
    page: int = 0
    page_size: int = 0


class ProductService:
    def __init__(self, engine: AsyncEngine, redis: Redis, inventory: StockInitializer, *,
                 product_ttl_seconds: float, list_ttl_seconds: float):
        self._engine = engine
        self._sessions = session_factory(engine)
        self._inventory = inventory
        self._pending: set[asyncio.Task] = set()  # invalidations scheduled after a commit, kept alive
        self._products = Cache(redis, PRODUCTS, ttl_seconds=product_ttl_seconds, dumps=dumps,
                               loads=ProductView.model_validate_json)
        self._lists = Cache(redis, "product-list", ttl_seconds=list_ttl_seconds, dumps=dumps,
                            loads=ProductPage.model_validate_json)
        self._trees = Cache(redis, "category-tree", ttl_seconds=product_ttl_seconds, dumps=_dump_tree,
                            loads=_load_tree)

    # -- reads -----------------------------------------------------------------------------------

    async def get_product(self, product_id: str) -> ProductView:
        pid = require_uuid(product_id, "id", "Product id must be a UUID")
        view = await self._products.get_or_load(str(pid), "", lambda: self._read(pid))
        if view is None or (view.status != "ACTIVE" and not _may_see_unlisted()):
            raise NotFound("Product not found")
        return view

    async def _read(self, product_id: uuid.UUID) -> ProductView | None:
        return await in_autocommit(self._engine, lambda db: _view(db, product_id))

    async def get_products(self, product_ids: list[str]) -> list[ProductView]:
        """In the order asked for; unknown and deleted ids are left out."""
        if len(product_ids) > 500:
            raise InvalidArgument.field("ids", "At most 500 ids per call")
        ids = [require_uuid(value, f"ids[{i}]", "Product id must be a UUID") for i, value in enumerate(product_ids)]
        # One statement: no transaction around it (no BEGIN and ROLLBACK round trips).
        rows = await in_autocommit(self._engine, lambda db: repository.read_products(db, set(ids)))
        found = {row["id"]: ProductView.of(row) for row in rows}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    async def list_products(self, request: ListRequest) -> ProductPage:
        query = self._query(request)
        key = hashlib.sha256(json.dumps(asdict(request), sort_keys=True).encode()).hexdigest()[:32]
        return await self._lists.get_or_load(ALL, key, lambda: self._find(request.category, query))

    def _query(self, request: ListRequest) -> ProductQuery:
        violations: list[FieldViolation] = []
        bounds = {}
        for name in ("min_price", "max_price"):
            value = getattr(request, name)
            if value.strip():
                label = "Minimum" if name == "min_price" else "Maximum"
                bounds[name] = parse_price(value, name, violations, allow_zero=True,
                                           message=f"{label} price must be a non-negative number")
        if None not in bounds.values() and bounds.get("min_price", 0) > bounds.get("max_price", Decimal("Infinity")):
            violations.append(FieldViolation("min_price", "Minimum price must not exceed maximum price"))
        if request.sort not in SORTS:
            violations.append(FieldViolation("sort", f"Sort must be one of {', '.join(SORTS)}"))
        if request.status and request.status not in STATUSES:
            violations.append(FieldViolation("status", f"Status must be one of {', '.join(STATUSES)}"))
        if len(request.search) > 200:
            violations.append(FieldViolation("search", "Search must be at most 200 characters"))
        try:
            page, page_size = page_of(request.page, request.page_size)
        except InvalidArgument as error:
            violations += error.violations
        if violations:
            raise InvalidArgument.of(*violations)
        status = request.status or "ACTIVE"
        if status != "ACTIVE":
            current_principal().require("product:update")  # drafts and archived items are back office
        return ProductQuery(
            search=request.search.strip(), min_price=bounds.get("min_price"), max_price=bounds.get("max_price"),
            in_stock=request.in_stock, status=status, sort=request.sort, page=page, page_size=page_size,
        )

    async def _find(self, category: str, query: ProductQuery) -> ProductPage:
        if category.strip():
            async with self._sessions() as session:
                found = await repository.find_category(session, category.strip())
                ids = await repository.category_with_descendants(session, found.id) if found else []
            query = replace(query, category_ids=tuple(ids))
        # Reads that need no snapshot in common: no BEGIN and ROLLBACK round trips around them.
        result = await in_autocommit(self._engine, lambda db: find_products(db, query))
        products = tuple(ProductView.of(p) for p in result.products)
        return ProductPage(
            products=products, page=query.page, page_size=query.page_size, total=result.total,
            facets=Facets(
                categories=tuple(CategoryCount(category_id=i, name=n, slug=s, count=c)
                                 for i, n, s, c in result.categories),
                price_buckets=tuple(PriceBucketCount(label=label, min=low, max=high, count=count)
                                    for label, low, high, count in result.price_buckets),
            ),
        )

    # -- writes ----------------------------------------------------------------------------------

    async def create_product(self, fields: ProductFields, initial_quantity: int) -> ProductView:
        violations: list[FieldViolation] = []
        price = check_product(fields, UPDATABLE if fields.status else UPDATABLE - {"status"}, violations)
        if initial_quantity < 0:
            violations.append(FieldViolation("initial_quantity", "Initial quantity must not be negative"))
        if violations:
            raise InvalidArgument.of(*violations)

        async def work(session: AsyncSession) -> ProductView:
            if await repository.sku_taken(session, fields.sku):
                raise AlreadyExists("Product with this SKU already exists")
            product = Product(
                id=uuid.uuid4(), sku=fields.sku, name=fields.name.strip(), description=fields.description,
                price=price, status=fields.status or "ACTIVE", image_urls=list(fields.image_urls),
                weight_grams=fields.weight_grams, in_stock=initial_quantity > 0,
                variants=catalog.variants_of(fields.variants),
            )
            catalog.set_categories(product, await catalog.resolve_categories(session, fields.categories))
            await repository.add_product(session, product)
            view = await _view(session, product.id)
            await add_event(
                session, topic=TOPIC, key=str(view.id), event_type="product.created", source=SOURCE,
                payload=events_pb2.ProductCreated(
                    product_id=str(view.id), sku=view.sku, name=view.name, price=str(view.price),
                    initial_quantity=initial_quantity, status=messages.STATUS_VALUES[view.status],
                    category_ids=[str(c.id) for c in view.categories], occurred_at=messages.now(),
                ),
            )
            return view

        view = await self._write(work)
        await self._lists.invalidate(ALL)
        await self._trees.invalidate(ALL)  # a category named in the body may have been created
        try:
            await self._inventory.initialize_stock(view.id, view.sku, initial_quantity)
        except Unavailable as error:
            # The product exists; the inventory service's product.created consumer initializes it later.
            log.warning("inventory.initialize_deferred", product_id=str(view.id), error=error.message)
        return view

    async def update_product(self, product_id: str, fields: ProductFields, paths: list[str],
                             expected_version: int) -> ProductView:
        pid = require_uuid(product_id, "id", "Product id must be a UUID")
        unknown = sorted(set(paths) - UPDATABLE)
        if unknown:
            raise InvalidArgument.field("update_mask", f"Unknown fields: {', '.join(unknown)}")
        violations: list[FieldViolation] = []
        price = check_product(fields, frozenset(paths), violations)
        if violations:
            raise InvalidArgument.of(*violations)

        async def work(session: AsyncSession) -> tuple[ProductView, bool]:
            product = await self._locked(session, pid, expected_version)
            if "sku" in paths and fields.sku != product.sku and await repository.sku_taken(
                    session, fields.sku, other_than=pid):
                raise AlreadyExists("Product with this SKU already exists")
            changed = await catalog.apply_changes(session, product, fields, set(paths), price)
            if not changed:
                return await _view(session, pid), False
            product.version += 1
            product.updated_at = func.now()
            await session.flush()
            view = await _view(session, pid)
            await add_event(
                session, topic=TOPIC, key=str(pid), event_type="product.updated", source=SOURCE,
                payload=events_pb2.ProductUpdated(product=messages.product_message(view), changed_fields=changed,
                                                  occurred_at=messages.now()),
            )
            return view, True

        view, changed = await self._write(work)
        if changed:
            await self._forget(pid)
            await self._trees.invalidate(ALL)  # a category named in the body may have been created
        return view

    async def delete_product(self, product_id: str, expected_version: int) -> None:
        pid = require_uuid(product_id, "id", "Product id must be a UUID")

        async def work(session: AsyncSession) -> None:
            product = await self._locked(session, pid, expected_version)
            product.deleted_at = func.now()
            product.version += 1
            await add_event(
                session, topic=TOPIC, key=str(pid), event_type="product.deleted", source=SOURCE,
                payload=events_pb2.ProductDeleted(product_id=str(pid), sku=product.sku, occurred_at=messages.now()),
            )

        await self._write(work)
        await self._forget(pid)

    # -- categories ------------------------------------------------------------------------------

    async def list_categories(self, include_inactive: bool) -> tuple[CategoryView, ...]:
        return await self._trees.get_or_load(ALL, str(include_inactive), lambda: self._tree(include_inactive))

    async def _tree(self, include_inactive: bool) -> tuple[CategoryView, ...]:
        async with self._sessions() as session:
            return catalog.category_tree(await repository.list_categories(session, include_inactive=include_inactive))

    async def create_category(self, name: str, slug: str, parent_id: str, sort_order: int,
                              active: bool) -> CategoryView:
        violations: list[FieldViolation] = []
        if not name.strip() or len(name) > 100:
            violations.append(FieldViolation("name", "Name must be 1 to 100 characters"))
        derived = slug or slugify(name)
        if name.strip() and not derived:
            # A name of no Latin letter or digit ("日本", "😀") leaves nothing to derive the slug from, and the
            # client, who sent no slug, would be told to fix one.
            violations.append(FieldViolation("name", "Name must have a Latin letter or digit, or the category a slug"))
        elif not SLUG_PATTERN.match(derived) or len(derived) > 120:
            violations.append(FieldViolation("slug", "Slug must be lower-case letters and digits joined by -"))
        slug = derived
        parent = as_uuid(parent_id) if parent_id else None
        if parent_id and parent is None:
            violations.append(FieldViolation("parent_id", "Parent id must be a UUID"))
        if violations:
            raise InvalidArgument.of(*violations)

        async def work(session: AsyncSession) -> CategoryView:
            if parent is not None and await repository.get_category(session, parent) is None:
                raise InvalidArgument.field("parent_id", "Parent category not found")
            if await repository.find_category(session, slug) is not None:
                raise AlreadyExists("Category with this slug already exists")
            category = Category(id=uuid.uuid4(), name=name.strip(), slug=slug, parent_id=parent,
                                sort_order=sort_order, active=active)
            return CategoryView.of(await repository.add_category(session, category))

        view = await self._write(work)
        await self._trees.invalidate(ALL)
        return view

    # -- stock flag ------------------------------------------------------------------------------

    async def set_in_stock(self, session: AsyncSession, product_id: str, in_stock: bool) -> None:
        """For the inventory.updated handler, in the consumer's transaction (one per batch of events). The
        caches are invalidated once that commits: before, a concurrent reader could cache the old flag in
        the new generation."""
        pid = as_uuid(product_id)
        if pid is None:
            return  # not a product of ours: nothing to forget
        # A batch holds many events of the same few products, and nothing but this handler changes an
        # existing product's flag: once the transaction has set (or found) it, the same value again
        # needs no statement.
        settled = session.info.setdefault(IN_STOCK_SETTLED, {})
        if settled.get(pid) == in_stock:
            return
        settled[pid] = in_stock
        if not await repository.set_in_stock(session, pid, in_stock):
            return  # no change: nothing to forget

        def after_commit(_session) -> None:
            task = asyncio.get_running_loop().create_task(self._forget(pid))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

        event.listen(session.sync_session, "after_commit", after_commit, once=True)

    async def _forget(self, product_id: uuid.UUID) -> None:
        """After a committed change of one product: it and every list it may be on are read afresh."""
        await self._products.invalidate(str(product_id))
        await self._lists.invalidate(ALL)

    @staticmethod
    async def _locked(session: AsyncSession, product_id: uuid.UUID, expected_version: int) -> Product:
        if expected_version < 0:
            raise InvalidArgument.field("expected_version", "Expected version must not be negative")
        product = await repository.get_product(session, product_id, for_update=True)
        if product is None:
            raise NotFound("Product not found")
        if expected_version and product.version != expected_version:
            raise Conflict(f"Product has changed: version {product.version}, expected {expected_version}")
        return product

    async def _write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """One transaction; a unique index losing a race becomes the same answer as the pre-check."""
        try:
            return await in_transaction(self._sessions, work)
        except IntegrityError as error:
            constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
            if constraint == "ix_products_sku_live":
                raise AlreadyExists("Product with this SKU already exists") from error
            if constraint == "uq_categories_slug":
                raise AlreadyExists("Category with this slug already exists") from error
            raise


def _dump_tree(tree: tuple[CategoryView, ...]) -> bytes:
    return _TREE.dump_json(tree)


def _load_tree(raw: bytes) -> tuple[CategoryView, ...]:
    return _TREE.validate_json(raw)


_TREE = TypeAdapter(tuple[CategoryView, ...])


async def _view(db: Executor, product_id: uuid.UUID) -> ProductView | None:
    rows = await repository.read_products(db, [product_id])
    return ProductView.of(rows[0]) if rows else None


def _may_see_unlisted() -> bool:
    """Drafts and archived products are the back office's (product:update), by id as in lists."""
    principal = principal_var.get()
    return principal is not None and principal.has("product:update")
