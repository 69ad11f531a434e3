"""Domain errors, their gRPC status codes and the one gRPC→HTTP table (DESIGN.md §3)."""

from dataclasses import dataclass
from http import HTTPStatus

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2


@dataclass(frozen=True)
class FieldViolation:
    field: str
    message: str


# The ErrorInfo domain of every reason a Depot service gives (google.rpc.ErrorInfo: reasons are unique
# within a domain).
ERROR_DOMAIN = "depot"


class DomainError(Exception):
    """Raised by services; the server interceptor turns it into a gRPC status with details.

    `reason` (UPPER_SNAKE_CASE, e.g. "CARD_DECLINED") tells callers apart what one status code covers;
    it travels as a google.rpc.ErrorInfo detail, so a caller never has to parse the message."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str, *, violations: tuple[FieldViolation, ...] | list[FieldViolation] = (),
                 reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.violations = tuple(violations)
        self.reason = reason


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT

    @classmethod
    def of(cls, *violations: FieldViolation) -> "InvalidArgument":
        return cls("; ".join(v.message for v in violations), violations=violations)

    @classmethod
    def field(cls, field: str, message: str) -> "InvalidArgument":
        return cls.of(FieldViolation(field, message))


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Conflict(DomainError):
    """A version mismatch or concurrent change: the client should re-read and retry."""

    code = grpc.StatusCode.ABORTED


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(DomainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE


def to_rpc_status(error: DomainError) -> status_pb2.Status:
    """google.rpc.Status for `error`, with BadRequest field violations and an ErrorInfo reason when it
    has them."""
    status = status_pb2.Status(code=error.code.value[0], message=error.message)
    if error.violations:
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.message)
                    for v in error.violations
                ]
            )
        )
        status.details.append(detail)
    if error.reason:
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN))
        status.details.append(detail)
    return status


def violations_of(status: status_pb2.Status | None) -> list[FieldViolation]:
    """The field violations carried by a google.rpc.Status, if any."""
    found: list[FieldViolation] = []
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found += [FieldViolation(v.field, v.description) for v in bad_request.field_violations]
    return found


def reason_of(status: status_pb2.Status | None) -> str | None:
    """The reason a Depot service gave in a google.rpc.Status (its ErrorInfo detail), if any."""
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            if info.domain == ERROR_DOMAIN:
                return info.reason
    return None


HTTP_STATUS: dict[grpc.StatusCode, HTTPStatus] = {
    grpc.StatusCode.INVALID_ARGUMENT: HTTPStatus.BAD_REQUEST,
    grpc.StatusCode.OUT_OF_RANGE: HTTPStatus.BAD_REQUEST,
    grpc.StatusCode.UNAUTHENTICATED: HTTPStatus.UNAUTHORIZED,
    grpc.StatusCode.PERMISSION_DENIED: HTTPStatus.FORBIDDEN,
    grpc.StatusCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS: HTTPStatus.CONFLICT,
    grpc.StatusCode.ABORTED: HTTPStatus.CONFLICT,
    grpc.StatusCode.FAILED_PRECONDITION: HTTPStatus.CONFLICT,
    grpc.StatusCode.RESOURCE_EXHAUSTED: HTTPStatus.TOO_MANY_REQUESTS,
    grpc.StatusCode.UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: HTTPStatus.GATEWAY_TIMEOUT,
    grpc.StatusCode.UNIMPLEMENTED: HTTPStatus.NOT_IMPLEMENTED,
    grpc.StatusCode.CANCELLED: HTTPStatus.SERVICE_UNAVAILABLE,
}


def http_status_for(code: grpc.StatusCode) -> HTTPStatus:
    return HTTP_STATUS.get(code, HTTPStatus.INTERNAL_SERVER_ERROR)

