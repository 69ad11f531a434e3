"""The order service as it runs in production (its real `build()` wiring behind the shared gRPC server,
its sweeper running), on port 0, against the session's PostgreSQL, calling real product and inventory
servers (their own wiring, also on port 0). The key pair, the inventory server and `serve` are the
product tests' own fixtures, reused here."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from depot.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from depot.order.v1 import order_pb2, order_pb2_grpc
from depot.product.v1 import product_pb2, product_pb2_grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth import DEFAULT_ROLE_PERMISSIONS
from libs.db import create_engine
from libs.migrations import upgrade
from libs.stack import FAST_GROUP_CONFIG, LocalStack, unique
from services.order import __main__ as order_main
from services.order.payments import SandboxProvider
from services.order.settings import Settings
from services.product import __main__ as product_main
from services.product.settings import Settings as ProductSettings
from tests.product import conftest as product_fixtures
from tests.product.conftest import Keys, Server, serve

DATABASE = "depot_order_test"
PRODUCT_DATABASE = "depot_product_for_order_test"
SUCCESS_CARD, DECLINED_CARD = "4111111111111111", "4000000000000002"
ADDRESS = order_pb2.Address(street="1 Main St", city="Springfield", postal_code="12345", country="us")
Metadata = tuple[tuple[str, str], ...]

# The product tests' session fixtures, registered here too.
keys = product_fixtures.keys
inventory_server = product_fixtures.inventory_server


@dataclass
class Customer:
    id: str
    metadata: Metadata


@dataclass
class OrderApp:
    stub: order_pb2_grpc.OrderServiceStub
    products: product_pb2_grpc.ProductServiceStub
    inventory: inventory_pb2_grpc.InventoryServiceStub
    keys: Keys
    payments: SandboxProvider
    db: AsyncEngine
    bootstrap: str  # the broker

    def customer(self) -> Customer:
        """A new customer (a user id no other test has) with the customer role's permissions."""
        user_id = str(uuid.uuid4())
        token = self.keys.issuer.issue(user_id, ["customer"], list(DEFAULT_ROLE_PERMISSIONS["customer"]))
        return Customer(user_id, (("authorization", f"Bearer {token}"),))

    def role(self, role: str) -> Metadata:
        return self.keys.metadata(*DEFAULT_ROLE_PERMISSIONS[role], roles=(role,))

    async def product(self, quantity: int = 100, price: str = "99.99", **fields) -> product_pb2.Product:
        """A fresh product whose stock starts at `quantity` (the product service initializes it)."""
        values = {"sku": unique("SKU").upper(), "name": "Order Widget", "price": price, **fields}
        request = product_pb2.CreateProductRequest(product=product_pb2.ProductInput(**values),
                                                   initial_quantity=quantity)
        return (await self.products.CreateProduct(request, metadata=self.role("admin"))).product

    async def stock(self, product_id: str) -> inventory_pb2.Stock:
        request = inventory_pb2.GetStockRequest(product_id=product_id)
        return (await self.inventory.GetStock(request, metadata=self.role("staff"))).stock

    async def place(self, who: Customer, *items: tuple[str, int], key: str = "",
                    stub: order_pb2_grpc.OrderServiceStub | None = None) -> order_pb2.Order:
        request = order_pb2.CreateOrderRequest(
            items=[order_pb2.CreateOrderItem(product_id=p, quantity=q) for p, q in items],
            shipping_address=ADDRESS, idempotency_key=key,
        )
        return (await (stub or self.stub).CreateOrder(request, metadata=who.metadata)).order

    async def pay(self, who: Customer | Metadata, order_id: str, card: str = SUCCESS_CARD, *, key: str = "",
                  cvc: str = "123", expiry: tuple[int, int] = (12, 30)) -> order_pb2.Order:
        request = order_pb2.PayOrderRequest(
            order_id=order_id, payment_method="credit_card", idempotency_key=key,
            payment_details=order_pb2.PaymentDetails(card_number=card, expiry_month=expiry[0],
                                                     expiry_year=expiry[1], cvc=cvc, holder_name="Ada Lovelace"),
        )
        return (await self.stub.PayOrder(request, metadata=_metadata(who))).order

    async def cancel(self, who: Customer | Metadata, order_id: str, reason: str = "") -> order_pb2.Order:
        request = order_pb2.CancelOrderRequest(order_id=order_id, reason=reason)
        return (await self.stub.CancelOrder(request, metadata=_metadata(who))).order

    async def get(self, who: Customer | Metadata, order_id: str) -> order_pb2.Order:
        return (await self.stub.GetOrder(order_pb2.GetOrderRequest(id=order_id), metadata=_metadata(who))).order

    async def rows(self, sql: str, **params) -> list:
        async with self.db.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    async def events(self, order_id: str) -> list[str]:
        """The types of the order's events in the outbox, oldest first."""
        rows = await self.rows("SELECT event_type FROM outbox WHERE key = :id ORDER BY created_at", id=order_id)
        return [row.event_type for row in rows]


