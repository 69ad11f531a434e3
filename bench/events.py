"""Event backbone benchmark: `python -m bench events [--n 5000] [--rate 200] [--seconds 10]`.

1. Publish throughput: N events are committed to the outbox in one transaction while one (warm)
   relay waits; from that commit until the broker has acknowledged them all (events/s through one
   relay; target ≥ 2,000).
2. End-to-end lag at a paced rate: one event per transaction at `--rate` events/s for `--seconds`,
   with a relay and an idempotent consumer running; lag = the writer's commit returning → the
   consumer's handler being called for that event (p50/p99; target p99 < 250 ms at 200 events/s).

Without --database-url/--bootstrap it starts its own PostgreSQL and broker (libs.stack) on free ports.
Writer and relay share one event loop, as in the service that owns the outbox; the consumer runs in a
process of its own, as in the service that consumes.
"""

import argparse
import asyncio
import contextlib
import multiprocessing
import queue
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from google.protobuf import struct_pb2
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from libs.db import create_engine, metadata, session_factory
from libs.events.consumer import EventConsumer
from libs.events.envelope import Event
from libs.events.outbox import add_event, add_event_tables
from libs.events.relay import OutboxRelay
from libs.stack import FAST_GROUP_CONFIG, LocalStack, StackPorts, apoll_until, unique

DATABASE = "depot_events_bench"
EVENT_TYPE = "bench.happened"
THROUGHPUT_TARGET = 2000.0  # events/s
LAG_TARGET = 0.250  # seconds, p99


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench events", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="events for the throughput run (default 5000)")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s for the lag run (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the lag run (default 10)")
    parser.add_argument("--database-url", help="an existing database (its outbox tables are recreated)")
    parser.add_argument("--bootstrap", help="an existing broker")
    args = parser.parse_args(argv)
    if bool(args.database_url) != bool(args.bootstrap):
        parser.error("give both --database-url and --bootstrap, or neither")
    with _infrastructure(args.database_url, args.bootstrap) as (database_url, bootstrap):
        asyncio.run(_bench(database_url, bootstrap, args.n, args.rate, args.seconds))
    return 0


@contextlib.contextmanager
def _infrastructure(database_url: str | None, bootstrap: str | None) -> Iterator[tuple[str, str]]:
    if database_url and bootstrap:
        yield database_url, bootstrap
        return
    data_dir = Path(tempfile.mkdtemp(prefix="depot-bench-"))
    data_dir.chmod(0o755)  # the postgres account must enter it
    stack = LocalStack(data_dir, StackPorts.free(), durable=False)
    print(f"starting a local PostgreSQL and broker under {data_dir} ...", flush=True)
    try:
        stack.start()
        stack.create_databases([DATABASE])
        yield stack.database_url(DATABASE), stack.kafka_bootstrap
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


async def _bench(database_url: str, bootstrap: str, n: int, rate: float, seconds: float) -> None:
    engine = create_engine(database_url)
    tables = metadata()
    add_event_tables(tables)
    async with engine.begin() as conn:
        await conn.run_sync(tables.drop_all)
        await conn.run_sync(tables.create_all)
    try:
        throughput = await _throughput(engine, bootstrap, n)
        print(f"publish throughput: {n} events through one relay: {throughput:,.0f} events/s "
              f"(target ≥ {THROUGHPUT_TARGET:,.0f}: {throughput / THROUGHPUT_TARGET:.2f}×)", flush=True)
        lags = await _lag(engine, database_url, bootstrap, rate, seconds)
        p50, p99 = _percentile(lags, 50), _percentile(lags, 99)
        print(f"end-to-end lag at {rate:g} events/s for {seconds:g} s ({len(lags)} events, commit → handler): "
              f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms "
              f"(target p99 < {LAG_TARGET * 1000:.0f} ms: {p99 / LAG_TARGET:.2f}× of budget)", flush=True)
    finally:
        await engine.dispose()


