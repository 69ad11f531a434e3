"""datetime ⇄ google.protobuf.Timestamp, with None for an absent value on both sides."""

from datetime import UTC, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp


def to_timestamp(moment: datetime | None) -> Timestamp | None:
    """A datetime as a Timestamp (one without an offset is taken as UTC); None for None."""
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def from_timestamp(message: Message, field: str) -> datetime | None:
    """The Timestamp field `field` of `message` as an aware UTC datetime; None when it is not set."""
    return getattr(message, field).ToDatetime(UTC) if message.HasField(field) else None
