"""The pure rules of the order service: card checks, the sandbox's test cards, input normalization."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from libs.errors import FailedPrecondition, FieldViolation, InvalidArgument
from services.order.payments import Card, CardDeclined, SandboxProvider, brand_of, card_violations, luhn_valid
from services.order.validation import Address, ItemRequest, OrderDraft, normalized_draft

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("number, valid", [
    ("4111111111111111", True), ("4000000000000002", True), ("5555555555554444", True),
    ("378282246310005", True), ("4111111111111112", False), ("1234567812345678", False),
])
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


@pytest.mark.parametrize("number, brand", [
    ("4111111111111111", "visa"), ("5555555555554444", "mastercard"), ("2223003122003222", "mastercard"),
    ("378282246310005", "amex"), ("6011111111111117", "discover"), ("3566002020360505", "unknown"),
])
def test_brand(number: str, brand: str) -> None:
    assert brand_of(number) == brand


def test_cards_are_typed_as_people_type_them() -> None:
    card = Card.of(number="4111 1111-1111 1111", expiry_month=12, expiry_year=30, cvc=" 123 ", holder_name="Ada ")
    assert (card.number, card.expiry_year, card.cvc, card.last4, card.brand) == (
        "4111111111111111", 2030, "123", "1111", "visa")
    assert "4111" not in repr(card) and "123" not in repr(card)


def test_a_card_is_good_through_its_expiry_month() -> None:
    assert card_violations(Card("4111111111111111", 11, 2026, "123"), TODAY) == []
    assert card_violations(Card("4111111111111111", 10, 2026, "123"), TODAY) == [
        FieldViolation("payment_details.expiry_year", "Card has expired")]
    assert card_violations(Card("4111111111111111", 13, 2030, "12345"), TODAY) == [
        FieldViolation("payment_details.expiry_month", "Expiry month must be between 1 and 12"),
        FieldViolation("payment_details.cvc", "CVC must be 3 or 4 digits"),
    ]


async def test_the_sandbox_answers_a_key_once() -> None:
    sandbox = SandboxProvider(clock=lambda: datetime(2026, 11, 26, tzinfo=UTC))
    good, declined = Card("4111111111111111", 12, 2030, "123"), Card("4000000000000002", 12, 2030, "123")

    first = await sandbox.charge(idempotency_key="k1", amount=Decimal("10.00"), currency="USD", card=good)
    assert await sandbox.charge(idempotency_key="k1", amount=Decimal("10.00"), currency="USD", card=good) == first
    with pytest.raises(InvalidArgument):  # the same key for another charge
        await sandbox.charge(idempotency_key="k1", amount=Decimal("11.00"), currency="USD", card=good)
    for _ in range(2):
        with pytest.raises(CardDeclined, match="^Card declined$"):
            await sandbox.charge(idempotency_key="k2", amount=Decimal("10.00"), currency="USD", card=declined)
    assert list(sandbox.charges()) == ["k1"]

    refund = await sandbox.refund(idempotency_key="r1", charge_reference=first.reference, amount=first.amount)
    assert await sandbox.refund(idempotency_key="r1", charge_reference=first.reference, amount=first.amount) == refund
    with pytest.raises(FailedPrecondition, match="already been refunded"):
        await sandbox.refund(idempotency_key="r2", charge_reference=first.reference, amount=first.amount)


def test_a_draft_is_trimmed_and_every_bad_field_named() -> None:
    product = "0b9f4a52-8f0e-4c3e-9d8e-2f1f6a7d1c11"
    draft = normalized_draft(OrderDraft(
        items=(ItemRequest(product, "", 2),),
        shipping_address=Address(" 1 Main St ", "Springfield", "", "12345", " us "), notes="  leave at door "))
    assert (draft.shipping_address.street, draft.shipping_address.country, draft.notes) == (
        "1 Main St", "US", "leave at door")

    with pytest.raises(InvalidArgument) as refused:
        normalized_draft(OrderDraft(items=(ItemRequest(product, "", 1), ItemRequest(product, "", 1)),
                                    shipping_address=Address("x", "y", "", "z", "u1"),
                                    billing_address=Address()))
    assert {v.field for v in refused.value.violations} == {
        "items[1]", "shipping_address.country", "billing_address.street", "billing_address.city",
        "billing_address.postal_code", "billing_address.country",
    }