async def _throughput(engine: AsyncEngine, bootstrap: str, n: int) -> float:
    topic = unique("bench.throughput")
    sessions = session_factory(engine)
    relay = OutboxRelay(engine, bootstrap, name=unique("bench-relay"))
    async with _running(relay.run()):
        async with sessions.begin() as session:  # connected, producer made, topic created: a warm relay
            await _write(session, topic, -1)
        await apoll_until(lambda: _published(relay.name, topic) >= 1, timeout=60, message="the warm-up event")
        async with sessions.begin() as session:
            for i in range(n):
                await _write(session, topic, i)
        began = time.perf_counter()
        await apoll_until(lambda: _published(relay.name, topic) >= n + 1, timeout=max(60.0, n / 100),
                          interval=0.01, message=f"{n} events published")
    return n / (time.perf_counter() - began)


async def _lag(engine: AsyncEngine, database_url: str, bootstrap: str, rate: float, seconds: float) -> list[float]:
    topic = unique("bench.lag")
    sessions = session_factory(engine)
    committed: dict[str, float] = {}
    handled: dict[str, float] = {}
    spawn = multiprocessing.get_context("spawn")
    reports, stop = spawn.Queue(), spawn.Event()
    child = spawn.Process(target=_consumer_process, args=(database_url, bootstrap, topic, reports, stop), daemon=True)
    child.start()

    def collect() -> int:
        while True:
            with contextlib.suppress(queue.Empty):
                event_id, at = reports.get(timeout=0.05)
                handled.setdefault(event_id, at)
                continue
            return len(handled)

    relay = OutboxRelay(engine, bootstrap, name=unique("bench-relay"))
    try:
        async with _running(relay.run()):
            async with sessions.begin() as session:  # the consumer group has joined once this one is handled
                await _write(session, topic, -1)
            await apoll_until(lambda: asyncio.to_thread(collect), timeout=60, message="the consumer to join")
            handled.clear()
            count = int(rate * seconds)
            began = time.monotonic()
            for i in range(count):
                await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
                async with sessions.begin() as session:
                    event_id = await _write(session, topic, i)
                committed[event_id] = time.monotonic()
            await apoll_until(lambda: _at_least(asyncio.to_thread(collect), count), timeout=60,
                              message=f"{count} events handled")
    finally:
        stop.set()
        child.join(10)
    return sorted(handled[event_id] - at for event_id, at in committed.items())


def _consumer_process(database_url: str, bootstrap: str, topic: str, reports, stop) -> None:
    """The consumer in a process of its own, as in the fleet where it lives in another service;
    time.monotonic() is the machine's CLOCK_MONOTONIC, comparable across the two processes."""

    async def consume() -> None:
        engine = create_engine(database_url)

        async def handle(_session: AsyncSession, event: Event) -> None:
            reports.put((event.id, time.monotonic()))

        consumer = EventConsumer(name=unique("bench-consumer"), topics=[topic], handlers={EVENT_TYPE: handle},
                                 sessions=session_factory(engine), bootstrap=bootstrap,
                                 consumer_overrides=FAST_GROUP_CONFIG)
        async with _running(consumer.run()):
            await asyncio.to_thread(stop.wait)
        await engine.dispose()

    asyncio.run(consume())


async def _at_least(count, expected: int) -> bool:
    return await count >= expected


async def _write(session: AsyncSession, topic: str, i: int) -> str:
    payload = struct_pb2.Struct()
    payload.update({"i": i, "note": "a payload of about the size of a domain event's"})
    return str(await add_event(session, topic=topic, key=f"aggregate-{i % 100}", event_type=EVENT_TYPE,
                               payload=payload, source="bench"))


def _published(relay: str, topic: str) -> float:
    return REGISTRY.get_sample_value("depot_outbox_published_total", {"relay": relay, "topic": topic}) or 0


def _percentile(sorted_values: list[float], percent: float) -> float:
    index = min(len(sorted_values) - 1, round(percent / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


@contextlib.asynccontextmanager
async def _running(*loops) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
