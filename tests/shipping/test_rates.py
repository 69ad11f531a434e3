"""GetRates over gRPC: public, one quote per carrier and level, flags, weekend-free dates, validation."""

from datetime import UTC, date, datetime
from decimal import Decimal

import grpc
from depot.shipping.v1 import shipping_pb2

from libs.errors import FieldViolation
from tests.grpc_helpers import fails
from tests.shipping.conftest import ShippingApp


def request(country: str = "US", postal_code: str = "02110", **fields) -> shipping_pb2.GetRatesRequest:
    return shipping_pb2.GetRatesRequest(
        address=shipping_pb2.Address(country=country, postal_code=postal_code), **fields)


async def test_rates_need_no_token_and_quote_every_carrier_and_level(shipping: ShippingApp) -> None:
    answer = await shipping.stub.GetRates(request(items=[shipping_pb2.RateItem(quantity=2, weight=400)]))

    assert answer.weight == 800
    assert {(r.carrier, r.service_level) for r in answer.rates} == {
        (carrier, level) for carrier in ("DHL", "FEDEX", "UPS")
        for level in (shipping_pb2.SERVICE_LEVEL_STANDARD, shipping_pb2.SERVICE_LEVEL_EXPRESS)
    }
    amounts = [Decimal(r.amount) for r in answer.rates]
    assert amounts == sorted(amounts) and all(a == a.quantize(Decimal("0.01")) for a in amounts)
    assert {r.currency for r in answer.rates} == {"USD"}


async def test_exactly_one_rate_is_cheapest_and_one_fastest(shipping: ShippingApp) -> None:
    for country, postal_code in (("US", "02110"), ("de", "10115"), ("JP", "100-0001")):
        rates = (await shipping.stub.GetRates(request(country, postal_code, weight=2500))).rates

        [cheapest] = [r for r in rates if r.cheapest]
        [fastest] = [r for r in rates if r.fastest]
        assert Decimal(cheapest.amount) == min(Decimal(r.amount) for r in rates)
        assert fastest.estimated_delivery == min(r.estimated_delivery for r in rates)


async def test_estimated_deliveries_are_business_days_ahead_and_never_on_a_weekend(shipping: ShippingApp) -> None:
    today = datetime.now(UTC).date()
    rates = (await shipping.stub.GetRates(request(weight=1000))).rates

    for rate in rates:
        delivery = date.fromisoformat(rate.estimated_delivery)
        assert delivery.weekday() < 5, rate
        assert (delivery - today).days >= rate.business_days >= 1


async def test_the_parcel_weight_wins_over_the_items_and_items_default_to_half_a_kilogram(
    shipping: ShippingApp,
) -> None:
    items = [shipping_pb2.RateItem(quantity=3), shipping_pb2.RateItem(quantity=1, weight=250)]

    by_items = await shipping.stub.GetRates(request(items=items))
    by_weight = await shipping.stub.GetRates(request(items=items, weight=5000))

    assert (by_items.weight, by_weight.weight) == (3 * 500 + 250, 5000)


async def test_bad_requests_name_their_fields(shipping: ShippingApp) -> None:
    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await shipping.stub.GetRates(shipping_pb2.GetRatesRequest())
    assert failure.violations == [FieldViolation("address", "Address should not be empty"),
                                  FieldViolation("items", "Items or weight should not be empty")]

    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await shipping.stub.GetRates(request("USA", "", items=[
            shipping_pb2.RateItem(quantity=0), shipping_pb2.RateItem(quantity=1, weight=-5)]))
    assert failure.violations == [
        FieldViolation("address.country", "Country must be a two-letter ISO code"),
        FieldViolation("address.postal_code", "Postal code should not be empty"),
        FieldViolation("items[0].quantity", "Quantity must be between 1 and 1000"),
        FieldViolation("items[1].weight", "Weight must be between 1 and 70000 grams"),
    ]

    async with fails(grpc.StatusCode.INVALID_ARGUMENT) as failure:
        await shipping.stub.GetRates(request(weight=70_001))
    assert [v.field for v in failure.violations] == ["weight"]
