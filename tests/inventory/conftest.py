"""The inventory service as it runs in production (its real `build()` wiring behind the shared gRPC
server, its outbox relay and event consumer as tasks), on port 0, against the session's PostgreSQL and
broker, reached through real stubs. Tokens are minted with a test key pair, so no user service is
needed."""

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from confluent_kafka import Producer
from depot.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth import DEFAULT_ROLE_PERMISSIONS, TokenIssuer, TokenVerifier, generate_keypair
from libs.db import create_engine
from libs.events.envelope import wire_headers
from libs.events.kafka import Record, produce_and_wait, producer_config
from libs.grpc_server import start_server, stop_server
from libs.migrations import upgrade
from libs.stack import FAST_GROUP_CONFIG, LocalStack, unique
from services.inventory.__main__ import MIGRATIONS, build
from services.inventory.settings import Settings

DATABASE = "depot_inventory_test"

Metadata = tuple[tuple[str, str], ...]


@dataclass
class InventoryApp:
    stub: inventory_pb2_grpc.InventoryServiceStub
    settings: Settings
    issuer: TokenIssuer
    db: AsyncEngine
    producer: Producer

    async def rows(self, sql: str, **params) -> list:
        async with self.db.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    def token(self, role: str, user_id: str | None = None) -> Metadata:
        """Authorization metadata of a user with `role`'s default permissions."""
        access = self.issuer.issue(user_id or str(uuid.uuid4()), [role], list(DEFAULT_ROLE_PERMISSIONS[role]))
        return (("authorization", f"Bearer {access}"),)

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

    async def publish(self, topic: str, key: str, event_type: str, payload: Message,
                      event_id: str | None = None) -> str:
        """An event as another service's relay would publish it; returns its id."""
        event_id = event_id or str(uuid.uuid4())
        value = json_format.MessageToJson(payload, indent=None, preserving_proto_field_name=True)
        headers = wire_headers(event_id, event_type, {"ce_source": "tests.inventory"})
        [error] = await asyncio.to_thread(produce_and_wait, self.producer,
                                          [Record(topic, key.encode(), value.encode(), headers)], 10.0)
        assert error is None, error
        return event_id

    async def events(self, product_id: str, event_type: str) -> list:
        return await self.rows("SELECT * FROM outbox WHERE key = :id AND event_type = :type ORDER BY created_at",
                               id=product_id, type=event_type)


@pytest.fixture(scope="session")
def inventory_settings(stack: LocalStack) -> Settings:
    stack.create_databases([DATABASE])
    upgrade(MIGRATIONS, stack.database_url(DATABASE))
    keys = Path(tempfile.mkdtemp(prefix="depot-inventory-keys-"))
    generate_keypair(keys / "private.pem", keys / "public.pem")
    return Settings(
        database_url=stack.database_url(DATABASE), redis_url=stack.redis_url, kafka_bootstrap=stack.kafka_bootstrap,
        grpc_host="127.0.0.1", grpc_port=0, metrics_port=0, jwt_public_key_file=keys / "public.pem",
        consumer_overrides=FAST_GROUP_CONFIG, log_json=False,
    )


@pytest.fixture(scope="session")
async def inventory(inventory_settings: Settings) -> AsyncIterator[InventoryApp]:
    settings = inventory_settings
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
        yield InventoryApp(inventory_pb2_grpc.InventoryServiceStub(channel), settings, issuer, db, producer)
    finally:
        await channel.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await stop_server(server, health, grace=1)
        await wiring.close()
        await db.dispose()
