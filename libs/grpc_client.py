"""Client channels: a deadline on every call, retries only on UNAVAILABLE, metadata carried along."""

import json
import time
import uuid

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from libs.context import authorization_var, deadline_var, request_id_var

DEFAULT_TIMEOUT = 5.0
DEADLINE_MARGIN = 0.05  # leave the caller time to answer after its callee gives up


def _service_config(service: str, idempotent_methods: list[str]) -> str:
    """Round-robin over every address; retries only for methods that are safe to repeat (DESIGN.md §3)."""
    # Headless Services resolve to every pod; without round_robin a client sticks to the first one.
    config: dict = {"loadBalancingConfig": [{"round_robin": {}}]}
    if idempotent_methods:
        config["methodConfig"] = [{
            "name": [{"service": service, "method": m} for m in idempotent_methods],
            "retryPolicy": {
                "maxAttempts": 3, "initialBackoff": "0.05s", "maxBackoff": "0.5s",
                "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }]
    return json.dumps(config)


def _propagated(details: grpc.aio.ClientCallDetails, default_timeout: float) -> grpc.aio.ClientCallDetails:
    """The call with the incoming call's authorization and request id, and a deadline no later than the
    caller's."""
    metadata = list(details.metadata or ())
    keys = {k for k, _ in metadata}
    if "authorization" not in keys and (authorization := authorization_var.get()):
        metadata.append(("authorization", authorization))
    if "x-request-id" not in keys:
        metadata.append(("x-request-id", request_id_var.get() or uuid.uuid4().hex))
    timeout = details.timeout if details.timeout is not None else default_timeout
    if (deadline := deadline_var.get()) is not None:
        timeout = min(timeout, max(deadline - time.monotonic() - DEADLINE_MARGIN, 0.001))
    return grpc.aio.ClientCallDetails(details.method, timeout, metadata, details.credentials, details.wait_for_ready)


# One class per kind of call: grpc.aio files an interceptor under the first kind it is an instance of.
class _PropagatingUnary(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, default_timeout: float):
        self._default_timeout = default_timeout

    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(_propagated(details, self._default_timeout), request)


class _PropagatingStream(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, default_timeout: float):
        self._default_timeout = default_timeout

    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(_propagated(details, self._default_timeout), request)


def channel(target: str, *, service: str, idempotent_methods: list[str] = (),
            default_timeout: float = DEFAULT_TIMEOUT) -> grpc.aio.Channel:
    """An insecure channel to `target` (mTLS belongs to the mesh) for the proto service `service`."""
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", _service_config(service, list(idempotent_methods))),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 30_000),
        ],
        interceptors=[*aio_client_interceptors(), _PropagatingUnary(default_timeout),
                      _PropagatingStream(default_timeout)],
    )
