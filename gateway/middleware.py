"""The envelope of every HTTP request: request id in and out, the server span of the trace, metrics, an
access log line, the audit record of a change (gateway.audit), and the last-resort answer for an
exception nobody handled (500 with the request id, cause in the log)."""

import re
import time
import uuid

import structlog
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import asgi_getter
from opentelemetry.propagate import extract
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
)
from opentelemetry.semconv.attributes.url_attributes import URL_PATH
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import error_response
from libs.context import request_id_var

log = structlog.get_logger("gateway.http")
tracer = trace.get_tracer("gateway.http")

REQUESTS = Counter("depot_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "depot_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# A client-supplied id is logged and sent on as gRPC metadata, which must be printable ASCII: anything
# else is replaced rather than trusted.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED = "<unmatched>"  # one label for every unknown path, so scanners cannot blow up the series
UNTRACED = ("/health", "/metrics")  # probes and scrapes: a span each would drown the traces that matter


def route_template(scope: Scope) -> str:
    """The matched route as a template, `/api/users/{id}`, for metric labels and logs.

    FastAPI puts the route object in the scope, but its `path` lacks the prefixes of the routers it
    was included into (`/users/{id}`); those prefixes are static, so they are the leading segments of
    the request path that the template's own segments do not cover.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return UNMATCHED
    own = template.count("/")
    segments = scope["path"].rstrip("/").split("/")
    return "/".join(segments[: len(segments) - own]) + template


class RequestContextMiddleware:
    """Also the server span, continuing the caller's W3C trace context. (opentelemetry-instrumentation-asgi's
    middleware makes the same span for a quarter of the gateway's CPU per request: it collects every
    attribute the conventions allow and wraps each send.)"""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(UNTRACED):
            await self._handle(scope, receive, send, trace.INVALID_SPAN)
            return
        with tracer.start_as_current_span(
            scope["method"], context=extract(scope, getter=asgi_getter), kind=SpanKind.SERVER,
            attributes={HTTP_REQUEST_METHOD: scope["method"], URL_PATH: scope["path"]},
        ) as span:
            await self._handle(scope, receive, send, span)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, span: trace.Span) -> None:
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started_response = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("http.unhandled", method=scope["method"], path=scope["path"])
            if started_response:
                raise  # the client already has a status line; nothing left to answer
            await error_response(500, "Internal server error")(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            span.update_name(f"{scope['method']} {route}")
            span.set_attributes({HTTP_ROUTE: route, HTTP_RESPONSE_STATUS_CODE: status})
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            log.info("http", method=scope["method"], path=scope["path"], route=route, status=status,
                     duration_ms=round(elapsed * 1000, 2))
            if (audit := scope.get("state", {}).get("audit")) is not None:
                audit.record(scope, route, status, round(elapsed * 1000), request_id)
            structlog.contextvars.unbind_contextvars("request_id")
