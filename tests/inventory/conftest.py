"""The inventory service as it runs in production (its real `build()` wiring behind the shared gRPC
server, its outbox relay and event consumer as tasks), on port 0, against the session's PostgreSQL and
package's own broker, reached through real stubs. Tokens are minted with the session's test key pair,
so no user service is needed."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from depot.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.db import create_engine
from libs.stack import unique
from services.inventory.__main__ import MIGRATIONS, build
from services.inventory.settings import Settings
from tests import package_fixtures
from tests.grpc_helpers import Deployment, Keys, Metadata, Publisher, Rows, serve

# This package's own instances (tests/package_fixtures.py says why they are not in tests/conftest.py).
broker, deployment = package_fixtures.broker, package_fixtures.deployment

DATABASE = "depot_inventory_test"


@dataclass
class InventoryApp(Rows):
    stub: inventory_pb2_grpc.InventoryServiceStub
    settings: Settings
    keys: Keys
    db: AsyncEngine
    publisher: Publisher

    def token(self, role: str, user_id: str | None = None) -> Metadata:
        """Authorization metadata of a user with `role`'s default permissions."""
        return self.keys.role(role, user_id)

    @property
    def staff(self) -> Metadata:
        return self.token("staff")

    async def new_stock(self, quantity: int = 100, **fields) -> inventory_pb2.Stock:
        """Fresh stock for a new product id; fields override the request's defaults."""
        request = {"product_id": str(uuid.uuid4()), "sku": unique("SKU"), "initial_quantity": quantity, **fields}
        return (await self.stub.InitializeStock(inventory_pb2.InitializeStockRequest(**request))).stock

    async def stock(self, product_id: str) -> inventory_pb2.Stock:
        return (await self.stub.GetStock(inventory_pb2.GetStockRequest(product_id=product_id),
                                         metadata=self.staff)).stock

    async def adjust(self, product_id: str, movement_type: str, quantity: int,
                     **fields) -> inventory_pb2.AdjustStockResponse:
        request = inventory_pb2.AdjustStockRequest(
            product_id=product_id, type=inventory_pb2.MovementType.Value(f"MOVEMENT_TYPE_{movement_type}"),
            quantity=quantity, **fields,
        )
        return await self.stub.AdjustStock(request, metadata=self.staff)

    async def movements(self, product_id: str) -> list:
        """Ledger rows of a product, oldest first."""
        return await self.rows("SELECT * FROM stock_movements WHERE product_id = :id ORDER BY created_at, id",
                               id=product_id)

    async def events(self, product_id: str, event_type: str) -> list:
        return await self.rows("SELECT * FROM outbox WHERE key = :id AND event_type = :type ORDER BY created_at",
                               id=product_id, type=event_type)


@pytest.fixture(scope="package")
def inventory_settings(deployment: Deployment) -> Settings:
    return deployment.settings(Settings, DATABASE, MIGRATIONS)


@pytest.fixture(scope="package")
async def inventory(inventory_settings: Settings, keys: Keys) -> AsyncIterator[InventoryApp]:
    server = await serve(await build(inventory_settings), keys)
    db = create_engine(inventory_settings.database_url, pool_size=2)
    publisher = Publisher(inventory_settings.kafka_bootstrap, source="tests.inventory")
    try:
        yield InventoryApp(inventory_pb2_grpc.InventoryServiceStub(server.channel), inventory_settings, keys, db,
                           publisher)
    finally:
        await server.close()
        await db.dispose()
