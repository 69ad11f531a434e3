"""services.report.render on its own: text the clients wrote, as XLSX."""

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from services.report.document import Document, Table
from services.report.render import to_xlsx


def test_control_characters_in_text_are_replaced_in_xlsx() -> None:
    # A product named "A\x1bB" (POST /api/products takes it) made every SALES report in XLSX that sold it
    # FAILED: openpyxl raised IllegalCharacterError.
    now = datetime(2026, 11, 26, tzinfo=UTC)
    table = Table("topProducts", "Top products", ("name", "quantity"), [("A\x1bB\x07", 1), ("tab\tand\nline", 2)])
    document = Document("SALES", "Sales", since=now, until=now, generated_at=now, tables=[table])

    sheet = load_workbook(io.BytesIO(to_xlsx(document)))["topProducts"]

    assert list(sheet.values)[1:] == [("A\ufffdB\ufffd", 1), ("tab\tand\nline", 2)]
