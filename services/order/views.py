"""What the use cases work on and answer with: plain, immutable records of an order with its lines and
payment, read with Core statements (repository.py). A change is a new record (`dataclasses.replace`) plus
the UPDATE that makes the row say the same; no ORM identity map or unit of work on the order path.

Field names are the tables' column names, so a row maps onto a record by name."""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ItemView:
    position: int
    product_id: str
    variant_id: str
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    weight_grams: int  # of one unit, from the catalog; 0 when unknown


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: uuid.UUID
    status: str
    method: str
    brand: str
    last4: str
    amount: Decimal
    currency: str
    provider_reference: str
    idempotency_key: str | None
    request_hash: str
    created_at: datetime
    refunded_at: datetime | None


@dataclass(frozen=True, slots=True)
class OrderView:
    id: uuid.UUID
    customer_id: str
    status: str
    stock_state: str
    currency: str
    subtotal: Decimal
    shipping_cost: Decimal
    tax_amount: Decimal
    grand_total: Decimal
    shipping_address: dict
    billing_address: dict | None
    notes: str
    cancel_reason: str
    idempotency_key: str | None
    request_hash: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    items: tuple[ItemView, ...]
    payment: PaymentView | None

    @property
    def total_amount(self) -> Decimal:
        """The items' sum, the REST contract's totalAmount."""
        return self.subtotal


def field_names(view: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(view))


ORDER_COLUMNS = tuple(name for name in field_names(OrderView) if name not in ("items", "payment"))
ITEM_COLUMNS = field_names(ItemView)
PAYMENT_COLUMNS = field_names(PaymentView)
