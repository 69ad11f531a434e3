"""Assertions on gRPC failures: the code, the message, and the field violations a client sees."""

import contextlib

import grpc
from grpc_status import rpc_status

from libs.errors import FieldViolation, violations_of


class Failure:
    def __init__(self):
        self.error: grpc.aio.AioRpcError | None = None

    @property
    def code(self) -> grpc.StatusCode:
        return self.error.code()

    @property
    def message(self) -> str:
        return self.error.details()

    @property
    def violations(self) -> list[FieldViolation]:
        return violations_of(rpc_status.from_call(self.error))


@contextlib.asynccontextmanager
async def fails(code: grpc.StatusCode, message: str | None = None):
    """`async with fails(code, message) as failure:` around one call that must fail that way."""
    failure = Failure()
    try:
        yield failure
    except grpc.aio.AioRpcError as error:
        failure.error = error
    else:
        raise AssertionError(f"expected {code.name}, the call succeeded")
    assert failure.code == code, f"expected {code.name}, got {failure.code.name}: {failure.message}"
    if message is not None:
        assert failure.message == message
