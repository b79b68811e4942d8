"""Spreadsheets the product writes (CSV and XLSX), safe to open.

A plan's sentence is copied into a cell verbatim, and a plan is text someone else wrote: a cell
starting with `=`, `+`, `-` or `@` (or a tab or carriage return before one) is a formula to Excel,
LibreOffice and Google Sheets ("CSV injection", OWASP). Every text cell goes through `safe_cell`:
such a cell gets a leading apostrophe, the mark spreadsheets themselves use for "text, not a
formula", so it is shown as written and never run. Numbers stay numbers, and so does text that is
only a number ("-5", "+1.5"). In XLSX every text cell is also stored with the string type, which no
spreadsheet evaluates.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def safe_cell(value):
    """`value` as a spreadsheet may show it without running it (see the module's docstring)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START) or PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def write_csv(stream, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Header and rows to an open text stream, every cell made safe."""
    import csv

    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)


def write_csv_file(path: Path, header: Sequence[str], rows: Iterable[Sequence]) -> Path:
    """The same, to a file in UTF-8 with a BOM (so Excel reads the Chinese), written atomically."""
    path = Path(path)
    tmp = _part(path)
    with open(tmp, "w", encoding="utf-8-sig", newline="") as out:
        write_csv(out, header, rows)
    tmp.replace(path)
    return path


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence], sheet_title: str,
               widths: Sequence[float] = ()) -> Path:
    """Header and rows as one workbook sheet (header frozen), every text cell a safe string cell;
    written atomically."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    path = Path(path)
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    for row in [header, *rows]:
        sheet.append([safe_cell(cell) for cell in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl types any text starting with "=" as a formula
    sheet.freeze_panes = "A2"
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    tmp = _part(path)
    book.save(tmp)
    tmp.replace(path)
    return path


def _part(path: Path) -> Path:
    """A private temporary name beside `path`, so concurrent writers never share a half-written file."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
