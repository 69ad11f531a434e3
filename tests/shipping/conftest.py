"""The shipping service as it runs in production (its real `build()` wiring behind the shared gRPC
server, its outbox relay and order.paid consumer as tasks), on port 0, against the session's PostgreSQL
and broker, reached through real stubs. Tokens are minted with a test key pair; order.paid events are
published to the broker as the order service's relay would."""

import asyncio
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from confluent_kafka import Producer
from depot.common.v1 import page_pb2
from depot.order.v1 import events_pb2 as order_events
from depot.order.v1 import order_pb2
from depot.shipping.v1 import shipping_pb2, shipping_pb2_grpc
from google.protobuf import json_format
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth import DEFAULT_ROLE_PERMISSIONS, TokenIssuer, TokenVerifier, generate_keypair
from libs.db import create_engine
from libs.events import topics
from libs.events.envelope import wire_headers
from libs.events.kafka import Record, produce_and_wait, producer_config
from libs.grpc_server import start_server, stop_server
from libs.migrations import upgrade
from libs.stack import FAST_GROUP_CONFIG, LocalStack, apoll_until, unique
from services.shipping.__main__ import MIGRATIONS, build
from services.shipping.settings import Settings
from services.shipping.webhooks import sign

DATABASE = "depot_shipping_test"
SECRETS = {"DHL": b"test-dhl-secret", "FEDEX": b"test-fedex-secret", "UPS": b"test-ups-secret"}
EVENT_TIMEOUT = 30.0  # the first event waits for the consumer to join its group
ADDRESS = order_pb2.Address(street="1 Main St", city="Boston", postal_code="02110", country="us")

Metadata = tuple[tuple[str, str], ...]


@dataclass
class User:
    id: str
    metadata: Metadata


@dataclass
class ShippingApp:
    stub: shipping_pb2_grpc.ShippingServiceStub
    settings: Settings
    issuer: TokenIssuer
    db: AsyncEngine
    producer: Producer

    def user(self, role: str) -> User:
        """A new user (an id no other test has) with `role`'s default permissions."""
        user_id = str(uuid.uuid4())
        token = self.issuer.issue(user_id, [role], list(DEFAULT_ROLE_PERMISSIONS[role]))
        return User(user_id, (("authorization", f"Bearer {token}"),))

    @property
    def staff(self) -> Metadata:
        return self.user("staff").metadata

    async def rows(self, sql: str, **params) -> list:
        async with self.db.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    async def execute(self, sql: str, **params) -> None:
        async with self.db.begin() as connection:
            await connection.execute(text(sql), params)

    async def publish_paid(self, order: order_pb2.Order, event_id: str | None = None) -> str:
        """order.paid as the order service's relay publishes it; returns the event id."""
        event_id = event_id or str(uuid.uuid4())
        payload = order_events.OrderPaid(order=order)
        value = json_format.MessageToJson(payload, indent=None, preserving_proto_field_name=True)
        headers = wire_headers(event_id, "order.paid", {"ce_source": "tests.shipping"})
        [error] = await asyncio.to_thread(produce_and_wait, self.producer,
                                          [Record(topics.ORDER, order.id.encode(), value.encode(), headers)], 10.0)
        assert error is None, error
        return event_id

    async def processed(self, *event_ids: str) -> bool:
        rows = await self.rows("SELECT event_id FROM processed_events WHERE event_id = ANY(:ids)",
                               ids=list(event_ids))
        return len(rows) == len(event_ids)

    async def shipment_of(self, order_id: str) -> shipping_pb2.Shipment | None:
        answer = await self.stub.ListShipments(shipping_pb2.ListShipmentsRequest(order_id=order_id),
                                               metadata=self.staff)
        return answer.shipments[0] if answer.shipments else None

    async def paid_order(self, customer: User | None = None, *quantities: int,
                         address: order_pb2.Address = ADDRESS) -> shipping_pb2.Shipment:
        """Publishes order.paid for a new order and waits for its shipment, returned with its history."""
        order = order_pb2.Order(
            id=str(uuid.uuid4()), customer_id=(customer or self.user("customer")).id,
            status=order_pb2.ORDER_STATUS_PAID, shipping_address=address,
            items=[order_pb2.OrderItem(product_id=str(uuid.uuid4()), quantity=q) for q in quantities or (2,)],
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


@pytest.fixture(scope="session")
def shipping_settings(stack: LocalStack) -> Settings:
    stack.create_databases([DATABASE])
    upgrade(MIGRATIONS, stack.database_url(DATABASE))
    keys = Path(tempfile.mkdtemp(prefix="depot-shipping-keys-"))
    generate_keypair(keys / "private.pem", keys / "public.pem")
    return Settings(
        database_url=stack.database_url(DATABASE), redis_url=stack.redis_url, kafka_bootstrap=stack.kafka_bootstrap,
        grpc_host="127.0.0.1", grpc_port=0, metrics_port=0, jwt_public_key_file=keys / "public.pem", log_json=False,
        # A group of its own: a shipping service of the end-to-end fleet may share this broker.
        consumer_overrides={**FAST_GROUP_CONFIG, "group.id": unique("shipping-tests")},
        webhook_secrets={code: SecretStr(secret.decode()) for code, secret in SECRETS.items()},
    )


@pytest.fixture(scope="session")
async def shipping(shipping_settings: Settings) -> AsyncIterator[ShippingApp]:
    settings = shipping_settings
    verifier = TokenVerifier.from_file(settings.jwt_public_key_file, issuer=settings.jwt_issuer,
                                       audience=settings.jwt_audience)
    issuer = TokenIssuer.from_file(settings.jwt_public_key_file.with_name("private.pem"),
                                   issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    wiring = await build(settings)
    server, port, health = await start_server(wiring.bindings, host=settings.grpc_host, port=0, verifier=verifier)
    tasks = [asyncio.create_task(loop()) for loop in wiring.background]
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    db = create_engine(settings.database_url, pool_size=2)
    producer = Producer(producer_config(settings.kafka_bootstrap))
    try:
        yield ShippingApp(shipping_pb2_grpc.ShippingServiceStub(channel), settings, issuer, db, producer)
    finally:
        await channel.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await stop_server(server, health, grace=1)
        await wiring.close()
        await db.dispose()
