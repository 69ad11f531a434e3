"""Shipping bodies: rate requests and quotes, shipments with their tracking history, status updates.
Money is a decimal string with 2 places; weights are grams; dates are "YYYY-MM-DD". The shipping
service owns the rules (zones, weights, the status machine); these shapes only spare it what cannot be
a request."""

import uuid
from datetime import date, datetime
from typing import Literal

from depot.shipping.v1 import shipping_pb2
from pydantic import Field

from gateway.schemas.common import ApiModel, Moment, NonEmpty
from libs.timestamps import from_timestamp

# What staff and carriers may move a shipment to; CANCELLED follows from the order's cancellation only.
MovableStatus = Literal["LABEL_CREATED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED", "EXCEPTION",
                        "RETURNED"]
ShipmentStatus = MovableStatus | Literal["CANCELLED"]
Carrier = Literal["DHL", "FEDEX", "UPS"]
MAX_GRAMS = 70_000


def status_value(name: str) -> int:
    return shipping_pb2.ShipmentStatus.Value(f"SHIPMENT_STATUS_{name}")


def _status_name(value: int) -> str:
    return shipping_pb2.ShipmentStatus.Name(value).removeprefix("SHIPMENT_STATUS_")


def _service_name(value: int) -> str:
    return shipping_pb2.ServiceLevel.Name(value).removeprefix("SERVICE_LEVEL_")


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


class RateAddress(ApiModel):
    """Only the country and the postal code decide the zone."""

    street: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=100)
    postal_code: NonEmpty = Field(max_length=20)
    # The shipping service checks the format and says so with the field's name.
    country: NonEmpty = Field(max_length=100, description="ISO 3166-1 alpha-2, e.g. US")


class RateItem(ApiModel):
    product_id: uuid.UUID | None = None
    quantity: int = Field(ge=1, le=1000)
    weight: int | None = Field(None, ge=1, le=MAX_GRAMS, description="Grams per unit; 500 when absent")


class RateRequest(ApiModel):
    """POST /shipping/rates: the items, or the parcel's weight (which wins when both are given)."""

    address: RateAddress
    items: list[RateItem] = Field([], max_length=100)
    weight: int | None = Field(None, ge=1, le=MAX_GRAMS, description="Grams, the whole parcel")

    def to_proto(self) -> shipping_pb2.GetRatesRequest:
        return shipping_pb2.GetRatesRequest(
            address=shipping_pb2.Address(**self.address.model_dump()),
            items=[shipping_pb2.RateItem(product_id=str(i.product_id or ""), quantity=i.quantity, weight=i.weight)
                   for i in self.items],
            weight=self.weight or 0,
        )


class RatePublic(ApiModel):
    carrier: str
    service: str  # STANDARD | EXPRESS
    amount: str
    currency: str
    estimated_delivery: date = Field(description="Never a Saturday or a Sunday")
    business_days: int
    cheapest: bool
    fastest: bool

    @classmethod
    def from_proto(cls, rate: shipping_pb2.Rate) -> "RatePublic":
        return cls(carrier=rate.carrier, service=_service_name(rate.service_level), amount=rate.amount,
                   currency=rate.currency, estimated_delivery=date.fromisoformat(rate.estimated_delivery),
                   business_days=rate.business_days, cheapest=rate.cheapest, fastest=rate.fastest)


class RatesPublic(ApiModel):
    rates: list[RatePublic] = Field(description="Cheapest first")
    weight: int = Field(description="Grams rated")

    @classmethod
    def from_proto(cls, answer: shipping_pb2.GetRatesResponse) -> "RatesPublic":
        return cls(rates=[RatePublic.from_proto(r) for r in answer.rates], weight=answer.weight)


class AddressPublic(ApiModel):
    street: str
    city: str
    state: str
    postal_code: str
    country: str


class TrackingEventPublic(ApiModel):
    status: str
    location: str
    note: str
    occurred_at: datetime | None

    @classmethod
    def from_proto(cls, event: shipping_pb2.TrackingEvent) -> "TrackingEventPublic":
        return cls(status=_status_name(event.status), location=event.location, note=event.note,
                   occurred_at=from_timestamp(event, "occurred_at"))


class ShipmentPublic(ApiModel):
    id: str
    order_id: str
    customer_id: str
    carrier: str
    service: str
    tracking_number: str
    label_reference: str
    status: str
    cost: str
    currency: str
    weight: int
    shipping_address: AddressPublic
    estimated_delivery: date | None
    actual_delivery: datetime | None
    shipped_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def fields_of(cls, s: shipping_pb2.Shipment) -> dict:
        a = s.shipping_address
        return dict(
            id=s.id, order_id=s.order_id, customer_id=s.customer_id, carrier=s.carrier,
            service=_service_name(s.service_level), tracking_number=s.tracking_number,
            label_reference=s.label_reference, status=_status_name(s.status), cost=s.cost, currency=s.currency,
            weight=s.weight, shipping_address=AddressPublic(street=a.street, city=a.city, state=a.state,
                                                            postal_code=a.postal_code, country=a.country),
            estimated_delivery=_date(s.estimated_delivery), actual_delivery=from_timestamp(s, "actual_delivery"),
            shipped_at=from_timestamp(s, "shipped_at"), created_at=from_timestamp(s, "created_at"),
            updated_at=from_timestamp(s, "updated_at"),
        )

    @classmethod
    def from_proto(cls, shipment: shipping_pb2.Shipment) -> "ShipmentPublic":
        return cls(**cls.fields_of(shipment))


class ShipmentDetail(ShipmentPublic):
    history: list[TrackingEventPublic] = Field(description="In the order the steps were taken")

    @classmethod
    def from_proto(cls, shipment: shipping_pb2.Shipment) -> "ShipmentDetail":
        return cls(**cls.fields_of(shipment),
                   history=[TrackingEventPublic.from_proto(e) for e in shipment.history])


class TrackingPublic(ApiModel):
    """What a tracking number tells anyone: no address, no customer."""

    tracking_number: str
    carrier: str
    service: str
    status: str
    estimated_delivery: date | None
    actual_delivery: datetime | None
    history: list[TrackingEventPublic]

    @classmethod
    def from_proto(cls, tracking: shipping_pb2.Tracking) -> "TrackingPublic":
        return cls(tracking_number=tracking.tracking_number, carrier=tracking.carrier,
                   service=_service_name(tracking.service_level), status=_status_name(tracking.status),
                   estimated_delivery=_date(tracking.estimated_delivery),
                   actual_delivery=from_timestamp(tracking, "actual_delivery"),
                   history=[TrackingEventPublic.from_proto(e) for e in tracking.history])


class StatusUpdate(ApiModel):
    """POST /shipments/{id}/status."""

    status: MovableStatus
    location: str = Field("", max_length=200)
    note: str = Field("", max_length=1000)
    occurred_at: Moment | None = Field(None, description="Now when absent; never in the future")
