"""The audit log's one rule beyond its messages (depot.audit.v1), for the gateway that records requests
and the services that read the records."""

from depot.audit.v1 import audit_pb2


def outcome_of_status(status: int) -> int:
    """How an answered HTTP status counts: DENIED for 401 and 403, SUCCESS for 1xx–3xx, FAILURE otherwise."""
    if status in (401, 403):
        return audit_pb2.OUTCOME_DENIED
    return audit_pb2.OUTCOME_SUCCESS if 100 <= status < 400 else audit_pb2.OUTCOME_FAILURE
