"""The audit log: one row per request that changed something or tried to, as the gateway answered it.
Rows are only ever inserted (the log is evidence); the id is the event's, so a redelivery is a no-op."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.db import metadata, one_of
from libs.events.outbox import add_event_tables

# Column widths: what the gateway sends is cut to these (see gateway.audit), never refused.
ACTION_MAX = 300
PATH_MAX = 1000
RESOURCE_ID_MAX = 200
USER_AGENT_MAX = 300


class Outcome(StrEnum):
    SUCCESS = "SUCCESS"
    DENIED = "DENIED"
    FAILURE = "FAILURE"


class Base(DeclarativeBase):
    metadata = metadata()


add_event_tables(Base.metadata)


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        CheckConstraint(one_of("outcome", Outcome), name="outcome_known"),
        # Newest first, with the id to break ties: every listing walks this order (and the cursor is its key).
        Index("ix_audit_logs_occurred_at_id", "occurred_at", "id"),
        Index("ix_audit_logs_actor", "actor_id", "occurred_at"),
        Index("ix_audit_logs_resource", "resource_type", "resource_id", "occurred_at"),
        # For an exact action and for a prefix of one ("POST /api/orders"): text_pattern_ops serves LIKE 'x%'.
        Index("ix_audit_logs_action", "action", "occurred_at", postgresql_ops={"action": "text_pattern_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    action: Mapped[str] = mapped_column(String(ACTION_MAX))
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(PATH_MAX))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(RESOURCE_ID_MAX))
    status_code: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(128))
    trace_id: Mapped[str] = mapped_column(String(32))
    client_ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX))
    duration_ms: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
