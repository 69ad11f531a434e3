"""The product service as the order service sees it: prices and names to snapshot into an order."""

from dataclasses import dataclass, field
from decimal import Decimal

import grpc
from depot.product.v1 import product_pb2, product_pb2_grpc

from libs.errors import Unavailable
from libs.grpc_client import channel

SERVICE = product_pb2.DESCRIPTOR.services_by_name["ProductService"].full_name


@dataclass(frozen=True)
class Variant:
    id: str
    sku: str
    name: str
    price: Decimal | None  # None: the product's price


@dataclass(frozen=True)
class Product:
    id: str
    sku: str
    name: str
    price: Decimal
    active: bool
    weight_grams: int  # 0: the catalog does not know
    variants: dict[str, Variant] = field(default_factory=dict)


def _product(message: product_pb2.Product) -> Product:
    return Product(
        id=message.id, sku=message.sku, name=message.name, price=Decimal(message.price),
        active=message.status == product_pb2.PRODUCT_STATUS_ACTIVE, weight_grams=message.weight_grams,
        variants={
            v.id: Variant(v.id, v.sku, v.name, Decimal(v.price) if v.price else None) for v in message.variants
        },
    )


class CatalogClient:
    def __init__(self, target: str, *, timeout_seconds: float):
        self._channel = channel(target, service=SERVICE, idempotent_methods=["GetProducts"])
        self._stub = product_pb2_grpc.ProductServiceStub(self._channel)
        self._timeout = timeout_seconds

    async def get_products(self, ids: set[str]) -> dict[str, Product]:
        """The products that exist, by id; unknown and deleted ids are simply absent."""
        try:
            answer = await self._stub.GetProducts(product_pb2.GetProductsRequest(ids=sorted(ids)),
                                                  timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise Unavailable(f"The product catalog did not answer ({error.code().name})") from error
        return {message.id: _product(message) for message in answer.products}

    async def close(self) -> None:
        await self._channel.close()
