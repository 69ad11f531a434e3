"""Rows and quotes → the contract's messages, for the servicer and for the event payloads."""

from depot.shipping.v1 import shipping_pb2

from libs.timestamps import to_timestamp
from services.shipping.models import Shipment, ShipmentStatus, TrackingEvent
from services.shipping.rates import RatedQuote

ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")


def status_value(status: str) -> int:
    return shipping_pb2.ShipmentStatus.Value(f"SHIPMENT_STATUS_{status}")


def status_of(value: int) -> ShipmentStatus | None:
    """The status a request names; None for UNSPECIFIED or a value this build does not know."""
    name = shipping_pb2.ShipmentStatus.Name(value).removeprefix("SHIPMENT_STATUS_") \
        if value in shipping_pb2.ShipmentStatus.values() else ""
    return ShipmentStatus(name) if name in ShipmentStatus.__members__ else None


def level_value(level: str) -> int:
    return shipping_pb2.ServiceLevel.Value(f"SERVICE_LEVEL_{level}")


def rate_message(rated: RatedQuote) -> shipping_pb2.Rate:
    quote = rated.quote
    return shipping_pb2.Rate(
        carrier=quote.carrier, service_level=level_value(quote.service_level), amount=str(quote.amount),
        currency=quote.currency, estimated_delivery=quote.estimated_delivery.isoformat(),
        business_days=quote.business_days, cheapest=rated.cheapest, fastest=rated.fastest,
    )


def _history(events: list[TrackingEvent]) -> list[shipping_pb2.TrackingEvent]:
    return [shipping_pb2.TrackingEvent(status=status_value(e.status), location=e.location, note=e.note,
                                       occurred_at=to_timestamp(e.occurred_at)) for e in events]


def shipment_message(shipment: Shipment, *, with_history: bool = True) -> shipping_pb2.Shipment:
    address = shipment.shipping_address
    return shipping_pb2.Shipment(
        id=str(shipment.id), order_id=str(shipment.order_id), customer_id=shipment.customer_id,
        carrier=shipment.carrier, service_level=level_value(shipment.service_level),
        tracking_number=shipment.tracking_number, label_reference=shipment.label_reference,
        status=status_value(shipment.status), cost=str(shipment.cost), currency=shipment.currency,
        weight=shipment.weight_grams,
        shipping_address=shipping_pb2.Address(**{name: address.get(name, "") for name in ADDRESS_FIELDS}),
        estimated_delivery=shipment.estimated_delivery.isoformat(),
        actual_delivery=to_timestamp(shipment.actual_delivery), shipped_at=to_timestamp(shipment.shipped_at),
        created_at=to_timestamp(shipment.created_at), updated_at=to_timestamp(shipment.updated_at),
        history=_history(shipment.history) if with_history else [],
    )


def tracking_message(shipment: Shipment) -> shipping_pb2.Tracking:
    return shipping_pb2.Tracking(
        tracking_number=shipment.tracking_number, carrier=shipment.carrier,
        service_level=level_value(shipment.service_level), status=status_value(shipment.status),
        estimated_delivery=shipment.estimated_delivery.isoformat(),
        actual_delivery=to_timestamp(shipment.actual_delivery), history=_history(shipment.history),
    )

