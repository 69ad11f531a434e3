"""Rows ⇄ the contract's messages: a record for the servicer, and an event's record for the table."""

import uuid
from collections.abc import Mapping
from datetime import datetime

from depot.audit.v1 import audit_pb2

from libs.audit import outcome_of_status
from libs.timestamps import from_timestamp, to_timestamp
from services.audit.models import ACTION_MAX, PATH_MAX, RESOURCE_ID_MAX, USER_AGENT_MAX, Outcome

TEXT_COLUMNS = {  # column → width; what the gateway sends is cut to it (a record is evidence: never refused)
    "actor_id": 64, "action": ACTION_MAX, "method": 16, "path": PATH_MAX, "resource_type": 64,
    "resource_id": RESOURCE_ID_MAX, "request_id": 128, "trace_id": 32, "client_ip": 64, "user_agent": USER_AGENT_MAX,
}
INT32_MAX = 2**31 - 1


def outcome_value(outcome: str) -> int:
    return audit_pb2.Outcome.Value(f"OUTCOME_{outcome}")


def outcome_of(value: int) -> Outcome | None:
    """The outcome a request names; None for UNSPECIFIED or a value this build does not know."""
    name = audit_pb2.Outcome.Name(value).removeprefix("OUTCOME_") if value in audit_pb2.Outcome.values() else ""
    return Outcome(name) if name in Outcome.__members__ else None


def log_message(row: Mapping) -> audit_pb2.AuditLog:
    return audit_pb2.AuditLog(
        id=str(row["id"]), occurred_at=to_timestamp(row["occurred_at"]), actor_id=row["actor_id"],
        actor_roles=row["actor_roles"], action=row["action"], method=row["method"], path=row["path"],
        resource_type=row["resource_type"], resource_id=row["resource_id"], status_code=row["status_code"],
        outcome=outcome_value(row["outcome"]), request_id=row["request_id"], trace_id=row["trace_id"],
        client_ip=row["client_ip"], user_agent=row["user_agent"], duration_ms=row["duration_ms"],
    )


def record_values(event_id: uuid.UUID, record: audit_pb2.AuditLog, received_at: datetime) -> dict:
    """The row for a published record: text cut to its column, a missing time taken as the receipt's."""
    values = {column: getattr(record, column).replace("\x00", "")[:width] for column, width in TEXT_COLUMNS.items()}
    return values | {
        "id": event_id,
        "occurred_at": from_timestamp(record, "occurred_at") or received_at,
        "actor_roles": [role[:32] for role in record.actor_roles][:20],
        "status_code": record.status_code,
        "outcome": outcome_of(record.outcome) or outcome_of(outcome_of_status(record.status_code)),
        "duration_ms": min(max(record.duration_ms, 0), INT32_MAX),
    }

