"""/api/audit-logs: who did what. Every POST, PUT, PATCH and DELETE the gateway answers is recorded
(gateway.audit); reading the log and exporting it need audit:read (admins and managers)."""

from typing import Annotated

from depot.audit.v1 import audit_pb2
from depot.common.v1 import page_pb2
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from gateway.deps import AuditStub, RequirePermission
from gateway.files import FILE_TIMEOUT, download
from gateway.schemas.audit import EXPORT_FORMATS, AuditLogPage, ExportFormat, Outcome, outcome_value
from gateway.schemas.common import Moment, PageLimit, PageNumber, error_responses, period

router = APIRouter(prefix="/audit-logs", tags=["audit"], dependencies=[RequirePermission("audit:read")],
                   responses=error_responses(400, 401, 403, 503, 504))


def audit_filter(
    user_id: Annotated[str, Query(alias="userId", max_length=64, description="Who (a user id)")] = "",
    action: Annotated[str, Query(max_length=300, description='An action, or its start: "DELETE", '
                                                             '"POST /api/orders"')] = "",
    resource_type: Annotated[str, Query(alias="resourceType", max_length=64, description='"products", …')] = "",
    resource_id: Annotated[str, Query(alias="resourceId", max_length=200)] = "",
    outcome: Outcome | None = None,
    start_date: Annotated[Moment | None, Query(alias="startDate")] = None,
    end_date: Annotated[Moment | None, Query(alias="endDate", description="Exclusive")] = None,
) -> audit_pb2.AuditFilter:
    start, end = period(start_date, end_date)
    return audit_pb2.AuditFilter(actor_id=user_id.strip(), action=action.strip(), resource_type=resource_type.strip(),
                                 resource_id=resource_id.strip(), outcome=outcome_value(outcome) if outcome else 0,
                                 since=start, until=end)


Filter = Annotated[audit_pb2.AuditFilter, Depends(audit_filter)]


@router.get("")
async def list_audit_logs(
    audit: AuditStub,
    where: Filter,
    page: PageNumber = 1,
    limit: PageLimit = 20,
    cursor: Annotated[str, Query(max_length=200, description="The nextCursor of the page before, instead "
                                                             "of page")] = "",
) -> AuditLogPage:
    """Newest first."""
    answer = await audit.ListAuditLogs(audit_pb2.ListAuditLogsRequest(
        page=page_pb2.PageRequest(page=page, page_size=limit), filter=where, cursor=cursor))
    return AuditLogPage.from_proto(answer, limit)


@router.get("/export", response_class=StreamingResponse, responses={200: {"content": {
    "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}, "application/json": {},
}, "description": "The file"}, **error_responses(409)})
async def export_audit_logs(audit: AuditStub, where: Filter, format: ExportFormat = "csv") -> StreamingResponse:
    """Every record the filters select, newest first, as a file (at most 100,000: more is a 409 asking to
    narrow them)."""
    return await download(audit.ExportAuditLogs(
        audit_pb2.ExportAuditLogsRequest(filter=where, format=EXPORT_FORMATS[format]), timeout=FILE_TIMEOUT), "chunk")
