"""ReportService over gRPC: proto → service call → proto. Errors are mapped by the shared interceptor."""

from depot.report.v1 import report_pb2, report_pb2_grpc

from libs.context import current_principal
from libs.grpc_server import ServiceBinding, chunked
from libs.ids import parse_id
from libs.paging import page_info
from libs.timestamps import from_timestamp
from services.report.messages import enum_of, report_message, schedule_message
from services.report.models import Frequency, ReportFormat, ReportStatus, ReportType
from services.report.repository import ReportFilter
from services.report.service import ReportService
from services.report.validation import ReportRequest, ScheduleRequest

READ, CREATE = "report:read", "report:create"
ACCESS = {
    "CreateReport": CREATE,
    "GetReport": READ,
    "ListReports": READ,
    "DownloadReport": READ,
    "CreateReportSchedule": CREATE,
    "GetReportSchedule": READ,
    "ListReportSchedules": READ,
    "UpdateReportSchedule": CREATE,
    "DeleteReportSchedule": CREATE,
}


class ReportServicer(report_pb2_grpc.ReportServiceServicer):
    def __init__(self, service: ReportService):
        self._service = service

    async def CreateReport(self, request, context):
        report = await self._service.create_report(current_principal(), ReportRequest(
            type=enum_of(ReportType, request.type), format=enum_of(ReportFormat, request.format),
            since=from_timestamp(request, "since"), until=from_timestamp(request, "until"),
        ))
        return report_pb2.CreateReportResponse(report=report_message(report))

    async def GetReport(self, request, context):
        return report_pb2.GetReportResponse(report=report_message(await self._service.get_report(request.id)))

    async def ListReports(self, request, context):
        where = ReportFilter(
            type=enum_of(ReportType, request.type), status=enum_of(ReportStatus, request.status),
            schedule_id=parse_id(request.schedule_id, "schedule_id") if request.schedule_id else None,
        )
        found = await self._service.list_reports(where, page=request.page.page, page_size=request.page.page_size)
        return report_pb2.ListReportsResponse(reports=[report_message(r) for r in found.items],
                                              page_info=page_info(found.page, found.page_size, found.total))

    async def DownloadReport(self, request, context):
        report = await self._service.download(request.id)
        for index, chunk in enumerate(chunked(report.content)):
            named = index == 0
            yield report_pb2.DownloadReportResponse(content_type=report.content_type if named else "",
                                                    filename=report.filename if named else "", content=chunk)

    async def CreateReportSchedule(self, request, context):
        schedule = await self._service.create_schedule(current_principal(), ScheduleRequest(
            type=enum_of(ReportType, request.type), format=enum_of(ReportFormat, request.format),
            frequency=enum_of(Frequency, request.frequency), first_run_at=from_timestamp(request, "first_run_at"),
        ))
        return report_pb2.CreateReportScheduleResponse(schedule=schedule_message(schedule))

    async def GetReportSchedule(self, request, context):
        schedule = await self._service.get_schedule(request.id)
        return report_pb2.GetReportScheduleResponse(schedule=schedule_message(schedule))

    async def ListReportSchedules(self, request, context):
        found = await self._service.list_schedules(page=request.page.page, page_size=request.page.page_size)
        return report_pb2.ListReportSchedulesResponse(schedules=[schedule_message(s) for s in found.items],
                                                      page_info=page_info(found.page, found.page_size, found.total))

    async def UpdateReportSchedule(self, request, context):
        schedule = await self._service.set_schedule_active(request.id, request.active)
        return report_pb2.UpdateReportScheduleResponse(schedule=schedule_message(schedule))

    async def DeleteReportSchedule(self, request, context):
        await self._service.delete_schedule(request.id)
        return report_pb2.DeleteReportScheduleResponse()


def binding(service: ReportService) -> ServiceBinding:
    return ServiceBinding(
        descriptor=report_pb2.DESCRIPTOR.services_by_name["ReportService"],
        servicer=ReportServicer(service),
        add_to_server=report_pb2_grpc.add_ReportServiceServicer_to_server,
        access=ACCESS,
    )
