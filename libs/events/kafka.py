"""What the relay, the consumers' dead-lettering and the DLQ replay share about talking to the broker:
producer settings, producing a batch and waiting for every delivery report, and a thread to do it in."""

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, Producer, TopicPartition

T = TypeVar("T")

# librdkafka's own log lines (connection refused during an outage, ...) go through standard logging,
# hence through the service's JSON logs, instead of raw lines on stderr.
LIBRDKAFKA_LOG = logging.getLogger("librdkafka")


class Record(NamedTuple):
    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


class DeliveryFailed(Exception):
    """Some records of a batch were not acknowledged by the broker."""


def producer_config(bootstrap: str, overrides: Mapping[str, object] | None = None,
                    *, delivery_timeout: float = 10.0) -> dict[str, object]:
    """DESIGN.md §3: idempotent, acks from all in-sync replicas. `linger.ms` batches a burst of
    outbox rows into few requests at the cost of a few milliseconds of latency."""
    return {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        # A record not acknowledged by then fails instead of waiting forever for a broker that is down.
        "message.timeout.ms": int(delivery_timeout * 1000),
        "logger": LIBRDKAFKA_LOG,
        **(overrides or {}),
    }


def produce_and_wait(producer: Producer, records: Sequence[Record], timeout: float) -> list[KafkaError | None]:
    """Produce `records` in order and wait for their delivery reports: one entry per record, None when
    the broker acknowledged it. Blocking. A fatal producer error raises KafkaException: the producer
    is unusable afterwards (an idempotent producer after a broker restart) and must be replaced."""
    results: list[KafkaError | None] = [KafkaError(KafkaError._MSG_TIMED_OUT)] * len(records)

    def report(index: int) -> Callable:
        def on_delivery(error: KafkaError | None, _message) -> None:
            results[index] = error
        return on_delivery

    for index, record in enumerate(records):
        while True:
            try:
                producer.produce(record.topic, key=record.key, value=record.value, headers=record.headers,
                                 on_delivery=report(index))
                break
            except BufferError:
                producer.poll(0.05)  # the local queue is full: serve delivery reports to make room
    producer.flush(timeout)
    return results


def read_to_end(bootstrap: str, topic: str, timeout: float = 10.0) -> Iterator[Message]:
    """Every message `topic` holds at the time of the call, in order within each partition. Blocking."""
    reader = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"read-{uuid.uuid4().hex}",  # never committed: assign() reads outside any group
        "enable.auto.commit": False,
        "logger": LIBRDKAFKA_LOG,
    })
    try:
        metadata = reader.list_topics(topic, timeout=timeout).topics[topic]
        if metadata.error is not None:
            return
        ends = {}
        for partition in metadata.partitions:
            low, high = reader.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
            if high > low:
                ends[partition] = high
        reader.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for partition in ends])
        while ends:
            message = reader.poll(timeout)
            if message is None:
                raise TimeoutError(f"no message from {topic} within {timeout:g}s; partitions left: {sorted(ends)}")
            if message.error():
                continue
            if message.offset() < ends.get(message.partition(), 0):
                yield message
            if message.offset() + 1 >= ends.get(message.partition(), 0):
                ends.pop(message.partition(), None)
    finally:
        reader.close()


class KafkaThread:
    """confluent-kafka calls block; one thread per client runs them off the event loop, one at a time
    (so, for instance, closing a consumer waits for the poll in progress)."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, function: Callable[..., T], *args) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False)
