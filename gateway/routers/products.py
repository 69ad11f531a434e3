"""/api/products: the catalog. Reads are public; writes need product:create / :update / :delete.

GET answers an ETag (the product's version, `"3"`) and 304 to a matching If-None-Match; PUT, PATCH and
DELETE take If-Match, and a product changed since that version is a 409.
"""

import re
import uuid
from decimal import Decimal
from typing import Annotated

from depot.common.v1 import page_pb2
from depot.product.v1 import product_pb2
from fastapi import APIRouter, Header, Query, Request, Response, status

from gateway.deps import ProductBodies, ProductStub, RequirePermission, Verifier, current_principal
from gateway.schemas.common import PageLimit, PageNumber, error_responses
from gateway.schemas.products import (
    SORTS,
    STATUS_VALUES,
    ProductCreate,
    ProductFields,
    ProductPage,
    ProductPublic,
    RenderedProduct,
    Sort,
    Status,
)
from libs.errors import InvalidArgument, NotFound

router = APIRouter(prefix="/products", tags=["products"], responses=error_responses(400, 503, 504))
ONE = error_responses(404)
WRITE = error_responses(401, 403, 404, 409)
# 18 digits at most: a version is an int64 in the proto, and a longer one cannot be any product's.
ETAG = re.compile(r'\s*(?:W/)?"(\d{1,18})"\s*')
IfMatch = Annotated[str | None, Header(json_schema_extra={"pattern": r'^\s*((W/)?"\d{1,18}"|\*)\s*$'},
                                       description='The ETag of the product as read, e.g. "3", or *')]


@router.get("", responses=error_responses(401, 403))
async def list_products(
    request: Request,
    products: ProductStub,
    verifier: Verifier,
    search: Annotated[str, Query(max_length=200)] = "",
    category: Annotated[str, Query(max_length=100, description="A category id, slug or name")] = "",
    min_price: Annotated[Decimal | None, Query(alias="minPrice", ge=0)] = None,
    max_price: Annotated[Decimal | None, Query(alias="maxPrice", ge=0)] = None,
    in_stock: Annotated[bool | None, Query(alias="inStock")] = None,
    sort: Annotated[Sort | None, Query(description="relevance when searching, else newest")] = None,
    status: Annotated[Status | None, Query(description="ACTIVE by default; others need product:update")] = None,
    page: PageNumber = 1,
    limit: PageLimit = 20,
) -> ProductPage:
    """Search is case-insensitive over name, description and sku, and tolerates typos. Facets count the
    whole filtered set: the top 10 categories and the price ranges <50, 50-100, 100-200, >=200."""
    if status not in (None, "ACTIVE"):
        await current_principal(request, verifier, None)  # forwarded: the service checks the permission
    answer = await products.ListProducts(product_pb2.ListProductsRequest(
        page=page_pb2.PageRequest(page=page, page_size=limit), search=search, category=category,
        min_price="" if min_price is None else str(min_price), max_price="" if max_price is None else str(max_price),
        in_stock=in_stock, sort=SORTS.get(sort, 0), status=STATUS_VALUES.get(status, 0),
    ))
    return ProductPage.from_proto(answer)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[RequirePermission("product:create")],
             responses=error_responses(401, 403, 409))
async def create_product(body: ProductCreate, products: ProductStub, response: Response) -> ProductPublic:
    """`category` is a name (created if new) or an id, or a list of them. The initial quantity is stocked
    at the inventory service."""
    message, _ = body.to_proto()
    answer = await products.CreateProduct(product_pb2.CreateProductRequest(
        product=message, initial_quantity=body.initial_quantity))
    return _tagged(answer.product, response)


@router.get("/{id}", response_model=ProductPublic,
            responses={**ONE, 304: {"description": "Not modified (If-None-Match)"}})
async def get_product(
    id: uuid.UUID, request: Request, products: ProductStub, bodies: ProductBodies, verifier: Verifier,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Public for ACTIVE products; drafts and archived ones only with product:update (404 otherwise), as
    their lists are. Answered from the gateway's cache of rendered products when it can: the product
    service retires an entry before it answers a write (libs.cache), so no read after a successful
    update sees the old one."""
    async def load() -> RenderedProduct:
        return RenderedProduct.of((await products.GetProduct(product_pb2.GetProductRequest(id=str(id)))).product)

    # A token, when there is one, is verified and forwarded: the service shows a draft to staff only.
    principal = await current_principal(request, verifier, None) if request.headers.get("authorization") else None
    rendered = await bodies.get_or_load(str(id), "", load)
    # The same rule again for what the cache holds: a draft that staff read is not anyone's to see.
    if not rendered.public and not (principal and principal.has("product:update")):
        raise NotFound("Product not found")
    etag = _etag(rendered.version)
    if if_none_match is not None and (if_none_match.strip() == "*" or etag in _etags(if_none_match)):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(rendered.body, media_type="application/json", headers={"ETag": etag})


async def _update(id: uuid.UUID, body: ProductFields, if_match: str | None, products, response) -> ProductPublic:
    message, paths = body.to_proto()
    request = product_pb2.UpdateProductRequest(id=str(id), product=message, expected_version=_version(if_match))
    request.update_mask.paths.extend(paths)
    return _tagged((await products.UpdateProduct(request)).product, response)


@router.put("/{id}", dependencies=[RequirePermission("product:update")], responses=WRITE)
async def replace_product(id: uuid.UUID, body: ProductFields, products: ProductStub, response: Response,
                          if_match: IfMatch = None) -> ProductPublic:
    """Takes a partial body too: the fields sent are changed, the others kept."""
    return await _update(id, body, if_match, products, response)


@router.patch("/{id}", dependencies=[RequirePermission("product:update")], responses=WRITE)
async def update_product(id: uuid.UUID, body: ProductFields, products: ProductStub, response: Response,
                         if_match: IfMatch = None) -> ProductPublic:
    return await _update(id, body, if_match, products, response)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[RequirePermission("product:delete")],
               responses=WRITE)
async def delete_product(id: uuid.UUID, products: ProductStub,
                         if_match: IfMatch = None) -> Response:
    """Soft delete: the product answers 404 afterwards."""
    await products.DeleteProduct(product_pb2.DeleteProductRequest(id=str(id), expected_version=_version(if_match)))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _etag(version: int) -> str:
    return f'"{version}"'


def _etags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",")]


def _tagged(product: product_pb2.Product, response: Response) -> ProductPublic:
    response.headers["ETag"] = _etag(product.version)
    return ProductPublic.from_proto(product)


def _version(if_match: str | None) -> int:
    """The version an If-Match names; 0 (no check) without one or for `*`."""
    if if_match is None or if_match.strip() == "*":
        return 0
    match = ETAG.fullmatch(if_match)
    if match is None:
        raise InvalidArgument.field("If-Match", 'If-Match must be an ETag of this product, e.g. "3"')
    return int(match.group(1))
