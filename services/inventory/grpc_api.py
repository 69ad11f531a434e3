"""InventoryService over gRPC: proto → service call → proto. Errors are mapped by the shared interceptor."""

from depot.inventory.v1 import inventory_pb2, inventory_pb2_grpc

from libs.grpc_server import INTERNAL, ServiceBinding
from libs.paging import page_info
from libs.timestamps import from_timestamp
from services.inventory.service import InventoryService

ACCESS = {
    "InitializeStock": INTERNAL,
    "GetStock": "inventory:read",
    "ListStock": "inventory:read",
    "AdjustStock": "inventory:adjust",
    "ListMovements": "inventory:read",
    "ReserveStock": INTERNAL,
    "CommitReservation": INTERNAL,
    "ReleaseReservation": INTERNAL,
    "SettleCancelledOrder": INTERNAL,
    "DeactivateStock": INTERNAL,
}


def movement_type_name(value: int) -> str:
    """RECEIVED for MOVEMENT_TYPE_RECEIVED; "" for a value this build does not know."""
    try:
        return inventory_pb2.MovementType.Name(value).removeprefix("MOVEMENT_TYPE_")
    except ValueError:
        return ""


class InventoryServicer(inventory_pb2_grpc.InventoryServiceServicer):
    def __init__(self, service: InventoryService):
        self._service = service

    async def InitializeStock(self, request, context):
        stock, created = await self._service.initialize_stock(
            product_id=request.product_id, sku=request.sku, initial_quantity=request.initial_quantity,
            reorder_level=request.reorder_level if request.HasField("reorder_level") else None,
            location=request.location if request.HasField("location") else None,
        )
        return inventory_pb2.InitializeStockResponse(stock=stock, created=created)

    async def GetStock(self, request, context):
        return inventory_pb2.GetStockResponse(stock=await self._service.get_stock(request.product_id))

    async def ListStock(self, request, context):
        found = await self._service.list_stock(page=request.page, low_stock=request.low_stock,
                                               location=request.location)
        return inventory_pb2.ListStockResponse(stocks=found.items,
                                               page_info=page_info(found.page, found.page_size, found.total))

    async def AdjustStock(self, request, context):
        change = await self._service.adjust_stock(
            product_id=request.product_id, movement_type=movement_type_name(request.type),
            quantity=request.quantity, notes=request.notes, reference_id=request.reference_id,
            idempotency_key=request.idempotency_key,
        )
        return inventory_pb2.AdjustStockResponse(stock=change.stock, movement=change.movement)

    async def ListMovements(self, request, context):
        found = await self._service.list_movements(
            product_id=request.product_id, page=request.page,
            start=from_timestamp(request, "start_time"), end=from_timestamp(request, "end_time"),
        )
        return inventory_pb2.ListMovementsResponse(movements=found.items,
                                                   page_info=page_info(found.page, found.page_size, found.total))

    async def ReserveStock(self, request, context):
        reservation = await self._service.reserve_stock(
            order_id=request.order_id, lines=[(line.product_id, line.quantity) for line in request.lines]
        )
        return inventory_pb2.ReserveStockResponse(reservation=reservation)

    async def CommitReservation(self, request, context):
        return inventory_pb2.CommitReservationResponse(
            reservation=await self._service.commit_reservation(request.order_id)
        )

    async def ReleaseReservation(self, request, context):
        return inventory_pb2.ReleaseReservationResponse(
            reservation=await self._service.release_reservation(request.order_id)
        )

    async def SettleCancelledOrder(self, request, context):
        return inventory_pb2.SettleCancelledOrderResponse(
            reservation=await self._service.settle_cancelled_order(request.order_id)
        )

    async def DeactivateStock(self, request, context):
        return inventory_pb2.DeactivateStockResponse(stock=await self._service.deactivate_stock(request.product_id))


def binding(service: InventoryService) -> ServiceBinding:
    return ServiceBinding(
        descriptor=inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"],
        servicer=InventoryServicer(service),
        add_to_server=inventory_pb2_grpc.add_InventoryServiceServicer_to_server,
        access=ACCESS,
    )
