"""Dependency aliases for the routers: the resources made by the app's lifespan, the token guard, the
Idempotency-Key header, and the refusal of text that is not text (control characters, unpaired surrogates)."""

import json
import re
from collections.abc import Iterator
from typing import Annotated, Any

import grpc
from depot.audit.v1.audit_pb2_grpc import AuditServiceStub
from depot.inventory.v1.inventory_pb2_grpc import InventoryServiceStub
from depot.order.v1.order_pb2_grpc import OrderServiceStub
from depot.product.v1.product_pb2_grpc import ProductServiceStub
from depot.report.v1.report_pb2_grpc import ReportServiceStub
from depot.shipping.v1.shipping_pb2_grpc import ShippingServiceStub
from depot.user.v1.user_pb2_grpc import UserServiceStub
from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis

from gateway.ratelimit import FixedWindowLimiter
from gateway.schemas.products import RenderedProduct
from gateway.settings import GatewaySettings
from libs.auth import Principal, TokenVerifier, bearer_token
from libs.cache import Cache
from libs.context import authorization_var, principal_var
from libs.errors import FieldViolation, InvalidArgument
from libs.idempotency import FIELD as IDEMPOTENCY_FIELD
from libs.idempotency import KEY_MAX as IDEMPOTENCY_KEY_MAX
from libs.validation import CONTROL, CONTROL_PROBLEM, label, printable

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
AuditStub = Annotated[AuditServiceStub, Depends(_state("audit_logs"))]
ReportStub = Annotated[ReportServiceStub, Depends(_state("report"))]
ProductBodies = Annotated[Cache[RenderedProduct], Depends(_state("product_bodies"))]
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



# What a JSON body must hold to have a string with a `_text_problem`: a raw C0 control character is invalid
# JSON, so only an escape brings one in (\u0000, \b, \f), while DEL and the C1 ones (UTF-8 C2 80–9F) may
# come raw. Bodies without any (nearly all) are not parsed a second time.
MAYBE_BAD_TEXT = re.compile(rb"\\[ubf]|\x7f|\xc2[\x80-\x9f]")


def _text_problem(value: str) -> str | None:
    """What makes a string unfit to pass on: a control character (libs.validation.CONTROL), and an
    unpaired surrogate (JSON can spell one, "\\ud800"), which has no UTF-8 form, so neither a proto
    message nor a database could take it."""
    if CONTROL.search(value):
        return CONTROL_PROBLEM
    try:
        value.encode()
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


async def reject_bad_text(request: Request) -> None:
    """A 400 naming every path parameter, query parameter, JSON body field (or key) or Idempotency-Key
    whose text has a `_text_problem`, before any service sees it (U+0000 would fail its database with a 500)."""
    found: list[tuple[str, str]] = []
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if problem := _text_problem(name) or _text_problem(value):
            found.append((name, problem))
    # The one header passed on as text. Its bytes are read as Latin-1, so UTF-8 in it may become C1 controls,
    # which the services refused under their proto name (idempotencyKey), not the header's.
    if problem := _text_problem(request.headers.get(IDEMPOTENCY_FIELD, "")):
        found.append((IDEMPOTENCY_FIELD, problem))
    # FastAPI has read a body its route takes: this is its cached copy. A request without one (most reads)
    # is not made to wait for an empty message.
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    body = await request.body() if has_body else b""
    if MAYBE_BAD_TEXT.search(body):
        try:
            found += _bad_strings(json.loads(body))
        except ValueError:
            pass  # not JSON: the route's own parsing answers for it
    if found:
        raise InvalidArgument.of(*(FieldViolation(field, f"{label(_leaf(field))} {problem}")
                                   for field, problem in ((printable(f), p) for f, p in found)))


def _bad_strings(document: Any) -> Iterator[tuple[str, str]]:
    """The dotted paths (items.0.name), in document order, of the strings of a JSON document that have a
    `_text_problem`, with the problem. A loop rather than recursion: a deeply nested body must not
    exhaust the stack."""
    pending: list[tuple[Any, str]] = [(document, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if problem := _text_problem(value):
                yield path or "body", problem
        elif isinstance(value, dict | list):
            if isinstance(value, dict):
                # A bad key is reported as a problem of the object that has it (`variants.0.attributes`).
                yield from ((path or "body", problem) for key in value if (problem := _text_problem(key)))
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            pending.extend(reversed([(item, f"{path}.{key}" if path else str(key)) for key, item in pairs]))


def _leaf(field: str) -> str:
    """The last name in a dotted path that is not a list index: `items.0.name` → `name`."""
    return next((part for part in reversed(field.split(".")) if not part.isdigit()), "")
