"""The outbox relay: publishes committed outbox rows to the broker, at least once, in created_at order.

One cycle = one transaction: claim a batch of unpublished rows (`FOR UPDATE SKIP LOCKED`), produce
them, wait for every delivery report, mark the delivered rows published, commit. A crash anywhere
before the commit leaves the rows unpublished, so they are produced again (consumers deduplicate by
`ce_id`). Broker outages end a cycle with an error: the relay backs off, replaces its producer (an
idempotent producer does not survive a broker restart) and catches up from the table.

It wakes on `NOTIFY` from `add_event`'s transaction and polls every `poll_interval` in case a
notification was missed (listener reconnecting).

In a service's wiring:  `background=[OutboxRelay(engine, settings.kafka_bootstrap).run]`.
"""

import asyncio
import contextlib
import time
from collections.abc import Mapping
from datetime import timedelta

import psycopg
import structlog
from confluent_kafka import Producer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from libs.events import metrics
from libs.events.envelope import wire_headers
from libs.events.kafka import DeliveryFailed, KafkaThread, Record, produce_and_wait, producer_config
from libs.events.outbox import NOTIFY_CHANNEL
from libs.events.topics import DEFAULT_PARTITIONS, ensure_topics

log = structlog.get_logger("events.relay")

# Per-aggregate order needs one publisher per database at a time: with two, each could claim half of
# an aggregate's events and deliver its half first. Relays of the other replicas wait on this lock.
RELAY_LOCK_KEY = 0x6465706F74  # "depot"

_CLAIM = text(
    "SELECT id, topic, key, event_type, payload, headers FROM outbox WHERE published_at IS NULL "
    "ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED"
)
# Delivered rows get published_at; every claimed row counts an attempt (a row that keeps failing
# shows a growing count). The latency is measured by the database clock that stamped created_at.
_MARK = text(
    "UPDATE outbox SET attempts = attempts + 1, "
    "published_at = CASE WHEN id = ANY(CAST(:delivered AS uuid[])) THEN clock_timestamp() END "
    "WHERE id = ANY(CAST(:claimed AS uuid[])) "
    "RETURNING published_at IS NOT NULL, EXTRACT(EPOCH FROM published_at - created_at)"
)
_BACKLOG = text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
_PRUNE = text("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => :seconds)")


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine | async_sessionmaker[AsyncSession],
        bootstrap: str,
        *,
        name: str | None = None,
        producer_overrides: Mapping[str, object] | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        delivery_timeout: float = 10.0,
        partitions: int = DEFAULT_PARTITIONS,
        retention: timedelta = timedelta(days=7),
        prune_interval: float = 600.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._engine = engine if isinstance(engine, AsyncEngine) else engine.kw["bind"]
        self.name = name or self._engine.url.database or "outbox"
        self._bootstrap = bootstrap
        self._producer_config = producer_config(bootstrap, producer_overrides, delivery_timeout=delivery_timeout)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.delivery_timeout = delivery_timeout
        self.partitions = partitions
        self.retention = retention
        self.prune_interval = prune_interval
        self.max_backoff = max_backoff
        self._thread = KafkaThread(f"relay-{self.name}")
        self._producer: Producer | None = None
        self._ready_topics: set[str] = set()
        self._wake = asyncio.Event()
        self._next_prune = 0.0
        self._next_backlog = 0.0

    async def run(self) -> None:
        """Publish until cancelled; never gives up on an outage."""
        listener = asyncio.create_task(self._listen(), name=f"outbox-listener-{self.name}")
        failures = 0
        try:
            while True:
                self._wake.clear()  # before claiming: a NOTIFY from now on means rows this cycle may miss
                try:
                    claimed = await self.publish_pending()
                    await self._housekeeping()
                    failures = 0
                except Exception:
                    failures += 1
                    metrics.RELAY_FAILURES.labels(self.name).inc()
                    log.warning("relay cycle failed; backing off", relay=self.name, failures=failures, exc_info=True)
                    self._drop_producer()
                    await asyncio.sleep(min(self.max_backoff, 0.1 * 2 ** failures))
                    continue
                if claimed < self.batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            self._drop_producer()
            self._thread.shutdown()

    async def publish_pending(self) -> int:
        """One cycle: returns how many rows were claimed. Raises DeliveryFailed after marking the rows
        that did get through, or the broker's/database's error."""
        async with self._engine.begin() as conn:
            locked = await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RELAY_LOCK_KEY})
            if not locked:
                return 0
            rows = (await conn.execute(_CLAIM, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            producer = await self._ready_producer({row.topic for row in rows})
            records = [
                Record(row.topic, row.key.encode(), row.payload.encode(),
                       wire_headers(str(row.id), row.event_type, row.headers))
                for row in rows
            ]
            errors = await self._thread.run(produce_and_wait, producer, records, self.delivery_timeout)
            delivered = [row.id for row, error in zip(rows, errors, strict=True) if error is None]
            marked = await conn.execute(_MARK, {"delivered": delivered, "claimed": [row.id for row in rows]})
            for published, latency in marked:
                if published:
                    metrics.PUBLISH_LATENCY.labels(self.name).observe(float(latency))
        for row, error in zip(rows, errors, strict=True):
            if error is None:
                metrics.PUBLISHED.labels(self.name, row.topic).inc()
        failed = [error for error in errors if error is not None]
        if failed:
            raise DeliveryFailed(f"{len(failed)} of {len(rows)} events not delivered: {failed[0]}")
        return len(rows)

    async def _ready_producer(self, topics: set[str]) -> Producer:
        """The producer, made on first use or after a failure, with the batch's topics created: a topic
        the broker auto-creates would get the broker's partition count instead of ours."""
        if self._producer is None:
            self._producer = Producer(self._producer_config)
            self._ready_topics.clear()
        if missing := topics - self._ready_topics:
            await self._thread.run(
                lambda: ensure_topics(self._bootstrap, missing, self.partitions, timeout=self.delivery_timeout))
            self._ready_topics |= missing
        return self._producer

    def _drop_producer(self) -> None:
        """Forget a producer that may be fenced or stuck: its undelivered records are still unpublished
        rows, so nothing is lost by purging them. Purging also ends a flush still waiting in the
        thread (on shutdown during an outage) instead of letting it run out its timeout."""
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.purge(blocking=False)

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if now >= self._next_backlog:
            async with self._engine.connect() as conn:
                metrics.OUTBOX_BACKLOG.labels(self.name).set(await conn.scalar(_BACKLOG))
            self._next_backlog = now + 1.0
        if now >= self._next_prune:
            async with self._engine.begin() as conn:
                pruned = (await conn.execute(_PRUNE, {"seconds": self.retention.total_seconds()})).rowcount
            if pruned:
                log.info("pruned published outbox rows", relay=self.name, rows=pruned)
            self._next_prune = now + self.prune_interval

    async def _listen(self) -> None:
        """Set the wake-up event on every NOTIFY; reconnect with a back-off when the database goes away
        (the poll keeps the relay going meanwhile)."""
        dsn = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    failures = 0
                    self._wake.set()  # rows may have been written while nobody listened
                    async for _ in conn.notifies():
                        self._wake.set()
            except psycopg.Error as error:
                failures += 1
                log.info("outbox listener disconnected", relay=self.name, error=str(error))
                await asyncio.sleep(min(self.max_backoff, 0.1 * 2 ** failures))
