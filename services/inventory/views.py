"""What the use cases work on: plain records of the rows, read and written with Core statements
(repository.py), with no ORM identity map or unit of work on the reservation path.

A stock record is mutable: a use case changes the row it has locked and `InventoryService._record`
writes it back with the change's ledger rows and events. Field names are the tables' column names, so a
row maps onto a record by position."""

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class StockRecord:
    product_id: uuid.UUID
    sku: str
    quantity: int  # on hand
    reserved: int
    reorder_level: int
    location: str
    low_stock_alerted: bool
    active: bool
    last_restocked_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def available(self) -> int:
        return self.quantity - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available <= self.reorder_level

    @property
    def status(self) -> str:
        if self.available <= 0:
            return "OUT_OF_STOCK"
        return "LOW_STOCK" if self.is_low else "IN_STOCK"


@dataclass(frozen=True, slots=True)
class MovementRecord:
    id: uuid.UUID
    product_id: uuid.UUID
    type: str
    quantity: int  # positive; the signed delta for ADJUSTED
    previous_quantity: int  # on hand before
    new_quantity: int  # on hand after
    reference_id: str
    notes: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReservationRecord:
    order_id: uuid.UUID
    product_id: uuid.UUID
    quantity: int
    status: str
