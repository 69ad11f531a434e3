"""JSON logs ready for ELK: one object a line, with service, request id, trace ids, PII masked."""

import logging
import re
import sys

import structlog
from opentelemetry import trace

from libs.context import request_id_var

SECRET_KEYS = {"password", "old_password", "new_password", "token", "access_token", "refresh_token",
               "authorization", "card_number", "cvc"}
EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+)")


def _mask_pii(_, __, event: dict) -> dict:
    for key, value in event.items():
        if key in SECRET_KEYS:
            event[key] = "***"
        elif isinstance(value, str) and "@" in value:
            event[key] = EMAIL.sub(r"\1***\2", value)
    return event


def _add_request_and_trace(_, __, event: dict) -> dict:
    if (request_id := request_id_var.get()) is not None:
        event.setdefault("request_id", request_id)
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event["trace_id"] = format(span.trace_id, "032x")
        event["span_id"] = format(span.span_id, "016x")
    return event


def configure_logging(service: str, level: str = "INFO", *, json: bool = True) -> None:
    """Route structlog and the standard library (uvicorn, alembic, grpc) through one JSON renderer."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_and_trace,
        _mask_pii,
    ]
    structlog.configure(
        # filter_by_level first: a disabled level (the per-RPC debug line) then costs almost nothing.
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.contextvars.bind_contextvars(service=service)
