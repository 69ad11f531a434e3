"""What the use cases accept, and its rules. Field names are the request messages' paths
(`items[0].quantity`, `shipping_address.city`), so a client can point at the field."""

from dataclasses import dataclass, replace

from libs.errors import FieldViolation
from libs.idempotency import FIELD as IDEMPOTENCY_FIELD
from libs.idempotency import KEY_MAX
from libs.ids import id_violation
from libs.validation import require
from services.order.payments import Card

MAX_ITEMS = 100
MAX_QUANTITY = 1000
NOTES_MAX = 1000
REASON_MAX = 500
PAYMENT_METHODS = ("credit_card", "debit_card")
ADDRESS_LIMITS = {"street": 200, "city": 100, "state": 100, "postal_code": 20}
REQUIRED_ADDRESS_FIELDS = ("street", "city", "postal_code", "country")


@dataclass(frozen=True)
class Address:
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(frozen=True)
class ItemRequest:
    product_id: str
    variant_id: str
    quantity: int


@dataclass(frozen=True)
class OrderDraft:
    items: tuple[ItemRequest, ...]
    shipping_address: Address | None
    billing_address: Address | None = None
    notes: str = ""


@dataclass(frozen=True)
class PaymentRequest:
    method: str
    card: Card

    def fingerprint(self) -> dict:
        """What tells two payment requests apart, without the card number or CVC."""
        card = self.card
        return {"method": self.method, "brand": card.brand, "last4": card.last4, "holder": card.holder_name,
                "expiry": [card.expiry_month, card.expiry_year]}


def check_key(key: str) -> FieldViolation | None:
    if len(key) > KEY_MAX:
        return FieldViolation(IDEMPOTENCY_FIELD, f"{IDEMPOTENCY_FIELD} must be at most {KEY_MAX} characters")
    return None


def normalized_draft(draft: OrderDraft) -> OrderDraft:
    """The draft with its addresses trimmed and the country upper-cased; InvalidArgument listing every
    bad field otherwise."""
    draft = replace(draft, shipping_address=_trimmed(draft.shipping_address),
                    billing_address=_trimmed(draft.billing_address), notes=draft.notes.strip())
    require(
        *_item_violations(draft.items),
        *_address_violations(draft.shipping_address, "shipping_address", "Shipping address"),
        *_address_violations(draft.billing_address, "billing_address", "Billing address", required=False),
        FieldViolation("notes", f"Notes must be at most {NOTES_MAX} characters") if len(draft.notes) > NOTES_MAX
        else None,
    )
    return draft


def _item_violations(items: tuple[ItemRequest, ...]) -> list[FieldViolation | None]:
    if not items:
        return [FieldViolation("items", "Order must contain at least one item")]
    if len(items) > MAX_ITEMS:
        return [FieldViolation("items", f"Order must contain at most {MAX_ITEMS} items")]
    found: list[FieldViolation | None] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        for field, value in (("product_id", item.product_id), ("variant_id", item.variant_id)):
            if field == "product_id" or value:
                found.append(id_violation(value, f"items[{i}].{field}"))
        if not 1 <= item.quantity <= MAX_QUANTITY:
            found.append(FieldViolation(f"items[{i}].quantity", f"Quantity must be between 1 and {MAX_QUANTITY}"))
        if (item.product_id, item.variant_id) in seen:
            found.append(FieldViolation(f"items[{i}]", "The same product appears twice: combine the quantities"))
        seen.add((item.product_id, item.variant_id))
    return found


def _trimmed(address: Address | None) -> Address | None:
    if address is None:
        return None
    return Address(street=address.street.strip(), city=address.city.strip(), state=address.state.strip(),
                   postal_code=address.postal_code.strip(), country=address.country.strip().upper())


def _address_violations(address: Address | None, field: str, label: str,
                        required: bool = True) -> list[FieldViolation]:
    if address is None:
        return [FieldViolation(field, f"{label} should not be empty")] if required else []
    found = [FieldViolation(f"{field}.{name}", f"{label} {name.replace('_', ' ')} should not be empty")
             for name in REQUIRED_ADDRESS_FIELDS if not getattr(address, name)]
    found += [FieldViolation(f"{field}.{name}", f"{label} {name.replace('_', ' ')} must be at most {limit} characters")
              for name, limit in ADDRESS_LIMITS.items() if len(getattr(address, name)) > limit]
    if address.country and not (len(address.country) == 2 and address.country.isalpha()):
        found.append(FieldViolation(f"{field}.country", f"{label} country must be a two-letter ISO code"))
    return found


def check_payment(request: PaymentRequest) -> list[FieldViolation]:
    if request.method not in PAYMENT_METHODS:
        return [FieldViolation("payment_method", f"Payment method must be one of {', '.join(PAYMENT_METHODS)}")]
    return []


def check_reason(reason: str) -> FieldViolation | None:
    return FieldViolation("reason", f"Reason must be at most {REASON_MAX} characters") if len(reason) > REASON_MAX \
        else None
