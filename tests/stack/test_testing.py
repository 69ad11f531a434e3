"""The waiting helpers every test leans on."""

from __future__ import annotations

import itertools

import pytest

from libs.stack import apoll_until, poll_until, unique


def test_poll_until_returns_the_first_truthy_value() -> None:
    counter = itertools.count()

    assert poll_until(lambda: next(counter) >= 3 and "ready", timeout=2, interval=0) == "ready"


def test_poll_until_times_out_naming_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match=r"0.1s waiting for the order to ship \(last value: \[\]\)"):
        poll_until(lambda: [], timeout=0.1, message="the order to ship")


async def test_apoll_until_awaits_async_conditions() -> None:
    counter = itertools.count()

    async def shipped() -> bool:
        return next(counter) >= 2

    assert await apoll_until(shipped, timeout=2, interval=0) is True


def test_unique_ids_differ_and_keep_the_prefix() -> None:
    first, second = unique("order"), unique("order")

    assert first != second and first.startswith("order-")
