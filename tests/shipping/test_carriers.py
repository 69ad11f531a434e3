"""The rate cards and the carrier port on their own (pure: no stack needed)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.shipping.carriers import Parcel, ServiceLevel, add_business_days
from services.shipping.ratecards import DHL, FEDEX, UPS, rate_card_carriers
from services.shipping.rates import rate

FRIDAY = date(2026, 11, 27)
BOSTON = Parcel(country="US", postal_code="02110", weight_grams=1000)


@pytest.mark.parametrize(("start", "days", "expected"), [
    (FRIDAY, 1, date(2026, 11, 30)),  # Monday
    (FRIDAY, 5, date(2026, 12, 4)),  # the next Friday
    (FRIDAY + timedelta(days=1), 1, date(2026, 11, 30)),  # from a Saturday
    (FRIDAY - timedelta(days=2), 2, FRIDAY),  # from a Wednesday
])
def test_business_days_skip_weekends(start: date, days: int, expected: date) -> None:
    assert add_business_days(start, days) == expected


async def test_no_estimate_falls_on_a_weekend_whatever_the_ship_day() -> None:
    for offset in range(7):
        for quote in await _quotes(BOSTON, FRIDAY + timedelta(days=offset)):
            assert quote.estimated_delivery.weekday() < 5, quote


async def test_every_card_quotes_both_levels_with_the_price_of_its_band_and_zone() -> None:
    quotes = {(q.carrier, q.service_level): q for q in await _quotes(BOSTON, FRIDAY)}

    assert set(quotes) == {(c, level) for c in ("DHL", "FEDEX", "UPS") for level in ServiceLevel}
    # UPS standard, zone LOCAL (factor 1), band up to 2 kg: 6.90 + 0.85 x 1 kg.
    ups = quotes[("UPS", ServiceLevel.STANDARD)]
    assert (ups.amount, ups.currency, ups.business_days) == (Decimal("7.75"), "USD", 3)
    assert ups.estimated_delivery == date(2026, 12, 2)


async def test_weight_is_billed_by_the_started_half_kilogram() -> None:
    [light, heavy] = [
        next(q for q in await _quotes(Parcel("US", "02110", grams), FRIDAY)
             if (q.carrier, q.service_level) == ("UPS", ServiceLevel.STANDARD))
        for grams in (1001, 1500)
    ]
    assert light.amount == heavy.amount == Decimal("8.18")  # 6.90 + 0.85 x 1.5, rounded half up


async def test_zones_follow_country_and_postal_code() -> None:
    assert DHL.zone_of(BOSTON).name == "LOCAL"
    assert DHL.zone_of(Parcel("US", "94105", 1000)).name == "DOMESTIC"
    assert DHL.zone_of(Parcel("CA", "M5V 2T6", 1000)).name == "NEIGHBOURS"
    assert DHL.zone_of(Parcel("DE", "10115", 1000)).name == "EUROPE"
    assert DHL.zone_of(Parcel("JP", "100-0001", 1000)).name == "WORLD"


async def test_a_parcel_above_every_band_gets_no_quote() -> None:
    assert await _quotes(Parcel("US", "02110", 70_001), FRIDAY) == []


async def test_cheapest_and_fastest_are_flagged_once_each() -> None:
    for parcel in (BOSTON, Parcel("DE", "10115", 3000), Parcel("JP", "100-0001", 250)):
        rated = await rate(rate_card_carriers(), parcel, FRIDAY)
        [cheapest] = [r.quote for r in rated if r.cheapest]
        [fastest] = [r.quote for r in rated if r.fastest]
        assert cheapest.amount == min(r.quote.amount for r in rated) == rated[0].quote.amount
        assert fastest.estimated_delivery == min(r.quote.estimated_delivery for r in rated)
    home = await rate(rate_card_carriers(), BOSTON, FRIDAY)
    assert [(r.quote.carrier, r.quote.service_level) for r in home if r.cheapest] == [("UPS", "STANDARD")]
    assert [(r.quote.carrier, r.quote.service_level) for r in home if r.fastest] == [("FEDEX", "EXPRESS")]


@pytest.mark.parametrize(("card", "pattern"), [
    (DHL, r"\d{10}"), (FEDEX, r"\d{12}"), (UPS, r"1Z[0-9A-Z]{16}"),
])
def test_tracking_numbers_have_the_carriers_format(card, pattern: str) -> None:
    numbers = {card.tracking_format() for _ in range(20)}
    assert all(re.fullmatch(pattern, n) for n in numbers), numbers
    assert len(numbers) > 1


async def _quotes(parcel: Parcel, ship_date: date) -> list:
    return [q for carrier in rate_card_carriers() for q in await carrier.quote(parcel, ship_date)]
