"""Page-number paging as the list RPCs take it (depot.common.v1.PageRequest: `page` and `page_size`, 0
meaning the first page and the service's default size) and answer it (PageInfo).

`page_window` applies the common rule and its messages; a service whose contract words it differently
keeps its own check and still builds a `Window`.
"""

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from depot.common.v1 import page_pb2
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.errors import FieldViolation
from libs.validation import require

MAX_PAGE_SIZE = 100  # DESIGN.md §3: limit ≤ 100
T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """Page `page` (from 1) of `size` rows."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[T]):
    """What a list use case answers: the items of one window, and how many match in all."""

    items: list[T]
    page: int
    page_size: int
    total: int

    @classmethod
    def of(cls, items: list[T], window: Window, total: int) -> "Page[T]":
        return cls(items, window.page, window.size, total)


def page_window(page: int, page_size: int, default_size: int) -> Window:
    """The window a PageRequest asks for; INVALID_ARGUMENT naming `page.page` and `page.page_size` when
    either is out of range."""
    require(
        FieldViolation("page.page", "Page must not be negative") if page < 0 else None,
        FieldViolation("page.page_size", f"Page size must be between 1 and {MAX_PAGE_SIZE}")
        if not 0 <= page_size <= MAX_PAGE_SIZE else None,
    )
    return Window(page or 1, page_size or default_size)


def page_info(page: int, page_size: int, total: int) -> page_pb2.PageInfo:
    return page_pb2.PageInfo(page=page, page_size=page_size, total_size=total,
                             total_pages=math.ceil(total / page_size) if page_size else 0)


async def select_page(session: AsyncSession, statement: Select, offset: int, limit: int) -> tuple[list, int]:
    """`limit` rows of an ordered ORM select after `offset`, and how many rows it selects in all."""
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    return list(await session.scalars(statement.offset(offset).limit(limit))), total or 0
