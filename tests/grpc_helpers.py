"""What every integration suite does the same way: mint tokens with a test key pair, configure a service
for the package's deployment, run its real `build()` wiring on port 0, publish events as another
service's relay would, and assert how a call fails. The fixtures built from these are in tests/conftest.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from confluent_kafka import Producer
from google.protobuf import json_format
from google.protobuf.message import Message
from grpc_status import rpc_status
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.auth import DEFAULT_ROLE_PERMISSIONS, TokenIssuer, TokenVerifier, generate_keypair
from libs.errors import FieldViolation, violations_of
from libs.events.envelope import wire_headers
from libs.events.kafka import Record, produce_and_wait, producer_config
from libs.grpc_server import start_server, stop_server
from libs.migrations import upgrade
from libs.runtime import Wiring
from libs.settings import ServiceSettings
from libs.stack import FAST_GROUP_CONFIG, LocalStack

Metadata = tuple[tuple[str, str], ...]
S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True)
class Caller:
    """A user of the service under test: its id and the authorization metadata of its token."""

    id: str
    metadata: Metadata


@dataclass(frozen=True)
class Keys:
    """A key pair the services under test trust, and tokens signed with it (no user service needed)."""

    private: Path
    public: Path
    issuer: TokenIssuer
    verifier: TokenVerifier

    @classmethod
    def generate(cls, directory: Path) -> Keys:
        private, public = directory / "private.pem", directory / "public.pem"
        generate_keypair(private, public)
        # The issuer and audience every service's settings default to.
        options = {"issuer": "depot", "audience": "depot-api"}
        return cls(private, public, TokenIssuer.from_file(private, **options),
                   TokenVerifier.from_file(public, **options))

    def metadata(self, *permissions: str, roles: tuple[str, ...] = (), user_id: str | None = None) -> Metadata:
        token = self.issuer.issue(user_id or str(uuid.uuid4()), list(roles), list(permissions))
        return (("authorization", f"Bearer {token}"),)

    def role(self, role: str, user_id: str | None = None) -> Metadata:
        """The metadata of a user with `role`'s default permissions."""
        return self.metadata(*DEFAULT_ROLE_PERMISSIONS[role], roles=(role,), user_id=user_id)

    def caller(self, role: str) -> Caller:
        """A new user (an id no other test has) with `role`'s default permissions."""
        user_id = str(uuid.uuid4())
        return Caller(user_id, self.role(role, user_id))


@dataclass(frozen=True)
class Deployment:
    """What a test package runs its services on: the session's PostgreSQL and Redis, the package's own
    broker (see tests/fixtures_stack.py: `broker`), and the test key pair."""

    stack: LocalStack
    kafka_bootstrap: str
    keys: Keys

    def settings(self, settings_class: type[S], database: str, migrations: Path, **fields) -> S:
        """A service's settings on port 0, over `database` (created and migrated); `fields` add to them."""
        self.stack.create_databases([database])
        upgrade(migrations, self.stack.database_url(database))
        return settings_class(**{
            "database_url": self.stack.database_url(database), "redis_url": self.stack.redis_url,
            "kafka_bootstrap": self.kafka_bootstrap, "grpc_host": "127.0.0.1", "grpc_port": 0, "metrics_port": 0,
            "jwt_public_key_file": self.keys.public, "log_json": False, "consumer_overrides": FAST_GROUP_CONFIG,
            **fields,
        })


@dataclass
class Server:
    """A service's real wiring behind the shared server bootstrap, on a free port."""

    port: int
    channel: grpc.aio.Channel
    close: Callable[[], Awaitable[None]]


async def serve(wiring: Wiring, keys: Keys, *, background: bool = True) -> Server:
    """As libs.runtime serves it: the bindings on a port, and the background loops (relay, consumer,
    sweeper) unless `background=False`."""
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


class Rows:
    """SQL straight on the service's database, for what a test checks or arranges beside the API.
    Mixed into a suite's app dataclass, which has the `db` engine."""

    db: AsyncEngine

    async def rows(self, sql: str, **params) -> list:
        async with self.db.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    async def execute(self, sql: str, **params) -> None:
        async with self.db.begin() as connection:
            await connection.execute(text(sql), params)


class Publisher:
    """Events on the session's broker, as another service's outbox relay publishes them."""

    def __init__(self, bootstrap: str, source: str) -> None:
        self._producer = Producer(producer_config(bootstrap))
        self._source = source

    async def publish(self, topic: str, key: str, event_type: str, payload: Message | dict,
                      event_id: str | None = None) -> str:
        """Publishes and waits for the broker's acknowledgement; returns the event id. The payload is a
        proto message, or a dict for JSON the way a peer writes it without this build's stubs."""
        event_id = event_id or str(uuid.uuid4())
        value = json.dumps(payload) if isinstance(payload, dict) else \
            json_format.MessageToJson(payload, indent=None, preserving_proto_field_name=True)
        headers = wire_headers(event_id, event_type, {"ce_source": self._source})
        [error] = await asyncio.to_thread(produce_and_wait, self._producer,
                                          [Record(topic, key.encode(), value.encode(), headers)], 10.0)
        assert error is None, error
        return event_id


class Failure:
    """How a call failed: the code, the message, and the field violations a client sees."""

    def __init__(self):
        self.error: grpc.aio.AioRpcError | None = None

    @property
    def code(self) -> grpc.StatusCode:
        return self.error.code()

    @property
    def message(self) -> str:
        return self.error.details()

    @property
    def violations(self) -> list[FieldViolation]:
        return violations_of(rpc_status.from_call(self.error))


@contextlib.asynccontextmanager
async def fails(code: grpc.StatusCode, message: str | None = None) -> AsyncIterator[Failure]:
    """`async with fails(code, message) as failure:` around one call that must fail that way."""
    failure = Failure()
    try:
        yield failure
    except grpc.aio.AioRpcError as error:
        failure.error = error
    else:
        raise AssertionError(f"expected {code.name}, the call succeeded")
    assert failure.code == code, f"expected {code.name}, got {failure.code.name}: {failure.message}"
    if message is not None:
        assert failure.message == message


def schema_drift(database_url: str, metadata: MetaData) -> list:
    """What a migrated database has that the models do not say, or the reverse (empty: they agree)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
