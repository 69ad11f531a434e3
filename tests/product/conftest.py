"""The product service as it runs in production (its real `build()` wiring behind the shared gRPC server),
on port 0, against the session's PostgreSQL and Redis, calling a real inventory service (also its own
wiring, on port 0) for InitializeStock. Tokens are minted here with the permissions a test needs."""

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from depot.common.v1 import page_pb2
from depot.inventory.v1 import inventory_pb2_grpc
from depot.product.v1 import product_pb2, product_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth import DEFAULT_ROLE_PERMISSIONS, TokenIssuer, TokenVerifier, generate_keypair
from libs.db import create_engine
from libs.grpc_server import start_server, stop_server
from libs.migrations import upgrade
from libs.runtime import Wiring
from libs.stack import FAST_GROUP_CONFIG, LocalStack, unique
from services.inventory import __main__ as inventory_main
from services.inventory.settings import Settings as InventorySettings
from services.product.__main__ import MIGRATIONS, build
from services.product.settings import Settings

DATABASE = "depot_product_test"
INVENTORY_DATABASE = "depot_inventory_for_product_test"
Metadata = tuple[tuple[str, str], ...]


@dataclass
class Keys:
    public: Path
    issuer: TokenIssuer
    verifier: TokenVerifier

    def metadata(self, *permissions: str, roles: tuple[str, ...] = ()) -> Metadata:
        token = self.issuer.issue(str(uuid.uuid4()), list(roles), list(permissions))
        return (("authorization", f"Bearer {token}"),)


@dataclass
class Server:
    """A service's real wiring behind the shared server bootstrap, on a free port."""

    port: int
    channel: grpc.aio.Channel
    close: Callable[[], Awaitable[None]]


async def serve(wiring: Wiring, keys: Keys, *, background: bool = True) -> Server:
    """Like libs.runtime.serve: the bindings on a port, and the background loops (relay, consumer)."""
    server, port, health = await start_server(wiring.bindings, host="127.0.0.1", port=0, verifier=keys.verifier)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    tasks = [asyncio.create_task(loop()) for loop in wiring.background] if background else []

    async def close() -> None:
        await channel.close()
        await stop_server(server, health, grace=1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await wiring.close()

    return Server(port, channel, close)


@dataclass
class ProductApp:
    stub: product_pb2_grpc.ProductServiceStub
    inventory: inventory_pb2_grpc.InventoryServiceStub
    settings: Settings
    keys: Keys
    db: AsyncEngine
    redis: Redis

    @property
    def admin(self) -> Metadata:
        return self.keys.metadata(*DEFAULT_ROLE_PERMISSIONS["admin"], roles=("admin",))

    async def rows(self, sql: str, **params) -> list:
        async with self.db.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    async def execute(self, sql: str, **params) -> None:
        async with self.db.begin() as connection:
            await connection.execute(text(sql), params)

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


@pytest.fixture(scope="session")
def keys() -> Keys:
    directory = Path(tempfile.mkdtemp(prefix="depot-product-keys-"))
    generate_keypair(directory / "private.pem", directory / "public.pem")
    options = {"issuer": "depot", "audience": "depot-api"}
    return Keys(directory / "public.pem", TokenIssuer.from_file(directory / "private.pem", **options),
                TokenVerifier.from_file(directory / "public.pem", **options))


@pytest.fixture(scope="session")
async def inventory_server(stack: LocalStack, keys: Keys) -> AsyncIterator[Server]:
    stack.create_databases([INVENTORY_DATABASE])
    upgrade(inventory_main.MIGRATIONS, stack.database_url(INVENTORY_DATABASE))
    settings = InventorySettings(
        database_url=stack.database_url(INVENTORY_DATABASE), redis_url=stack.redis_url,
        kafka_bootstrap=stack.kafka_bootstrap, grpc_host="127.0.0.1", grpc_port=0, metrics_port=0,
        jwt_public_key_file=keys.public, log_json=False,
        consumer_overrides={**FAST_GROUP_CONFIG, "group.id": unique("inventory")},
    )
    server = await serve(await inventory_main.build(settings), keys)
    yield server
    await server.close()


@pytest.fixture(scope="session")
def settings(stack: LocalStack, keys: Keys, inventory_server: Server) -> Settings:
    stack.create_databases([DATABASE])
    upgrade(MIGRATIONS, stack.database_url(DATABASE))
    return Settings(
        database_url=stack.database_url(DATABASE), redis_url=stack.redis_url, kafka_bootstrap=stack.kafka_bootstrap,
        grpc_host="127.0.0.1", grpc_port=0, metrics_port=0, jwt_public_key_file=keys.public, log_json=False,
        inventory_addr=f"127.0.0.1:{inventory_server.port}",
        # Other suites' product services share the session's broker: a group of our own gets every event.
        consumer_overrides={**FAST_GROUP_CONFIG, "group.id": unique("product")},
    )


@pytest.fixture(scope="session")
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
