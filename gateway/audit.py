"""The gateway's record of every request that changed something or tried to: one audit.request event per
POST, PUT, PATCH or DELETE under /api, on topic depot.audit.requests, for the audit service.

Fail-open: a record waits in the producer's (bounded) queue and is dropped, and counted, when the broker
does not take it in time or the queue is full; no request waits for the broker or fails because of it.
The gateway has no database for an outbox, so the log is as complete as the broker's availability allows,
and `depot_audit_records_total{outcome="dropped"}` says what was lost. No body is ever recorded (a login's
holds a password): the method, the route, the ids in the path, who, and how it was answered."""

import uuid
from datetime import UTC, datetime

import structlog
from confluent_kafka import KafkaError, Producer
from depot.audit.v1 import audit_pb2
from depot.audit.v1 import events_pb2 as audit_events
from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry.propagate import inject
from prometheus_client import Counter
from starlette.types import Scope

from libs.audit import outcome_of_status
from libs.auth import Principal, TokenVerifier, bearer_token
from libs.errors import Unauthenticated
from libs.events import topics
from libs.events.envelope import wire_headers
from libs.events.kafka import producer_config
from libs.timestamps import to_timestamp

log = structlog.get_logger("gateway.audit")

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EVENT_TYPE = "audit.request"
SOURCE = "gateway"
PATH_IDS = ("id", "productId", "trackingNumber", "carrier")  # the path parameters that name a resource
RECORDS = Counter("depot_audit_records_total", "Audit records of requests, by what became of them", ["outcome"])


class AuditPublisher:
    def __init__(self, bootstrap: str, verifier: TokenVerifier, *, delivery_timeout: float = 30.0):
        # Not idempotent, unlike the relays' producers: an idempotent producer is unusable after a broker
        # restart until it is replaced, and a duplicate record costs nothing (the audit service keeps
        # one per event id).
        self._producer = Producer(producer_config(bootstrap, {"enable.idempotence": False, "linger.ms": 20},
                                                  delivery_timeout=delivery_timeout))
        self._verifier = verifier

    def record(self, scope: Scope, route: str, status: int, duration_ms: int, request_id: str) -> None:
        """Queue the record of an answered request, if it is one to keep; never raises, never blocks."""
        if scope["method"] not in MUTATING or not scope["path"].startswith("/api/"):
            return
        try:
            self._produce(scope, route, status, duration_ms, request_id)
        except BufferError:
            RECORDS.labels("dropped").inc()
            log.warning("audit.queue_full", path=scope["path"])
        except Exception:  # the answer is sent already: a record that cannot be made is counted, not raised
            RECORDS.labels("dropped").inc()
            log.exception("audit.record_failed", path=scope["path"])
        self._producer.poll(0)  # serves the delivery reports that are in: cheap, and keeps the queue moving

    def _produce(self, scope: Scope, route: str, status: int, duration_ms: int, request_id: str) -> None:
        headers = dict(scope["headers"])
        principal = self._principal(headers.get(b"authorization", b"").decode("latin-1"))
        path_params = scope.get("path_params") or {}
        span = trace.get_current_span().get_span_context()
        record = audit_pb2.AuditLog(
            occurred_at=to_timestamp(datetime.now(UTC)), actor_id=principal.user_id if principal else "",
            actor_roles=sorted(principal.roles) if principal else [], action=f"{scope['method']} {route}",
            method=scope["method"], path=scope["path"], resource_type=(scope["path"].split("/") + [""] * 3)[2],
            resource_id=str(next((path_params[name] for name in PATH_IDS if name in path_params), "")),
            status_code=status, outcome=outcome_of_status(status), request_id=request_id,
            trace_id=format(span.trace_id, "032x") if span.is_valid else "",
            client_ip=(scope.get("client") or ("",))[0], user_agent=headers.get(b"user-agent", b"").decode("latin-1"),
            duration_ms=duration_ms,
        )
        stored = {"ce_source": SOURCE, "ce_time": datetime.now(UTC).isoformat()}
        inject(stored)  # the request's trace goes on to the audit service
        value = json_format.MessageToJson(audit_events.RequestAnswered(record=record), indent=None,
                                          preserving_proto_field_name=True)
        self._producer.produce(
            topics.AUDIT_REQUESTS, key=(record.actor_id or record.client_ip or "anonymous").encode(),
            value=value.encode(), on_delivery=_delivered,
            headers=wire_headers(str(uuid.uuid4()), EVENT_TYPE, stored),
        )

    def _principal(self, authorization: str) -> Principal | None:
        if not authorization:
            return None
        try:
            return self._verifier.verify(bearer_token(authorization))
        except Unauthenticated:
            return None

    def close(self, timeout: float = 5.0) -> int:
        """Deliver what is queued, waiting up to `timeout`; returns how many records are left undelivered."""
        return self._producer.flush(timeout)


def _delivered(error: KafkaError | None, _message) -> None:
    RECORDS.labels("published" if error is None else "dropped").inc()
    if error is not None:
        log.warning("audit.record_dropped", error=str(error))
