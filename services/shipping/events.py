"""Handlers of the events the shipping service consumes: order.paid makes the order's shipment, and
order.cancelled cancels it while no carrier has the parcel. They run in the consumer's transaction, which
also records the event id, so a redelivery is a no-op; the unique order_id makes a second order.paid for
the same order (a replay) a no-op as well, and a cancelled shipment stays cancelled."""

from depot.order.v1 import events_pb2 as order_events
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events import topics
from libs.events.consumer import Handler
from libs.events.envelope import Event
from services.shipping.service import OrderToShip, ShippingService
from services.shipping.validation import Address, Item

TOPICS = (topics.ORDER,)


def handlers(service: ShippingService) -> dict[str, Handler]:
    async def order_paid(session: AsyncSession, event: Event) -> None:
        order = event.parse(order_events.OrderPaid).order
        address = order.shipping_address
        await service.create_shipment(OrderToShip(
            order_id=order.id, customer_id=order.customer_id,
            address=Address(street=address.street, city=address.city, state=address.state,
                            postal_code=address.postal_code, country=address.country),
            # A line without a weight (0) counts the default item weight.
            items=tuple(Item(quantity=item.quantity, product_id=item.product_id, weight_grams=item.weight_grams)
                        for item in order.items),
        ), session=session)

    async def order_cancelled(session: AsyncSession, event: Event) -> None:
        order = event.parse(order_events.OrderCancelled).order
        await service.cancel_for_order(order.id, order.cancel_reason, session=session)

    return {"order.paid": order_paid, "order.cancelled": order_cancelled}
