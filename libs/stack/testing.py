"""Waiting and naming helpers for tests (and for the stack's own readiness checks).

Tests wait for asynchronous effects with `poll_until`, never with `sleep(n)`: the wait ends as soon as
the effect is visible, and a failure says what was awaited instead of failing an assertion later.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(
    condition: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    *,
    message: str | None = None,
) -> T:
    """Call `condition` until it returns something truthy and return that value.

    Raises TimeoutError after `timeout` seconds, naming what was awaited and the last value seen.
    Exceptions raised by `condition` propagate: a condition that may legitimately fail while
    waiting (a connection refused, say) catches that itself and returns a falsy value.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(_timeout_message(condition, timeout, value, message))
        time.sleep(interval)


async def apoll_until(
    condition: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,
    interval: float = 0.05,
    *,
    message: str | None = None,
) -> T:
    """`poll_until` for async tests: sleeps without blocking the event loop, so the effect being
    awaited may come from a server running in the same loop. `condition` may be sync or async."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(_timeout_message(condition, timeout, value, message))
        await asyncio.sleep(interval)


def unique(prefix: str = "t") -> str:
    """A short id no other test (or earlier run against the same data) uses: `prefix-3f9c0a1b2d4e`."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _timeout_message(condition: Callable, timeout: float, last: object, message: str | None) -> str:
    what = message or getattr(condition, "__qualname__", repr(condition))
    return f"timed out after {timeout:g}s waiting for {what} (last value: {last!r})"
