"""What the use cases accept, and its rules. Field names are the request messages' paths
(`address.country`, `items[0].quantity`), so a client can point at the field."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from libs.errors import FieldViolation
from libs.validation import require
from services.shipping.models import LOCATION_MAX, NOTE_MAX, ShipmentStatus

MAX_ITEMS = 100
MAX_QUANTITY = 1000
MAX_PARCEL_GRAMS = 70_000
POSTAL_CODE_MAX = 20
ADDRESS_LIMITS = {"street": 200, "city": 100, "state": 100, "postal_code": POSTAL_CODE_MAX}
CLOCK_SKEW = timedelta(minutes=5)  # a carrier's clock may run a little ahead of ours


@dataclass(frozen=True)
class Address:
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""

    def normalized(self) -> "Address":
        return Address(street=self.street.strip(), city=self.city.strip(), state=self.state.strip(),
                       postal_code=self.postal_code.strip().upper(), country=self.country.strip().upper())


@dataclass(frozen=True)
class Item:
    quantity: int
    weight_grams: int | None = None  # per unit; None: the default item weight
    product_id: str = ""


@dataclass(frozen=True)
class RateRequest:
    address: Address | None
    items: tuple[Item, ...] = ()
    weight_grams: int = 0  # the whole parcel; 0: the items decide


@dataclass(frozen=True)
class StatusChange:
    status: ShipmentStatus | None  # None: a value this build does not know
    location: str = ""
    note: str = ""
    occurred_at: datetime | None = None  # None: now


def check_rate_request(request: RateRequest) -> None:
    require(*address_violations(request.address, "address"), *_weight_violations(request))


def address_violations(address: Address | None, field: str) -> list[FieldViolation]:
    """What rating needs: a country and a postal code; the rest only has length limits."""
    if address is None:
        return [FieldViolation(field, "Address should not be empty")]
    found = [FieldViolation(f"{field}.{name}", f"{_label(name)} must be at most {limit} characters")
             for name, limit in ADDRESS_LIMITS.items() if len(getattr(address, name)) > limit]
    if not address.country:
        found.append(FieldViolation(f"{field}.country", "Country should not be empty"))
    elif not (len(address.country) == 2 and address.country.isascii() and address.country.isalpha()):
        found.append(FieldViolation(f"{field}.country", "Country must be a two-letter ISO code"))
    if not address.postal_code:
        found.append(FieldViolation(f"{field}.postal_code", "Postal code should not be empty"))
    return found


def _weight_violations(request: RateRequest) -> list[FieldViolation]:
    if request.weight_grams:
        if not 0 < request.weight_grams <= MAX_PARCEL_GRAMS:
            return [FieldViolation("weight", f"Weight must be between 1 and {MAX_PARCEL_GRAMS} grams")]
        return []
    if not request.items:
        return [FieldViolation("items", "Items or weight should not be empty")]
    if len(request.items) > MAX_ITEMS:
        return [FieldViolation("items", f"At most {MAX_ITEMS} items can be rated at once")]
    found = []
    for i, item in enumerate(request.items):
        if not 1 <= item.quantity <= MAX_QUANTITY:
            found.append(FieldViolation(f"items[{i}].quantity", f"Quantity must be between 1 and {MAX_QUANTITY}"))
        if item.weight_grams is not None and not 0 < item.weight_grams <= MAX_PARCEL_GRAMS:
            found.append(FieldViolation(f"items[{i}].weight",
                                        f"Weight must be between 1 and {MAX_PARCEL_GRAMS} grams"))
        if len(item.product_id) > 64:
            found.append(FieldViolation(f"items[{i}].product_id", "Product id must be at most 64 characters"))
    return found


def parcel_weight(items: Iterable[Item], default_item_grams: int) -> int:
    return sum(item.quantity * (item.weight_grams or default_item_grams) for item in items)


# The statuses a change (staff's or a carrier's) may name: CANCELLED follows from the order's cancellation only.
REQUESTABLE = tuple(status for status in ShipmentStatus if status != ShipmentStatus.CANCELLED)


def check_status_change(change: StatusChange, now: datetime) -> None:
    require(
        None if change.status in REQUESTABLE else FieldViolation(
            "status", f"Status must be one of {', '.join(s for s in REQUESTABLE if s != 'LABEL_CREATED')}"),
        FieldViolation("location", f"Location must be at most {LOCATION_MAX} characters")
        if len(change.location) > LOCATION_MAX else None,
        FieldViolation("note", f"Note must be at most {NOTE_MAX} characters") if len(change.note) > NOTE_MAX else None,
        FieldViolation("occurred_at", "Occurred at must not be in the future")
        if change.occurred_at and change.occurred_at > now + CLOCK_SKEW else None,
    )


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()
