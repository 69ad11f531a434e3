"""Async SQLAlchemy engine and sessions, and the retry for serialization failures and deadlocks."""

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from sqlalchemy import MetaData
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

T = TypeVar("T")
W = TypeVar("W", AsyncSession, AsyncConnection)
# Where a repository runs its statements: an ORM session, or a Core connection when the use case needs
# no unit of work (Core statements on a connection cost a fraction of the ORM's CPU).
Executor = AsyncSession | AsyncConnection

# Named constraints make Alembic migrations reviewable and stable across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
MAX_WAIT = 0.5  # seconds: the longest pause between two attempts


def one_of(column: str, values) -> str:
    """SQL for a CHECK constraint (or partial index) that `column` holds one of `values` (an enum's members)."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str, *, pool_size: int = 10, server_settings: Mapping[str, str] | None = None) -> AsyncEngine:
    """Up to 2 × `pool_size` connections, opened on demand and all kept open. (Overflow connections, which
    are closed again when returned, made a busy service open several connections a second: a backend
    started and torn down each time.) `server_settings`: PostgreSQL parameters of every connection."""
    # No pre-ping: it costs a round trip on every checkout (~20 per order). A connection broken by a
    # database restart fails its one call, and SQLAlchemy then discards the whole stale pool.
    options = " ".join(f"-c {name}={value}" for name, value in (server_settings or {}).items())
    return create_async_engine(url, pool_size=2 * pool_size, max_overflow=0, pool_recycle=1800,
                               connect_args={"options": options} if options else {})


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


async def in_transaction(
    sessions: async_sessionmaker[AsyncSession] | AsyncEngine,
    work: Callable[[W], Awaitable[T]],
    *,
    attempts: int = 5,
) -> T:
    """Run `work` in one transaction, again from the start if PostgreSQL aborts it for a conflict: on a
    session from `sessions`, or on a Core connection when given the engine itself."""
    for attempt in range(1, attempts + 1):
        try:
            async with sessions.begin() as session:
                return await work(session)
        except DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
        await _pause(attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def in_autocommit(engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]], *,
                        attempts: int = 5) -> T:
    """Run `work` on a connection outside any transaction: each statement commits on its own. For work
    that is one statement (a read, or a single UPDATE … RETURNING) this is what a transaction of its own
    would do, minus the BEGIN and COMMIT round trips. Retried like `in_transaction`."""
    for attempt in range(1, attempts + 1):
        try:
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                return await work(connection)
        except DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
        await _pause(attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _pause(attempt: int) -> None:
    """Random exponential back-off, so that the transactions that collided do not collide again."""
    await asyncio.sleep(random.uniform(0, min(MAX_WAIT, 0.01 * 2 ** (attempt - 1))))