def _metadata(who: Customer | Metadata) -> Metadata:
    return who.metadata if isinstance(who, Customer) else who


@pytest.fixture(scope="session")
async def product_server(stack: LocalStack, keys: Keys, inventory_server: Server) -> AsyncIterator[Server]:
    stack.create_databases([PRODUCT_DATABASE])
    upgrade(product_main.MIGRATIONS, stack.database_url(PRODUCT_DATABASE))
    settings = ProductSettings(
        database_url=stack.database_url(PRODUCT_DATABASE), redis_url=stack.redis_url,
        kafka_bootstrap=stack.kafka_bootstrap, grpc_host="127.0.0.1", grpc_port=0, metrics_port=0,
        jwt_public_key_file=keys.public, log_json=False, inventory_addr=f"127.0.0.1:{inventory_server.port}",
    )
    server = await serve(await product_main.build(settings), keys)
    yield server
    await server.close()


@pytest.fixture(scope="session")
def order_settings(stack: LocalStack, keys: Keys, inventory_server: Server, product_server: Server) -> Settings:
    stack.create_databases([DATABASE])
    upgrade(order_main.MIGRATIONS, stack.database_url(DATABASE))
    return Settings(
        database_url=stack.database_url(DATABASE), redis_url=stack.redis_url, kafka_bootstrap=stack.kafka_bootstrap,
        grpc_host="127.0.0.1", grpc_port=0, metrics_port=0, jwt_public_key_file=keys.public, log_json=False,
        product_addr=f"127.0.0.1:{product_server.port}", inventory_addr=f"127.0.0.1:{inventory_server.port}",
        consumer_overrides=FAST_GROUP_CONFIG,
    )


async def _order_server(settings: Settings, keys: Keys, payments: SandboxProvider) -> AsyncIterator[Server]:
    """The server with its background loops running, as libs.runtime runs them."""
    wiring = await order_main.build(settings, payments=payments)
    loops = [asyncio.create_task(loop()) for loop in wiring.background]
    server = await serve(wiring, keys)
    try:
        yield server
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await server.close()


@pytest.fixture(scope="session")
async def app(order_settings: Settings, keys: Keys, inventory_server: Server,
              product_server: Server) -> AsyncIterator[OrderApp]:
    payments = SandboxProvider()
    db = create_engine(order_settings.database_url, pool_size=2)
    async for server in _order_server(order_settings, keys, payments):
        yield OrderApp(order_pb2_grpc.OrderServiceStub(server.channel),
                       product_pb2_grpc.ProductServiceStub(product_server.channel),
                       inventory_pb2_grpc.InventoryServiceStub(inventory_server.channel), keys, payments, db,
                       order_settings.kafka_bootstrap)
    await db.dispose()


@pytest.fixture(scope="session")
async def expiring(order_settings: Settings, keys: Keys) -> AsyncIterator[order_pb2_grpc.OrderServiceStub]:
    """A second order server on the same database whose orders expire after a second, swept often."""
    settings = order_settings.model_copy(update={"order_ttl_seconds": 1.0, "sweep_interval_seconds": 0.1})
    async for server in _order_server(settings, keys, SandboxProvider()):
        yield order_pb2_grpc.OrderServiceStub(server.channel)


def status(name: str) -> int:
    return order_pb2.OrderStatus.Value(f"ORDER_STATUS_{name}")

