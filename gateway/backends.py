"""The gRPC services the gateway has routes for, and their channels.

A backend's address comes from `<name>_addr` in the settings (DEPOT_GATEWAY_<NAME>_ADDR, the variable
`libs.stack.Fleet` sets); /health checks exactly these, so a service without routes here is not a
dependency of the gateway yet.
"""

from dataclasses import dataclass

import grpc
from depot.audit.v1 import audit_pb2
from depot.inventory.v1 import inventory_pb2
from depot.order.v1 import order_pb2
from depot.product.v1 import product_pb2
from depot.report.v1 import report_pb2
from depot.shipping.v1 import shipping_pb2
from depot.user.v1 import user_pb2

from gateway.settings import GatewaySettings
from libs.grpc_client import channel


@dataclass(frozen=True)
class Backend:
    name: str
    service: str  # full proto name, also the grpc.health.v1 service name
    idempotent_methods: tuple[str, ...]  # retried on UNAVAILABLE by the channel


BACKENDS: tuple[Backend, ...] = (
    Backend(
        "user",
        user_pb2.DESCRIPTOR.services_by_name["UserService"].full_name,
        ("GetMe", "ListUsers", "GetUser", "ListRoles", "Logout", "LogoutAll", "DeactivateUser", "AssignRoles"),
    ),
    Backend(
        "product",
        product_pb2.DESCRIPTOR.services_by_name["ProductService"].full_name,
        ("GetProduct", "ListProducts", "ListCategories"),
    ),
    Backend(
        "inventory",
        inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name,
        ("GetStock", "ListStock", "ListMovements"),
    ),
    Backend(
        "order",
        order_pb2.DESCRIPTOR.services_by_name["OrderService"].full_name,
        ("GetOrder", "ListOrders"),
    ),
    Backend(
        "shipping",
        shipping_pb2.DESCRIPTOR.services_by_name["ShippingService"].full_name,
        ("GetRates", "GetShipment", "ListShipments", "TrackShipment"),
    ),
    Backend(
        "audit",
        audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
        ("ListAuditLogs", "ExportAuditLogs"),
    ),
    Backend(
        "report",
        report_pb2.DESCRIPTOR.services_by_name["ReportService"].full_name,
        ("GetReport", "ListReports", "DownloadReport", "GetReportSchedule", "ListReportSchedules",
         "UpdateReportSchedule"),
    ),
)


def open_channels(settings: GatewaySettings) -> dict[str, grpc.aio.Channel]:
    return {
        backend.name: channel(
            getattr(settings, f"{backend.name}_addr"), service=backend.service,
            idempotent_methods=list(backend.idempotent_methods), default_timeout=settings.grpc_timeout_seconds,
        )
        for backend in BACKENDS
    }
