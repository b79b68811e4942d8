"""A saved web page's visible text, one block per line, with its data tables as row lines.

Scripts, styles and navigation are dropped. A `<table>` whose cells hold short texts and values
is a data table: it is read as cells (rowspan and colspan followed) and written as row lines
(`rag.tables`) where it stands; any other table (one used for page layout) is read as blocks.
"""
from __future__ import annotations

import html
from html.parser import HTMLParser

from ..tables import Table, make_table, table_lines


class _Grid:
    """The cells of one `<table>` as they arrive."""

    def __init__(self) -> None:
        self.rows: list[list[tuple[str, int, int]]] = []  # (text, rowspan, colspan)
        self.cell: list[str] | None = None
        self.span = (1, 1)
        self.nested = False

    def grid(self) -> list[list[str | None]]:
        """Cells placed on a grid; a spanned cell's continuation positions hold None."""
        placed: dict[tuple[int, int], str | None] = {}
        for r, row in enumerate(self.rows):
            c = 0
            for text, rowspan, colspan in row:
                while (r, c) in placed:
                    c += 1
                for dr in range(rowspan):
                    for dc in range(colspan):
                        placed[(r + dr, c + dc)] = text if dr == dc == 0 else None
                c += colspan
        if not placed:
            return []
        height = max(r for r, _ in placed) + 1
        width = max(c for _, c in placed) + 1
        return [[placed.get((r, c)) for c in range(width)] for r in range(height)]

    def texts(self) -> list[str]:
        return [text for row in self.rows for text, _, _ in row if text.strip()]


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"}
    SKIP = {"script", "style", "nav", "header", "footer", "form", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.tables: list[_Grid] = []
        self.found: list[Table] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
            return
        if self.skipping:
            return
        grid = self.tables[-1] if self.tables else None
        if tag == "table":
            if grid:
                grid.nested = True
            self.tables.append(_Grid())
        elif grid and tag == "tr":
            grid.rows.append([])
        elif grid and tag in ("td", "th"):
            values = dict(attrs)
            grid.cell = []
            grid.span = (_span(values.get("rowspan")), _span(values.get("colspan")))
        elif grid and grid.cell is not None and tag in self.BLOCKS:
            grid.cell.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
            return
        if self.skipping:
            return
        grid = self.tables[-1] if self.tables else None
        if grid and tag in ("td", "th") and grid.cell is not None:
            if not grid.rows:
                grid.rows.append([])
            grid.rows[-1].append(("".join(grid.cell).strip(), *grid.span))
            grid.cell = None
        elif grid and tag == "table":
            self.tables.pop()
            self._close(grid)
        elif tag in self.BLOCKS and not (grid and grid.cell is not None):
            self.parts.append("\n")

    def handle_data(self, data):
        if self.skipping:
            return
        grid = self.tables[-1] if self.tables else None
        if grid and grid.cell is not None:
            grid.cell.append(data)
        elif not grid:
            self.parts.append(data)

    def _close(self, grid: _Grid) -> None:
        """A data table becomes row lines; a layout table gives its cells back as blocks."""
        outer = self.tables[-1] if self.tables else None
        texts = grid.texts()
        data = not grid.nested and texts and max(len(t) for t in texts) <= 80
        table = make_table(grid.grid()) if data else None
        if table is not None:
            lines = table_lines(table)
            self.found.append(table)
        else:
            lines = texts
        block = "\n" + "\n".join(lines) + "\n"
        if outer and outer.cell is not None:
            outer.nested = True
            outer.cell.append(block)
        else:
            self.parts.append(block)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 50))
    except ValueError:
        return 1


def html_to_text(page: str) -> tuple[str, list[Table]]:
    """Visible text of an HTML page, one block per line, and the data tables found in it."""
    parser = _TextExtractor()
    parser.feed(page)
    parser.close()
    while parser.tables:  # a table never closed: what was read of it still counts
        parser._close(parser.tables.pop())
    return html.unescape("".join(parser.parts)), parser.found
