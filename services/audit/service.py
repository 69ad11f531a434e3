"""Use cases of the audit service: keep what the gateway publishes, list it, export it."""

import base64
import binascii
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from depot.audit.v1 import audit_pb2
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.db import Executor, in_autocommit
from libs.errors import FailedPrecondition, FieldViolation, InvalidArgument
from libs.paging import Page, Window, page_window
from libs.validation import require
from services.audit import exports, repository
from services.audit.messages import record_values
from services.audit.repository import LogFilter, Position

DEFAULT_PAGE_SIZE = 20
EXPORT_MAX = 100_000
EXPORT_BATCH = 1000
FILTER_LIMITS = {"actor_id": 64, "action": 300, "resource_type": 64, "resource_id": 200}


@dataclass(frozen=True)
class Listing:
    page: Page  # of repository rows; `total` is -1 when walking by cursor (nothing was counted)
    next_cursor: str


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    chunks: AsyncIterator[bytes]


def check_filter(where: LogFilter) -> None:
    violations = [
        FieldViolation(f"filter.{name}", f"{name.replace('_', ' ').capitalize()} must be at most {limit} characters")
        for name, limit in FILTER_LIMITS.items() if len(getattr(where, name)) > limit
    ]
    if where.since and where.until and where.since >= where.until:
        violations.append(FieldViolation("filter.until", "Until must be later than since"))
    require(*violations)


def encode_cursor(position: Position) -> str:
    return base64.urlsafe_b64encode(f"{position.occurred_at.isoformat()}|{position.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        moment, _, identifier = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition("|")
        return Position(datetime.fromisoformat(moment), uuid.UUID(identifier))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument.field("cursor", "Cursor is not one this service gave: start again without it") from None


class AuditService:
    def __init__(self, engine: AsyncEngine, clock=lambda: datetime.now(UTC)):
        self._engine = engine
        self._now = clock

    async def record(self, db: Executor, event_id: str, record: audit_pb2.AuditLog) -> None:
        """For the audit.request handler, in the consumer's transaction."""
        await repository.add(db, record_values(uuid.UUID(event_id), record, self._now()))

    async def list_logs(self, where: LogFilter, *, page: int, page_size: int, cursor: str) -> Listing:
        check_filter(where)
        window = page_window(page, page_size, DEFAULT_PAGE_SIZE)
        if cursor and page > 1:
            raise InvalidArgument.field("cursor", "Give a cursor or a page, not both")
        after = decode_cursor(cursor) if cursor else None

        async def read(db: Executor) -> tuple[list, int]:
            # One row more than the page says whether there is a next one.
            rows = await repository.list_logs(db, where, after=after, offset=0 if after else window.offset,
                                              limit=window.size + 1)
            total = -1 if after else await repository.count(db, where)
            return rows, total

        rows, total = await in_autocommit(self._engine, read)
        more = len(rows) > window.size
        rows = rows[:window.size]
        next_cursor = encode_cursor(Position(rows[-1]["occurred_at"], rows[-1]["id"])) if more else ""
        return Listing(Page.of(rows, Window(1 if after else window.page, window.size), total), next_cursor)

    async def export(self, where: LogFilter, format_name: str) -> Export:
        check_filter(where)
        if format_name not in exports.FORMATS:
            raise InvalidArgument.field("format", f"Format must be one of {', '.join(exports.FORMATS)}")
        matching = await in_autocommit(self._engine, lambda db: repository.count(db, where, at_most=EXPORT_MAX))
        if matching > EXPORT_MAX:
            raise FailedPrecondition(f"More than {EXPORT_MAX} records match: narrow the filter (since, until)")
        chosen = exports.FORMATS[format_name]
        stamp = self._now().strftime("%Y%m%dT%H%M%SZ")
        return Export(f"audit-logs-{stamp}.{chosen.extension}", chosen.content_type,
                      exports.render(format_name, self._batches(where)))

    async def _batches(self, where: LogFilter) -> AsyncIterator[list]:
        # One snapshot for the whole file: records arriving meanwhile neither appear halfway nor shift it.
        async with self._engine.connect() as connection:
            await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                async for rows in repository.walk(connection, where, EXPORT_BATCH):
                    yield rows
