"""Tables of a plan, written into its text one row per line so every cell keeps its headers.

A table read from a PDF, a DOCX or a web page becomes a `Table` (caption, header, rows). In the
plan text each data row is one line that starts with `ROW_MARK` and repeats the headers:

    【表：山东省“十四五”应对气候变化主要指标】（二）能源领域｜4.非化石能源消费比重（%）｜2020年：7.6｜2025年：13左右｜指标属性：预期性

so a passage cut anywhere still says what each number is, citations point at the row as written,
and `rag.targets` reads a quantified cell as a target (indicator from the row labels, year from
the column header, unit from a header such as "（万千瓦）"). `parse_row` reads such a line back;
this module is the one place that knows the format.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ROW_MARK = "【表"  # "【表】" or "【表：caption】"
CELL = "｜"
HEADED = "："  # "header：value"

# a cell that is only a number with optional qualifiers: "13左右", "≥85", "[7791]", "9.5*", "60以下"
_NUMERIC = re.compile(r"^[\[［(（]?[≥≤<>]?\s*[-+−]?\d+(?:\.\d+)?\s*%?[\]］)）]?\*?(?:以上|以下|左右|以内)?$")


@dataclass(frozen=True)
class Table:
    """A table as read: header cells, data rows (same width), where it stood."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    page: int | None = None  # 1-based page of a paged source
    label_columns: int = 1  # leading columns that name the row (类别, 指标) rather than give values

    def to_dict(self) -> dict:
        return {"caption": self.caption, "page": self.page, "header": list(self.header), "rows": [list(r) for r in self.rows]}


@dataclass(frozen=True)
class Row:
    """One table row read back from its line: what it is about and its headed values."""

    caption: str
    labels: tuple[str, ...]  # group and row labels, outermost first
    cells: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (column header, value)


def clean_cell(text: str | None) -> str:
    """A cell's text as one line: wrapped lines re-joined with nothing inserted; a formula's
    subscript that the layout put on a line of its own ("CO 排放下 / 2 / 降") goes back after it."""
    lines = [line.strip() for line in (text or "").splitlines()]
    out: list[str] = []
    for line in lines:
        if not line:
            continue
        if out and re.fullmatch(r"[.．、]", out[-1]) and re.match(r"\d{1,2}\s", line):
            number, rest = line.split(None, 1)
            out[-1] = number + out[-1] + rest  # a row number laid out as "．" above "1 单位…"
            continue
        if re.fullmatch(r"\d", line) and out and re.search(r"[A-Z][A-Za-z]? (?=\S)", out[-1]):
            out[-1] = re.sub(r"([A-Z][A-Za-z]?) (?=\S)", lambda m: m.group(1) + line, out[-1], count=1)
            continue
        out.append(line)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def is_value(text: str) -> bool:
    return bool(_NUMERIC.match(text.replace(" ", "")))


def make_table(grid: list[list[str | None]], caption: str = "", page: int | None = None) -> Table | None:
    """A `Table` from a grid of cells (None where a merged cell continues), or None when the grid
    is not a table of values: fewer than two rows or columns, or a single framed box of text."""
    cells = [[clean_cell(c) if c is not None else None for c in row] for row in grid if any(c for c in row)]
    if len(cells) < 2:
        return None
    width = max(len(r) for r in cells)
    cells = [r + [None] * (width - len(r)) for r in cells]
    if width < 2:
        return None
    header = [c or "" for c in cells[0]]
    body = cells[1:]
    # merged cells: a label column continues downwards, a header continues to the right
    for j in range(1, width):
        if not header[j] and header[j - 1]:
            header[j] = header[j - 1]
    labels = _label_columns(header, body)
    filled: list[tuple[str, ...]] = []
    above: list[str | None] = [None] * width
    for row in body:
        row = list(row)
        for j in range(labels):
            if row[j] is None and above[j] is not None and any(row[labels:]):
                row[j] = above[j]
        above = row
        filled.append(tuple(c or "" for c in row))
    if not any(is_value(c) for row in filled for c in row[labels:]) and labels >= width - 1 and width < 3:
        return None  # a framed paragraph, not a table
    if len({h for h in header if h}) < 2 or not any(len({c for c in row if c}) >= 2 for row in filled):
        return None  # a framed notice or box of text: one heading across, one cell a row
    return Table(tuple(header), tuple(filled), caption, page, labels)


def _label_columns(header: list[str], body: list[list[str | None]]) -> int:
    """How many leading columns name the row: those before the first column whose header is a
    year or whose cells are mostly values. Row numbers (1, 2, 3 … down a 序号 column) name rows."""
    for j, name in enumerate(header):
        if j == 0:
            continue
        if re.search(r"20\d{2}|19\d{2}", name):
            return j
        column = [row[j] for row in body if row[j]]
        if _row_numbers(column):
            continue
        if column and sum(is_value(c) for c in column) >= len(column) / 2:
            return j
    return 1


def _row_numbers(column: list[str]) -> bool:
    """Cells counting the rows: whole numbers, each one more than the one above."""
    if len(column) < 2 or not all(re.fullmatch(r"\d{1,3}", c) for c in column):
        return False
    numbers = [int(c) for c in column]
    return all(b == a + 1 for a, b in zip(numbers, numbers[1:]))


def table_lines(table: Table) -> list[str]:
    """The table as text: one line per data row (see the module docstring); a group row (only
    its first cell filled: "（二）能源领域") labels the rows after it instead of being a line."""
    lines = []
    group = ""
    for row in table.rows:
        filled = [c for c in row if c]
        if len(filled) == 1 and row[0] and table.label_columns < len(row):
            group = row[0]
            continue
        labels = [c for c in row[: table.label_columns] if c]
        labels = ([group] if group and group not in labels else []) + labels
        values = [f"{h}{HEADED}{v}" if h else v for h, v in zip(table.header[table.label_columns :], row[table.label_columns :]) if v]
        if not values:
            continue
        caption = f"{HEADED}{_flat(table.caption)}" if table.caption else ""
        lines.append(f"{ROW_MARK}{caption}】" + CELL.join(_flat(x) for x in labels + values))
    return lines


def _flat(cell: str) -> str:
    return cell.replace(CELL, "|").replace("】", "]").replace("\n", "")


def parse_row(line: str) -> Row | None:
    """A row line read back, or None for any other line."""
    head = re.match(f"{ROW_MARK}(?:{HEADED}([^】]*))?】", line)
    if not head:
        return None
    parts = line[head.end() :].rstrip("\n").split(CELL)
    labels, cells = [], []
    for part in parts:
        header, sep, value = part.partition(HEADED)
        if sep and value and not cells_only_label(header):
            cells.append((header, value))
        elif not cells:
            labels.append(part)
        else:
            cells.append(("", part))
    return Row(head.group(1) or "", tuple(labels), tuple(cells))


def cells_only_label(header: str) -> bool:
    """A "：" inside a label ("注：…") is not a header separator: headers are short."""
    return len(header) > 16
