"""The product service's composition root: `python -m services.product [migrate]`."""

from pathlib import Path

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from libs.db import create_engine, session_factory
from libs.events.consumer import EventConsumer
from libs.events.relay import OutboxRelay
from libs.runtime import Wiring, main
from services.product import events
from services.product.grpc_api import binding
from services.product.inventory import InventoryClient
from services.product.service import ProductService
from services.product.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def build(settings: Settings) -> Wiring:
    # Every statement planned for its parameters: psycopg prepares a statement run 5 times, and PostgreSQL
    # may then reuse one generic plan for every search text and bound, blind to how selective they are
    # (seconds instead of milliseconds for a search).
    engine = create_engine(settings.database_url, server_settings={"plan_cache_mode": "force_custom_plan"})
    sessions = session_factory(engine)
    # A cache answers from the database when Redis is away, so it does not retry with back-off.
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5,
                           retry=Retry(NoBackoff(), retries=0))
    inventory = InventoryClient(settings.inventory_addr, timeout_seconds=settings.inventory_timeout_seconds)
    service = ProductService(
        engine, redis, inventory,
        product_ttl_seconds=settings.product_cache_ttl_seconds, list_ttl_seconds=settings.list_cache_ttl_seconds,
    )
    consumer = EventConsumer(name="product", topics=events.TOPICS, handlers=events.handlers(service),
                             sessions=sessions, bootstrap=settings.kafka_bootstrap,
                             consumer_overrides=settings.consumer_overrides)
    relay = OutboxRelay(engine, settings.kafka_bootstrap)

    async def close() -> None:
        await inventory.close()
        await redis.aclose()
        await engine.dispose()

    return Wiring(bindings=[binding(service)], background=[relay.run, consumer.run], close=close)


if __name__ == "__main__":
    main("product", Settings, build, MIGRATIONS)
