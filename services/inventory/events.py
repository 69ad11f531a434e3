"""Handlers of the events the inventory service consumes: decode → service call, inside the consumer's
transaction, so the change and the `(consumer, event id)` record commit together (a redelivery is a
no-op). The use cases are idempotent as well: the product service also calls InitializeStock directly."""

from depot.order.v1 import events_pb2 as order_events
from depot.product.v1 import events_pb2 as product_events
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events import topics
from libs.events.consumer import Handler
from libs.events.envelope import Event
from services.inventory.service import InventoryService

TOPICS = (topics.PRODUCT, topics.ORDER)


def handlers(service: InventoryService) -> dict[str, Handler]:
    async def product_created(session: AsyncSession, event: Event) -> None:
        created = event.parse(product_events.ProductCreated)
        await service.initialize_stock(product_id=created.product_id, sku=created.sku,
                                       initial_quantity=created.initial_quantity, reorder_level=None, location=None,
                                       session=session)

    async def product_deleted(session: AsyncSession, event: Event) -> None:
        deleted = event.parse(product_events.ProductDeleted)
        await service.deactivate_stock(deleted.product_id, missing_ok=True, session=session)

    def order_ended(message_class) -> Handler:
        """A cancelled or expired order: its reservation is released, or its sold stock returned."""

        async def handle(session: AsyncSession, event: Event) -> None:
            await service.settle_cancelled_order(event.parse(message_class).order.id, session=session)

        return handle

    return {
        "product.created": product_created,
        "product.deleted": product_deleted,
        "order.cancelled": order_ended(order_events.OrderCancelled),
        "order.expired": order_ended(order_events.OrderExpired),
    }
