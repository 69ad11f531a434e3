"""Carrier webhooks: who may push a status, and what the push says.

A carrier signs every request with its shared secret: X-Webhook-Signature is the hex HMAC-SHA256 of
"<X-Webhook-Id>.<X-Webhook-Timestamp>.<body>", the timestamp in Unix seconds. A request whose
timestamp is too far from now is refused, so a captured request cannot be replayed later; within the
tolerance the webhook id is what stops a replay (recorded by the service, once per carrier).
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from libs.errors import FieldViolation, InvalidArgument, Unauthenticated
from libs.validation import require
from services.shipping.models import ShipmentStatus
from services.shipping.validation import REQUESTABLE, StatusChange

ID_MAX = 200
BODY_MAX = 64 * 1024


@dataclass(frozen=True)
class SignedRequest:
    webhook_id: str
    timestamp: str
    signature: str
    body: bytes


@dataclass(frozen=True)
class CarrierUpdate:
    tracking_number: str
    change: StatusChange


def sign(secret: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    """The signature a carrier sends (also what the tests sign with)."""
    return hmac.new(secret, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(request: SignedRequest, secret: bytes, *, now: datetime, tolerance: timedelta) -> None:
    """Raises Unauthenticated unless the request is signed with `secret` and fresh."""
    signature = request.signature.strip().lower()
    if not (request.webhook_id and request.timestamp and signature) or len(request.webhook_id) > ID_MAX:
        raise Unauthenticated("Webhook id, timestamp and signature headers are required")
    expected = sign(secret, request.webhook_id, request.timestamp, request.body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):  # bytes: a header may hold any text
        raise Unauthenticated("Invalid webhook signature")
    try:
        sent = int(request.timestamp)
    except ValueError:
        raise Unauthenticated("Invalid webhook timestamp") from None
    if abs(now.timestamp() - sent) > tolerance.total_seconds():
        raise Unauthenticated("Webhook timestamp is too old or too far in the future")


def parse_update(body: bytes) -> CarrierUpdate:
    """The body of a verified request: {"trackingNumber", "status", "location"?, "note"?, "occurredAt"?}."""
    if len(body) > BODY_MAX:
        raise InvalidArgument.field("body", f"Body must be at most {BODY_MAX} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise InvalidArgument.field("body", "Body must be JSON") from None
    if not isinstance(document, dict):
        raise InvalidArgument.field("body", "Body must be a JSON object")
    tracking_number, status = document.get("trackingNumber"), document.get("status")
    location, note, occurred = document.get("location", ""), document.get("note", ""), document.get("occurredAt")
    occurred_at = _moment(occurred)
    require(
        None if isinstance(tracking_number, str) and tracking_number.strip()
        else FieldViolation("trackingNumber", "Tracking number should not be empty"),
        None if isinstance(status, str) and status in REQUESTABLE
        else FieldViolation("status", f"Status must be one of {', '.join(REQUESTABLE)}"),
        None if isinstance(location, str) else FieldViolation("location", "Location must be a string"),
        None if isinstance(note, str) else FieldViolation("note", "Note must be a string"),
        None if occurred is None or occurred_at else FieldViolation(
            "occurredAt", "Occurred at must be an ISO 8601 date-time with a time zone"),
    )
    return CarrierUpdate(tracking_number.strip(), StatusChange(
        status=ShipmentStatus(status), location=location.strip(), note=note.strip(), occurred_at=occurred_at))


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
