"""The one place where failures become the REST error body (DESIGN.md §3 Errors):
gRPC status → HTTP status with the service's field violations, request validation → 400 with the
contract's messages, HTTP errors (unknown route, rate limit) and domain errors raised in the gateway
itself (the token guard). Unexpected exceptions are answered in gateway.middleware."""

import re
from collections.abc import Iterable, Mapping
from functools import cache
from http import HTTPStatus
from typing import Any

import grpc
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from google.rpc import status_pb2
from grpc_status import rpc_status
from pydantic.alias_generators import to_camel
from starlette.exceptions import HTTPException

from gateway.schemas.common import RULE_ERROR
from libs.context import request_id_var
from libs.errors import DomainError, FieldViolation, http_status_for, reason_of, violations_of
from libs.idempotency import FIELD as IDEMPOTENCY_FIELD
from libs.validation import label

log = structlog.get_logger("gateway.errors")


def error_response(status: int, message: str | list[str], details: Iterable[FieldViolation] = (),
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    headers = dict(headers or {})
    if status == HTTPStatus.UNAUTHORIZED:
        headers.setdefault("WWW-Authenticate", "Bearer")
    body = {
        "statusCode": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
        "details": [{"field": d.field, "message": d.message} for d in details],
        "requestId": request_id_var.get(),
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _violations_response(status: int, message: str, violations: list[FieldViolation]) -> JSONResponse:
    """Validation errors (400, and 422 for a reused Idempotency-Key) list their messages; other errors
    (a taken email: 409) keep their one message and still name the field in `details`."""
    if status in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNPROCESSABLE_ENTITY):
        return error_response(status, [v.message for v in violations], violations)
    return error_response(status, message, violations)


# --- gRPC --------------------------------------------------------------------------------------


# HTTP statuses the REST contract has and gRPC has not: a service names them by the ErrorInfo reason it
# gives (libs.errors.DomainError.reason); the status code alone would map to something else.
REASON_STATUS: dict[str, HTTPStatus] = {
    "CARD_DECLINED": HTTPStatus.PAYMENT_REQUIRED,  # the order service, from FAILED_PRECONDITION (409)
}


def _rpc_http_status(code: grpc.StatusCode, reason: str | None, violations: list[FieldViolation]) -> HTTPStatus:
    if reason in REASON_STATUS:
        return REASON_STATUS[reason]
    if code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in violations] == [IDEMPOTENCY_FIELD]:
        # DESIGN.md §5: an Idempotency-Key sent again with a different body is a 422, not a 400.
        return HTTPStatus.UNPROCESSABLE_ENTITY
    return http_status_for(code)


# grpc.StatusCode by its number, as a google.rpc.Status carries it.
_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _service_status(error: grpc.aio.AioRpcError) -> tuple[grpc.StatusCode, str, status_pb2.Status | None]:
    """The code, message and google.rpc.Status the service answered with. Its details trailer wins over
    the call's code: gRPC reports RESOURCE_EXHAUSTED when trailers outgrow the channel's metadata limit
    (an order of 100 lines, each with its violation), yet hands over the trailer the service sent."""
    details = dict(error.trailing_metadata() or ()).get(rpc_status.GRPC_DETAILS_METADATA_KEY)
    if details is None:
        return error.code(), error.details() or "", None
    rich = status_pb2.Status.FromString(details)
    return _CODES.get(rich.code, grpc.StatusCode.UNKNOWN), rich.message, rich


async def _rpc_error(_: Request, error: grpc.aio.AioRpcError) -> JSONResponse:
    code, message, rich = _service_status(error)
    violations = violations_of(rich)
    status = _rpc_http_status(code, reason_of(rich), violations)
    if violations:
        # The services name proto fields (old_password); the client sent JSON ones (oldPassword).
        return _violations_response(status, message or status.phrase,
                                    [FieldViolation(_json_path(v.field), v.message) for v in violations])
    if rich is None and status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        # Not a status a Depot service chose (no details trailer): a connection failure, a timeout or
        # a crash, whose text names hosts and internals. The client gets the phrase, the log the cause.
        log.warning("grpc.call_failed", code=code.name, details=message)
        return error_response(status, status.phrase)
    return error_response(status, message or status.phrase)


