"""Domain errors → google.rpc.Status (with BadRequest details) → HTTP, as DESIGN.md §3 maps them."""

from http import HTTPStatus

import grpc
import pytest

from libs.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    http_status_for,
    reason_of,
    to_rpc_status,
    violations_of,
)


@pytest.mark.parametrize(("error", "code"), [
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (Conflict, grpc.StatusCode.ABORTED),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (Unavailable, grpc.StatusCode.UNAVAILABLE),
    (DomainError, grpc.StatusCode.INTERNAL),
])
def test_each_error_carries_its_code_into_the_status(error, code) -> None:
    status = to_rpc_status(error("it went wrong"))

    assert (status.code, status.message, list(status.details)) == (code.value[0], "it went wrong", [])


def test_field_violations_travel_as_bad_request_details_and_come_back() -> None:
    error = InvalidArgument.of(FieldViolation("email", "Email is invalid"),
                               FieldViolation("password", "Password is too weak"))

    status = to_rpc_status(error)

    assert error.message == "Email is invalid; Password is too weak"
    assert violations_of(status) == [FieldViolation("email", "Email is invalid"),
                                     FieldViolation("password", "Password is too weak")]


def test_a_status_without_details_has_no_violations() -> None:
    assert violations_of(to_rpc_status(NotFound("User not found"))) == []
    assert violations_of(None) == []


def test_a_reason_travels_as_error_info_beside_the_violations_and_comes_back() -> None:
    status = to_rpc_status(FailedPrecondition("Card declined: insufficient funds", reason="CARD_DECLINED"))
    invalid = to_rpc_status(InvalidArgument("Bad", violations=[FieldViolation("a", "A is bad")], reason="BAD_A"))

    assert (status.code, status.message, reason_of(status)) == (
        grpc.StatusCode.FAILED_PRECONDITION.value[0], "Card declined: insufficient funds", "CARD_DECLINED")
    assert (reason_of(invalid), violations_of(invalid)) == ("BAD_A", [FieldViolation("a", "A is bad")])
    assert reason_of(to_rpc_status(NotFound("User not found"))) is None and reason_of(None) is None


def test_field_is_a_single_violation() -> None:
    error = InvalidArgument.field("id", "id must be a UUID")

    assert error.violations == (FieldViolation("id", "id must be a UUID"),) and error.message == "id must be a UUID"


@pytest.mark.parametrize(("code", "http"), [
    (grpc.StatusCode.INVALID_ARGUMENT, HTTPStatus.BAD_REQUEST),
    (grpc.StatusCode.UNAUTHENTICATED, HTTPStatus.UNAUTHORIZED),
    (grpc.StatusCode.PERMISSION_DENIED, HTTPStatus.FORBIDDEN),
    (grpc.StatusCode.NOT_FOUND, HTTPStatus.NOT_FOUND),
    (grpc.StatusCode.ALREADY_EXISTS, HTTPStatus.CONFLICT),
    (grpc.StatusCode.ABORTED, HTTPStatus.CONFLICT),
    (grpc.StatusCode.FAILED_PRECONDITION, HTTPStatus.CONFLICT),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, HTTPStatus.TOO_MANY_REQUESTS),
    (grpc.StatusCode.UNAVAILABLE, HTTPStatus.SERVICE_UNAVAILABLE),
    (grpc.StatusCode.DEADLINE_EXCEEDED, HTTPStatus.GATEWAY_TIMEOUT),
    (grpc.StatusCode.INTERNAL, HTTPStatus.INTERNAL_SERVER_ERROR),
    (grpc.StatusCode.UNKNOWN, HTTPStatus.INTERNAL_SERVER_ERROR),
])
def test_grpc_codes_map_to_the_contracts_http_statuses(code, http) -> None:
    assert http_status_for(code) == http
