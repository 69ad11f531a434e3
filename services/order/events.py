"""Handlers of the events the order service consumes: the shipping service's shipment.shipped and
shipment.delivered (topic depot.shipping) move an order to SHIPPED and DELIVERED.

Both payloads carry the top-level `order_id`, `shipment_id` and `tracking_number` the handler reads
(depot.shipping.v1.ShipmentShipped / ShipmentDelivered). Each runs in the consumer's transaction,
which also records the event id, so a redelivery is a no-op; an order that cannot take the step
(CANCELLED, unknown) ends, after the consumer's retries, in the dead-letter topic.
"""

from depot.shipping.v1 import events_pb2 as shipping_events
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events import topics
from libs.events.consumer import Handler
from libs.events.envelope import Event
from services.order.models import OrderStatus
from services.order.service import OrderService

TOPICS = [topics.SHIPPING]
STEPS = {
    "shipment.shipped": (OrderStatus.SHIPPED, shipping_events.ShipmentShipped),
    "shipment.delivered": (OrderStatus.DELIVERED, shipping_events.ShipmentDelivered),
}


def handlers(service: OrderService) -> dict[str, Handler]:
    async def on_shipment(session: AsyncSession, event: Event) -> None:
        target, message_class = STEPS[event.type]
        shipment = event.parse(message_class)
        if not shipment.order_id:
            raise ValueError(f"{event.type} {event.id} has no order_id")
        await service.record_shipment(session, shipment.order_id, target, shipment_id=shipment.shipment_id,
                                      tracking_number=shipment.tracking_number)

    return dict.fromkeys(STEPS, on_shipment)
