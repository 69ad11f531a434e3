"""Per-request values that travel with a call: who is calling, the request id, what to forward."""

from contextvars import ContextVar

from libs.auth import Principal
from libs.errors import Unauthenticated

principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# Raw `authorization` metadata of the incoming call, forwarded on outgoing calls.
authorization_var: ContextVar[str | None] = ContextVar("authorization", default=None)
# Absolute time.monotonic() deadline of the incoming call, if it had one.
deadline_var: ContextVar[float | None] = ContextVar("deadline", default=None)


def current_principal() -> Principal:
    principal = principal_var.get()
    if principal is None:
        raise Unauthenticated("No token provided")
    return principal
