"""Handlers of the events the product service consumes: decode → service call, inside the consumer's
transaction, so the change and the `(consumer, event id)` record commit together (a redelivery is a
no-op; setting a flag is idempotent anyway)."""

from depot.inventory.v1 import events_pb2 as inventory_events
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events import topics
from libs.events.consumer import Handler
from libs.events.envelope import Event
from services.product.service import ProductService

TOPICS = (topics.INVENTORY,)


def handlers(service: ProductService) -> dict[str, Handler]:
    async def inventory_updated(session: AsyncSession, event: Event) -> None:
        stock = event.parse(inventory_events.InventoryUpdated).stock
        await service.set_in_stock(session, stock.product_id, stock.active and stock.available > 0)

    return {"inventory.updated": inventory_updated}
