"""/api/reports and /api/report-schedules: sales, stock, shipping and activity reports as JSON, CSV,
XLSX or PDF, generated in the background from the report service's own read model, and schedules that
ask for one every day, week or month. Reading needs report:read; asking and scheduling report:create.
"""

import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Annotated

from depot.common.v1 import page_pb2
from depot.report.v1 import report_pb2
from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from gateway.deps import ReportStub, RequirePermission
from gateway.files import FILE_TIMEOUT, download
from gateway.schemas.common import Page, PageLimit, PageNumber, as_utc, error_responses
from gateway.schemas.reports import (
    ReportCreate,
    ReportPublic,
    ReportStatus,
    ReportType,
    ScheduleCreate,
    SchedulePublic,
    ScheduleUpdate,
    enum_value,
)
from libs.errors import FieldViolation
from libs.timestamps import to_timestamp
from libs.validation import require

router = APIRouter(tags=["reports"], responses=error_responses(400, 401, 403, 503, 504))
READ = RequirePermission("report:read")
CREATE = RequirePermission("report:create")
ONE = error_responses(404)
# The report service's period rules, worded with the REST body's names (it names its proto fields).
MAX_PERIOD = timedelta(days=366)
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def _out_of_range(field: str, label: str, moment: datetime | None) -> FieldViolation | None:
    if moment is None or EARLIEST <= moment <= LATEST:
        return None
    return FieldViolation(field, f"{label} must be between {EARLIEST.year} and {LATEST.year}")


def _period_violations(start: datetime | None, end: datetime | None) -> list[FieldViolation | None]:
    found = [v for v in (_out_of_range("from", "From", start), _out_of_range("to", "To", end)) if v]
    if found:
        return found
    end_or_now = end or datetime.now(UTC)
    return [
        FieldViolation("from", "From must be before to") if start and start >= end_or_now else None,
        FieldViolation("to", f"The period must be at most {MAX_PERIOD.days} days")
        if start and end_or_now - start > MAX_PERIOD else None,
    ]


@router.post("/reports", status_code=HTTPStatus.ACCEPTED, dependencies=[CREATE])
async def create_report(body: ReportCreate, report: ReportStub) -> ReportPublic:
    """Accepted as PENDING and generated a moment later: poll GET /reports/{id} until READY, then download."""
    start, end = as_utc(body.from_), as_utc(body.to)
    require(*_period_violations(start, end))
    answer = await report.CreateReport(report_pb2.CreateReportRequest(
        type=enum_value("type", body.type), format=enum_value("format", body.format),
        since=to_timestamp(start), until=to_timestamp(end)))
    return ReportPublic.from_proto(answer.report)


@router.get("/reports", dependencies=[READ])
async def list_reports(
    report: ReportStub,
    type: ReportType | None = None,
    status: ReportStatus | None = None,
    schedule_id: Annotated[uuid.UUID | None, Query(alias="scheduleId")] = None,
    page: PageNumber = 1,
    limit: PageLimit = 20,
) -> Page[ReportPublic]:
    """Newest first."""
    answer = await report.ListReports(report_pb2.ListReportsRequest(
        page=page_pb2.PageRequest(page=page, page_size=limit), type=enum_value("type", type),
        status=enum_value("status", status), schedule_id=str(schedule_id or "")))
    return Page[ReportPublic].of([ReportPublic.from_proto(r) for r in answer.reports], answer.page_info)


@router.get("/reports/{id}", dependencies=[READ], responses=ONE)
async def get_report(id: uuid.UUID, report: ReportStub) -> ReportPublic:
    answer = await report.GetReport(report_pb2.GetReportRequest(id=str(id)))
    return ReportPublic.from_proto(answer.report)


@router.get("/reports/{id}/download", dependencies=[READ], response_class=StreamingResponse, responses={
    200: {"content": {"application/json": {}, "text/csv": {}, "application/pdf": {},
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
          "description": "The report's file"},
    **ONE, **error_responses(409)})
async def download_report(id: uuid.UUID, report: ReportStub) -> StreamingResponse:
    """The file of a READY report; 409 while it is PENDING or when it FAILED."""
    return await download(report.DownloadReport(report_pb2.DownloadReportRequest(id=str(id)), timeout=FILE_TIMEOUT),
                          "content")


@router.post("/report-schedules", status_code=HTTPStatus.CREATED, dependencies=[CREATE])
async def create_schedule(body: ScheduleCreate, report: ReportStub) -> SchedulePublic:
    require(_out_of_range("firstRunAt", "First run at", as_utc(body.first_run_at)))
    answer = await report.CreateReportSchedule(report_pb2.CreateReportScheduleRequest(
        type=enum_value("type", body.type), format=enum_value("format", body.format),
        frequency=enum_value("frequency", body.frequency), first_run_at=to_timestamp(as_utc(body.first_run_at))))
    return SchedulePublic.from_proto(answer.schedule)


@router.get("/report-schedules", dependencies=[READ])
async def list_schedules(report: ReportStub, page: PageNumber = 1, limit: PageLimit = 20) -> Page[SchedulePublic]:
    """Newest first."""
    answer = await report.ListReportSchedules(report_pb2.ListReportSchedulesRequest(
        page=page_pb2.PageRequest(page=page, page_size=limit)))
    return Page[SchedulePublic].of([SchedulePublic.from_proto(s) for s in answer.schedules], answer.page_info)


@router.get("/report-schedules/{id}", dependencies=[READ], responses=ONE)
async def get_schedule(id: uuid.UUID, report: ReportStub) -> SchedulePublic:
    answer = await report.GetReportSchedule(report_pb2.GetReportScheduleRequest(id=str(id)))
    return SchedulePublic.from_proto(answer.schedule)


@router.patch("/report-schedules/{id}", dependencies=[CREATE], responses=ONE)
async def update_schedule(id: uuid.UUID, body: ScheduleUpdate, report: ReportStub) -> SchedulePublic:
    """Pause or resume; a resumed schedule whose run has passed runs once at once."""
    answer = await report.UpdateReportSchedule(report_pb2.UpdateReportScheduleRequest(id=str(id), active=body.active))
    return SchedulePublic.from_proto(answer.schedule)


@router.delete("/report-schedules/{id}", status_code=HTTPStatus.NO_CONTENT, dependencies=[CREATE], responses=ONE)
async def delete_schedule(id: uuid.UUID, report: ReportStub) -> Response:
    """The reports it made stay."""
    await report.DeleteReportSchedule(report_pb2.DeleteReportScheduleRequest(id=str(id)))
    return Response(status_code=HTTPStatus.NO_CONTENT)
