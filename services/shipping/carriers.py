"""The carrier port and its rate-card adapter.

`Carrier` is what the shipping service needs from a carrier: quotes for a parcel, a tracking number
and a label. `RateCardCarrier` answers from a published rate card (data in services/shipping/ratecards.py);
an adapter calling a carrier's real API can take the place of one card without the service noticing.
"""

import math
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

CENT = Decimal("0.01")
BILLING_STEP_GRAMS = 500  # carriers bill by the started half kilogram


class ServiceLevel(StrEnum):
    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"


@dataclass(frozen=True)
class Parcel:
    country: str  # ISO 3166-1 alpha-2, upper case
    postal_code: str
    weight_grams: int


@dataclass(frozen=True)
class Quote:
    carrier: str
    service_level: ServiceLevel
    amount: Decimal
    currency: str
    business_days: int
    estimated_delivery: date


class Carrier(Protocol):
    code: str  # "DHL", "FEDEX", "UPS": how shipments, webhooks and rates name the carrier

    async def quote(self, parcel: Parcel, ship_date: date) -> list[Quote]:
        """One quote per service level that can carry `parcel`; none when it cannot."""

    async def tracking_number(self) -> str:
        """A new tracking number in the carrier's own format."""

    async def label_reference(self, tracking_number: str) -> str:
        """The carrier's reference of the label printed for `tracking_number`."""


def add_business_days(start: date, days: int) -> date:
    """`days` working days after `start` (Saturdays and Sundays skipped), so with days >= 1 the result
    is never a weekend, whatever day `start` is. Public holidays are not known here."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


@dataclass(frozen=True)
class Zone:
    """Where a parcel goes: the countries it covers (None: anywhere) and, within them, the postal
    code prefixes (empty: the whole country). A card's zones are tried in order; the first match wins."""

    name: str
    countries: frozenset[str] | None
    postal_prefixes: tuple[str, ...] = ()

    def covers(self, parcel: Parcel) -> bool:
        if self.countries is not None and parcel.country not in self.countries:
            return False
        code = parcel.postal_code.replace(" ", "").upper()
        return not self.postal_prefixes or code.startswith(self.postal_prefixes)


@dataclass(frozen=True)
class Band:
    """Up to `max_grams`: `base` plus `per_kg` for every billed kilogram."""

    max_grams: int
    base: Decimal
    per_kg: Decimal


@dataclass(frozen=True)
class Tariff:
    """One service level: weight bands priced for the first zone, a factor and a transit time per zone
    (a zone missing here is not served at this level)."""

    bands: tuple[Band, ...]
    zones: dict[str, tuple[Decimal, int]]  # zone → (price factor, business days)


@dataclass(frozen=True)
class RateCard:
    carrier: str
    currency: str
    zones: tuple[Zone, ...]
    tariffs: dict[ServiceLevel, Tariff]
    tracking_format: Callable[[], str]
    label_prefix: str

    def zone_of(self, parcel: Parcel) -> Zone | None:
        return next((zone for zone in self.zones if zone.covers(parcel)), None)


@dataclass
class RateCardCarrier:
    card: RateCard
    code: str = field(init=False)

    def __post_init__(self) -> None:
        self.code = self.card.carrier

    async def quote(self, parcel: Parcel, ship_date: date) -> list[Quote]:
        zone = self.card.zone_of(parcel)
        if zone is None:
            return []
        billed_kg = Decimal(math.ceil(parcel.weight_grams / BILLING_STEP_GRAMS) * BILLING_STEP_GRAMS) / 1000
        quotes = []
        for level, tariff in self.card.tariffs.items():
            band = next((b for b in tariff.bands if parcel.weight_grams <= b.max_grams), None)
            if band is None or zone.name not in tariff.zones:
                continue
            factor, days = tariff.zones[zone.name]
            amount = ((band.base + band.per_kg * billed_kg) * factor).quantize(CENT, rounding=ROUND_HALF_UP)
            quotes.append(Quote(self.code, level, amount, self.card.currency, days,
                                add_business_days(ship_date, days)))
        return quotes

    async def tracking_number(self) -> str:
        return self.card.tracking_format()

    async def label_reference(self, tracking_number: str) -> str:
        return f"{self.card.label_prefix}-{tracking_number}"


def digits(count: int) -> Callable[[], str]:
    return lambda: "".join(secrets.choice(string.digits) for _ in range(count))


def prefixed_alphanumerics(prefix: str, count: int) -> Callable[[], str]:
    alphabet = string.ascii_uppercase + string.digits
    return lambda: prefix + "".join(secrets.choice(alphabet) for _ in range(count))
