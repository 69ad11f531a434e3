"""The event backbone against the session's real PostgreSQL and broker: a tiny service of its own (an
`accounts` aggregate, the outbox tables, and an `applied` table its handlers write to), a relay and
consumers running as tasks on the test's event loop."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass

import pytest
from google.protobuf import struct_pb2
from sqlalchemy import BigInteger, Column, Identity, Integer, String, Table, insert, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from libs.db import create_engine, metadata, session_factory
from libs.events.consumer import EventConsumer
from libs.events.envelope import Event
from libs.events.kafka import read_to_end
from libs.events.outbox import add_event, add_event_tables
from libs.events.relay import OutboxRelay
from libs.stack import FAST_GROUP_CONFIG, LocalStack, unique

DATABASE = "depot_events_test"
OPENED = "account.opened"

test_metadata = metadata()
add_event_tables(test_metadata)
accounts = Table(
    "accounts", test_metadata,
    Column("id", String(64), primary_key=True),
    Column("opened", Integer, nullable=False, server_default=text("0")),
)
# What handlers did, one row per call: a redelivery that got through twice would show as two rows.
applied = Table(
    "applied", test_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("consumer", String(200), nullable=False),
    Column("event_id", UUID(as_uuid=False), nullable=False),
    Column("key", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
)


@dataclass
class Backbone:
    stack: LocalStack
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def bootstrap(self) -> str:
        return self.stack.kafka_bootstrap

    async def open_account(self, session: AsyncSession, topic: str, key: str, seq: int = 0,
                           event_type: str = OPENED) -> str:
        """The aggregate change and its event, in the caller's transaction."""
        await session.execute(insert(accounts).values(id=f"{key}/{seq}"))
        payload = struct_pb2.Struct()
        payload.update({"seq": seq})
        return str(await add_event(session, topic=topic, key=key, event_type=event_type, payload=payload,
                                   source="tests.events"))

    async def open_accounts(self, topic: str, keys: list[str], per_key: int) -> list[str]:
        """`per_key` events for each key, interleaved, one transaction each; their ids in write order."""
        ids = []
        for seq in range(per_key):
            for key in keys:
                async with self.sessions.begin() as session:
                    ids.append(await self.open_account(session, topic, key, seq))
        return ids

    def relay(self, **options) -> OutboxRelay:
        # A poll far longer than any test: events must arrive because NOTIFY woke the relay.
        return OutboxRelay(self.engine, self.bootstrap, **{"poll_interval": 60.0, **options})

    def consumer(self, topic: str, *, name: str | None = None, handlers: dict | None = None,
                 **options) -> EventConsumer:
        name = name or unique("consumer")
        return EventConsumer(
            name=name, topics=[topic], handlers=handlers or {OPENED: record(name)}, sessions=self.sessions,
            bootstrap=self.bootstrap, consumer_overrides=FAST_GROUP_CONFIG, **options,
        )

    async def applied(self, consumer: EventConsumer) -> list:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(applied).where(applied.c.consumer == consumer.name).order_by(applied.c.id))
            return list(rows)

    async def all_published(self, ids: list[str]) -> bool:
        async with self.engine.connect() as conn:
            return 0 == await conn.scalar(text(
                "SELECT count(*) FROM outbox WHERE id = ANY(CAST(:ids AS uuid[])) AND published_at IS NULL"
            ), {"ids": ids})

    async def messages(self, topic: str) -> list:
        """Everything the broker holds in `topic`, read outside any consumer group."""
        return await asyncio.to_thread(lambda: list(read_to_end(self.bootstrap, topic)))

    async def processed(self, consumer: EventConsumer) -> int:
        async with self.engine.connect() as conn:
            return await conn.scalar(text("SELECT count(*) FROM processed_events WHERE consumer = :name"),
                                     {"name": consumer.name})


def record(consumer: str):
    """A handler that writes one `applied` row per call."""
    async def handle(session: AsyncSession, event: Event) -> None:
        await session.execute(insert(applied).values(
            consumer=consumer, event_id=event.id, key=event.key, seq=int(event.parse(struct_pb2.Struct)["seq"]),
        ))
    return handle


@contextlib.asynccontextmanager
async def running(*loops: Coroutine) -> AsyncIterator[None]:
    """Relays and consumers as background tasks for the duration of the block, as a service runs them."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield
        for task in tasks:
            if task.done():
                task.result()  # a loop that died is a failure of its own, not a timeout in the test
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture(scope="session")
async def backbone(stack: LocalStack) -> AsyncIterator[Backbone]:
    stack.create_databases([DATABASE])
    engine = create_engine(stack.database_url(DATABASE))
    async with engine.begin() as conn:
        await conn.run_sync(test_metadata.drop_all)
        await conn.run_sync(test_metadata.create_all)
    yield Backbone(stack, engine, session_factory(engine))
    await engine.dispose()


@pytest.fixture
def topic() -> str:
    return unique("test.events")
