"""What the use cases answer with: plain read models, detached from the session and cheap to cache as JSON."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.product import models


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class CategoryView(_View):
    id: uuid.UUID
    name: str
    slug: str
    parent_id: uuid.UUID | None
    sort_order: int
    active: bool
    children: tuple["CategoryView", ...] = ()

    @classmethod
    def of(cls, category: models.Category) -> "CategoryView":
        return cls(id=category.id, name=category.name, slug=category.slug, parent_id=category.parent_id,
                   sort_order=category.sort_order, active=category.active)


class VariantView(_View):
    id: uuid.UUID
    sku: str
    name: str
    attributes: dict[str, str]
    price: Decimal | None


class ProductView(_View):
    id: uuid.UUID
    sku: str
    name: str
    description: str
    price: Decimal
    status: str
    categories: tuple[CategoryView, ...]
    variants: tuple[VariantView, ...]
    image_urls: tuple[str, ...]
    weight_grams: int
    in_stock: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> "ProductView":
        """From a row of repository.read_products (categories and variants as decoded JSON)."""
        return cls.model_validate(dict(row))


class CategoryCount(_View):
    category_id: uuid.UUID
    name: str
    slug: str
    count: int


class PriceBucketCount(_View):
    label: str
    min: Decimal | None
    max: Decimal | None
    count: int


class Facets(_View):
    categories: tuple[CategoryCount, ...]
    price_buckets: tuple[PriceBucketCount, ...]


class ProductPage(_View):
    products: tuple[ProductView, ...]
    page: int
    page_size: int
    total: int
    facets: Facets


def dumps(view: _View) -> bytes:
    return view.model_dump_json().encode()
