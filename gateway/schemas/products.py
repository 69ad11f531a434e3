"""Product and category bodies. Money is a decimal string with 2 places on the way out ("19.99") and a
string or a number on the way in; weights are grams."""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal
from urllib.parse import urlparse

from depot.product.v1 import product_pb2
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool

from gateway.schemas.common import ApiModel, Int32, NonEmpty, Page, documented, rule_error

Status = Literal["ACTIVE", "DRAFT", "ARCHIVED"]
Sort = Literal["relevance", "newest", "price_asc", "price_desc", "name_asc", "name_desc"]
SORTS: dict[str, int] = {
    "relevance": product_pb2.PRODUCT_SORT_RELEVANCE, "newest": product_pb2.PRODUCT_SORT_NEWEST,
    "price_asc": product_pb2.PRODUCT_SORT_PRICE_ASC, "price_desc": product_pb2.PRODUCT_SORT_PRICE_DESC,
    "name_asc": product_pb2.PRODUCT_SORT_NAME_ASC, "name_desc": product_pb2.PRODUCT_SORT_NAME_DESC,
}
STATUS_VALUES: dict[str, int] = {name: product_pb2.ProductStatus.Value(f"PRODUCT_STATUS_{name}")
                                 for name in ("ACTIVE", "DRAFT", "ARCHIVED")}
STATUS_NAMES = {value: name for name, value in STATUS_VALUES.items()}


