"""Idempotency keys (DESIGN.md §5): a replay of a request with the same key returns the first answer.

A service's models call `add_idempotency_table(metadata)`, its migration calls
`create_idempotency_table()`, and a use case, inside its own transaction:

    if (earlier := await claim(session, scope=..., key=key, request=fingerprint, response_type=R)) is not None:
        return earlier
    ...do the work...
    await record(session, scope=..., key=key, response=answer)

`claim` inserts the key first: a concurrent request with the same key waits on that row until the first
transaction ends, then replays its answer (or, if it rolled back, does the work itself). Failed requests
leave nothing behind, so a client may retry them with the same key.
"""

import hashlib
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from alembic import op
from google.protobuf.message import Message
from sqlalchemy import Column, DateTime, LargeBinary, MetaData, String, Table, func, text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.errors import InvalidArgument

M = TypeVar("M", bound=Message)

FIELD = "Idempotency-Key"  # the violation's field: the gateway answers 422 for it (DESIGN.md §5)
MISMATCH = "Idempotency-Key was used with a different request"
KEY_MAX = 200


def _columns() -> list:
    return [
        Column("scope", String(100), primary_key=True),
        Column("key", String(KEY_MAX), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        # NULL only inside the claiming transaction; committed rows always carry the answer.
        Column("response", LargeBinary),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def add_idempotency_table(metadata: MetaData) -> Table:
    """Register `idempotency_keys` on a service's metadata."""
    return Table("idempotency_keys", metadata, *_columns())


def create_idempotency_table() -> None:
    """For a service's Alembic migration."""
    op.create_table("idempotency_keys", *_columns())


def drop_idempotency_table() -> None:
    op.drop_table("idempotency_keys")


def fingerprint(request: Mapping[str, Any]) -> str:
    """A stable hash of what identifies a request (its arguments and who sent it)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession, *, scope: str, key: str, request: Mapping[str, Any], response_type: type[M]
) -> M | None:
    """Take `key` for this transaction, or return the answer recorded for it by an earlier one.

    Raises InvalidArgument (field "Idempotency-Key") when the key is too long or was used with a
    different request."""
    if len(key) > KEY_MAX:
        raise InvalidArgument.field(FIELD, f"{FIELD} must be at most {KEY_MAX} characters")
    request_hash = fingerprint(request)
    taken = await session.execute(
        text("INSERT INTO idempotency_keys (scope, key, request_hash) VALUES (:scope, :key, :hash) "
             "ON CONFLICT DO NOTHING RETURNING key"),
        {"scope": scope, "key": key, "hash": request_hash},
    )
    if taken.first() is not None:
        return None
    earlier = (await session.execute(
        text("SELECT request_hash, response FROM idempotency_keys WHERE scope = :scope AND key = :key"),
        {"scope": scope, "key": key},
    )).one()
    if earlier.request_hash != request_hash:
        raise InvalidArgument.field(FIELD, MISMATCH)
    return response_type.FromString(earlier.response)


async def record(session: AsyncSession, *, scope: str, key: str, response: Message) -> None:
    """Store the answer for a key claimed in this same transaction."""
    await session.execute(
        text("UPDATE idempotency_keys SET response = :response WHERE scope = :scope AND key = :key"),
        {"scope": scope, "key": key, "response": response.SerializeToString(deterministic=True)},
    )
