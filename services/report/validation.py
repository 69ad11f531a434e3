"""What the use cases accept, and its rules. Field names are the request messages' (`since`, `until`,
`first_run_at`), so a client can point at the field."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from libs.errors import FieldViolation
from libs.validation import require
from services.report.models import Frequency, ReportFormat, ReportType

DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=366)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_FIRST_RUN_DISTANCE = timedelta(days=366)  # either way: a past first run runs at once


@dataclass(frozen=True)
class ReportRequest:
    type: ReportType | None  # None: unspecified, or a value this build does not know
    format: ReportFormat | None
    since: datetime | None = None  # None: DEFAULT_PERIOD before `until`
    until: datetime | None = None  # None: now


@dataclass(frozen=True)
class ScheduleRequest:
    type: ReportType | None
    format: ReportFormat | None
    frequency: Frequency | None
    first_run_at: datetime | None = None  # None: the frequency's next boundary


def _one_of(field: str, label: str, value: object, allowed: type) -> FieldViolation | None:
    return None if value is not None else FieldViolation(field, f"{label} must be one of {', '.join(allowed)}")


def _in_range(field: str, label: str, moment: datetime | None) -> FieldViolation | None:
    if moment is None or EARLIEST <= moment <= LATEST:
        return None
    return FieldViolation(field, f"{label} must be between {EARLIEST.year} and {LATEST.year}")


def check_report_request(request: ReportRequest, now: datetime) -> tuple[datetime, datetime]:
    """The period the request covers, or INVALID_ARGUMENT naming every bad field."""
    require(
        _one_of("type", "Type", request.type, ReportType),
        _one_of("format", "Format", request.format, ReportFormat),
        _in_range("since", "Since", request.since),
        _in_range("until", "Until", request.until),
    )
    until = request.until or now
    since = request.since or until - DEFAULT_PERIOD
    require(
        FieldViolation("since", "Since must be before until") if since >= until else None,
        FieldViolation("until", f"The period must be at most {MAX_PERIOD.days} days")
        if until - since > MAX_PERIOD else None,
    )
    return since, until


def check_schedule_request(request: ScheduleRequest, now: datetime) -> None:
    require(
        _one_of("type", "Type", request.type, ReportType),
        _one_of("format", "Format", request.format, ReportFormat),
        _one_of("frequency", "Frequency", request.frequency, Frequency),
        FieldViolation("first_run_at", f"First run at must be within {MAX_FIRST_RUN_DISTANCE.days} days of now")
        if request.first_run_at and abs(request.first_run_at - now) > MAX_FIRST_RUN_DISTANCE else None,
    )
