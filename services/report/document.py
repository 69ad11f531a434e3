"""A report's content, whatever its format: a title, the period, headline figures and tables. The
builders make one from the read model; services.report.render writes it as JSON, CSV, XLSX or PDF."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

Value = str | int | Decimal | date | datetime | None


@dataclass(frozen=True)
class Table:
    name: str  # camelCase key (JSON, CSV section, XLSX sheet)
    title: str  # what a person reads (PDF heading)
    columns: tuple[str, ...]
    rows: list[tuple[Value, ...]]


@dataclass(frozen=True)
class Document:
    type: str
    title: str
    since: datetime | None  # None: a snapshot (the stock report)
    until: datetime
    generated_at: datetime
    summary: dict[str, Value] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
