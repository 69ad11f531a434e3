"""Replay dead letters: `python -m libs.events.replay_dlq [--topic T] [--consumer C] [--limit N]`.

Reads `events.dlq` from its beginning up to where it ends now and produces each dead letter again to
its original topic with its original key, value and headers (the `dlq_*` ones removed). Run it once the
cause is fixed. It keeps no position of its own: replaying a letter twice is harmless because every
consumer skips an event id it has already processed, and within one run an event dead-lettered by
several consumers is produced once (all of the topic's consumer groups see it again). Letters that are
not events (no `ce_id`/`ce_type`, a value that is not JSON) would only fail again: they are counted and
skipped, not replayed.
"""

import argparse
import os
import sys
from dataclasses import dataclass

from confluent_kafka import Message, Producer

from libs.events import envelope, topics
from libs.events.kafka import DeliveryFailed, Record, produce_and_wait, producer_config, read_to_end


@dataclass
class ReplayResult:
    replayed: int = 0
    undecodable: int = 0
    filtered: int = 0  # other topic or consumer than asked for, or beyond --limit
    duplicates: int = 0


def replay(
    bootstrap: str, *, original_topic: str | None = None, consumer: str | None = None, limit: int | None = None,
    dlq_topic: str = topics.DLQ, timeout: float = 10.0,
) -> ReplayResult:
    result = ReplayResult()
    records: list[Record] = []
    seen: set[str] = set()
    for letter in read_to_end(bootstrap, dlq_topic, timeout):
        headers = envelope.header_dict(letter)
        target = headers.get(envelope.DLQ_TOPIC)
        if not target or not _is_event(letter):
            result.undecodable += 1
        elif original_topic not in (None, target) or consumer not in (None, headers.get(envelope.DLQ_CONSUMER)) \
                or (limit is not None and len(records) >= limit):
            result.filtered += 1
        elif headers[envelope.ID] in seen:
            result.duplicates += 1
        else:
            seen.add(headers[envelope.ID])
            original = [(name, value) for name, value in letter.headers() or []
                        if not name.startswith(envelope.DLQ_PREFIX)]
            records.append(Record(target, letter.key(), letter.value(), original))
    if records:
        producer = Producer(producer_config(bootstrap, delivery_timeout=timeout))
        failed = [error for error in produce_and_wait(producer, records, timeout) if error is not None]
        if failed:
            raise DeliveryFailed(f"{len(failed)} of {len(records)} letters not replayed: {failed[0]}")
    result.replayed = len(records)
    return result


def _is_event(letter: Message) -> bool:
    try:
        envelope.decode(letter)
    except envelope.UndecodableEvent:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libs.events.replay_dlq", description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", default=os.environ.get("DEPOT_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
                        help="broker address (default: $DEPOT_KAFKA_BOOTSTRAP or 127.0.0.1:9092)")
    parser.add_argument("--topic", help="only letters whose original topic is this one")
    parser.add_argument("--consumer", help="only letters dead-lettered by this consumer group")
    parser.add_argument("--limit", type=int, help="replay at most this many letters")
    parser.add_argument("--dlq-topic", default=topics.DLQ)
    args = parser.parse_args(argv)
    result = replay(args.bootstrap, original_topic=args.topic, consumer=args.consumer, limit=args.limit,
                    dlq_topic=args.dlq_topic)
    print(f"replayed {result.replayed}; skipped {result.undecodable} undecodable, {result.duplicates} duplicate, "
          f"{result.filtered} filtered out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
