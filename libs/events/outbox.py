"""The outbox: events are rows written in the same transaction as the change they describe.

A service's models call `add_event_tables(metadata)`, its first migration calls `create_event_tables()`,
and its use cases call `add_event(session, ...)`; the relay publishes the rows after commit.
"""

import json
import uuid
from datetime import UTC, datetime

from alembic import op
from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.propagate import inject
from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

NOTIFY_CHANNEL = "depot_outbox"  # LISTEN/NOTIFY wakes the relay as soon as a transaction commits


def _outbox_columns() -> list:
    return [
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("payload", Text, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
    ]


PROCESSED_AGE_INDEX = "ix_processed_events_consumer_processed_at"
_PROCESSED_AGE_COLUMNS = ["consumer", "processed_at"]


def _processed_columns() -> list:
    return [
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(200), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def add_event_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Register `outbox` and `processed_events` on a service's metadata."""
    outbox = Table(
        "outbox", metadata, *_outbox_columns(),
        Index("ix_outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),
    )
    processed = Table("processed_events", metadata, *_processed_columns(),
                      Index(PROCESSED_AGE_INDEX, *_PROCESSED_AGE_COLUMNS))
    return outbox, processed


def create_event_tables() -> None:
    """For a service's first Alembic migration."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index("ix_outbox_unpublished", "outbox", ["created_at"],
                    postgresql_where=text("published_at IS NULL"))
    op.create_table("processed_events", *_processed_columns())


def index_processed_events() -> None:
    """For a service's migration after create_event_tables: what the consumer's pruning looks rows up by."""
    op.create_index(PROCESSED_AGE_INDEX, "processed_events", _PROCESSED_AGE_COLUMNS)


def drop_event_tables() -> None:
    op.drop_table("processed_events")
    op.drop_table("outbox")


# One statement per event: the row, and the NOTIFY that wakes the relay once the transaction commits
# (PostgreSQL delivers identical notifications of one transaction once, however many events it wrote).
# clock_timestamp(), not now(): several events of one transaction keep the order they were written in,
# and the relay publishes in created_at order. Built once: a text() construct costs more than its run.
_INSERT = text(
    "INSERT INTO outbox (id, topic, key, event_type, payload, headers, created_at) "
    "SELECT :id, :topic, :key, :event_type, :payload, CAST(:headers AS jsonb), clock_timestamp() "
    f"FROM (SELECT pg_notify('{NOTIFY_CHANNEL}', '')) AS wake"
)


async def add_event(
    session: AsyncSession | AsyncConnection, *, topic: str, key: str, event_type: str, payload: Message,
    source: str,
) -> uuid.UUID:
    """Write one event in the caller's transaction (a session's or a Core connection's); nothing is
    published unless that transaction commits."""
    event_id = uuid.uuid4()
    headers = {"ce_source": source, "ce_time": datetime.now(UTC).isoformat()}
    inject(headers)  # traceparent of the request that caused the event
    await session.execute(_INSERT, {
        "id": event_id, "topic": topic, "key": key, "event_type": event_type,
        "payload": json_format.MessageToJson(payload, indent=None, preserving_proto_field_name=True),
        "headers": json.dumps(headers),
    })
    return event_id
