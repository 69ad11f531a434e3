"""The inventory service as the order service sees it: one reservation per order, moved as a whole.

Every call is idempotent by order id on the inventory side, so the channel may retry them and the
sweeper may repeat one whose answer was lost.
"""

import uuid
from collections.abc import Mapping

import grpc
from depot.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from grpc_status import rpc_status

from libs.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound, Unavailable, violations_of
from libs.grpc_client import channel

SERVICE = inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name
# Answers that say the inventory decided: anything else leaves the outcome unknown.
REFUSALS: dict[grpc.StatusCode, type[DomainError]] = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
}


def _translated(error: grpc.aio.AioRpcError) -> DomainError:
    refusal = REFUSALS.get(error.code())
    if refusal is None:
        return Unavailable(f"The inventory did not answer ({error.code().name})")
    return refusal(error.details() or "", violations=violations_of(rpc_status.from_call(error)))


class InventoryClient:
    def __init__(self, target: str, *, timeout_seconds: float):
        self._channel = channel(target, service=SERVICE, idempotent_methods=[
            "ReserveStock", "CommitReservation", "ReleaseReservation", "SettleCancelledOrder",
        ])
        self._stub = inventory_pb2_grpc.InventoryServiceStub(self._channel)
        self._timeout = timeout_seconds

    async def reserve(self, order_id: uuid.UUID, lines: Mapping[str, int]) -> None:
        """All lines or none. Raises NotFound / FailedPrecondition / InvalidArgument when the inventory
        refused (nothing is reserved) and Unavailable when the outcome is unknown."""
        request = inventory_pb2.ReserveStockRequest(
            order_id=str(order_id),
            lines=[inventory_pb2.StockLine(product_id=p, quantity=q) for p, q in sorted(lines.items())],
        )
        await self._call(self._stub.ReserveStock, request)

    async def commit(self, order_id: uuid.UUID) -> None:
        await self._call(self._stub.CommitReservation, inventory_pb2.CommitReservationRequest(order_id=str(order_id)))

    async def release(self, order_id: uuid.UUID) -> None:
        """Reserved stock becomes available again (refused once it is committed)."""
        await self._call(self._stub.ReleaseReservation,
                         inventory_pb2.ReleaseReservationRequest(order_id=str(order_id)))

    async def settle_cancelled(self, order_id: uuid.UUID) -> None:
        """Whatever the reservation's state: held stock becomes available again, sold stock comes back."""
        await self._call(self._stub.SettleCancelledOrder,
                         inventory_pb2.SettleCancelledOrderRequest(order_id=str(order_id)))

    async def _call(self, method, request) -> None:
        try:
            await method(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _translated(error) from error

    async def close(self) -> None:
        await self._channel.close()
