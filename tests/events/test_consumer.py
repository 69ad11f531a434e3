"""The idempotent consumer: per-aggregate order, poison messages to the dead-letter topic and back
with the replay, events nobody handles acknowledged without a trace in processed_events."""

from collections import defaultdict

from confluent_kafka import Producer
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events import topics
from libs.events.envelope import Event, header_dict
from libs.events.replay_dlq import ReplayResult, replay
from libs.stack import apoll_until, unique
from tests.events.conftest import OPENED, Backbone, record, running

FLAGGED = "account.flagged"


async def test_the_events_of_one_aggregate_are_applied_in_the_order_they_were_written(
    backbone: Backbone, topic: str,
) -> None:
    keys = [unique("acct") for _ in range(5)]
    consumer = backbone.consumer(topic)

    async with running(backbone.relay().run(), consumer.run()):
        ids = await backbone.open_accounts(topic, keys, per_key=20)
        async with backbone.sessions.begin() as session:  # several events of one transaction, too
            ids += [await backbone.open_account(session, topic, keys[0], seq) for seq in range(20, 25)]
        await apoll_until(lambda: _count(backbone.applied(consumer), len(ids)), timeout=20,
                          message=f"{len(ids)} events applied")

    applied = defaultdict(list)
    for row in await backbone.applied(consumer):
        applied[row.key].append(row.seq)
    assert applied == {key: list(range(25 if key == keys[0] else 20)) for key in keys}
    partitions = defaultdict(set)
    for message in await backbone.messages(topic):
        partitions[message.key().decode()].add(message.partition())
    assert all(len(used) == 1 for used in partitions.values())
    lags = [sample.value for metric in REGISTRY.collect() if metric.name == "depot_consumer_lag"
            for sample in metric.samples if sample.labels["consumer"] == consumer.name]
    assert lags and set(lags) == {0}


async def test_poison_messages_are_dead_lettered_the_consumer_moves_on_and_replay_brings_them_back(
    backbone: Backbone, topic: str,
) -> None:
    name = unique("consumer")
    broken = [True]

    async def flag(session: AsyncSession, event: Event) -> None:
        if broken[0]:
            raise ValueError("flagging is not possible yet")
        await record(name)(session, event)

    consumer = backbone.consumer(topic, name=name, handlers={OPENED: record(name), FLAGGED: flag},
                                 max_attempts=3, backoff=0.01)
    async with running(backbone.relay().run(), consumer.run()):
        _produce_raw(backbone.bootstrap, topic, [
            (b"{not json", [("ce_id", b"raw-1"), ("ce_type", OPENED.encode())]),
            (b'{"seq": 1}', [("ce_type", OPENED.encode())]),
        ])
        async with backbone.sessions.begin() as session:
            flagged = await backbone.open_account(session, topic, "acct-3", seq=1, event_type=FLAGGED)
            unknown = await backbone.open_account(session, topic, "acct-3", seq=2, event_type="account.renamed")
            good = await backbone.open_account(session, topic, "acct-3", seq=3)
        await apoll_until(lambda: _has(backbone.applied(consumer), good), timeout=20,
                          message="the event after the poison applied")
        letters = await apoll_until(lambda: _letters(backbone, topic, 3), timeout=20, message="3 dead letters")

        by_id = {header_dict(letter).get("ce_id"): header_dict(letter) for letter in letters}
        failed = by_id[flagged]
        assert {name: failed[name] for name in ("ce_type", "ce_source", "dlq_original_topic", "dlq_consumer",
                                                "dlq_error", "dlq_attempts")} == {
            "ce_type": FLAGGED, "ce_source": "tests.events", "dlq_original_topic": topic, "dlq_consumer": name,
            "dlq_error": "ValueError: flagging is not possible yet", "dlq_attempts": "3",
        }
        assert int(failed["dlq_original_partition"]) >= 0 and int(failed["dlq_original_offset"]) >= 0
        assert by_id["raw-1"]["dlq_error"].startswith("undecodable: value is not JSON")
        assert by_id[None]["dlq_error"] == "undecodable: missing header(s) ce_id"
        assert _sample("depot_events_retried_total", name, topic, FLAGGED) == 2
        assert _sample("depot_events_handled_total", name, topic, "account.renamed", outcome="ignored") == 1

        broken[0] = False
        result = replay(backbone.bootstrap, original_topic=topic)
        assert result == ReplayResult(replayed=1, undecodable=2, filtered=result.filtered, duplicates=0)
        await apoll_until(lambda: _has(backbone.applied(consumer), flagged), timeout=20,
                          message="the replayed event applied")

    assert sorted(row.seq for row in await backbone.applied(consumer)) == [1, 3]
    assert unknown not in {row.event_id for row in await backbone.applied(consumer)}
    assert await backbone.processed(consumer) == 2  # the ignored type left no row


def _produce_raw(bootstrap: str, topic: str, messages: list[tuple[bytes, list]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for value, headers in messages:
        producer.produce(topic, key=b"acct-3", value=value, headers=headers)
    assert producer.flush(10) == 0


async def _count(rows, expected: int) -> bool:
    return len(await rows) >= expected


async def _has(rows, event_id: str) -> bool:
    return event_id in {row.event_id for row in await rows}


async def _letters(backbone: Backbone, topic: str, expected: int) -> list | None:
    letters = [letter for letter in await backbone.messages(topics.DLQ)
               if header_dict(letter).get("dlq_original_topic") == topic]
    return letters if len(letters) >= expected else None


def _sample(metric: str, consumer: str, topic: str, event_type: str, **labels) -> float:
    return REGISTRY.get_sample_value(metric, {"consumer": consumer, "topic": topic, "type": event_type,
                                              **labels}) or 0


async def test_a_consumer_forgets_only_its_own_records_older_than_the_retention(backbone: Backbone, topic: str):
    consumer, other = backbone.consumer(topic), backbone.consumer(topic)
    async with backbone.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES "
            "(:me, 'old', now() - interval '9 days'), (:me, 'recent', now() - interval '7 days'), "
            "(:other, 'old', now() - interval '9 days')"), {"me": consumer.name, "other": other.name})

    assert await consumer.prune() == 1
    assert await consumer.prune() == 0
    assert (await backbone.processed(consumer), await backbone.processed(other)) == (1, 1)