# The rules below repeat services/product/commands.py word for word: the gateway answers bad input
# without a round trip, and the service stays the authority for callers that bypass the gateway.
def _price(value: object) -> str:
    """A positive amount with at most 2 decimal places, as the decimal string the service takes."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise rule_error("Price must be a positive number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise rule_error("Price must be a positive number") from None
    if not amount.is_finite() or amount <= 0:
        raise rule_error("Price must be a positive number")
    if amount.as_tuple().exponent < -2:
        raise rule_error("Price must have at most 2 decimal places")
    return str(amount)


SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def _sku(value: str) -> str:
    if not value.strip():
        raise rule_error("SKU should not be empty")
    if len(value) > 64:
        raise rule_error("SKU must be at most 64 characters")
    if not SKU.fullmatch(value):
        raise rule_error("SKU may contain only letters, digits and . _ / -")
    return value


def _image_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(value) > 2000:
        raise rule_error("Image URL must be an http(s) URL")
    return value


def _categories(value: object) -> object:
    """`"category": "Electronics"` (the contract's example) or a list of names and ids."""
    return [value] if isinstance(value, str) else value


# json_schema_input_type: the OpenAPI document shows what a client may send, which is more than what the
# value becomes once read (a number for a price, one name for a list of categories).
Price = Annotated[str, BeforeValidator(_price, json_schema_input_type=str | float),
                  documented(pattern=r"^\d{1,10}(\.\d{1,2})?$")]
Sku = Annotated[str, AfterValidator(_sku), documented(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
CategoryName = Annotated[NonEmpty, Field(max_length=100)]
Categories = Annotated[list[CategoryName],
                       BeforeValidator(_categories, json_schema_input_type=CategoryName | list[CategoryName])]
ImageUrl = Annotated[str, AfterValidator(_image_url)]


def _not_negative(label: str):
    def check(value: int) -> int:
        if value < 0:
            raise rule_error(f"{label} must not be negative")
        return value

    return AfterValidator(check)


Weight = Annotated[Int32, _not_negative("Weight")]
InitialQuantity = Annotated[Int32, _not_negative("Initial quantity")]


class VariantIn(ApiModel):
    sku: Sku
    name: str = Field("", max_length=200)
    attributes: dict[str, str] = {}
    price: Price | None = None


class ProductFields(ApiModel):
    """What PUT and PATCH may change: only the fields present are (PUT takes a partial body too)."""

    sku: Sku | None = None
    name: Annotated[NonEmpty, Field(max_length=200)] | None = None
    description: str | None = Field(None, max_length=10_000)
    price: Price | None = None
    status: Status | None = None
    category: Categories | None = None
    variants: list[VariantIn] | None = None
    images: list[ImageUrl] | None = None
    weight: Weight | None = None

    def to_proto(self) -> tuple[product_pb2.ProductInput, list[str]]:
        """The ProductInput and the update mask of the fields that were sent (null counts as absent)."""
        sent = {name: value for name, value in self if name in self.model_fields_set and value is not None}
        message = product_pb2.ProductInput(
            sku=sent.get("sku", ""), name=sent.get("name", ""), description=sent.get("description", ""),
            price=sent.get("price", ""), status=STATUS_VALUES.get(sent.get("status"), 0),
            categories=sent.get("category", []), image_urls=sent.get("images", []), weight_grams=sent.get("weight", 0),
            variants=[product_pb2.VariantInput(sku=v.sku, name=v.name, attributes=v.attributes, price=v.price or "")
                      for v in sent.get("variants", [])],
        )
        paths = {"category": "categories", "images": "image_urls", "weight": "weight_grams"}
        return message, [paths.get(name, name) for name in sent]


class ProductCreate(ProductFields):
    sku: Sku
    name: Annotated[NonEmpty, Field(max_length=200)]
    price: Price
    initial_quantity: InitialQuantity = 0


class CategoryRef(ApiModel):
    id: str
    name: str
    slug: str


class VariantPublic(ApiModel):
    id: str
    sku: str
    name: str
    attributes: dict[str, str]
    price: str | None


class ProductPublic(ApiModel):
    id: str
    sku: str
    name: str
    description: str
    price: str
    status: Status
    # The first category's name, as the reference contract has one category per product.
    category: str | None
    categories: list[CategoryRef]
    variants: list[VariantPublic]
    images: list[str]
    weight: int
    in_stock: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_proto(cls, product: product_pb2.Product) -> "ProductPublic":
        return cls(
            id=product.id, sku=product.sku, name=product.name, description=product.description,
            price=product.price, status=STATUS_NAMES[product.status],
            category=product.categories[0].name if product.categories else None,
            categories=[CategoryRef(id=c.id, name=c.name, slug=c.slug) for c in product.categories],
            variants=[VariantPublic(id=v.id, sku=v.sku, name=v.name, attributes=dict(v.attributes),
                                    price=v.price or None) for v in product.variants],
            images=list(product.image_urls), weight=product.weight_grams, in_stock=product.in_stock,
            version=product.version, created_at=product.created_at.ToDatetime(tzinfo=UTC),
            updated_at=product.updated_at.ToDatetime(tzinfo=UTC),
        )


class CategoryFacet(ApiModel):
    id: str
    name: str
    slug: str
    count: int


class PriceRange(ApiModel):
    label: str
    min: str | None
    max: str | None
    count: int


class Facets(ApiModel):
    categories: list[CategoryFacet]
    price_ranges: list[PriceRange]


class ProductPage(Page[ProductPublic]):
    facets: Facets

    @classmethod
    def from_proto(cls, answer: product_pb2.ListProductsResponse) -> "ProductPage":
        page = Page[ProductPublic].of([ProductPublic.from_proto(p) for p in answer.products], answer.page_info)
        facets = Facets(
            categories=[CategoryFacet(id=c.category_id, name=c.name, slug=c.slug, count=c.count)
                        for c in answer.facets.categories],
            price_ranges=[PriceRange(label=b.label, min=b.min or None, max=b.max or None, count=b.count)
                          for b in answer.facets.price_buckets],
        )
        return cls(**dict(page), facets=facets)


class CategoryPublic(ApiModel):
    id: str
    name: str
    slug: str
    parent_id: str | None
    sort_order: int
    active: bool
    children: list["CategoryPublic"]

    @classmethod
    def from_proto(cls, category: product_pb2.Category) -> "CategoryPublic":
        return cls(id=category.id, name=category.name, slug=category.slug, parent_id=category.parent_id or None,
                   sort_order=category.sort_order, active=category.active,
                   children=[cls.from_proto(c) for c in category.children])


class CategoryCreate(ApiModel):
    name: Annotated[NonEmpty, Field(max_length=100)]
    # Derived from the name when absent; the service checks its form.
    slug: str = Field("", max_length=120)
    parent_id: uuid.UUID | None = None
    sort_order: Int32 = 0
    active: StrictBool = True


@dataclass(frozen=True)
class RenderedProduct:
    """A product's REST body as sent, with its version (the ETag) and whether anyone may read it (ACTIVE;
    drafts and archived products are the back office's): what the gateway caches per product."""

    version: int
    public: bool
    body: bytes

    @classmethod
    def of(cls, product: product_pb2.Product) -> "RenderedProduct":
        return cls(product.version, product.status == product_pb2.PRODUCT_STATUS_ACTIVE,
                   ProductPublic.from_proto(product).model_dump_json(by_alias=True).encode())

    def dumps(self) -> bytes:
        return b"%d %d\n%s" % (self.version, self.public, self.body)

    @classmethod
    def loads(cls, raw: bytes) -> "RenderedProduct":
        head, _, body = raw.partition(b"\n")
        version, public = head.split()
        return cls(int(version), public == b"1", body)
