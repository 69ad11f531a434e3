"""Read models ⇄ proto messages, shared by the gRPC API and the event payloads."""

from datetime import UTC, datetime

from depot.product.v1 import product_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from libs.paging import page_info
from libs.timestamps import to_timestamp
from services.product.commands import ProductFields, VariantFields
from services.product.views import CategoryView, ProductPage, ProductView

STATUS_NAMES = {
    product_pb2.PRODUCT_STATUS_ACTIVE: "ACTIVE",
    product_pb2.PRODUCT_STATUS_DRAFT: "DRAFT",
    product_pb2.PRODUCT_STATUS_ARCHIVED: "ARCHIVED",
}
STATUS_VALUES = {name: value for value, name in STATUS_NAMES.items()}
SORT_NAMES = {
    product_pb2.PRODUCT_SORT_UNSPECIFIED: "relevance",
    product_pb2.PRODUCT_SORT_RELEVANCE: "relevance",
    product_pb2.PRODUCT_SORT_NEWEST: "newest",
    product_pb2.PRODUCT_SORT_PRICE_ASC: "price_asc",
    product_pb2.PRODUCT_SORT_PRICE_DESC: "price_desc",
    product_pb2.PRODUCT_SORT_NAME_ASC: "name_asc",
    product_pb2.PRODUCT_SORT_NAME_DESC: "name_desc",
}


def now() -> Timestamp:
    return to_timestamp(datetime.now(UTC))


def status_name(value: int) -> str:
    """"" for UNSPECIFIED, "?<n>" for a value this build does not know (the service rejects it)."""
    if value == product_pb2.PRODUCT_STATUS_UNSPECIFIED:
        return ""
    return STATUS_NAMES.get(value, f"?{value}")


def category_message(view: CategoryView) -> product_pb2.Category:
    return product_pb2.Category(
        id=str(view.id), name=view.name, slug=view.slug, parent_id=str(view.parent_id or ""),
        sort_order=view.sort_order, active=view.active, children=[category_message(c) for c in view.children],
    )


def product_message(view: ProductView) -> product_pb2.Product:
    return product_pb2.Product(
        id=str(view.id), sku=view.sku, name=view.name, description=view.description, price=str(view.price),
        status=STATUS_VALUES[view.status], categories=[category_message(c) for c in view.categories],
        variants=[
            product_pb2.Variant(id=str(v.id), sku=v.sku, name=v.name, attributes=v.attributes,
                                price="" if v.price is None else str(v.price))
            for v in view.variants
        ],
        image_urls=view.image_urls, weight_grams=view.weight_grams, in_stock=view.in_stock, version=view.version,
        created_at=to_timestamp(view.created_at), updated_at=to_timestamp(view.updated_at),
    )


def page_message(page: ProductPage) -> product_pb2.ListProductsResponse:
    return product_pb2.ListProductsResponse(
        products=[product_message(p) for p in page.products],
        page_info=page_info(page.page, page.page_size, page.total),
        facets=product_pb2.Facets(
            categories=[
                product_pb2.CategoryFacet(category_id=str(c.category_id), name=c.name, slug=c.slug, count=c.count)
                for c in page.facets.categories
            ],
            price_buckets=[
                product_pb2.PriceBucket(label=b.label, min="" if b.min is None else str(b.min),
                                        max="" if b.max is None else str(b.max), count=b.count)
                for b in page.facets.price_buckets
            ],
        ),
    )


def product_fields(message: product_pb2.ProductInput) -> ProductFields:
    return ProductFields(
        sku=message.sku, name=message.name, description=message.description, price=message.price,
        status=status_name(message.status), categories=tuple(message.categories),
        variants=tuple(
            VariantFields(sku=v.sku, name=v.name, attributes=dict(v.attributes), price=v.price)
            for v in message.variants
        ),
        image_urls=tuple(message.image_urls), weight_grams=message.weight_grams,
    )
