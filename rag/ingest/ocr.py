"""Read a page that has no text layer: render it (pdfium) and recognise it (RapidOCR).

rapidocr-onnxruntime ships its Chinese PP-OCR models inside the wheel, so this works offline.
Recognised boxes become lines with positions like a text layer's, so the same layout rules
join paragraphs. A grid of boxes — a header row of three or more cells and rows of cells under
it, aligned by column — is read back as a table (a scanned target table).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import lru_cache

from ..sections import heading_of
from ..tables import Table, is_value, make_table, table_lines
from .document import Line

SCALE = 2.0  # render at 144 dpi: small print stays legible, a page takes ~10 s on one core
# at most this many pixels a page (an A3 page at 144 dpi is 4 million): a page declared poster-sized is
# rendered smaller rather than into gigabytes
MAX_PIXELS = 8_000_000


@dataclass
class Box:
    text: str
    left: float
    right: float
    top: float
    bottom: float

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@lru_cache(maxsize=1)
def _engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def ocr_page(page, number: int) -> tuple[list[Line], list[Table]]:
    """The page's lines (in points, like a text layer's) and the tables among them."""
    width, height = page.get_size()
    scale = min(SCALE, (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
    image = page.render(scale=scale).to_numpy()
    found, _ = _engine()(image)
    boxes = [Box(text.strip(), min(p[0] for p in quad) / scale, max(p[0] for p in quad) / scale,
                 min(p[1] for p in quad) / scale, max(p[1] for p in quad) / scale)
             for quad, text, _score in (found or []) if text.strip()]
    return boxes_to_lines(boxes, number)


def boxes_to_lines(boxes: list[Box], number: int) -> tuple[list[Line], list[Table]]:
    rows = _visual_lines(boxes)
    tables: list[Table] = []
    lines: list[Line] = []
    i = 0
    while i < len(rows):
        end = _table_end(rows, i)
        if end > i:
            caption = _text(rows[i - 1]) if i and len(_cells(rows[i - 1])) == 1 and len(_text(rows[i - 1])) <= 40 else ""
            table = _read_grid(rows[i:end], caption, number)
            if table is not None:
                tables.append(table)
                top = min(b.top for b in rows[i])
                size = statistics.median(b.height for row in rows[i:end] for b in row)
                left = min(b.left for row in rows[i:end] for b in row)
                right = max(b.right for row in rows[i:end] for b in row)
                lines += [Line(text, left, right, top + k * 0.01, top + k * 0.01, size, number, table=True)
                          for k, text in enumerate(table_lines(table))]
                i = end
                continue
        row = rows[i]
        lines.append(Line(_text(row), min(b.left for b in row), max(b.right for b in row), min(b.top for b in row),
                          max(b.bottom for b in row), statistics.median(b.height for b in row), number))
        i += 1
    return lines, tables


def _visual_lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into lines: a box joins the line whose middle it shares, left to right."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b.middle):
        row = rows[-1] if rows else None
        if row and abs(box.middle - statistics.mean(b.middle for b in row)) < 0.5 * max(box.height, row[0].height):
            row.append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b.left) for row in rows]


def _text(row: list[Box]) -> str:
    return "".join(b.text for b in row)


def _cells(row: list[Box]) -> list[Box]:
    """Neighbouring boxes closer than a character's height are one cell ("指" "标" -> "指标")."""
    cells: list[Box] = []
    for box in row:
        last = cells[-1] if cells else None
        if last and box.left - last.right < 0.35 * max(box.height, last.height):
            cells[-1] = Box(last.text + box.text, last.left, box.right, min(last.top, box.top), max(last.bottom, box.bottom))
        else:
            cells.append(Box(box.text, box.left, box.right, box.top, box.bottom))
    return cells


def _table_end(rows: list[list[Box]], start: int) -> int:
    """Where a table that starts at `start` (a header of 3+ cells) ends; `start` when none starts there.
    The table goes on while lines have 2+ cells, or one short cell (a wrapped label) between such lines."""
    if len(_cells(rows[start])) < 3:
        return start
    header = _cells(rows[start])
    first_column_end = header[1].left  # a wrapped label stays left of the second column
    end, multi = start + 1, 0
    while end < len(rows):
        cells = _cells(rows[end])
        if len(cells) >= 2:
            multi += 1
        elif cells and cells[0].right > first_column_end + cells[0].height:
            break  # a line running across the columns: a paragraph under the table
        end += 1
    while end > start + 1 and len(_cells(rows[end - 1])) < 2:
        end -= 1  # a trailing line of one cell is a note, not a row
    return end if multi >= 2 else start


def _read_grid(rows: list[list[Box]], caption: str, number: int) -> Table | None:
    """Cells assigned to the header's columns by horizontal overlap; rows anchored on the value
    cells (a row's label may wrap above and below its values)."""
    header = _cells(rows[0])
    bounds = [(h.left, h.right) for h in header]

    def column(cell: Box) -> int:
        overlap = [max(0.0, min(cell.right, r) - max(cell.left, l)) for l, r in bounds]
        if max(overlap) > 0:
            return overlap.index(max(overlap))
        middle = (cell.left + cell.right) / 2
        return min(range(len(bounds)), key=lambda j: abs((bounds[j][0] + bounds[j][1]) / 2 - middle))

    placed = [(column(cell), cell) for row in rows[1:] for cell in _cells(row)]
    labels = next((j for j in range(1, len(header)) if sum(is_value(c.text) for k, c in placed if k == j) >= 2), 1)
    anchors: list[float] = []
    for k, cell in sorted(((k, c) for k, c in placed if k >= labels), key=lambda kc: kc[1].middle):
        if not anchors or cell.middle - anchors[-1] > 0.6 * cell.height:
            anchors.append(cell.middle)
    if len(anchors) < 2:
        return None
    # a group row ("（二）能源领域") has a heading in the label column and no values: a row of its own
    groups = [cell for k, cell in placed if k < labels and heading_of(cell.text) and heading_of(cell.text)[0] <= 4
              and min(abs(a - cell.middle) for a in anchors) > 0.3 * cell.height]
    anchors = sorted(anchors + [g.middle for g in groups])
    grid: list[list[list[Box]]] = [[[] for _ in header] for _ in anchors]
    for k, cell in placed:
        r = min(range(len(anchors)), key=lambda i: abs(anchors[i] - cell.middle))
        grid[r][k].append(cell)
    cells = [[h.text for h in header]] + [["".join(b.text for b in sorted(col, key=lambda b: (round(b.middle), b.left))) or None
                                             for col in row] for row in grid]
    return make_table(cells, caption, number)
