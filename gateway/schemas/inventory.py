"""Inventory bodies: stock as the back office sees it, adjustments and the movements history."""

from datetime import datetime
from typing import Annotated

from depot.inventory.v1 import inventory_pb2
from pydantic import Field

from gateway.schemas.common import ApiModel, Int32, documented
from libs.timestamps import from_timestamp


def _enum_name(enum, value: int, prefix: str) -> str:
    return enum.Name(value).removeprefix(prefix)


class StockPublic(ApiModel):
    id: str
    product_id: str
    sku: str
    quantity: int
    reserved: int
    available: int
    reorder_level: int
    location: str
    status: str  # IN_STOCK | LOW_STOCK | OUT_OF_STOCK
    last_restocked_at: datetime | None
    active: bool
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_proto(cls, stock: inventory_pb2.Stock) -> "StockPublic":
        return cls(
            id=stock.id, product_id=stock.product_id, sku=stock.sku, quantity=stock.quantity,
            reserved=stock.reserved, available=stock.available, reorder_level=stock.reorder_level,
            location=stock.location, status=_enum_name(inventory_pb2.StockStatus, stock.status, "STOCK_STATUS_"),
            last_restocked_at=from_timestamp(stock, "last_restocked_at"), active=stock.active,
            created_at=from_timestamp(stock, "created_at"), updated_at=from_timestamp(stock, "updated_at"),
        )


class MovementPublic(ApiModel):
    """One ledger row; previousQuantity/newQuantity are the quantity on hand around it."""

    id: str
    product_id: str
    type: str
    quantity: int
    previous_quantity: int
    new_quantity: int
    reference_id: str | None
    notes: str | None
    created_by: str
    created_at: datetime | None

    @classmethod
    def from_proto(cls, movement: inventory_pb2.Movement) -> "MovementPublic":
        return cls(
            id=movement.id, product_id=movement.product_id,
            type=_enum_name(inventory_pb2.MovementType, movement.type, "MOVEMENT_TYPE_"),
            quantity=movement.quantity, previous_quantity=movement.previous_quantity,
            new_quantity=movement.new_quantity, reference_id=movement.reference_id or None,
            notes=movement.notes or None, created_by=movement.created_by,
            created_at=from_timestamp(movement, "created_at"),
        )


class AdjustmentPublic(MovementPublic):
    """The ledger row the adjustment wrote, and the stock after it."""

    stock: StockPublic

    @classmethod
    def from_answer(cls, answer: inventory_pb2.AdjustStockResponse) -> "AdjustmentPublic":
        movement = MovementPublic.from_proto(answer.movement)
        return cls(**movement.model_dump(), stock=StockPublic.from_proto(answer.stock))


class StockAdjustment(ApiModel):
    """POST /inventory/{productId}/adjust. The inventory service owns the rules (type, sign, stock)."""

    quantity: Int32
    # Not a Literal: an unknown type is the service's "Invalid transaction type", not pydantic's words.
    type: Annotated[str, documented(enum=["RECEIVED", "SOLD", "ADJUSTED", "RETURNED", "DAMAGED"])] = Field(
        max_length=32)
    notes: str = Field("", max_length=500)
    reference_id: str = Field("", max_length=100)

    def movement_type(self) -> int:
        """The proto value of `type`; an unknown name stays UNSPECIFIED, which the service refuses
        with its "Invalid transaction type"."""
        name = f"MOVEMENT_TYPE_{self.type}"
        return inventory_pb2.MovementType.Value(name) if name in inventory_pb2.MovementType.keys() else 0
