"""The event envelope on the wire (DESIGN.md §3): key = aggregate id, value = the payload as proto
JSON, headers `ce_id`, `ce_type`, `ce_source`, `ce_time`, `traceparent`."""

import json
from dataclasses import dataclass
from typing import TypeVar

from confluent_kafka import Message
from google.protobuf import json_format
from google.protobuf.message import Message as ProtoMessage

P = TypeVar("P", bound=ProtoMessage)

ID = "ce_id"
TYPE = "ce_type"
SOURCE = "ce_source"
TIME = "ce_time"

# Added to a dead letter next to the original headers; replay strips them (they all share the prefix).
DLQ_PREFIX = "dlq_"
DLQ_TOPIC = "dlq_original_topic"
DLQ_PARTITION = "dlq_original_partition"
DLQ_OFFSET = "dlq_original_offset"
DLQ_CONSUMER = "dlq_consumer"
DLQ_ERROR = "dlq_error"
DLQ_ATTEMPTS = "dlq_attempts"
DLQ_TIME = "dlq_time"


class UndecodableEvent(ValueError):
    """A message that is not an event (bad JSON, no ce_id or ce_type): no retry can fix it."""


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    key: str | None
    payload: dict
    headers: dict[str, str]
    topic: str
    partition: int
    offset: int

    @property
    def source(self) -> str | None:
        return self.headers.get(SOURCE)

    @property
    def time(self) -> str | None:
        return self.headers.get(TIME)

    def parse(self, message_class: type[P]) -> P:
        """The payload as its typed proto message; fields unknown to this version are ignored, so a
        producer may add fields before its consumers know them."""
        return json_format.ParseDict(self.payload, message_class(), ignore_unknown_fields=True)


def wire_headers(event_id: str, event_type: str, stored: dict[str, str]) -> list[tuple[str, bytes]]:
    """Headers of an outbox row: its id and type, then what `add_event` stored (source, time, trace)."""
    headers = {**stored, ID: event_id, TYPE: event_type}
    return [(name, str(value).encode()) for name, value in headers.items()]


def header_dict(message: Message) -> dict[str, str]:
    return {name: (value or b"").decode("utf-8", "replace") for name, value in message.headers() or []}


def decode(message: Message) -> Event:
    headers = header_dict(message)
    missing = [name for name in (ID, TYPE) if not headers.get(name)]
    if missing:
        raise UndecodableEvent(f"missing header(s) {', '.join(missing)}")
    try:
        payload = json.loads(message.value() or b"")
    except ValueError as error:
        raise UndecodableEvent(f"value is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise UndecodableEvent("value is not a JSON object")
    key = message.key()
    return Event(
        id=headers[ID], type=headers[TYPE], key=key.decode("utf-8", "replace") if key is not None else None,
        payload=payload, headers=headers,
        topic=message.topic(), partition=message.partition(), offset=message.offset(),
    )
