"""The order service as it runs in production (its real `build()` wiring behind the shared gRPC server,
its relay, shipment consumer and sweeper running), on port 0, against the session's PostgreSQL and the
package's own broker, calling real product and inventory servers (their own wiring, also on port 0; the
inventory server comes from tests/conftest.py)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from depot.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from depot.order.v1 import order_pb2, order_pb2_grpc
from depot.product.v1 import product_pb2, product_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.db import create_engine
from libs.stack import unique
from services.order import __main__ as order_main
from services.order.payments import SandboxProvider
from services.order.settings import Settings
from services.product import __main__ as product_main
from services.product.settings import Settings as ProductSettings
from tests import package_fixtures
from tests.grpc_helpers import Caller, Deployment, Keys, Metadata, Publisher, Rows, Server, serve

# This package's own instances (tests/package_fixtures.py says why they are not in tests/conftest.py).
broker, deployment = package_fixtures.broker, package_fixtures.deployment
inventory_server = package_fixtures.inventory_server

DATABASE = "depot_order_test"
PRODUCT_DATABASE = "depot_product_for_order_test"
SUCCESS_CARD, DECLINED_CARD = "4111111111111111", "4000000000000002"
ADDRESS = order_pb2.Address(street="1 Main St", city="Springfield", postal_code="12345", country="us")


@dataclass
class OrderApp(Rows):
    stub: order_pb2_grpc.OrderServiceStub
    products: product_pb2_grpc.ProductServiceStub
    inventory: inventory_pb2_grpc.InventoryServiceStub
    keys: Keys
    payments: SandboxProvider
    db: AsyncEngine
    publisher: Publisher  # shipment events, as the shipping service's relay publishes them

    def customer(self) -> Caller:
        """A new customer (a user id no other test has) with the customer role's permissions."""
        return self.keys.caller("customer")

    def role(self, role: str) -> Metadata:
        return self.keys.role(role)

    async def product(self, quantity: int = 100, price: str = "99.99", **fields) -> product_pb2.Product:
        """A fresh product whose stock starts at `quantity` (the product service initializes it)."""
        values = {"sku": unique("SKU").upper(), "name": "Order Widget", "price": price, **fields}
        request = product_pb2.CreateProductRequest(product=product_pb2.ProductInput(**values),
                                                   initial_quantity=quantity)
        return (await self.products.CreateProduct(request, metadata=self.role("admin"))).product

    async def stock(self, product_id: str) -> inventory_pb2.Stock:
        request = inventory_pb2.GetStockRequest(product_id=product_id)
        return (await self.inventory.GetStock(request, metadata=self.role("staff"))).stock

    async def place(self, who: Caller, *items: tuple[str, int], key: str = "",
                    stub: order_pb2_grpc.OrderServiceStub | None = None) -> order_pb2.Order:
        request = order_pb2.CreateOrderRequest(
            items=[order_pb2.CreateOrderItem(product_id=p, quantity=q) for p, q in items],
            shipping_address=ADDRESS, idempotency_key=key,
        )
        return (await (stub or self.stub).CreateOrder(request, metadata=who.metadata)).order

    async def pay(self, who: Caller | Metadata, order_id: str, card: str = SUCCESS_CARD, *, key: str = "",
                  cvc: str = "123", expiry: tuple[int, int] = (12, 30)) -> order_pb2.Order:
        request = order_pb2.PayOrderRequest(
            order_id=order_id, payment_method="credit_card", idempotency_key=key,
            payment_details=order_pb2.PaymentDetails(card_number=card, expiry_month=expiry[0],
                                                     expiry_year=expiry[1], cvc=cvc, holder_name="Ada Lovelace"),
        )
        return (await self.stub.PayOrder(request, metadata=_metadata(who))).order

    async def cancel(self, who: Caller | Metadata, order_id: str, reason: str = "") -> order_pb2.Order:
        request = order_pb2.CancelOrderRequest(order_id=order_id, reason=reason)
        return (await self.stub.CancelOrder(request, metadata=_metadata(who))).order

    async def get(self, who: Caller | Metadata, order_id: str) -> order_pb2.Order:
        return (await self.stub.GetOrder(order_pb2.GetOrderRequest(id=order_id), metadata=_metadata(who))).order

    async def events(self, order_id: str) -> list[str]:
        """The types of the order's events in the outbox, oldest first."""
        rows = await self.rows("SELECT event_type FROM outbox WHERE key = :id ORDER BY created_at", id=order_id)
        return [row.event_type for row in rows]


def _metadata(who: Caller | Metadata) -> Metadata:
    return who.metadata if isinstance(who, Caller) else who


@pytest.fixture(scope="package")
async def product_server(deployment: Deployment, inventory_server: Server) -> AsyncIterator[Server]:
    settings = deployment.settings(ProductSettings, PRODUCT_DATABASE, product_main.MIGRATIONS,
                                   inventory_addr=f"127.0.0.1:{inventory_server.port}")
    server = await serve(await product_main.build(settings), deployment.keys)
    yield server
    await server.close()


@pytest.fixture(scope="package")
def order_settings(deployment: Deployment, inventory_server: Server, product_server: Server) -> Settings:
    return deployment.settings(Settings, DATABASE, order_main.MIGRATIONS,
                               product_addr=f"127.0.0.1:{product_server.port}",
                               inventory_addr=f"127.0.0.1:{inventory_server.port}")


@pytest.fixture(scope="package")
async def app(order_settings: Settings, keys: Keys, inventory_server: Server,
              product_server: Server) -> AsyncIterator[OrderApp]:
    payments = SandboxProvider()
    server = await serve(await order_main.build(order_settings, payments=payments), keys)
    db = create_engine(order_settings.database_url, pool_size=2)
    publisher = Publisher(order_settings.kafka_bootstrap, source="shipping")
    try:
        yield OrderApp(order_pb2_grpc.OrderServiceStub(server.channel),
                       product_pb2_grpc.ProductServiceStub(product_server.channel),
                       inventory_pb2_grpc.InventoryServiceStub(inventory_server.channel), keys, payments, db,
                       publisher)
    finally:
        await server.close()
        await db.dispose()


@pytest.fixture(scope="package")
async def expiring(order_settings: Settings, keys: Keys) -> AsyncIterator[order_pb2_grpc.OrderServiceStub]:
    """A second order server on the same database whose orders expire after a second, swept often."""
    settings = order_settings.model_copy(update={"order_ttl_seconds": 1.0, "sweep_interval_seconds": 0.1})
    server = await serve(await order_main.build(settings, payments=SandboxProvider()), keys)
    yield order_pb2_grpc.OrderServiceStub(server.channel)
    await server.close()


def status(name: str) -> int:
    return order_pb2.OrderStatus.Value(f"ORDER_STATUS_{name}")
