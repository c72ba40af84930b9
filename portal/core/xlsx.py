"""Excel exports (write-only openpyxl workbooks): cells that are never formulas, sheets with a bold
heading row frozen in place, and the download headers."""
from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)


def cell(sheet: WriteOnlyWorksheet, value: Any, *, bold: bool = False, font: Font | None = None,
         float_format: str | None = None) -> WriteOnlyCell:
    made = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        made.data_type = "s"  # text starting with "=" stays text, never a formula
    elif isinstance(value, date):
        made.number_format = "yyyy-mm-dd"
    elif isinstance(value, float) and float_format:
        made.number_format = float_format
    if bold:
        made.font = BOLD
    elif font is not None:
        made.font = font
    return made


def sheet_with_headings(workbook: Workbook, title: str, headings: Sequence[str], widths: Sequence[float], *,
                        freeze: str = "A2") -> WriteOnlyWorksheet:
    """A new sheet whose first row is the bold headings, kept in view while scrolling (`freeze` is the
    first cell that scrolls: "B2" keeps the first column in view too); widths in characters."""
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = freeze
    sheet.append([cell(sheet, heading, bold=True) for heading in headings])
    return sheet


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def content_disposition(filename: str, ascii_fallback: str) -> str:
    """An attachment header with the UTF-8 name (RFC 5987) and a plain-ASCII one for old clients."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
