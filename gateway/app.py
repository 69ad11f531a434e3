"""`create_app(settings)`: the gateway's composition root. The lifespan opens the gRPC channels and the
Redis client and closes them on shutdown; nothing is created at import."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from depot.audit.v1.audit_pb2_grpc import AuditServiceStub
from depot.inventory.v1.inventory_pb2_grpc import InventoryServiceStub
from depot.order.v1.order_pb2_grpc import OrderServiceStub
from depot.product.v1.product_pb2_grpc import ProductServiceStub
from depot.report.v1.report_pb2_grpc import ReportServiceStub
from depot.shipping.v1.shipping_pb2_grpc import ShippingServiceStub
from depot.user.v1.user_pb2_grpc import UserServiceStub
from fastapi import APIRouter, Depends, FastAPI

from gateway.audit import AuditPublisher
from gateway.backends import open_channels
from gateway.deps import reject_bad_text
from gateway.errors import install_error_handlers
from gateway.middleware import RequestContextMiddleware
from gateway.ratelimit import FixedWindowLimiter
from gateway.routers import (
    audit,
    auth,
    categories,
    health,
    inventory,
    orders,
    products,
    reports,
    roles,
    shipping,
    users,
)
from gateway.schemas.products import RenderedProduct
from gateway.settings import GatewaySettings
from libs.auth import TokenVerifier
from libs.cache import PRODUCTS, Cache
from libs.redis import fail_fast_redis
from libs.runtime import freeze_startup_heap

DESCRIPTION = """REST face of Depot. Errors always have the body
`{statusCode, error, message, details, requestId}`; `message` is a list for validation errors."""


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict]:
        verifier = TokenVerifier.from_file(settings.jwt_public_key_file, issuer=settings.jwt_issuer,
                                           audience=settings.jwt_audience)
        redis = fail_fast_redis(settings.redis_url)
        channels = open_channels(settings)
        publisher = AuditPublisher(settings.kafka_bootstrap, verifier)
        freeze_startup_heap()
        try:
            # Starlette hands these to every request as request.state.<name> (see gateway.deps).
            yield {
                "settings": settings,
                "verifier": verifier,
                "redis": redis,
                "channels": channels,
                "user": UserServiceStub(channels["user"]),
                "inventory": InventoryServiceStub(channels["inventory"]),
                "product": ProductServiceStub(channels["product"]),
                "order": OrderServiceStub(channels["order"]),
                "shipping": ShippingServiceStub(channels["shipping"]),
                "audit_logs": AuditServiceStub(channels["audit"]),
                "report": ReportServiceStub(channels["report"]),
                "audit": publisher,  # gateway.middleware hands it every answered request
                # Named by the entries' form, so that gateways of another release never read each other's.
                "product_bodies": Cache(redis, "product-rest-v2", generations=PRODUCTS, dumps=RenderedProduct.dumps,
                                        loads=RenderedProduct.loads, ttl_seconds=settings.product_cache_ttl_seconds),
                "login_limiter": FixedWindowLimiter(redis, name="login", limit=settings.login_rate_limit,
                                                    window_seconds=settings.login_rate_window_seconds),
            }
        finally:
            await asyncio.to_thread(publisher.close)
            for channel in channels.values():
                await channel.close()
            await redis.aclose()

    app = FastAPI(
        title="Depot API", version="1", description=DESCRIPTION, lifespan=lifespan,
        # The server span comes from gateway.middleware; FastAPI's own would double it.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)  # also the server span of the trace
    # Every operation declares the statuses it can answer (its router's and its own), so that the document
    # is a contract a client and tests/e2e/test_fuzz_contract.py can hold the gateway to.
    api = APIRouter(prefix="/api", dependencies=[Depends(reject_bad_text)])
    # FastAPI tries routers in this order, ~13 µs for each that does not match: the busiest come first.
    for router in (products.router, orders.router, inventory.router, shipping.router, categories.router,
                   auth.router, users.router, roles.router, audit.router, reports.router, health.router):
        api.include_router(router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(health.metrics_router)
    app.openapi = _without_fastapi_422(app.openapi)
    return app


def _without_fastapi_422(generate: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document without the 422 FastAPI adds to every operation with parameters: a request
    that fails validation is a 400 here (declared by each router with the error body), and a 422 only
    where a route declares one (a reused Idempotency-Key)."""
    def openapi() -> dict[str, Any]:
        document = generate()  # FastAPI builds it once and caches it; cleaning it twice is harmless
        for path in document["paths"].values():
            for operation in path.values():
                if operation["responses"].get("422", {}).get("content", {}).get("application/json", {}).get(
                        "schema") == {"$ref": "#/components/schemas/HTTPValidationError"}:
                    del operation["responses"]["422"]
        for name in ("HTTPValidationError", "ValidationError"):
            document.get("components", {}).get("schemas", {}).pop(name, None)
        return document

    return openapi
