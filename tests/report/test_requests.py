"""Asking for reports and schedules: validation naming the fields, permissions, what is not there or
not ready, lists; schedules make their reports when due and move on."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import grpc
from depot.common.v1 import page_pb2
from depot.report.v1 import report_pb2
from prometheus_client import REGISTRY

from libs.errors import FieldViolation
from libs.stack import apoll_until
from tests.grpc_helpers import fails
from tests.report.conftest import REPORT_TIMEOUT, ReportApp, ts


async def test_a_request_names_every_bad_field(reports: ReportApp) -> None:
    now = datetime.now(UTC)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reports.stub.CreateReport(report_pb2.CreateReportRequest(
            type=99, since=ts(now), until=ts(now - timedelta(days=1))), metadata=reports.manager)
    assert failure.violations == [
        FieldViolation("type", "Type must be one of SALES, STOCK, SHIPPING, ACTIVITY"),
        FieldViolation("format", "Format must be one of JSON, CSV, XLSX, PDF"),
    ]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reports.stub.CreateReport(report_pb2.CreateReportRequest(
            type=report_pb2.REPORT_TYPE_SALES, format=report_pb2.REPORT_FORMAT_CSV, since=ts(now),
            until=ts(now - timedelta(days=1))), metadata=reports.manager)
    assert failure.violations == [FieldViolation("since", "Since must be before until")]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reports.stub.CreateReport(report_pb2.CreateReportRequest(
            type=report_pb2.REPORT_TYPE_SALES, format=report_pb2.REPORT_FORMAT_CSV,
            since=ts(now - timedelta(days=400))), metadata=reports.manager)
    assert failure.violations == [FieldViolation("until", "The period must be at most 366 days")]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reports.stub.CreateReport(report_pb2.CreateReportRequest(
            type=report_pb2.REPORT_TYPE_SALES, format=report_pb2.REPORT_FORMAT_CSV,
            since=ts(datetime(1999, 1, 1, tzinfo=UTC))), metadata=reports.manager)
    assert failure.violations == [FieldViolation("since", "Since must be between 2000 and 2100")]
    async with fails(grpc.StatusCode.INVALID_ARGUMENT, "id must be a UUID"):
        await reports.stub.GetReport(report_pb2.GetReportRequest(id="nope"), metadata=reports.manager)


async def test_reading_needs_report_read_and_asking_needs_report_create(reports: ReportApp) -> None:
    for role in ("customer", "staff"):
        caller = reports.user(role)
        async with fails(grpc.StatusCode.PERMISSION_DENIED):
            await reports.create("SALES", metadata=caller.metadata)
        async with fails(grpc.StatusCode.PERMISSION_DENIED):
            await reports.listing(metadata=caller.metadata)
    async with fails(grpc.StatusCode.UNAUTHENTICATED):
        await reports.stub.ListReports(report_pb2.ListReportsRequest())
    reader = reports.keys.metadata("report:read")
    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await reports.create("SALES", metadata=reader)
    assert (await reports.listing(metadata=reader)).page_info.page == 1


async def test_a_report_is_pending_then_ready_with_its_default_period(reports: ReportApp) -> None:
    before = datetime.now(UTC)
    created = await reports.create("SALES", "CSV")
    assert created.status == report_pb2.REPORT_STATUS_PENDING and created.id
    until = created.until.ToDatetime(UTC)
    assert before - timedelta(seconds=1) <= until <= datetime.now(UTC)
    assert until - created.since.ToDatetime(UTC) == timedelta(days=30)

    ready = await reports.finished(created.id)
    assert ready.status == report_pb2.REPORT_STATUS_READY
    assert (ready.content_type, ready.filename.endswith(".csv")) == ("text/csv; charset=utf-8", True)
    assert ready.size_bytes > 0 and ready.completed_at.seconds >= ready.created_at.seconds
    [event] = await reports.rows("SELECT event_type FROM outbox WHERE key = :id", id=created.id)
    assert event.event_type == "report.completed"
    assert REGISTRY.get_sample_value("depot_reports_generated_total",
                                      {"type": "SALES", "format": "CSV", "status": "READY"}) >= 1


async def test_unknown_and_unfinished_reports_cannot_be_downloaded(reports: ReportApp) -> None:
    async with fails(grpc.StatusCode.NOT_FOUND):
        await reports.download(str(uuid.uuid4()))
    failed_id = str(uuid.uuid4())
    await reports.execute(
        "INSERT INTO reports (id, type, format, status, since, until, requested_by, error, created_at) "
        "VALUES (:id, 'SALES', 'PDF', 'FAILED', now() - interval '1 day', now(), 'u', 'boom', now())", id=failed_id)
    async with fails(grpc.StatusCode.FAILED_PRECONDITION, "Report is FAILED, not READY"):
        await reports.download(failed_id)
    assert (await reports.get(failed_id)).error == "boom"


async def test_a_file_larger_than_a_message_comes_whole_in_chunks(reports: ReportApp) -> None:
    report_id, content = str(uuid.uuid4()), os.urandom(600 * 1024)  # more than two 256 kB messages
    await reports.execute(
        "INSERT INTO reports (id, type, format, status, since, until, requested_by, error, created_at, filename, "
        "content_type, size_bytes, content) VALUES (:id, 'STOCK', 'CSV', 'READY', now() - interval '1 day', now(), "
        "'u', '', now(), 'stock.csv', 'text/csv', :size, :content)", id=report_id, size=len(content), content=content)

    request = report_pb2.DownloadReportRequest(id=report_id)
    pieces = [piece async for piece in reports.stub.DownloadReport(request, metadata=reports.manager)]

    assert len(pieces) == 3 and (pieces[0].filename, pieces[0].content_type) == ("stock.csv", "text/csv")
    assert b"".join(piece.content for piece in pieces) == content


async def test_reports_are_listed_newest_first_with_filters_and_pages(reports: ReportApp) -> None:
    first = await reports.create("ACTIVITY", "JSON")
    second = await reports.create("ACTIVITY", "PDF")
    await reports.finished(first.id)
    await reports.finished(second.id)

    listed = await reports.listing(type=report_pb2.REPORT_TYPE_ACTIVITY)
    ids = [r.id for r in listed.reports]
    assert ids.index(second.id) < ids.index(first.id)
    assert all(r.type == report_pb2.REPORT_TYPE_ACTIVITY for r in listed.reports)
    page = await reports.listing(page_size=1, type=report_pb2.REPORT_TYPE_ACTIVITY)
    assert (len(page.reports), page.page_info.page_size, page.page_info.total_size >= 2) == (1, 1, True)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reports.stub.ListReports(report_pb2.ListReportsRequest(page=page_pb2.PageRequest(page_size=101)),
                                       metadata=reports.manager)
    assert failure.violations == [FieldViolation("page.page_size", "Page size must be between 1 and 100")]


async def test_a_due_schedule_makes_its_report_and_moves_on(reports: ReportApp) -> None:
    now = datetime.now(UTC)
    first_run = now - timedelta(days=2, hours=1)
    answer = await reports.stub.CreateReportSchedule(report_pb2.CreateReportScheduleRequest(
        type=report_pb2.REPORT_TYPE_STOCK, format=report_pb2.REPORT_FORMAT_XLSX,
        frequency=report_pb2.FREQUENCY_DAILY, first_run_at=ts(first_run)), metadata=reports.manager)
    schedule = answer.schedule
    assert (schedule.active, schedule.frequency) == (True, report_pb2.FREQUENCY_DAILY)

    async def made() -> report_pb2.Report | None:
        found = (await reports.listing(schedule_id=schedule.id)).reports
        return found[0] if found and found[0].status == report_pb2.REPORT_STATUS_READY else None

    report = await apoll_until(made, REPORT_TIMEOUT, message="the schedule's report")
    assert (report.type, report.format, report.requested_by) == (
        report_pb2.REPORT_TYPE_STOCK, report_pb2.REPORT_FORMAT_XLSX, f"schedule:{schedule.id}")
    assert abs(report.until.ToDatetime(UTC) - first_run) < timedelta(milliseconds=1)  # the run it was due for
    assert report.until.ToDatetime(UTC) - report.since.ToDatetime(UTC) == timedelta(days=1)
    moved = (await reports.stub.GetReportSchedule(report_pb2.GetReportScheduleRequest(id=schedule.id),
                                                  metadata=reports.manager)).schedule
    assert moved.next_run_at.ToDatetime(UTC) > now  # the missed runs are skipped: one report, then on time
    assert abs(moved.next_run_at.ToDatetime(UTC) - (first_run + timedelta(days=3))) < timedelta(milliseconds=1)
    assert moved.last_run_at.seconds
    assert len((await reports.listing(schedule_id=schedule.id)).reports) == 1


async def test_schedules_are_paused_resumed_listed_and_deleted(reports: ReportApp) -> None:
    created = (await reports.stub.CreateReportSchedule(report_pb2.CreateReportScheduleRequest(
        type=report_pb2.REPORT_TYPE_SALES, format=report_pb2.REPORT_FORMAT_PDF,
        frequency=report_pb2.FREQUENCY_MONTHLY), metadata=reports.manager)).schedule
    next_run = created.next_run_at.ToDatetime(UTC)
    assert (next_run.day, next_run.hour, next_run.minute) == (1, 0, 0) and next_run > datetime.now(UTC)

    paused = (await reports.stub.UpdateReportSchedule(report_pb2.UpdateReportScheduleRequest(
        id=created.id, active=False), metadata=reports.manager)).schedule
    assert paused.active is False
    resumed = (await reports.stub.UpdateReportSchedule(report_pb2.UpdateReportScheduleRequest(
        id=created.id, active=True), metadata=reports.manager)).schedule
    assert resumed.active is True
    listed = await reports.stub.ListReportSchedules(report_pb2.ListReportSchedulesRequest(),
                                                    metadata=reports.manager)
    assert created.id in [s.id for s in listed.schedules]

    async with fails(grpc.StatusCode.PERMISSION_DENIED):
        await reports.stub.DeleteReportSchedule(report_pb2.DeleteReportScheduleRequest(id=created.id),
                                                metadata=reports.keys.metadata("report:read"))
    await reports.stub.DeleteReportSchedule(report_pb2.DeleteReportScheduleRequest(id=created.id),
                                            metadata=reports.manager)
    async with fails(grpc.StatusCode.NOT_FOUND, f"Report schedule {created.id} not found"):
        await reports.stub.GetReportSchedule(report_pb2.GetReportScheduleRequest(id=created.id),
                                             metadata=reports.manager)
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await reports.stub.CreateReportSchedule(report_pb2.CreateReportScheduleRequest(
            type=report_pb2.REPORT_TYPE_SALES, format=report_pb2.REPORT_FORMAT_PDF), metadata=reports.manager)
    assert failure.violations == [FieldViolation("frequency", "Frequency must be one of DAILY, WEEKLY, MONTHLY")]
