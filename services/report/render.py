"""A Document as a file: JSON, CSV, XLSX (openpyxl) or PDF (reportlab). Pure and blocking: the worker
runs it in a thread. Money and rates are Decimals: JSON and CSV write them as decimal strings, XLSX as
numbers with two places."""

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from libs.spreadsheet import inert, xml_safe
from services.report.document import Document, Table, Value
from services.report.models import ReportFormat


@dataclass(frozen=True)
class RenderedFile:
    content: bytes
    content_type: str
    extension: str


CONTENT_TYPES = {
    ReportFormat.JSON: ("application/json", "json"),
    ReportFormat.CSV: ("text/csv; charset=utf-8", "csv"),
    ReportFormat.XLSX: ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ReportFormat.PDF: ("application/pdf", "pdf"),
}
SUMMARY_COLUMNS = ("metric", "value")


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _json_value(value: Value) -> str | int | None:
    return value if value is None or isinstance(value, int) else _text(value)


def to_json(document: Document) -> bytes:
    body = {
        "type": document.type, "title": document.title, "since": _text(document.since),
        "until": _text(document.until), "generatedAt": _text(document.generated_at),
        "summary": {name: _json_value(value) for name, value in document.summary.items()},
        "tables": {table.name: [{column: _json_value(value) for column, value in zip(table.columns, row, strict=True)}
                                for row in table.rows] for table in document.tables},
    }
    return json.dumps(body, indent=2).encode()


def _sections(document: Document) -> list[Table]:
    summary = Table("summary", "Summary", SUMMARY_COLUMNS, list(document.summary.items()))
    return [summary, *document.tables]


def to_csv(document: Document) -> bytes:
    """One section per table: a row with its name, its header row, its rows, then an empty row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["report", document.type, "since", _text(document.since), "until", _text(document.until)])
    writer.writerow([])
    for table in _sections(document):
        writer.writerow([table.name])
        writer.writerow(table.columns)
        writer.writerows([inert(value) if isinstance(value, str) else _text(value) for value in row]
                         for row in table.rows)
        writer.writerow([])
    return out.getvalue().encode()


def _cell(value: Value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: the values are UTC
    if isinstance(value, str):  # a product name or a path is the client's text
        return xml_safe(inert(value))
    return value


def to_xlsx(document: Document) -> bytes:
    """A Summary sheet, then a sheet per table with its header row frozen."""
    book = Workbook()
    book.remove(book.active)
    for table in _sections(document):
        sheet = book.create_sheet(table.name[:31])
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append([_cell(value) for value in row])
        sheet.freeze_panes = "A2"
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "0.00"
                elif isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        for index, column in enumerate(table.columns, start=1):
            width = max([len(column), *(len(_text(row[index - 1])) for row in table.rows[:200])])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(60, width + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PDF_CELL_MAX = 60  # characters: cells do not wrap, a long action or name is cut


def _pdf_text(value: Value) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    text = _text(value)
    return text if len(text) <= PDF_CELL_MAX else text[:PDF_CELL_MAX - 3] + "..."


def _pdf_table(table: Table, width: float) -> PdfTable:
    data = [list(table.columns), *([_pdf_text(value) for value in row] for row in table.rows)]
    if not table.rows:
        data.append(["(none)", *[""] * (len(table.columns) - 1)])
    # Each column as wide as its longest text (of the first rows), shared out over the page's width.
    weights = [max(6, *(len(row[i]) for row in data[:200])) for i in range(len(table.columns))]
    pdf = PdfTable(data, repeatRows=1, colWidths=[width * w / sum(weights) for w in weights])
    pdf.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE3EA")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return pdf


def to_pdf(document: Document) -> bytes:
    out = io.BytesIO()
    page = landscape(A4)
    pdf = SimpleDocTemplate(out, pagesize=page, title=document.title, author="Depot",
                            leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm)
    styles = getSampleStyleSheet()
    period = f"{_pdf_text(document.since)} to {_pdf_text(document.until)}" if document.since else \
        f"as of {_pdf_text(document.until)}"
    story = [Paragraph(document.title, styles["Title"]),
             Paragraph(f"{period} UTC; generated {_pdf_text(document.generated_at)}", styles["Normal"]),
             Spacer(1, 6 * mm)]
    for table in _sections(document):
        story += [Paragraph(table.title, styles["Heading2"]), _pdf_table(table, pdf.width), Spacer(1, 6 * mm)]
    pdf.build(story)
    return out.getvalue()


WRITERS = {ReportFormat.JSON: to_json, ReportFormat.CSV: to_csv, ReportFormat.XLSX: to_xlsx,
           ReportFormat.PDF: to_pdf}


def render(document: Document, report_format: ReportFormat | str) -> RenderedFile:
    content_type, extension = CONTENT_TYPES[report_format]
    return RenderedFile(WRITERS[report_format](document), content_type, extension)
