"""The idempotent consumer: each event is applied at most once per consumer, whatever the broker redelivers.

For the messages of one poll: decode the envelopes; in one database transaction record each
`(consumer, ce_id)` in `processed_events` and run the handlers of the events recorded for the first
time (the others are redeliveries: skipped); after that transaction has committed, commit the offsets.
A crash before the offset commit redelivers messages whose transaction is already recorded, which are
then skipped. If the poll's transaction fails, its events are applied one by one, each in its own
transaction (so a handler's work outside the database, a gRPC call say, must be idempotent, as
DESIGN.md asks of every step another service also learns from an event).

One by one, a failing handler is retried with a back-off, `max_attempts` times in all, holding up its
partition (so an aggregate's later events never overtake it); then the message goes to the dead-letter
topic with why, and the consumer moves on. A message that is not an event goes there at once. While
the database is unreachable nothing is dead-lettered: the consumer waits for it.

Events of a type with no handler (and no "*" handler) are acknowledged without a database write:
they are counted (outcome "ignored") and their offset committed, and `processed_events` is not touched.

Every `prune_interval` the consumer forgets its records older than `retention`, which must outlast how
long the broker keeps messages (Kafka's default is 7 days): an event older than that cannot come again.

In a service's wiring:
    background=[EventConsumer(name="inventory", topics=[topics.PRODUCT], handlers={"product.created": h},
                              sessions=sessions, bootstrap=settings.kafka_bootstrap).run]
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import structlog
from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition
from opentelemetry import trace
from opentelemetry.propagate import extract
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.db import in_transaction
from libs.events import envelope, metrics, topics
from libs.events.envelope import Event, UndecodableEvent, decode
from libs.events.kafka import LIBRDKAFKA_LOG, KafkaThread, Record, produce_and_wait, producer_config

log = structlog.get_logger("events.consumer")
tracer = trace.get_tracer("libs.events")

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
ANY_TYPE = "*"
# fetch_wait for consumers whose effects may trail their events by a moment (read models for reports,
# the audit log): ten times fewer empty fetches for the broker while nothing happens.
TRAILING_FETCH_WAIT = 0.5

# The ids inserted now are the events seen for the first time; the others were processed before.
_RECORD = text(
    "INSERT INTO processed_events (consumer, event_id) SELECT :consumer, unnest(CAST(:ids AS text[])) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_PRUNE = text("DELETE FROM processed_events WHERE consumer = :consumer "
              "AND processed_at < now() - make_interval(secs => :seconds)")


class _Item(NamedTuple):
    message: Message
    event: Event
    handler: Handler


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        topics: Iterable[str],
        handlers: Mapping[str, Handler],
        sessions: async_sessionmaker[AsyncSession],
        bootstrap: str,
        consumer_overrides: Mapping[str, object] | None = None,
        producer_overrides: Mapping[str, object] | None = None,
        max_attempts: int = 5,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
        batch_size: int = 100,
        poll_timeout: float = 0.5,
        fetch_wait: float = 0.05,
        dlq_topic: str = topics.DLQ,
        partitions: int = topics.DEFAULT_PARTITIONS,
        retention: timedelta = timedelta(days=8),
        prune_interval: float = 600.0,
    ) -> None:
        self.name = name
        self.topics = list(topics)
        self.handlers = dict(handlers)
        self.sessions = sessions
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.dlq_topic = dlq_topic
        self.partitions = partitions
        self.retention = retention
        self.prune_interval = prune_interval
        self._next_prune = 0.0
        self._bootstrap = bootstrap
        self._consumer_config = {
            "bootstrap.servers": bootstrap,
            "group.id": name,
            "enable.auto.commit": False,
            # A new consumer group starts with what the topic still holds, not only what comes next.
            "auto.offset.reset": "earliest",
            # Tansu (dev and tests) answers a fetch only when this wait is over, even with data waiting,
            # which would be the floor of every event's latency; Kafka answers as soon as there is data,
            # so there a short wait only costs a few empty fetches while idle. Each empty fetch costs Tansu
            # CPU, though: consumers whose work may trail by a moment (reports, the audit log) wait longer.
            "fetch.wait.max.ms": round(fetch_wait * 1000),
            "logger": LIBRDKAFKA_LOG,
            **(consumer_overrides or {}),
        }
        self._producer_config = producer_config(bootstrap, producer_overrides)
        self._thread = KafkaThread(f"consumer-{name}")
        self._producer: Producer | None = None

    async def run(self) -> None:
        """Consume until cancelled."""
        await self._retrying("create topics", topics.ensure_topics, self._bootstrap,
                             [*self.topics, self.dlq_topic], self.partitions)
        consumer = Consumer(self._consumer_config)
        try:
            await self._thread.run(consumer.subscribe, self.topics)
            while True:
                messages = await self._thread.run(self._fetch, consumer)
                for message in messages:
                    if message.error():
                        # Broker and group events (a topic not there yet, a rebalance): librdkafka recovers.
                        log.info("consumer notice", consumer=self.name, error=str(message.error()))
                received = [message for message in messages if not message.error()]
                if received:
                    await self._process(received)
                    await self._commit(consumer, {(m.topic(), m.partition()): m.offset() + 1 for m in received})
                if time.monotonic() >= self._next_prune:
                    await self._prune_quietly()
        finally:
            await self._thread.run(consumer.close)
            if self._producer is not None:
                await self._thread.run(self._producer.flush, 5)
            self._thread.shutdown()

    async def prune(self) -> int:
        """Forget this consumer's records of events processed longer than `retention` ago; how many."""
        result = await in_transaction(self.sessions, lambda session: session.execute(
            _PRUNE, {"consumer": self.name, "seconds": self.retention.total_seconds()}))
        return result.rowcount

    async def _prune_quietly(self) -> None:
        self._next_prune = time.monotonic() + self.prune_interval
        try:
            if pruned := await self.prune():
                log.info("pruned processed events", consumer=self.name, rows=pruned)
        except Exception as error:  # the database's trouble: consuming waits for it anyway, pruning can wait
            log.warning("pruning processed events failed", consumer=self.name, error=str(error))

    def _fetch(self, consumer: Consumer) -> list[Message]:
        """Wait for one message, then take what else is already there. (`consume(n, timeout)` alone
        would hold the first message back until n have come or the timeout has passed.)"""
        first = consumer.poll(self.poll_timeout)
        return [] if first is None else [first, *consumer.consume(self.batch_size - 1, 0)]

    async def _process(self, messages: list[Message]) -> None:
        """Apply the messages of one poll, or dead-letter them; returns once all may be acknowledged.

        All of them in one transaction first: when the consumer falls behind, its polls grow and its
        transactions do not, so it catches up. If that transaction fails, they are applied one by one,
        each with its own retries, so one bad event neither blocks nor dead-letters its neighbours."""
        batch: list[_Item] = []
        for message in messages:
            try:
                event = decode(message)
            except UndecodableEvent as error:
                await self._dead_letter(message, "undecodable", f"undecodable: {error}", attempts=1)
                continue
            handler = self.handlers.get(event.type) or self.handlers.get(ANY_TYPE)
            if handler is None:
                metrics.HANDLED.labels(self.name, event.topic, event.type, "ignored").inc()
            else:
                batch.append(_Item(message, event, handler))
        if len(batch) > 1:
            try:
                await self._apply(batch)
                return
            except Exception as error:
                log.info("batch failed; applying its events one by one", consumer=self.name, events=len(batch),
                         error=str(error))
        for item in batch:
            await self._apply_retrying(item)

    async def _apply_retrying(self, item: _Item) -> None:
        event = item.event
        attempts = 0
        while True:
            try:
                await self._apply([item])
                return
            except Exception as error:
                if _database_unavailable(error):
                    log.warning("database unavailable; waiting", consumer=self.name, error=str(error))
                    await asyncio.sleep(self.max_backoff)
                    continue
                attempts += 1
                if attempts >= self.max_attempts:
                    log.error("event dead-lettered", consumer=self.name, event_id=event.id, type=event.type,
                              attempts=attempts, exc_info=True)
                    await self._dead_letter(item.message, event.type, f"{type(error).__name__}: {error}", attempts)
                    return
                metrics.RETRIED.labels(self.name, event.topic, event.type).inc()
                log.warning("handler failed; retrying", consumer=self.name, event_id=event.id, type=event.type,
                            attempt=attempts, error=str(error))
                await asyncio.sleep(min(self.max_backoff, self.backoff * 2 ** (attempts - 1)))

    async def _apply(self, items: list[_Item]) -> None:
        """One transaction: record the events' ids, run the handlers of those recorded for the first
        time, commit; then count each as applied or duplicate."""
        outcomes = await in_transaction(self.sessions, lambda session: self._run_handlers(session, items))
        for item, outcome in zip(items, outcomes, strict=True):
            metrics.HANDLED.labels(self.name, item.event.topic, item.event.type, outcome).inc()

    async def _run_handlers(self, session: AsyncSession, items: list[_Item]) -> list[str]:
        ids = [item.event.id for item in items]
        new = set((await session.execute(_RECORD, {"consumer": self.name, "ids": ids})).scalars())
        outcomes = []
        for item in items:
            if item.event.id not in new:
                outcomes.append("duplicate")
                continue
            new.discard(item.event.id)  # a second copy in the same poll is a duplicate too
            event = item.event
            with tracer.start_as_current_span(
                f"{event.type} process", context=extract(event.headers), kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.system": "kafka", "messaging.destination.name": event.topic,
                            "messaging.message.id": event.id, "messaging.consumer.group.name": self.name},
            ):
                await item.handler(session, event)
            outcomes.append("applied")
        return outcomes

    async def _dead_letter(self, message: Message, event_type: str, error: str, attempts: int) -> None:
        """Publish the message, untouched, to the dead-letter topic with why; retried until the broker
        has it, since the offset must not be committed before."""
        headers = [*(message.headers() or []), *{
            envelope.DLQ_TOPIC: message.topic(), envelope.DLQ_PARTITION: message.partition(),
            envelope.DLQ_OFFSET: message.offset(), envelope.DLQ_CONSUMER: self.name,
            envelope.DLQ_ERROR: error[:4000], envelope.DLQ_ATTEMPTS: attempts,
            envelope.DLQ_TIME: datetime.now(UTC).isoformat(),
        }.items()]
        record = Record(self.dlq_topic, message.key(), message.value(),
                        [(name, value if isinstance(value, bytes) else str(value).encode()) for name, value in headers])
        await self._retrying("dead-letter", self._deliver, record)
        metrics.DEAD_LETTERED.labels(self.name, message.topic(), event_type).inc()

    def _deliver(self, record: Record) -> None:
        if self._producer is None:
            self._producer = Producer(self._producer_config)
        try:
            [error] = produce_and_wait(self._producer, [record], 10.0)
        except KafkaException:
            self._producer = None  # fatal, e.g. a broker restart fenced the idempotent producer
            raise
        if error is not None:
            self._producer = None
            raise KafkaException(error)

    async def _commit(self, consumer: Consumer, offsets: dict[tuple[str, int], int]) -> None:
        partitions = [TopicPartition(topic, partition, offset) for (topic, partition), offset in offsets.items()]
        try:
            await self._thread.run(lambda: consumer.commit(offsets=partitions, asynchronous=False))
        except KafkaException as error:
            # A rebalance took the partition away, or the broker is gone: the messages come again and
            # are skipped as duplicates, so this costs a redelivery, not correctness.
            log.warning("offset commit failed", consumer=self.name, error=str(error))
        for tp in partitions:
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0:
                metrics.CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(max(0, high - tp.offset))

    async def _retrying(self, what: str, function: Callable, *args) -> None:
        failures = 0
        while True:
            try:
                await self._thread.run(function, *args)
                return
            except Exception as error:
                failures += 1
                log.warning(f"{what} failed; retrying", consumer=self.name, failures=failures, error=str(error))
                await asyncio.sleep(min(self.max_backoff, self.backoff * 2 ** failures))


def _database_unavailable(error: BaseException) -> bool:
    """Connection-level failures (no SQLSTATE, class 08, server shutting down) are the database's, not
    the event's: they must not send perfectly good events to the dead-letter topic."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    return error.connection_invalidated or sqlstate is None or sqlstate.startswith("08") \
        or sqlstate in {"57P01", "57P02", "57P03"}

