"""A Word document's paragraphs and tables, in the order they stand (python-docx).

Tables are read as cells — a cell merged across columns or down rows is read once — and written
as row lines (`rag.tables`) where the table stands, so its text is cited under its own section.
"""
from __future__ import annotations

from pathlib import Path

from ..tables import Table, make_table, table_lines
from . import UnreadableFile


def read_docx(path: Path) -> tuple[str, list[Table]]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(f"DOCX 文件已损坏或不是 Word 文档（{exc.__class__.__name__}）") from None
    except Exception as exc:  # a zip that is not a docx raises from deep inside the XML layer
        raise UnreadableFile(f"DOCX 文件无法解析（{exc.__class__.__name__}）") from None
    lines: list[str] = []
    tables: list[Table] = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            table = make_table(_grid(block))
            if table is not None:
                tables.append(table)
                lines += table_lines(table)
            else:
                lines += [cell.text for row in block.rows for cell in _unique_cells(row)]
        else:
            lines.append(block.text)
    return "\n".join(lines) + "\n", tables


def _grid(table) -> list[list[str | None]]:
    """The table's cells on a grid: the continuation of a merged cell holds None."""
    grid: list[list[str | None]] = []
    above: list = []
    for row in table.rows:
        cells = list(row.cells)
        out: list[str | None] = []
        for j, cell in enumerate(cells):
            left = cells[j - 1]._tc if j else None
            up = above[j]._tc if j < len(above) else None
            out.append(None if cell._tc is left or cell._tc is up else cell.text)
        grid.append(out)
        above = cells
    return grid


def _unique_cells(row) -> list:
    seen, cells = set(), []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells
