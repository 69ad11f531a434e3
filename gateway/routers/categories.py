"""/api/categories: the category tree (public) and new categories (product:create)."""

from typing import Annotated

from depot.product.v1 import product_pb2
from fastapi import APIRouter, Query, status

from gateway.deps import ProductStub, RequirePermission
from gateway.schemas.common import error_responses
from gateway.schemas.products import CategoryCreate, CategoryPublic

router = APIRouter(prefix="/categories", tags=["categories"], responses=error_responses(400, 503, 504))


@router.get("")
async def list_categories(
    products: ProductStub, include_inactive: Annotated[bool, Query(alias="includeInactive")] = False,
) -> list[CategoryPublic]:
    """Roots with their children nested, each level ordered by sortOrder then name."""
    answer = await products.ListCategories(product_pb2.ListCategoriesRequest(include_inactive=include_inactive))
    return [CategoryPublic.from_proto(c) for c in answer.categories]


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[RequirePermission("product:create")],
             responses=error_responses(401, 403, 409))
async def create_category(body: CategoryCreate, products: ProductStub) -> CategoryPublic:
    answer = await products.CreateCategory(product_pb2.CreateCategoryRequest(
        name=body.name, slug=body.slug, parent_id=str(body.parent_id or ""), sort_order=body.sort_order,
        active=body.active))
    return CategoryPublic.from_proto(answer.category)
