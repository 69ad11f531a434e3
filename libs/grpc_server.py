"""gRPC server bootstrap: health, reflection and the interceptors every Depot server runs.

Interceptors, outermost first: tracing (OpenTelemetry), request context (request id, logs, metrics),
errors (DomainError → status with details; anything else → INTERNAL with the request id), auth (verify the
token again and check the method's access rule), and the refusal of strings holding control characters.
Servicers therefore hold no try/except.
"""

import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass

import grpc
import structlog
from google.protobuf.descriptor import FieldDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from prometheus_client import Counter, Histogram

from libs.auth import Principal, TokenVerifier, bearer_token
from libs.context import authorization_var, deadline_var, principal_var, request_id_var
from libs.errors import DomainError, FieldViolation, InvalidArgument, Unauthenticated, to_rpc_status
from libs.validation import CONTROL, CONTROL_PROBLEM, label, printable

log = structlog.get_logger("grpc")

PUBLIC = "public"  # no token needed
AUTHENTICATED = "authenticated"  # any verified token
INTERNAL = "internal"  # service-to-service only; reachable inside the cluster network, not via the gateway

SLOW_CALL_SECONDS = 0.5  # slower successful calls are logged at info

HANDLED = Counter("depot_grpc_server_handled_total", "RPCs completed", ["grpc_service", "grpc_method", "grpc_code"])
LATENCY = Histogram(
    "depot_grpc_server_handling_seconds", "RPC latency", ["grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


@dataclass(frozen=True)
class ServiceBinding:
    """One servicer and how to reach it: its proto descriptor and an access rule per method."""

    descriptor: ServiceDescriptor
    servicer: object
    add_to_server: Callable[[object, grpc.aio.Server], None]
    access: Mapping[str, str]  # method name → PUBLIC | AUTHENTICATED | INTERNAL | a permission

    def __post_init__(self):
        missing = {m.name for m in self.descriptor.methods} - set(self.access)
        if missing:
            raise ValueError(f"{self.descriptor.full_name}: no access rule for {sorted(missing)}")


# (inner, request, context, *, service, method) -> response
UnaryBehaviour = Callable[..., Awaitable[object]]


class _UnaryPipeline(grpc.aio.ServerInterceptor):
    """Runs `behaviours` (outermost first) around the methods of the given services that take one
    request, as one wrapper built once per method; health, reflection and client streams pass through
    untouched. A server stream runs inside the behaviours as a whole (so an error on the way is mapped
    like any other), and its messages are sent once it has ended: OpenTelemetry's interceptor, outside
    this one, needs the handler to be an async generator itself. Fine for bounded answers (exports)."""

    def __init__(self, services: set[str], behaviours: list[UnaryBehaviour]):
        self._services = services
        self._behaviours = behaviours
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(self, continuation, details):
        if (wrapped := self._wrapped.get(details.method)) is not None:
            return wrapped
        handler = await continuation(details)
        service, _, method = details.method.lstrip("/").partition("/")
        if handler is None or service not in self._services:
            return handler
        if handler.unary_unary is not None:
            call, make = handler.unary_unary, grpc.unary_unary_rpc_method_handler
        elif handler.unary_stream is not None:
            call, make = functools.partial(_collected, handler.unary_stream), grpc.unary_stream_rpc_method_handler
        else:
            return handler
        for behaviour in reversed(self._behaviours):
            call = functools.partial(behaviour, call, service=service, method=method)
        if handler.unary_stream is not None:
            call = functools.partial(_replayed, call)
        self._wrapped[details.method] = wrapped = make(
            call, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
        return wrapped


FILE_CHUNK = 256 * 1024  # bytes per message of a file sent as a stream: far below gRPC's 4 MB limit


def chunked(data: bytes) -> Iterator[bytes]:
    """`data` in FILE_CHUNK pieces; one (empty) piece for empty data, so that a file is never no message."""
    for start in range(0, max(len(data), 1), FILE_CHUNK):
        yield data[start:start + FILE_CHUNK]


async def _collected(produce, request, context) -> list:
    return [response async for response in produce(request, context)]


async def _replayed(call, request, context):
    for response in await call(request, context):
        yield response


async def _request_context(inner, request, context, *, service, method):
    metadata = dict(context.invocation_metadata() or ())
    request_id = metadata.get("x-request-id") or uuid.uuid4().hex
    request_id_var.set(request_id)
    authorization_var.set(metadata.get("authorization"))
    remaining = context.time_remaining()
    deadline_var.set(time.monotonic() + remaining if remaining is not None else None)
    structlog.contextvars.bind_contextvars(request_id=request_id, rpc=f"{service}/{method}")
    started = time.perf_counter()
    try:
        return await inner(request, context)
    finally:
        elapsed = time.perf_counter() - started
        code = context.code() or grpc.StatusCode.OK
        code_name = code.name if isinstance(code, grpc.StatusCode) else str(code)
        HANDLED.labels(service, method, code_name).inc()
        LATENCY.labels(service, method).observe(elapsed)
        # Successful fast calls log at debug: a JSON line per RPC costs as much as a cached read.
        level = logging.DEBUG if code == grpc.StatusCode.OK and elapsed < SLOW_CALL_SECONDS else logging.INFO
        log.log(level, "rpc", code=code_name, duration_ms=round(elapsed * 1000, 2))
        structlog.contextvars.unbind_contextvars("request_id", "rpc")


async def _map_errors(inner, request, context, *, service, method):
    try:
        return await inner(request, context)
    except DomainError as error:
        await context.abort_with_status(rpc_status.to_status(to_rpc_status(error)))
    except Exception:
        if context.code() not in (None, grpc.StatusCode.OK):
            raise  # already aborted deeper down
        log.exception("rpc.unhandled")
        await context.abort(grpc.StatusCode.INTERNAL, f"Internal error (request id {request_id_var.get()})")


def _auth(verifier: TokenVerifier, access: Mapping[str, Mapping[str, str]]) -> UnaryBehaviour:
    async def check(inner, request, context, *, service, method):
        rule = access[service][method]
        authorization = authorization_var.get()
        if rule in (PUBLIC, INTERNAL):
            principal = _optional_principal(verifier, authorization)
        else:
            principal = verifier.verify(bearer_token(authorization))
            if rule != AUTHENTICATED:
                principal.require(rule)
        principal_var.set(principal)
        return await inner(request, context)

    return check


async def _reject_control_text(inner, request, context, *, service, method):
    """INVALID_ARGUMENT naming every string field that holds a control character (U+0000 above all, which
    no PostgreSQL text column can store): callers that bypass the gateway (grpcurl, other services) get an
    answer, not an INTERNAL."""
    if fields := list(_control_fields(request)):
        raise InvalidArgument.of(*(FieldViolation(field, f"{_label(field)} {CONTROL_PROBLEM}")
                                   for field in fields))
    return await inner(request, context)


def _control_fields(message: Message, prefix: str = "") -> Iterator[str]:
    """Paths (`items[0].name`, `attributes[color]`) of the strings of `message` that hold control characters."""
    for field, value in message.ListFields():
        path = prefix + field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if CONTROL.search(str(key)) or (isinstance(item, str) and CONTROL.search(item)):
                    yield f"{path}[{printable(str(key))}]"
                elif isinstance(item, Message):
                    yield from _control_fields(item, f"{path}[{printable(str(key))}].")
        elif field.type == FieldDescriptor.TYPE_STRING:
            if any(CONTROL.search(text) for text in (value if field.is_repeated else [value])):
                yield path
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            items = enumerate(value) if field.is_repeated else [(None, value)]
            for index, item in items:
                yield from _control_fields(item, f"{path}[{index}]." if index is not None else f"{path}.")


def _label(path: str) -> str:
    """`product.variants[0].sku` → "Sku", as the services word their own messages."""
    return label(path.rpartition(".")[2].partition("[")[0])


def _optional_principal(verifier: TokenVerifier, authorization: str | None) -> Principal | None:
    """On open methods a token only adds who is calling; a stale one is ignored rather than refused."""
    if not authorization:
        return None
    try:
        return verifier.verify(bearer_token(authorization))
    except Unauthenticated:
        return None


async def start_server(
    bindings: list[ServiceBinding], *, host: str, port: int, verifier: TokenVerifier
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """Start a server for `bindings`; returns it, the bound port (port 0 picks one) and its health servicer."""
    names = {b.descriptor.full_name for b in bindings}
    access = {b.descriptor.full_name: b.access for b in bindings}
    server = grpc.aio.server(
        interceptors=[
            aio_server_interceptor(),
            _UnaryPipeline(names, [_request_context, _map_errors, _auth(verifier, access), _reject_control_text]),
        ],
        options=[("grpc.so_reuseport", 0)],
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for binding in bindings:
        binding.add_to_server(binding.servicer, server)
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, bound, health_servicer


async def stop_server(server: grpc.aio.Server, health_servicer, grace: float) -> None:
    """NOT_SERVING first so load balancers stop routing, then let in-flight calls finish."""
    await health_servicer.enter_graceful_shutdown()
    await server.stop(grace)
