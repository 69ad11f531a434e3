"""AuditService over gRPC: proto → service call → proto. Errors are mapped by the shared interceptor."""

from depot.audit.v1 import audit_pb2, audit_pb2_grpc

from libs.grpc_server import ServiceBinding, chunked
from libs.paging import page_info
from libs.timestamps import from_timestamp
from services.audit.messages import log_message, outcome_of
from services.audit.repository import LogFilter
from services.audit.service import AuditService

ACCESS = {
    "ListAuditLogs": "audit:read",
    "ExportAuditLogs": "audit:read",
}
FORMAT_NAMES = {audit_pb2.EXPORT_FORMAT_CSV: "CSV", audit_pb2.EXPORT_FORMAT_XLSX: "XLSX",
                audit_pb2.EXPORT_FORMAT_JSON: "JSON"}


def _filter(message: audit_pb2.AuditFilter) -> LogFilter:
    return LogFilter(
        actor_id=message.actor_id.strip(), action=message.action.strip(),
        resource_type=message.resource_type.strip(), resource_id=message.resource_id.strip(),
        outcome=outcome_of(message.outcome) or "", since=from_timestamp(message, "since"),
        until=from_timestamp(message, "until"),
    )


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, service: AuditService):
        self._service = service

    async def ListAuditLogs(self, request, context):
        found = await self._service.list_logs(_filter(request.filter), page=request.page.page,
                                              page_size=request.page.page_size, cursor=request.cursor.strip())
        page = found.page
        return audit_pb2.ListAuditLogsResponse(
            logs=[log_message(row) for row in page.items], next_cursor=found.next_cursor,
            page_info=page_info(page.page, page.page_size, page.total) if page.total >= 0 else None,
        )

    async def ExportAuditLogs(self, request, context):
        export = await self._service.export(_filter(request.filter), FORMAT_NAMES.get(request.format, "CSV"))
        first = True
        async for piece in export.chunks:
            for chunk in chunked(piece):
                yield audit_pb2.ExportAuditLogsResponse(
                    content_type=export.content_type if first else "", filename=export.filename if first else "",
                    chunk=chunk)
                first = False


def binding(service: AuditService) -> ServiceBinding:
    return ServiceBinding(
        descriptor=audit_pb2.DESCRIPTOR.services_by_name["AuditService"],
        servicer=AuditServicer(service),
        add_to_server=audit_pb2_grpc.add_AuditServiceServicer_to_server,
        access=ACCESS,
    )
