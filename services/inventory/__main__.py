"""The inventory service's composition root: `python -m services.inventory [migrate]`."""

from pathlib import Path

from libs.db import create_engine, session_factory
from libs.events.consumer import EventConsumer
from libs.events.relay import OutboxRelay
from libs.runtime import Wiring, main
from services.inventory import events
from services.inventory.grpc_api import binding
from services.inventory.service import InventoryService
from services.inventory.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    service = InventoryService(engine, default_reorder_level=settings.default_reorder_level,
                               default_location=settings.default_location)
    consumer = EventConsumer(name="inventory", topics=events.TOPICS, handlers=events.handlers(service),
                             sessions=sessions, bootstrap=settings.kafka_bootstrap,
                             consumer_overrides=settings.consumer_overrides)
    relay = OutboxRelay(engine, settings.kafka_bootstrap)
    return Wiring(bindings=[binding(service)], background=[relay.run, consumer.run], close=engine.dispose)


if __name__ == "__main__":
    main("inventory", Settings, build, MIGRATIONS)
