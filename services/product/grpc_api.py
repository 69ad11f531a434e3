"""ProductService over gRPC: proto → arguments → use case → proto. Errors are mapped by the interceptor."""

from depot.product.v1 import product_pb2, product_pb2_grpc

from libs.grpc_server import INTERNAL, PUBLIC, ServiceBinding
from services.product.messages import (
    SORT_NAMES,
    category_message,
    page_message,
    product_fields,
    product_message,
    status_name,
)
from services.product.service import ListRequest, ProductService

ACCESS = {
    "CreateProduct": "product:create",
    "GetProduct": PUBLIC,
    "GetProducts": INTERNAL,
    "ListProducts": PUBLIC,
    "UpdateProduct": "product:update",
    "DeleteProduct": "product:delete",
    "ListCategories": PUBLIC,
    "CreateCategory": "product:create",
}


class ProductServicer(product_pb2_grpc.ProductServiceServicer):
    def __init__(self, service: ProductService):
        self._service = service

    async def CreateProduct(self, request, context):
        view = await self._service.create_product(product_fields(request.product), request.initial_quantity)
        return product_pb2.CreateProductResponse(product=product_message(view))

    async def GetProduct(self, request, context):
        return product_pb2.GetProductResponse(product=product_message(await self._service.get_product(request.id)))

    async def GetProducts(self, request, context):
        views = await self._service.get_products(list(request.ids))
        return product_pb2.GetProductsResponse(products=[product_message(v) for v in views])

    async def ListProducts(self, request, context):
        page = await self._service.list_products(ListRequest(
            search=request.search, category=request.category, min_price=request.min_price,
            max_price=request.max_price, in_stock=request.in_stock if request.HasField("in_stock") else None,
            sort=SORT_NAMES.get(request.sort, f"?{request.sort}"), status=status_name(request.status),
            page=request.page.page, page_size=request.page.page_size,
        ))
        return page_message(page)

    async def UpdateProduct(self, request, context):
        view = await self._service.update_product(
            request.id, product_fields(request.product), list(request.update_mask.paths), request.expected_version
        )
        return product_pb2.UpdateProductResponse(product=product_message(view))

    async def DeleteProduct(self, request, context):
        await self._service.delete_product(request.id, request.expected_version)
        return product_pb2.DeleteProductResponse()

    async def ListCategories(self, request, context):
        tree = await self._service.list_categories(request.include_inactive)
        return product_pb2.ListCategoriesResponse(categories=[category_message(c) for c in tree])

    async def CreateCategory(self, request, context):
        view = await self._service.create_category(
            request.name, request.slug, request.parent_id, request.sort_order,
            request.active if request.HasField("active") else True,
        )
        return product_pb2.CreateCategoryResponse(category=category_message(view))


def binding(service: ProductService) -> ServiceBinding:
    return ServiceBinding(
        descriptor=product_pb2.DESCRIPTOR.services_by_name["ProductService"],
        servicer=ProductServicer(service),
        add_to_server=product_pb2_grpc.add_ProductServiceServicer_to_server,
        access=ACCESS,
    )
