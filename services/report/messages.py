"""Rows → the contract's messages, and the contract's enums → the models' values."""

from enum import StrEnum
from typing import TypeVar

from depot.report.v1 import report_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from libs.timestamps import to_timestamp
from services.report.models import Frequency, Report, ReportFormat, ReportSchedule, ReportStatus, ReportType

E = TypeVar("E", bound=StrEnum)
PREFIXES = {ReportType: "REPORT_TYPE_", ReportFormat: "REPORT_FORMAT_", ReportStatus: "REPORT_STATUS_",
            Frequency: "FREQUENCY_"}
PROTO_ENUMS: dict[type, EnumTypeWrapper] = {
    ReportType: report_pb2.ReportType, ReportFormat: report_pb2.ReportFormat,
    ReportStatus: report_pb2.ReportStatus, Frequency: report_pb2.Frequency,
}


def enum_value(kind: type[E], value: str) -> int:
    return PROTO_ENUMS[kind].Value(PREFIXES[kind] + value)


def enum_of(kind: type[E], value: int) -> E | None:
    """The member a request names; None for UNSPECIFIED or a value this build does not know."""
    proto = PROTO_ENUMS[kind]
    name = proto.Name(value).removeprefix(PREFIXES[kind]) if value in proto.values() else ""
    return kind(name) if name in kind.__members__ else None


def report_message(report: Report) -> report_pb2.Report:
    return report_pb2.Report(
        id=str(report.id), type=enum_value(ReportType, report.type), format=enum_value(ReportFormat, report.format),
        status=enum_value(ReportStatus, report.status), since=to_timestamp(report.since),
        until=to_timestamp(report.until), requested_by=report.requested_by,
        schedule_id=str(report.schedule_id or ""), error=report.error, filename=report.filename,
        content_type=report.content_type, size_bytes=report.size_bytes, created_at=to_timestamp(report.created_at),
        completed_at=to_timestamp(report.completed_at),
    )


def schedule_message(schedule: ReportSchedule) -> report_pb2.ReportSchedule:
    return report_pb2.ReportSchedule(
        id=str(schedule.id), type=enum_value(ReportType, schedule.type),
        format=enum_value(ReportFormat, schedule.format), frequency=enum_value(Frequency, schedule.frequency),
        active=schedule.active, next_run_at=to_timestamp(schedule.next_run_at),
        last_run_at=to_timestamp(schedule.last_run_at), created_by=schedule.created_by,
        created_at=to_timestamp(schedule.created_at), updated_at=to_timestamp(schedule.updated_at),
    )
