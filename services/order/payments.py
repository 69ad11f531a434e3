"""The payment-provider port, and the sandbox that stands in for a real provider's test mode.

The order service hands a card to the provider and keeps only what the provider answers (a charge
reference, the brand and the last four digits): the card number and CVC never reach the database,
the logs or an event.
"""

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

from libs.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from libs.idempotency import FIELD as IDEMPOTENCY_FIELD
from libs.idempotency import MISMATCH as IDEMPOTENCY_MISMATCH

CARD_DECLINED = "Card declined"


class CardDeclined(FailedPrecondition):
    """The provider refused the charge. gRPC has no 402: this is FAILED_PRECONDITION with the reason
    CARD_DECLINED, which the gateway answers with 402 (see order.proto)."""

    def __init__(self, detail: str = ""):
        super().__init__(f"{CARD_DECLINED}: {detail}" if detail else CARD_DECLINED, reason="CARD_DECLINED")


@dataclass(frozen=True)
class Card:
    number: str = field(repr=False)
    expiry_month: int
    expiry_year: int
    cvc: str = field(repr=False)
    holder_name: str = ""

    @classmethod
    def of(cls, *, number: str, expiry_month: int, expiry_year: int, cvc: str, holder_name: str = "") -> "Card":
        """As people type it: spaces or dashes between digit groups, a two-digit year meaning 20YY."""
        digits = number.replace(" ", "").replace("-", "")
        year = expiry_year + 2000 if 0 <= expiry_year < 100 else expiry_year
        return cls(digits, expiry_month, year, cvc.strip(), holder_name.strip())

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return brand_of(self.number)


@dataclass(frozen=True)
class Charge:
    reference: str
    amount: Decimal
    currency: str
    brand: str
    last4: str


@dataclass(frozen=True)
class Refund:
    reference: str
    charge_reference: str
    amount: Decimal


class PaymentProvider(Protocol):
    async def charge(self, *, idempotency_key: str, amount: Decimal, currency: str, card: Card) -> Charge:
        """Charge `card` at most once per `idempotency_key`: a repeat returns the first outcome (the same
        Charge, or CardDeclined again). Raises InvalidArgument for a card that cannot be charged at all
        (bad number, expired, bad CVC) and for a key reused with other parameters."""
        ...

    async def refund(self, *, idempotency_key: str, charge_reference: str, amount: Decimal) -> Refund:
        """Give back `amount` of a charge, at most once per `idempotency_key`."""
        ...


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if "51" <= number[:2] <= "55" or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65")) or "644" <= number[:3] <= "649":
        return "discover"
    return "unknown"


def luhn_valid(number: str) -> bool:
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_violations(card: Card, today: date) -> list[FieldViolation]:
    """What a provider checks before it even asks the bank; field names are PayOrderRequest paths."""
    found = []
    if not (card.number.isdigit() and 12 <= len(card.number) <= 19 and luhn_valid(card.number)):
        found.append(FieldViolation("payment_details.card_number", "Card number is invalid"))
    if not 1 <= card.expiry_month <= 12:
        found.append(FieldViolation("payment_details.expiry_month", "Expiry month must be between 1 and 12"))
    elif (card.expiry_year, card.expiry_month) < (today.year, today.month):
        # A card is good through the last day of its expiry month.
        found.append(FieldViolation("payment_details.expiry_year", "Card has expired"))
    if not (card.cvc.isdigit() and 3 <= len(card.cvc) <= 4):
        found.append(FieldViolation("payment_details.cvc", "CVC must be 3 or 4 digits"))
    return found


@dataclass
class _Outcome:
    fingerprint: str
    charge: Charge | None = None
    declined: str = ""  # the decline's detail when charge is None


class SandboxProvider:
    """A provider's test mode, in memory: any card passing the checks is charged, except the test
    numbers below, which are declined the way a real test mode declines them."""

    DECLINES = {
        "4000000000000002": "",
        "4000000000009995": "insufficient funds",
        "4000000000000069": "expired card",
    }

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._clock = clock
        self._charges: dict[str, _Outcome] = {}
        self._refunds: dict[str, Refund] = {}
        self._refunded: dict[str, Decimal] = {}
        self._lock = asyncio.Lock()  # the dicts are checked and filled in one step

    def charges(self) -> dict[str, Charge]:
        """The successful charges by idempotency key, as a provider's dashboard lists them."""
        return {key: outcome.charge for key, outcome in self._charges.items() if outcome.charge}

    async def charge(self, *, idempotency_key: str, amount: Decimal, currency: str, card: Card) -> Charge:
        if violations := card_violations(card, self._clock().date()):
            raise InvalidArgument.of(*violations)
        fingerprint = hashlib.sha256(f"{amount}|{currency}|{card.number}".encode()).hexdigest()
        async with self._lock:
            outcome = self._charges.get(idempotency_key)
            if outcome is None:
                outcome = self._charges[idempotency_key] = self._decide(fingerprint, amount, currency, card)
        if outcome.fingerprint != fingerprint:
            raise InvalidArgument.field(IDEMPOTENCY_FIELD, IDEMPOTENCY_MISMATCH)
        if outcome.charge is None:
            raise CardDeclined(outcome.declined)
        return outcome.charge

    def _decide(self, fingerprint: str, amount: Decimal, currency: str, card: Card) -> _Outcome:
        if card.number in self.DECLINES:
            return _Outcome(fingerprint, declined=self.DECLINES[card.number])
        charge = Charge(f"ch_{uuid.uuid4().hex}", amount, currency, card.brand, card.last4)
        return _Outcome(fingerprint, charge=charge)

    async def refund(self, *, idempotency_key: str, charge_reference: str, amount: Decimal) -> Refund:
        async with self._lock:
            if (earlier := self._refunds.get(idempotency_key)) is not None:
                return earlier
            charge = next((o.charge for o in self._charges.values()
                           if o.charge and o.charge.reference == charge_reference), None)
            if charge is None:
                raise NotFound(f"Charge {charge_reference} not found")
            if self._refunded.get(charge_reference, Decimal(0)) + amount > charge.amount:
                raise FailedPrecondition(f"Charge {charge_reference} has already been refunded")
            self._refunded[charge_reference] = self._refunded.get(charge_reference, Decimal(0)) + amount
            refund = self._refunds[idempotency_key] = Refund(f"re_{uuid.uuid4().hex}", charge_reference, amount)
            return refund
