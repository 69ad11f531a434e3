"""The log as a file: CSV, XLSX or JSON, built from batches of rows as they are read.

Cells that a spreadsheet would take for a formula (starting with = + - @, a tab or a carriage return) are
prefixed with a quote in CSV and XLSX: a user agent or a path is the client's text, and opening an
export must not run it (OWASP "CSV injection"). The same text may hold control characters (a path with
%1B in it), which XML 1.0, hence XLSX, cannot: there each is a U+FFFD; CSV and JSON keep them."""

import csv
import io
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from openpyxl import Workbook

from libs.spreadsheet import inert, xml_safe

COLUMNS = (  # (row key, heading): the REST names
    ("id", "id"), ("occurred_at", "occurredAt"), ("actor_id", "actorId"), ("actor_roles", "actorRoles"),
    ("action", "action"), ("method", "method"), ("path", "path"), ("resource_type", "resourceType"),
    ("resource_id", "resourceId"), ("status_code", "statusCode"), ("outcome", "outcome"),
    ("request_id", "requestId"), ("trace_id", "traceId"), ("client_ip", "clientIp"), ("user_agent", "userAgent"),
    ("duration_ms", "durationMs"),
)


@dataclass(frozen=True)
class Format:
    extension: str
    content_type: str


FORMATS = {
    "CSV": Format("csv", "text/csv; charset=utf-8"),
    "XLSX": Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "JSON": Format("json", "application/json"),
}


def _cell(value) -> str | int:
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        value = " ".join(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return inert(text)


def _cells(row: Mapping) -> list:
    return [_cell(row[key]) for key, _ in COLUMNS]


async def render(format_name: str, batches: AsyncIterator[list[Mapping]]) -> AsyncIterator[bytes]:
    """The file's bytes, in pieces as the batches come (XLSX, a zip, only once the last has)."""
    if format_name == "CSV":
        yield ("\ufeff" + _csv_lines([[heading for _, heading in COLUMNS]])).encode()  # BOM: Excel reads UTF-8
        async for rows in batches:
            yield _csv_lines([_cells(row) for row in rows]).encode()
    elif format_name == "JSON":
        separator = "["
        async for rows in batches:
            for row in rows:
                record = {heading: _json_value(row[key]) for key, heading in COLUMNS}
                yield (separator + json.dumps(record, ensure_ascii=False)).encode()
                separator = ",\n"
        yield b"[]" if separator == "[" else b"]"
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Audit log")
        sheet.append([heading for _, heading in COLUMNS])
        async for rows in batches:
            for row in rows:
                sheet.append(_xlsx_cells(row))
        buffer = io.BytesIO()
        book.save(buffer)
        yield buffer.getvalue()


def _xlsx_cells(row: Mapping) -> list:
    return [xml_safe(cell) if isinstance(cell, str) else cell for cell in _cells(row)]


def _csv_lines(rows: list[list]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _json_value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if not isinstance(value, int | list | str) else value
