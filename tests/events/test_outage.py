"""A broker outage loses nothing: events written while the broker is down are published once it is
back (a new broker with no topics and no consumer groups, as after a restart), and applied once each."""

import asyncio
from collections import Counter, defaultdict

from libs.stack import apoll_until, unique
from tests.events.conftest import Backbone, running


async def test_events_written_while_the_broker_is_down_all_arrive_once_it_is_back(
    backbone: Backbone, topic: str,
) -> None:
    consumer = backbone.consumer(topic)
    relay = backbone.relay(delivery_timeout=2.0, max_backoff=1.0)
    keys = [unique("acct") for _ in range(10)]

    async with running(relay.run(), consumer.run()):
        warm_up = await backbone.open_accounts(topic, ["warm-up"], per_key=1)
        await apoll_until(lambda: _applied_count(backbone, consumer, 1), timeout=20, message="the consumer joined")

        await asyncio.to_thread(backbone.stack.stop_broker)
        try:
            written = await backbone.open_accounts(topic, keys, per_key=50)
        finally:
            await asyncio.to_thread(backbone.stack.start_broker)
        await apoll_until(lambda: _applied_count(backbone, consumer, 501), timeout=60,
                          message="all 500 events applied after the outage")
        assert await backbone.all_published(warm_up + written)

    rows = await backbone.applied(consumer)
    assert Counter(row.event_id for row in rows) == Counter(warm_up + written)  # each one, once
    seqs = defaultdict(list)
    for row in rows:
        seqs[row.key].append(row.seq)
    assert all(seqs[key] == list(range(50)) for key in keys)


async def _applied_count(backbone: Backbone, consumer, expected: int) -> bool:
    return len(await backbone.applied(consumer)) >= expected


async def test_a_relay_idle_across_a_broker_restart_replaces_its_fenced_producer(
    backbone: Backbone, topic: str,
) -> None:
    async with running(backbone.relay(delivery_timeout=2.0, max_backoff=1.0).run()):
        before = await backbone.open_accounts(topic, ["before"], per_key=1)
        await apoll_until(lambda: backbone.all_published(before), message="the event before the restart published")

        await asyncio.to_thread(backbone.stack.restart_broker)
        after = await backbone.open_accounts(topic, ["after"], per_key=1)
        await apoll_until(lambda: backbone.all_published(after), timeout=30,
                          message="the event after the restart published")

    # The restarted broker keeps nothing (memory storage): only the second event is there, once.
    assert [message.key() for message in await backbone.messages(topic)] == [b"after"]
