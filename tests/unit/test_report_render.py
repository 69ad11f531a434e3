"""services.report.render on its own: text the clients wrote, as CSV and XLSX."""

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from services.report.document import Document, Table
from services.report.render import to_csv, to_xlsx


def test_control_characters_in_text_are_replaced_in_xlsx() -> None:
    # A product named "A\x1bB" (POST /api/products took it; it is a 400 now, yet names stored before stay)
    # made every SALES report in XLSX that sold it FAILED: openpyxl raised IllegalCharacterError.
    now = datetime(2026, 11, 26, tzinfo=UTC)
    table = Table("topProducts", "Top products", ("name", "quantity"), [("A\x1bB\x07", 1), ("tab\tand\nline", 2)])
    document = Document("SALES", "Sales", since=now, until=now, generated_at=now, tables=[table])

    sheet = load_workbook(io.BytesIO(to_xlsx(document)))["topProducts"]

    assert list(sheet.values)[1:] == [("A\ufffdB\ufffd", 1), ("tab\tand\nline", 2)]


def test_text_a_spreadsheet_would_run_is_quoted_in_csv_and_xlsx() -> None:
    # A product or an actor's text starting with = + - @ is a formula to Excel (OWASP "CSV injection").
    now = datetime(2026, 11, 26, tzinfo=UTC)
    table = Table("topProducts", "Top products", ("name", "quantity"), [("=HYPERLINK(\"x\")", 1), ("Plain", -2)])
    document = Document("SALES", "Sales", since=now, until=now, generated_at=now, tables=[table])

    rows = list(csv.reader(io.StringIO(to_csv(document).decode())))
    sheet = load_workbook(io.BytesIO(to_xlsx(document)))["topProducts"]

    assert ["'=HYPERLINK(\"x\")", "1"] in rows and ["Plain", "-2"] in rows  # numbers stay numbers
    assert list(sheet.values)[1:] == [("'=HYPERLINK(\"x\")", 1), ("Plain", -2)]
