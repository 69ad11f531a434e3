"""Dependency aliases for the routers: the resources made by the app's lifespan, the token guard, and
the Idempotency-Key header."""

from typing import Annotated, Any

import grpc
from depot.inventory.v1.inventory_pb2_grpc import InventoryServiceStub
from depot.order.v1.order_pb2_grpc import OrderServiceStub
from depot.product.v1.product_pb2_grpc import ProductServiceStub
from depot.shipping.v1.shipping_pb2_grpc import ShippingServiceStub
from depot.user.v1.user_pb2_grpc import UserServiceStub
from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis

from gateway.ratelimit import FixedWindowLimiter
from gateway.settings import GatewaySettings
from libs.auth import Principal, TokenVerifier, bearer_token
from libs.context import authorization_var, principal_var
from libs.idempotency import FIELD as IDEMPOTENCY_FIELD
from libs.idempotency import KEY_MAX as IDEMPOTENCY_KEY_MAX

# Declares the bearer scheme in the OpenAPI document (the lock in /docs); the header itself is read
# by `current_principal`, so that a malformed one gets the contract's message rather than FastAPI's.
BEARER = HTTPBearer(auto_error=False, description="Access token from POST /api/auth/login")


def _state(name: str):
    # async: a plain `def` dependency would be sent to the thread pool on every request.
    async def get(request: Request) -> Any:
        return getattr(request.state, name)

    get.__name__ = f"get_{name}"
    return get


Channels = Annotated[dict[str, grpc.aio.Channel], Depends(_state("channels"))]
Settings = Annotated[GatewaySettings, Depends(_state("settings"))]
Verifier = Annotated[TokenVerifier, Depends(_state("verifier"))]
RedisClient = Annotated[Redis, Depends(_state("redis"))]
UserStub = Annotated[UserServiceStub, Depends(_state("user"))]
InventoryStub = Annotated[InventoryServiceStub, Depends(_state("inventory"))]
ProductStub = Annotated[ProductServiceStub, Depends(_state("product"))]
OrderStub = Annotated[OrderServiceStub, Depends(_state("order"))]
ShippingStub = Annotated[ShippingServiceStub, Depends(_state("shipping"))]
LoginLimiter = Annotated[FixedWindowLimiter, Depends(_state("login_limiter"))]
# DESIGN.md §5: a replay answers as the first call did; the same key with another body is a 422.
IdempotencyKey = Annotated[str, Header(alias=IDEMPOTENCY_FIELD, max_length=IDEMPOTENCY_KEY_MAX)]


async def current_principal(
    request: Request, verifier: Verifier, _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]
) -> Principal:
    """Verify the access token before any gRPC call (401 "No token provided" / "Token expired" /
    "Invalid token"), then forward it: the service verifies it again and checks its own rules."""
    authorization = request.headers.get("authorization")
    principal = verifier.verify(bearer_token(authorization))
    authorization_var.set(authorization)
    principal_var.set(principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def RequirePermission(permission: str) -> Any:
    """`Depends` for a route that needs `permission` (403 without it):
    `dependencies=[RequirePermission("user:read")]`."""

    async def require(principal: CurrentPrincipal) -> Principal:
        principal.require(permission)
        return principal

    require.__name__ = f"require_{permission.replace(':', '_')}"
    return Depends(require)
