"""What callers may ask the catalog to change, and the rules its input must follow.

Validation collects every violation at once (field names are the proto's paths, e.g.
`variants[1].price`) so a client can fix its whole form in one round.
"""

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

from libs.errors import FieldViolation, InvalidArgument
from libs.ids import as_uuid
from libs.paging import MAX_PAGE_SIZE
from services.product.models import STATUSES

MAX_PRICE = Decimal("9999999999.99")  # NUMERIC(12,2)
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class VariantFields:
    sku: str
    name: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    price: str = ""


@dataclass(frozen=True)
class ProductFields:
    """ProductInput as plain values. On update only the paths in the mask are read."""

    sku: str = ""
    name: str = ""
    description: str = ""
    price: str = ""
    status: str = ""  # "" = ACTIVE on create
    categories: tuple[str, ...] = ()
    variants: tuple[VariantFields, ...] = ()
    image_urls: tuple[str, ...] = ()
    weight_grams: int = 0


UPDATABLE = frozenset(ProductFields.__dataclass_fields__)


def parse_price(value: str, field_name: str, violations: list[FieldViolation], *,
                message: str = "Price must be a positive number", allow_zero: bool = False) -> Decimal | None:
    try:
        price = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        price = None
    if price is None or not price.is_finite() or price < 0 or (price == 0 and not allow_zero):
        violations.append(FieldViolation(field_name, message))
        return None
    if price.as_tuple().exponent < -2:
        violations.append(FieldViolation(field_name, "Price must have at most 2 decimal places"))
        return None
    if price > MAX_PRICE:
        violations.append(FieldViolation(field_name, f"Price must be at most {MAX_PRICE}"))
        return None
    return price.quantize(Decimal("0.01"))


def check_product(fields: ProductFields, paths: frozenset[str], violations: list[FieldViolation]) -> Decimal | None:
    """Append the violations of the `paths` of `fields`; returns the parsed price when it is among them."""
    if "sku" in paths:
        _check_sku(fields.sku, "sku", violations)
    if "name" in paths:
        if not fields.name.strip():
            violations.append(FieldViolation("name", "Name should not be empty"))
        elif len(fields.name) > 200:
            violations.append(FieldViolation("name", "Name must be at most 200 characters"))
    if "description" in paths and len(fields.description) > 10_000:
        violations.append(FieldViolation("description", "Description must be at most 10000 characters"))
    price = parse_price(fields.price, "price", violations) if "price" in paths else None
    if "status" in paths and fields.status not in STATUSES:
        violations.append(FieldViolation("status", f"Status must be one of {', '.join(STATUSES)}"))
    if "categories" in paths:
        for i, reference in enumerate(fields.categories):
            if not reference.strip() or len(reference) > 100:
                violations.append(FieldViolation(f"categories[{i}]", "Category must be 1 to 100 characters"))
    if "variants" in paths:
        _check_variants(fields.variants, violations)
    if "image_urls" in paths:
        for i, url in enumerate(fields.image_urls):
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
                violations.append(FieldViolation(f"image_urls[{i}]", "Image URL must be an http(s) URL"))
    if "weight_grams" in paths and fields.weight_grams < 0:
        violations.append(FieldViolation("weight_grams", "Weight must not be negative"))
    return price


def _check_sku(sku: str, field_name: str, violations: list[FieldViolation]) -> None:
    if not sku.strip():
        violations.append(FieldViolation(field_name, "SKU should not be empty"))
    elif len(sku) > 64:
        violations.append(FieldViolation(field_name, "SKU must be at most 64 characters"))
    elif not SKU_PATTERN.match(sku):
        violations.append(FieldViolation(field_name, "SKU may contain only letters, digits and . _ / -"))


def _check_variants(variants: tuple[VariantFields, ...], violations: list[FieldViolation]) -> None:
    seen: set[str] = set()
    for i, variant in enumerate(variants):
        _check_sku(variant.sku, f"variants[{i}].sku", violations)
        if variant.sku in seen:
            violations.append(FieldViolation(f"variants[{i}].sku", "Variant SKUs must be unique"))
        seen.add(variant.sku)
        if variant.price:
            parse_price(variant.price, f"variants[{i}].price", violations)


def variant_price(variant: VariantFields) -> Decimal | None:
    """A checked variant's price (None: the product's)."""
    return Decimal(variant.price).quantize(Decimal("0.01")) if variant.price else None


def require_uuid(value: str, field_name: str, message: str) -> uuid.UUID:
    parsed = as_uuid(value)
    if parsed is None:
        raise InvalidArgument.field(field_name, message)
    return parsed


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:120]


def page_of(page: int, page_size: int) -> tuple[int, int]:
    violations = []
    if page < 0:
        violations.append(FieldViolation("page", "Page must be a positive number"))
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        violations.append(FieldViolation("page_size", f"Page size must be between 1 and {MAX_PAGE_SIZE}"))
    if violations:
        raise InvalidArgument.of(*violations)
    return page or 1, page_size or DEFAULT_PAGE_SIZE
