"""Catalog rules that shape rows inside a use case's transaction: category references, variants, the
changes an update mask asks for, and the category tree."""

import uuid
from collections import defaultdict
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from libs.errors import FieldViolation, InvalidArgument
from libs.ids import as_uuid
from services.product import repository
from services.product.commands import ProductFields, VariantFields, slugify, variant_price
from services.product.models import Category, Product, Variant
from services.product.views import CategoryView


async def resolve_categories(session: AsyncSession, references: tuple[str, ...]) -> list[Category]:
    """Each reference is a category id, or a name: an unknown name becomes a new root category (the REST
    contract creates products with `"category": "Electronics"`)."""
    violations: list[FieldViolation] = []
    ids = {i: as_uuid(ref.strip()) for i, ref in enumerate(references)}
    known = {c.id: c for c in await repository.get_categories(session, {u for u in ids.values() if u})}
    resolved: dict[uuid.UUID, Category] = {}
    for i, reference in enumerate(references):
        if ids[i] is not None:
            category = known.get(ids[i])
            if category is None:
                violations.append(FieldViolation(f"categories[{i}]", "Category not found"))
                continue
        else:
            slug = slugify(reference)
            if not slug:
                violations.append(FieldViolation(f"categories[{i}]", "Category name must contain a letter or digit"))
                continue
            category = await repository.get_or_add_category(session, name=reference.strip(), slug=slug)
        resolved[category.id] = category
    if violations:
        raise InvalidArgument.of(*violations)
    return list(resolved.values())


def set_categories(product: Product, categories: list[Category]) -> None:
    product.categories = categories
    product.category_ids = sorted(c.id for c in categories)


def variants_of(fields: tuple[VariantFields, ...]) -> list[Variant]:
    return [
        Variant(id=uuid.uuid4(), position=i, sku=v.sku, name=v.name.strip(), attributes=dict(v.attributes),
                price=variant_price(v))
        for i, v in enumerate(fields)
    ]


async def apply_changes(session: AsyncSession, product: Product, fields: ProductFields, paths: set[str],
                        price: Decimal | None) -> list[str]:
    """Set the masked fields that differ from the product's; returns their paths (empty: nothing to do)."""
    changed: list[str] = []
    scalars = {"sku": fields.sku, "name": fields.name.strip(), "description": fields.description, "price": price,
               "status": fields.status, "image_urls": list(fields.image_urls), "weight_grams": fields.weight_grams}
    for path, value in scalars.items():
        if path in paths and getattr(product, path) != value:
            setattr(product, path, value)
            changed.append(path)
    if "categories" in paths:
        categories = await resolve_categories(session, fields.categories)
        if {c.id for c in categories} != {c.id for c in product.categories}:
            set_categories(product, categories)
            changed.append("categories")
    if "variants" in paths and _variant_tuples(fields.variants) != [
            (v.sku, v.name, v.attributes, v.price) for v in product.variants]:
        # Old rows go first: a new variant may reuse an old one's sku, and the unique index is checked per row.
        product.variants.clear()
        await session.flush()
        product.variants = variants_of(fields.variants)
        changed.append("variants")
    return changed


def _variant_tuples(fields: tuple[VariantFields, ...]) -> list[tuple]:
    return [(v.sku, v.name.strip(), dict(v.attributes), variant_price(v)) for v in fields]


def category_tree(categories: list[Category]) -> tuple[CategoryView, ...]:
    """Roots with their children nested, in the given order; a child of a missing (inactive) parent is dropped."""
    children: dict[uuid.UUID | None, list[Category]] = defaultdict(list)
    for category in categories:
        children[category.parent_id].append(category)

    def build(category: Category) -> CategoryView:
        return CategoryView.of(category).model_copy(
            update={"children": tuple(build(c) for c in children[category.id])}
        )

    return tuple(build(c) for c in children[None])
