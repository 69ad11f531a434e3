"""Report bodies: what to report on (type, format, period), the report's state and file, schedules.
The report service owns the rules; these shapes only spare it what cannot be a request."""

from datetime import datetime
from typing import Literal

from depot.report.v1 import report_pb2
from pydantic import Field

from gateway.schemas.common import ApiModel, Moment
from libs.timestamps import from_timestamp

ReportType = Literal["SALES", "STOCK", "SHIPPING", "ACTIVITY"]
ReportFormat = Literal["JSON", "CSV", "XLSX", "PDF"]
ReportStatus = Literal["PENDING", "READY", "FAILED"]
Frequency = Literal["DAILY", "WEEKLY", "MONTHLY"]
PREFIXES = {"type": "REPORT_TYPE_", "format": "REPORT_FORMAT_", "status": "REPORT_STATUS_", "frequency": "FREQUENCY_"}
ENUMS = {"type": report_pb2.ReportType, "format": report_pb2.ReportFormat, "status": report_pb2.ReportStatus,
         "frequency": report_pb2.Frequency}


def enum_value(kind: str, name: str | None) -> int:
    return ENUMS[kind].Value(PREFIXES[kind] + name) if name else 0


def _name(kind: str, value: int) -> str:
    return ENUMS[kind].Name(value).removeprefix(PREFIXES[kind])


class ReportCreate(ApiModel):
    """POST /reports. SALES, SHIPPING and ACTIVITY cover from ≤ moment < to (default: the 30 days up to
    now, at most 366 days); STOCK is the stock as it is now."""

    type: ReportType
    format: ReportFormat = "JSON"
    from_: Moment | None = Field(None, alias="from", description="Start of the period (UTC when no offset)")
    to: Moment | None = Field(None, description="End of the period, excluded; now when absent")


class ReportPublic(ApiModel):
    id: str
    type: str
    format: str
    status: str = Field(description="PENDING, then READY (download it) or FAILED (see error)")
    from_: datetime | None = Field(alias="from")
    to: datetime | None
    requested_by: str
    schedule_id: str | None
    error: str | None
    filename: str | None
    content_type: str | None
    size_bytes: int
    created_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def from_proto(cls, r: report_pb2.Report) -> "ReportPublic":
        return cls(id=r.id, type=_name("type", r.type), format=_name("format", r.format),
                   status=_name("status", r.status), from_=from_timestamp(r, "since"), to=from_timestamp(r, "until"),
                   requested_by=r.requested_by, schedule_id=r.schedule_id or None, error=r.error or None,
                   filename=r.filename or None, content_type=r.content_type or None, size_bytes=r.size_bytes,
                   created_at=from_timestamp(r, "created_at"), completed_at=from_timestamp(r, "completed_at"))


class ScheduleCreate(ApiModel):
    """POST /report-schedules: a report of `type` in `format` every day, week or month, each covering the
    period since the run before."""

    type: ReportType
    format: ReportFormat = "JSON"
    frequency: Frequency
    first_run_at: Moment | None = Field(None, description="Default: the next midnight UTC, Monday or 1st of the "
                                                          "month; a past moment runs at once")


class ScheduleUpdate(ApiModel):
    """PATCH /report-schedules/{id}: pause (false) or resume (true)."""

    active: bool


class SchedulePublic(ApiModel):
    id: str
    type: str
    format: str
    frequency: str
    active: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_proto(cls, s: report_pb2.ReportSchedule) -> "SchedulePublic":
        return cls(id=s.id, type=_name("type", s.type), format=_name("format", s.format),
                   frequency=_name("frequency", s.frequency), active=s.active,
                   next_run_at=from_timestamp(s, "next_run_at"), last_run_at=from_timestamp(s, "last_run_at"),
                   created_by=s.created_by, created_at=from_timestamp(s, "created_at"),
                   updated_at=from_timestamp(s, "updated_at"))
