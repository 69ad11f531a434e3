"""The order service's composition root: `python -m services.order [migrate]`."""

import asyncio
from datetime import timedelta
from pathlib import Path

import structlog

from libs.db import create_engine, session_factory
from libs.events.consumer import EventConsumer
from libs.events.relay import OutboxRelay
from libs.runtime import Wiring, main
from services.order import events
from services.order.catalog import CatalogClient
from services.order.grpc_api import binding
from services.order.inventory import InventoryClient
from services.order.payments import PaymentProvider, SandboxProvider
from services.order.service import OrderService, Policy
from services.order.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger("order.sweeper")


async def sweep(service: OrderService, *, interval: float, batch_size: int) -> None:
    """Expire unpaid orders past their time and retry unconfirmed inventory calls, forever. Replicas may
    all run it: batches are taken with FOR UPDATE SKIP LOCKED and every inventory call is idempotent."""
    while True:
        try:
            while await service.expire_due(batch_size) == batch_size:
                pass  # a full batch: more may be due right now
            await service.settle_pending(batch_size)
        except Exception:
            log.exception("order.sweep_failed")  # the database or a peer is down: next round
        await asyncio.sleep(interval)


async def build(settings: Settings, payments: PaymentProvider | None = None) -> Wiring:
    """`payments`: the provider port's adapter; the sandbox unless a test brings its own to inspect."""
    engine = create_engine(settings.database_url)
    catalog = CatalogClient(settings.product_addr, timeout_seconds=settings.peer_timeout_seconds)
    inventory = InventoryClient(settings.inventory_addr, timeout_seconds=settings.peer_timeout_seconds)
    sessions = session_factory(engine)
    service = OrderService(
        engine, catalog=catalog, inventory=inventory, payments=payments or SandboxProvider(),
        policy=Policy(ttl=timedelta(seconds=settings.order_ttl_seconds), tax_rate=settings.tax_rate,
                      shipping_cost=settings.shipping_cost, currency=settings.currency),
    )

    async def close() -> None:
        await catalog.close()
        await inventory.close()
        await engine.dispose()

    shipments = EventConsumer(name="order", topics=events.TOPICS, handlers=events.handlers(service),
                              sessions=sessions, bootstrap=settings.kafka_bootstrap,
                              consumer_overrides=settings.consumer_overrides)
    return Wiring(
        bindings=[binding(service)],
        background=[
            OutboxRelay(engine, settings.kafka_bootstrap).run,
            shipments.run,
            lambda: sweep(service, interval=settings.sweep_interval_seconds, batch_size=settings.sweep_batch_size),
        ],
        close=close,
    )


if __name__ == "__main__":
    main("order", Settings, build, MIGRATIONS)
