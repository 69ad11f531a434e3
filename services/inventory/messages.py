"""Records → the contract's messages. The use cases need them too, not only the servicer: event payloads
and the answers stored for idempotent replay are these same messages."""

from collections.abc import Sequence

from depot.inventory.v1 import inventory_pb2

from libs.timestamps import to_timestamp
from services.inventory.views import MovementRecord, ReservationRecord, StockRecord


def stock_message(stock: StockRecord) -> inventory_pb2.Stock:
    return inventory_pb2.Stock(
        id=str(stock.product_id), product_id=str(stock.product_id), sku=stock.sku,
        quantity=stock.quantity, reserved=stock.reserved, available=stock.available,
        reorder_level=stock.reorder_level, location=stock.location,
        status=inventory_pb2.StockStatus.Value(f"STOCK_STATUS_{stock.status}"),
        last_restocked_at=to_timestamp(stock.last_restocked_at), active=stock.active,
        created_at=to_timestamp(stock.created_at), updated_at=to_timestamp(stock.updated_at),
    )


def movement_message(movement: MovementRecord) -> inventory_pb2.Movement:
    return inventory_pb2.Movement(
        id=str(movement.id), product_id=str(movement.product_id),
        type=inventory_pb2.MovementType.Value(f"MOVEMENT_TYPE_{movement.type}"),
        quantity=movement.quantity, previous_quantity=movement.previous_quantity,
        new_quantity=movement.new_quantity, reference_id=movement.reference_id, notes=movement.notes,
        created_by=movement.created_by, created_at=to_timestamp(movement.created_at),
    )


def reservation_message(order_id: str, rows: Sequence[ReservationRecord]) -> inventory_pb2.Reservation:
    """All rows of one order share a status: the order's reservation moves as a whole."""
    return inventory_pb2.Reservation(
        order_id=order_id,
        status=inventory_pb2.ReservationStatus.Value(f"RESERVATION_STATUS_{rows[0].status}"),
        lines=[inventory_pb2.StockLine(product_id=str(r.product_id), quantity=r.quantity) for r in rows],
    )
