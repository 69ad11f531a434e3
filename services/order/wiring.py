"""Composition root of the order service: settings → engine, peers, payment provider → service →
servicer and the sweeper loop."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from libs.db import create_engine, session_factory
from libs.runtime import Wiring
from services.order import grpc_api
from services.order.catalog import CatalogClient
from services.order.inventory import InventoryClient
from services.order.payments import SandboxProvider
from services.order.service import OrderService, Policy
from services.order.settings import Settings

log = structlog.get_logger("order.sweeper")


async def sweep(service: OrderService, *, interval: float, batch_size: int) -> None:
    """Expire unpaid orders past their time and retry unconfirmed inventory calls, forever. Several
    replicas may run it: the batches are taken with FOR UPDATE SKIP LOCKED and every call is idempotent."""
    while True:
        try:
            while await service.expire_due(batch_size) == batch_size:
                pass  # a full batch: there may be more due right now
            await service.settle_pending(batch_size)
        except Exception:
            log.exception("order.sweep_failed")  # the database or a peer is down: try again next round
        await asyncio.sleep(interval)


def build_service(settings: Settings) -> tuple[OrderService, Callable[[], Awaitable[None]]]:
    """The service and how to close what it holds (tests drive it directly too)."""
    engine = create_engine(settings.database_url)
    catalog = CatalogClient(settings.product_addr, timeout_seconds=settings.peer_timeout_seconds)
    inventory = InventoryClient(settings.inventory_addr, timeout_seconds=settings.peer_timeout_seconds)
    service = OrderService(
        session_factory(engine), catalog=catalog, inventory=inventory, payments=SandboxProvider(),
        policy=Policy(ttl=timedelta(seconds=settings.order_ttl_seconds), tax_rate=settings.tax_rate,
                      shipping_cost=settings.shipping_cost, currency=settings.currency),
    )

    async def close() -> None:
        await catalog.close()
        await inventory.close()
        await engine.dispose()

    return service, close


async def build(settings: Settings) -> Wiring:
    service, close = build_service(settings)
    return Wiring(
        bindings=[grpc_api.binding(service)],
        background=[lambda: sweep(service, interval=settings.sweep_interval_seconds,
                                  batch_size=settings.sweep_batch_size)],
        close=close,
    )
