"""Audit log bodies: one record per request that changed something or tried to, and the listing with a
cursor beside its page."""

import uuid
from datetime import datetime
from typing import Literal

from depot.audit.v1 import audit_pb2

from gateway.schemas.common import ApiModel
from libs.timestamps import from_timestamp

Outcome = Literal["SUCCESS", "DENIED", "FAILURE"]
ExportFormat = Literal["csv", "xlsx", "json"]
EXPORT_FORMATS = {"csv": audit_pb2.EXPORT_FORMAT_CSV, "xlsx": audit_pb2.EXPORT_FORMAT_XLSX,
                  "json": audit_pb2.EXPORT_FORMAT_JSON}


def outcome_value(name: str) -> int:
    return audit_pb2.Outcome.Value(f"OUTCOME_{name}")


class AuditLogPublic(ApiModel):
    id: uuid.UUID
    occurred_at: datetime
    actor_id: str
    actor_roles: list[str]
    action: str
    method: str
    path: str
    resource_type: str
    resource_id: str
    status_code: int
    outcome: Outcome
    request_id: str
    trace_id: str
    client_ip: str
    user_agent: str
    duration_ms: int

    @classmethod
    def from_proto(cls, log: audit_pb2.AuditLog) -> "AuditLogPublic":
        return cls(
            id=log.id, occurred_at=from_timestamp(log, "occurred_at"), actor_id=log.actor_id,
            actor_roles=list(log.actor_roles), action=log.action, method=log.method, path=log.path,
            resource_type=log.resource_type, resource_id=log.resource_id, status_code=log.status_code,
            outcome=audit_pb2.Outcome.Name(log.outcome).removeprefix("OUTCOME_"), request_id=log.request_id,
            trace_id=log.trace_id, client_ip=log.client_ip, user_agent=log.user_agent, duration_ms=log.duration_ms,
        )


class AuditLogPage(ApiModel):
    """A page as every list answers it; walking by `cursor` instead, nothing is counted (total and
    totalPages are null) and `page` is 1. `nextCursor` continues after this page; null on the last."""

    data: list[AuditLogPublic]
    total: int | None
    page: int
    limit: int
    total_pages: int | None
    next_cursor: str | None

    @classmethod
    def from_proto(cls, answer: audit_pb2.ListAuditLogsResponse, limit: int) -> "AuditLogPage":
        counted = answer.HasField("page_info")
        info = answer.page_info
        return cls(data=[AuditLogPublic.from_proto(log) for log in answer.logs],
                   total=info.total_size if counted else None, page=info.page if counted else 1,
                   limit=info.page_size if counted else limit, total_pages=info.total_pages if counted else None,
                   next_cursor=answer.next_cursor or None)
