"""The outbox relay: what is committed is published, once per commit, with its envelope; what is
rolled back never is; a relay dying between delivery and marking publishes again and the consumer
still applies the event once."""

import json
from datetime import datetime

import pytest
from opentelemetry import trace
from prometheus_client import REGISTRY

from libs.events import relay as relay_module
from libs.events.envelope import header_dict
from libs.stack import apoll_until
from tests.events.conftest import OPENED, Backbone, running

TRACE_ID, SPAN_ID = 0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331


async def test_a_committed_change_publishes_one_event_with_its_envelope(backbone: Backbone, topic: str) -> None:
    request_span = trace.NonRecordingSpan(trace.SpanContext(
        TRACE_ID, SPAN_ID, is_remote=True, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)))

    relay = backbone.relay()
    async with running(relay.run()):
        with trace.use_span(request_span):
            async with backbone.sessions.begin() as session:
                event_id = await backbone.open_account(session, topic, "acct-1", seq=7)
        await apoll_until(lambda: backbone.all_published([event_id]), message="the event published")

    [message] = await backbone.messages(topic)
    headers = header_dict(message)
    assert (message.key(), json.loads(message.value())) == (b"acct-1", {"seq": 7})
    assert (headers["ce_id"], headers["ce_type"], headers["ce_source"]) == (event_id, OPENED, "tests.events")
    assert datetime.fromisoformat(headers["ce_time"]).tzinfo is not None
    assert headers["traceparent"] == f"00-{TRACE_ID:032x}-{SPAN_ID:016x}-01"
    assert REGISTRY.get_sample_value("depot_outbox_publish_latency_seconds_count", {"relay": relay.name}) >= 1


async def test_a_rolled_back_change_publishes_nothing(backbone: Backbone, topic: str) -> None:
    async with running(backbone.relay().run()):
        with pytest.raises(RuntimeError):
            async with backbone.sessions.begin() as session:
                await backbone.open_account(session, topic, "rolled-back")
                raise RuntimeError("the use case failed after writing its event")
        async with backbone.sessions.begin() as session:
            marker = await backbone.open_account(session, topic, "committed")
        await apoll_until(lambda: backbone.all_published([marker]), message="the committed event published")

    assert [message.key() for message in await backbone.messages(topic)] == [b"committed"]


async def test_a_relay_dying_between_delivery_and_marking_publishes_again_and_it_is_applied_once(
    backbone: Backbone, topic: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    deliver = relay_module.produce_and_wait
    crashes = []

    def deliver_then_crash_once(*args):
        reports = deliver(*args)
        if not crashes:
            crashes.append(args)
            raise RuntimeError("relay died after the broker acknowledged, before marking the rows")
        return reports

    monkeypatch.setattr(relay_module, "produce_and_wait", deliver_then_crash_once)
    consumer = backbone.consumer(topic)

    async with running(backbone.relay().run(), consumer.run()):
        async with backbone.sessions.begin() as session:
            event_id = await backbone.open_account(session, topic, "acct-2")
        await apoll_until(lambda: backbone.all_published([event_id]), message="the event published")
        await apoll_until(lambda: _handled(consumer.name, topic, "duplicate") == 1, timeout=20,
                          message="the redelivered copy skipped as a duplicate")

    assert crashes
    assert [header_dict(m)["ce_id"] for m in await backbone.messages(topic)] == [event_id, event_id]
    assert [row.event_id for row in await backbone.applied(consumer)] == [event_id]
    assert _handled(consumer.name, topic, "applied") == 1


def _handled(consumer: str, topic: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("depot_events_handled_total", {
        "consumer": consumer, "topic": topic, "type": OPENED, "outcome": outcome,
    }) or 0
