"""The shipping service as it runs in production (its real `build()` wiring behind the shared gRPC
server, its outbox relay and order.paid consumer as tasks), on port 0, against the session's PostgreSQL
and the package's own broker, reached through real stubs. Tokens are minted with the session's test key
pair; order.paid events are published to the broker as the order service's relay would."""

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from depot.common.v1 import page_pb2
from depot.order.v1 import events_pb2 as order_events
from depot.order.v1 import order_pb2
from depot.shipping.v1 import shipping_pb2, shipping_pb2_grpc
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.db import create_engine
from libs.events import topics
from libs.stack import apoll_until, unique
from services.shipping.__main__ import MIGRATIONS, build
from services.shipping.settings import Settings
from services.shipping.webhooks import sign
from tests import package_fixtures
from tests.grpc_helpers import Caller, Deployment, Keys, Metadata, Publisher, Rows, serve

# This package's own instances (tests/package_fixtures.py says why they are not in tests/conftest.py).
broker, deployment = package_fixtures.broker, package_fixtures.deployment

DATABASE = "depot_shipping_test"
SECRETS = {"DHL": b"test-dhl-secret", "FEDEX": b"test-fedex-secret", "UPS": b"test-ups-secret"}
EVENT_TIMEOUT = 30.0  # the first event waits for the consumer to join its group
ADDRESS = order_pb2.Address(street="1 Main St", city="Boston", postal_code="02110", country="us")


@dataclass
class ShippingApp(Rows):
    stub: shipping_pb2_grpc.ShippingServiceStub
    settings: Settings
    keys: Keys
    db: AsyncEngine
    publisher: Publisher

    def user(self, role: str) -> Caller:
        """A new user (an id no other test has) with `role`'s default permissions."""
        return self.keys.caller(role)

    @property
    def staff(self) -> Metadata:
        return self.keys.role("staff")

    async def publish_paid(self, order: order_pb2.Order, event_id: str | None = None) -> str:
        """order.paid as the order service's relay publishes it; returns the event id."""
        return await self.publisher.publish(topics.ORDER, order.id, "order.paid", order_events.OrderPaid(order=order),
                                            event_id)

    async def processed(self, *event_ids: str) -> bool:
        rows = await self.rows("SELECT event_id FROM processed_events WHERE event_id = ANY(:ids)",
                               ids=list(event_ids))
        return len(rows) == len(event_ids)

    async def shipment_of(self, order_id: str) -> shipping_pb2.Shipment | None:
        answer = await self.stub.ListShipments(shipping_pb2.ListShipmentsRequest(order_id=order_id),
                                               metadata=self.staff)
        return answer.shipments[0] if answer.shipments else None

    async def paid_order(self, customer: Caller | None = None, *quantities: int,
                         address: order_pb2.Address = ADDRESS, weights: tuple[int, ...] = ()) -> shipping_pb2.Shipment:
        """Publishes order.paid for a new order (a line per quantity, with the unit weights given, else
        none) and waits for its shipment, returned with its history."""
        quantities = quantities or (2,)
        order = order_pb2.Order(
            id=str(uuid.uuid4()), customer_id=(customer or self.user("customer")).id,
            status=order_pb2.ORDER_STATUS_PAID, shipping_address=address,
            items=[order_pb2.OrderItem(product_id=str(uuid.uuid4()), quantity=q, weight_grams=w)
                   for q, w in zip(quantities, weights or (0,) * len(quantities), strict=True)],
        )
        await self.publish_paid(order)
        found = await apoll_until(lambda: self.shipment_of(order.id), EVENT_TIMEOUT,
                                  message=f"a shipment for order {order.id}")
        return await self.get(found.id)

    async def get(self, shipment_id: str, metadata: Metadata | None = None) -> shipping_pb2.Shipment:
        request = shipping_pb2.GetShipmentRequest(id=shipment_id)
        return (await self.stub.GetShipment(request, metadata=metadata or self.staff)).shipment

    async def move(self, shipment_id: str, status: str, metadata: Metadata | None = None,
                   **fields) -> shipping_pb2.Shipment:
        request = shipping_pb2.UpdateShipmentStatusRequest(
            id=shipment_id, status=shipping_pb2.ShipmentStatus.Value(f"SHIPMENT_STATUS_{status}"), **fields)
        return (await self.stub.UpdateShipmentStatus(request, metadata=metadata or self.staff)).shipment

    async def listing(self, metadata: Metadata, page_size: int = 0, **criteria) -> shipping_pb2.ListShipmentsResponse:
        request = shipping_pb2.ListShipmentsRequest(page=page_pb2.PageRequest(page_size=page_size), **criteria)
        return await self.stub.ListShipments(request, metadata=metadata)

    async def webhook(self, carrier: str, body: bytes, *, webhook_id: str | None = None,
                      timestamp: int | None = None, secret: bytes | None = None,
                      signature: str | None = None) -> shipping_pb2.HandleCarrierWebhookResponse:
        """A carrier's push, signed with its test secret unless the test says otherwise."""
        webhook_id = unique("wh") if webhook_id is None else webhook_id
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        if signature is None:
            signature = sign(secret or SECRETS[carrier.upper()], webhook_id, stamp, body)
        return await self.stub.HandleCarrierWebhook(shipping_pb2.HandleCarrierWebhookRequest(
            carrier=carrier, webhook_id=webhook_id, timestamp=stamp, signature=signature, body=body))

    async def events(self, shipment_id: str) -> list[str]:
        """The types of the shipment's events in the outbox, oldest first."""
        rows = await self.rows("SELECT event_type FROM outbox WHERE key = :id ORDER BY created_at", id=shipment_id)
        return [row.event_type for row in rows]


@pytest.fixture(scope="package")
def shipping_settings(deployment: Deployment) -> Settings:
    return deployment.settings(
        Settings, DATABASE, MIGRATIONS,
        webhook_secrets={code: SecretStr(secret.decode()) for code, secret in SECRETS.items()},
    )


@pytest.fixture(scope="package")
async def shipping(shipping_settings: Settings, keys: Keys) -> AsyncIterator[ShippingApp]:
    server = await serve(await build(shipping_settings), keys)
    db = create_engine(shipping_settings.database_url, pool_size=2)
    publisher = Publisher(shipping_settings.kafka_bootstrap, source="tests.shipping")
    try:
        yield ShippingApp(shipping_pb2_grpc.ShippingServiceStub(server.channel), shipping_settings, keys, db,
                          publisher)
    finally:
        await server.close()
        await db.dispose()
