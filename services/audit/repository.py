"""Queries on a passed-in session or connection; nothing here commits."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from libs.db import Executor
from services.audit.models import AuditLog

LOG = AuditLog.__table__
# Built once: building a statement per record cost more CPU than running it.
_INSERT = insert(LOG).on_conflict_do_nothing(index_elements=[LOG.c.id]).returning(LOG.c.id)


@dataclass(frozen=True)
class LogFilter:
    actor_id: str = ""
    action: str = ""  # an action, or its start: a method, or a method and a route prefix
    resource_type: str = ""
    resource_id: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Position:
    """Where a walk through the log stands: the last record given, in (occurred_at, id) order."""

    occurred_at: datetime
    id: uuid.UUID


async def add(db: Executor, values: dict) -> bool:
    """False when a record with this id is there already (a redelivered event)."""
    return (await db.execute(_INSERT, values)).first() is not None


def _selected(where: LogFilter) -> Select:
    statement = select(LOG)
    if where.actor_id:
        statement = statement.where(LOG.c.actor_id == where.actor_id)
    if where.action:
        statement = statement.where(LOG.c.action.startswith(where.action, autoescape=True))
    if where.resource_type:
        statement = statement.where(LOG.c.resource_type == where.resource_type)
    if where.resource_id:
        statement = statement.where(LOG.c.resource_id == where.resource_id)
    if where.outcome:
        statement = statement.where(LOG.c.outcome == where.outcome)
    if where.since:
        statement = statement.where(LOG.c.occurred_at >= where.since)
    if where.until:
        statement = statement.where(LOG.c.occurred_at < where.until)
    return statement


def _newest_first(statement: Select, after: Position | None) -> Select:
    if after is not None:
        statement = statement.where(tuple_(LOG.c.occurred_at, LOG.c.id) < (after.occurred_at, after.id))
    return statement.order_by(LOG.c.occurred_at.desc(), LOG.c.id.desc())


async def list_logs(db: Executor, where: LogFilter, *, after: Position | None, offset: int,
                    limit: int) -> list:
    """Up to `limit` records newest first, after `after` (a cursor) or past `offset` (a page)."""
    statement = _newest_first(_selected(where), after).offset(offset).limit(limit)
    return list((await db.execute(statement)).mappings())


async def count(db: Executor, where: LogFilter, at_most: int | None = None) -> int:
    """How many records the filter selects; with `at_most`, counting stops one past it."""
    selected = _selected(where).with_only_columns(LOG.c.id)
    if at_most is not None:
        selected = selected.limit(at_most + 1)
    return await db.scalar(select(func.count()).select_from(selected.subquery()))


async def walk(db: Executor, where: LogFilter, batch: int) -> AsyncIterator[list]:
    """Every record the filter selects, newest first, `batch` at a time (each batch one indexed query)."""
    after = None
    while rows := await list_logs(db, where, after=after, offset=0, limit=batch):
        yield rows
        if len(rows) < batch:
            return
        after = Position(rows[-1]["occurred_at"], rows[-1]["id"])
