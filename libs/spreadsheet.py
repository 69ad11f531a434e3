"""Text of the clients' making in files that people open in spreadsheets (CSV, XLSX)."""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """`text` as a cell a spreadsheet shows rather than runs: a leading formula character is quoted
    (OWASP "CSV injection")."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def xml_safe(text: str) -> str:
    """`text` as XLSX (XML 1.0) can hold it: each control character it has no form for becomes U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
