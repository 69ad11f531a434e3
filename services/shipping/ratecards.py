"""The published rate cards of DHL, FedEx and UPS, as data. Parcels leave the warehouse on the US east
coast (postal codes 0xxxx-2xxxx), hence the zones. Each card has its strengths: UPS is cheapest at
home, DHL abroad, FedEx Express is the fastest at home."""

from decimal import Decimal

from services.shipping.carriers import (
    Band,
    RateCard,
    RateCardCarrier,
    ServiceLevel,
    Tariff,
    Zone,
    digits,
    prefixed_alphanumerics,
)

EUROPE = frozenset({
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU", "IE", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
})
ZONES = (
    Zone("LOCAL", frozenset({"US"}), ("0", "1", "2")),
    Zone("DOMESTIC", frozenset({"US"})),
    Zone("NEIGHBOURS", frozenset({"CA", "MX"})),
    Zone("EUROPE", EUROPE),
    Zone("WORLD", None),
)
MAX_GRAMS = 70_000


def bands(*rows: tuple[int, str, str]) -> tuple[Band, ...]:
    return tuple(Band(max_grams, Decimal(base), Decimal(per_kg)) for max_grams, base, per_kg in rows)


def zones(**rows: tuple[str, int]) -> dict[str, tuple[Decimal, int]]:
    return {name: (Decimal(factor), days) for name, (factor, days) in rows.items()}


DHL = RateCard(
    carrier="DHL", currency="USD", zones=ZONES, label_prefix="DHL-LBL",
    tracking_format=digits(10),
    tariffs={
        ServiceLevel.STANDARD: Tariff(
            bands=bands((2_000, "8.40", "0.90"), (10_000, "9.90", "0.80"), (MAX_GRAMS, "16.00", "0.70")),
            zones=zones(LOCAL=("1.00", 4), DOMESTIC=("1.15", 5), NEIGHBOURS=("1.60", 6), EUROPE=("1.90", 6),
                        WORLD=("2.60", 9)),
        ),
        ServiceLevel.EXPRESS: Tariff(
            bands=bands((2_000, "18.00", "1.60"), (10_000, "21.00", "1.40"), (MAX_GRAMS, "32.00", "1.20")),
            zones=zones(LOCAL=("1.00", 2), DOMESTIC=("1.10", 2), NEIGHBOURS=("1.50", 3), EUROPE=("1.70", 3),
                        WORLD=("2.30", 4)),
        ),
    },
)

FEDEX = RateCard(
    carrier="FEDEX", currency="USD", zones=ZONES, label_prefix="FDX-LBL",
    tracking_format=digits(12),
    tariffs={
        ServiceLevel.STANDARD: Tariff(
            bands=bands((2_000, "7.90", "0.95"), (10_000, "9.60", "0.85"), (MAX_GRAMS, "15.50", "0.75")),
            zones=zones(LOCAL=("1.00", 3), DOMESTIC=("1.20", 4), NEIGHBOURS=("1.80", 5), EUROPE=("2.30", 7),
                        WORLD=("3.10", 10)),
        ),
        ServiceLevel.EXPRESS: Tariff(
            bands=bands((2_000, "21.00", "1.80"), (10_000, "24.00", "1.60"), (MAX_GRAMS, "36.00", "1.40")),
            zones=zones(LOCAL=("1.00", 1), DOMESTIC=("1.15", 1), NEIGHBOURS=("1.70", 2), EUROPE=("2.20", 3),
                        WORLD=("2.90", 4)),
        ),
    },
)

UPS = RateCard(
    carrier="UPS", currency="USD", zones=ZONES, label_prefix="UPS-LBL",
    tracking_format=prefixed_alphanumerics("1Z", 16),
    tariffs={
        ServiceLevel.STANDARD: Tariff(
            bands=bands((2_000, "6.90", "0.85"), (10_000, "8.80", "0.80"), (MAX_GRAMS, "14.90", "0.70")),
            zones=zones(LOCAL=("1.00", 3), DOMESTIC=("1.20", 5), NEIGHBOURS=("1.90", 6), EUROPE=("2.50", 8),
                        WORLD=("3.40", 12)),
        ),
        ServiceLevel.EXPRESS: Tariff(
            bands=bands((2_000, "19.50", "1.70"), (10_000, "22.50", "1.50"), (MAX_GRAMS, "34.00", "1.30")),
            zones=zones(LOCAL=("1.00", 2), DOMESTIC=("1.15", 2), NEIGHBOURS=("1.60", 3), EUROPE=("2.10", 4),
                        WORLD=("2.80", 5)),
        ),
    },
)


def rate_card_carriers() -> list[RateCardCarrier]:
    return [RateCardCarrier(card) for card in (DHL, FEDEX, UPS)]
