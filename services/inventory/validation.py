"""Input rules of the inventory service, with the messages of the REST contract (DESIGN.md §7).

Each check returns the violation it finds (or None) so a request can report every bad field at once.
"""

from collections.abc import Sequence
from datetime import datetime

from libs.errors import FieldViolation
from libs.ids import id_violation
from services.inventory.models import LOCATION_MAX, NOTES_MAX, REFERENCE_MAX, SKU_MAX

# Adjustments a person may record, with the sign they apply to the quantity on hand (0: signed delta).
ADJUSTMENT_SIGNS = {"RECEIVED": 1, "RETURNED": 1, "SOLD": -1, "DAMAGED": -1, "ADJUSTED": 0}
# The quantity columns and the proto fields are int32: a stock past this could be neither stored nor sent.
QUANTITY_MAX = 2**31 - 1


def check_positive(quantity: int, field: str = "quantity") -> FieldViolation | None:
    return None if quantity > 0 else FieldViolation(field, "Quantity must be a positive integer")


def check_adjustment(movement_type: str, quantity: int) -> list[FieldViolation]:
    if movement_type not in ADJUSTMENT_SIGNS:
        return [FieldViolation("type", "Invalid transaction type")]
    if ADJUSTMENT_SIGNS[movement_type] == 0:
        return [] if quantity != 0 else [FieldViolation("quantity", "Quantity must not be zero")]
    return [v for v in (check_positive(quantity),) if v]


def check_lines(lines: Sequence[tuple[str, int]]) -> list[FieldViolation]:
    if not lines:
        return [FieldViolation("lines", "At least one line is required")]
    found = [(id_violation(product, f"lines[{i}].product_id"), check_positive(quantity, f"lines[{i}].quantity"))
             for i, (product, quantity) in enumerate(lines)]
    return [v for pair in found for v in pair if v]


def check_length(value: str, maximum: int, field: str, label: str) -> FieldViolation | None:
    return None if len(value) <= maximum else FieldViolation(field, f"{label} must be at most {maximum} characters")


def check_stock_fields(sku: str, initial_quantity: int, reorder_level: int | None,
                       location: str | None) -> list[FieldViolation]:
    found = [
        FieldViolation("sku", "Sku should not be empty") if not sku.strip()
        else check_length(sku, SKU_MAX, "sku", "Sku"),
        FieldViolation("initial_quantity", "Initial quantity must not be negative") if initial_quantity < 0 else None,
        FieldViolation("reorder_level", "Reorder level must not be negative")
        if reorder_level is not None and reorder_level < 0 else None,
        check_length(location or "", LOCATION_MAX, "location", "Location"),
    ]
    return [v for v in found if v]


def check_note_fields(notes: str, reference_id: str) -> list[FieldViolation]:
    found = [check_length(notes, NOTES_MAX, "notes", "Notes"),
             check_length(reference_id, REFERENCE_MAX, "reference_id", "Reference id")]
    return [v for v in found if v]


def check_period(start: datetime | None, end: datetime | None) -> FieldViolation | None:
    if start is not None and end is not None and start > end:
        return FieldViolation("start_time", "Start date must not be after end date")
    return None