def _json_path(field: str) -> str:
    if field == IDEMPOTENCY_FIELD:
        return field  # a header's name, not a proto field path
    return ".".join(to_camel(part) for part in field.split("."))


async def _domain_error(_: Request, error: DomainError) -> JSONResponse:
    status = http_status_for(error.code)
    if error.violations:
        return _violations_response(status, error.message, list(error.violations))
    return error_response(status, error.message)


# --- HTTP --------------------------------------------------------------------------------------


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    phrase = HTTPStatus(error.status_code).phrase
    message = error.detail if isinstance(error.detail, str) else phrase
    headers = dict(error.headers or {})
    if error.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED) and message == phrase:
        message = f"Cannot {request.method} {request.url.path}"  # the router's own answer: no such route
    if error.status_code == HTTPStatus.METHOD_NOT_ALLOWED and (methods := _allowed_methods(request)):
        headers["Allow"] = ", ".join(methods)
    return error_response(error.status_code, message, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method of the path, as the OpenAPI document lists them. Starlette's own Allow names only
    the methods of the first route matching the path, and each method of a path is a route of its own
    here (GET and POST /api/products). No HEAD: FastAPI's routes, unlike Starlette's, do not answer it."""
    return sorted({method.upper() for template, operations in request.app.openapi()["paths"].items()
                   if _template_pattern(template).fullmatch(request.scope["path"]) for method in operations})


@cache
def _template_pattern(template: str) -> re.Pattern[str]:
    """/api/products/{id} → a pattern of the paths it stands for (a parameter is one path segment)."""
    return re.compile(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)))


# --- request validation ------------------------------------------------------------------------

_MESSAGES: dict[str, str] = {
    "missing": "{label} should not be empty",
    "extra_forbidden": "property {name} should not exist",
    "json_invalid": "Invalid JSON body",
    "model_attributes_type": "{label} must be a JSON object",
    "dict_type": "{label} must be a JSON object",
    "string_type": "{label} must be a string",
    "int_type": "{label} must be an integer",
    "int_parsing": "{label} must be an integer",
    "int_from_float": "{label} must be an integer",
    "bool_type": "{label} must be a boolean",
    "bool_parsing": "{label} must be a boolean",
    "list_type": "{label} must be an array",
    "uuid_type": "{label} must be a UUID",
    "uuid_parsing": "{label} must be a UUID",
    "datetime_parsing": "{label} must be an ISO 8601 date-time",
    "datetime_from_date_parsing": "{label} must be an ISO 8601 date-time",
    "datetime_type": "{label} must be an ISO 8601 date-time",
    "datetime_out_of_range": "{label} must be between 0001-01-01 and 9999-12-31 in UTC",
    "greater_than_equal": "{label} must not be less than {ge}",
    "less_than_equal": "{label} must not be greater than {le}",
    "greater_than": "{label} must be greater than {gt}",
    "string_too_short": "{label} must be at least {min_length} characters",
    "string_too_long": "{label} must be at most {max_length} characters",
    "too_short": "{label} must contain at least {min_length} items",
    "too_long": "{label} must contain at most {max_length} items",
}


def _violation(error: Mapping[str, Any]) -> FieldViolation:
    """One pydantic error as a field violation with the contract's wording."""
    # loc is (where, *path): ("body", "email"), ("query", "limit"), ("body", 12) for a JSON syntax error.
    path = [str(part) for part in error["loc"][1:] if isinstance(part, str | int)]
    if error["type"] == "json_invalid":
        path = []
    field = ".".join(path) or "body"
    name = next((p for p in reversed(path) if not p.isdigit()), "")
    if error["type"] == RULE_ERROR:
        return FieldViolation(field, error["msg"])
    subject = label(name) if name else "Request body"
    template = _MESSAGES.get(error["type"])
    if template is None:
        return FieldViolation(field, f"{subject}: {error['msg']}")
    return FieldViolation(field, template.format(label=subject, name=name, **(error.get("ctx") or {})))


async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    violations = [_violation(e) for e in error.errors()]
    return _violations_response(HTTPStatus.BAD_REQUEST, HTTPStatus.BAD_REQUEST.phrase, violations)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(grpc.aio.AioRpcError, _rpc_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
