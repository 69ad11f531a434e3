"""The inventory service as the product service sees it: one call, made right after a product is created."""

import uuid

import grpc
from depot.inventory.v1 import inventory_pb2, inventory_pb2_grpc

from libs.errors import Unavailable
from libs.grpc_client import channel

SERVICE = inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name


class InventoryClient:
    def __init__(self, target: str, *, timeout_seconds: float):
        # InitializeStock is idempotent by product id, so the channel may retry it.
        self._channel = channel(target, service=SERVICE, idempotent_methods=["InitializeStock"])
        self._stub = inventory_pb2_grpc.InventoryServiceStub(self._channel)
        self._timeout = timeout_seconds

    async def initialize_stock(self, product_id: uuid.UUID, sku: str, initial_quantity: int) -> None:
        """Raises Unavailable when the inventory service did not confirm."""
        try:
            await self._stub.InitializeStock(
                inventory_pb2.InitializeStockRequest(product_id=str(product_id), sku=sku,
                                                     initial_quantity=initial_quantity),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as error:
            raise Unavailable(f"InitializeStock failed: {error.code().name} {error.details()}") from error

    async def close(self) -> None:
        await self._channel.close()
