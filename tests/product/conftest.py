"""The product service as it runs in production (its real `build()` wiring behind the shared gRPC server),
on port 0, against the session's PostgreSQL and Redis and the package's own broker, calling a real
inventory service (tests/conftest.py: `inventory_server`) for InitializeStock and consuming its
inventory.updated events. Tokens are minted with the session's test key pair."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from depot.common.v1 import page_pb2
from depot.inventory.v1 import inventory_pb2_grpc
from depot.product.v1 import product_pb2, product_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.db import create_engine
from libs.stack import unique
from services.product.__main__ import MIGRATIONS, build
from services.product.settings import Settings
from tests import package_fixtures
from tests.grpc_helpers import Deployment, Keys, Metadata, Rows, Server, serve

# This package's own instances (tests/package_fixtures.py says why they are not in tests/conftest.py).
broker, deployment = package_fixtures.broker, package_fixtures.deployment
inventory_server = package_fixtures.inventory_server

DATABASE = "depot_product_test"


@dataclass
class ProductApp(Rows):
    stub: product_pb2_grpc.ProductServiceStub
    inventory: inventory_pb2_grpc.InventoryServiceStub
    settings: Settings
    keys: Keys
    db: AsyncEngine
    redis: Redis

    @property
    def admin(self) -> Metadata:
        return self.keys.role("admin")

    async def create(self, initial_quantity: int = 0, **fields) -> product_pb2.Product:
        """A fresh product, created by an admin; fields override the unique defaults."""
        values = {"sku": unique("SKU").upper(), "name": "Plain Widget", "description": "A widget.",
                  "price": "19.99", **fields}
        request = product_pb2.CreateProductRequest(product=product_pb2.ProductInput(**values),
                                                   initial_quantity=initial_quantity)
        return (await self.stub.CreateProduct(request, metadata=self.admin)).product

    async def get(self, product_id: str) -> product_pb2.Product:
        return (await self.stub.GetProduct(product_pb2.GetProductRequest(id=product_id))).product

    async def update(self, product_id: str, expected_version: int = 0, **fields) -> product_pb2.Product:
        request = product_pb2.UpdateProductRequest(
            id=product_id, product=product_pb2.ProductInput(**fields), expected_version=expected_version
        )
        request.update_mask.paths.extend(fields)
        return (await self.stub.UpdateProduct(request, metadata=self.admin)).product

    async def list(self, **criteria) -> product_pb2.ListProductsResponse:
        page = page_pb2.PageRequest(**{k: criteria.pop(k) for k in ("page", "page_size") if k in criteria})
        return await self.stub.ListProducts(product_pb2.ListProductsRequest(page=page, **criteria))


@pytest.fixture(scope="package")
def settings(deployment: Deployment, inventory_server: Server) -> Settings:
    return deployment.settings(Settings, DATABASE, MIGRATIONS, inventory_addr=f"127.0.0.1:{inventory_server.port}")


@pytest.fixture(scope="package")
async def app(settings: Settings, keys: Keys, inventory_server: Server) -> AsyncIterator[ProductApp]:
    server = await serve(await build(settings), keys)
    db = create_engine(settings.database_url, pool_size=2)
    redis = Redis.from_url(settings.redis_url)
    try:
        yield ProductApp(product_pb2_grpc.ProductServiceStub(server.channel),
                         inventory_pb2_grpc.InventoryServiceStub(inventory_server.channel),
                         settings, keys, db, redis)
    finally:
        await server.close()
        await db.dispose()
        await redis.aclose()
