"""A saved web page's main text, one block per line, with its data tables as row lines.

Two readers work together:

- this module's parser reads every visible block of the page in order (scripts and styles
  dropped, whatever wraps the text: an ASP.NET `<form>`, an unclosed `<nav>`, `<article>`, tables
  used for layout). A `<table>` whose cells hold short texts and values is a data table: it is read
  as cells (rowspan and colspan followed) and written as row lines (`rag.tables`) where it stands;
  any other table (one used for page layout) is read as blocks;
- trafilatura (maintained, offline) decides which of those blocks are the page's main text:
  navigation, breadcrumbs, sidebars ("相关文章"), footers and share bars are left out. A block is
  kept when trafilatura's main text has it; a data table when most of its cells are there.

Lists of links (three or more blocks in a row that are nothing but a link) are dropped in any case.
When trafilatura finds no main text, or fails, the page's own blocks are used (the fallback).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ..tables import Table, make_table, table_lines

log = logging.getLogger(__name__)

SPACE = re.compile(r"\s+")
# trafilatura takes a table that lays out the page for content, menus and sidebar included: it is shown
# the page with every table turned into plain blocks (this module reads the tables themselves)
TABLE_TAGS = re.compile(r"<(/?)(?:table|tbody|thead|tfoot|tr|td|th)\b", re.I)
SHORT = 8  # a block this short is kept only where trafilatura's main text goes on with it, or has it as a block
SLACK = 50  # characters of main text a short block may come after the block before it


@dataclass
class _Block:
    """One line of the page as read: its text, how much of it is link text, and the table it comes from."""

    text: str
    link_chars: int = 0
    table: Table | None = None
    boilerplate: bool = False  # inside <nav>, <header>, <footer> or <aside> (to the end, when one is never closed)
    title: bool = False  # the page's <title> or <h1>: it names the document, wherever it stands


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


class _PageReader(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "dd", "dt",
              "blockquote", "pre", "ul", "ol", "header", "footer", "nav", "aside", "main", "form", "center", "hr"}
    SKIP = {"script", "style", "noscript", "template", "select", "button", "textarea"}
    BOILERPLATE = {"nav", "header", "footer", "aside"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.current: list[str] = []
        self.link_chars = 0
        self.in_link = 0
        self.skipping: list[str] = []
        self.tables: list[_Grid] = []
        self.boilerplate = 0
        self.title = False
        self.held: dict[str, Table] = {}  # placeholder line -> a data table read inside another table's cell

    # ------------------------------------------------ blocks

    def _end_block(self) -> None:
        text = "".join(self.current)
        if text.strip():
            self.blocks.append(_Block(text, self.link_chars, boilerplate=self.boilerplate > 0, title=self.title))
        self.current, self.link_chars = [], 0

    def handle_starttag(self, tag, attrs):
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.append(tag)
            return
        if tag in self.SKIP:
            self.skipping.append(tag)
            return
        grid = self.tables[-1] if self.tables else None
        if tag in self.BOILERPLATE:
            self.boilerplate += 1
        if tag in ("title", "h1") and not grid:
            self._end_block()
            self.title = True
        if tag == "a":
            self.in_link += 1
        elif tag == "table":
            if grid:
                grid.nested = True
            if not grid:
                self._end_block()
            self.tables.append(_Grid())
        elif grid and tag == "tr":
            self._close_cell(grid)
            grid.rows.append([])
        elif grid and tag in ("td", "th"):
            self._close_cell(grid)
            values = dict(attrs)
            grid.cell = []
            grid.span = (_span(values.get("rowspan")), _span(values.get("colspan")))
        elif grid and grid.cell is not None and tag in self.BLOCKS:
            grid.cell.append("\n")
        elif not grid and tag in self.BLOCKS:
            self._end_block()
        if tag in self.BLOCKS:
            self.in_link = 0  # an <a> left open ends with its block

    def handle_endtag(self, tag):
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        grid = self.tables[-1] if self.tables else None
        if tag in self.BOILERPLATE:
            self.boilerplate = max(0, self.boilerplate - 1)
        if tag in ("title", "h1") and not grid:
            self._end_block()
            self.title = False
        if tag == "a":
            self.in_link = max(0, self.in_link - 1)
        elif grid and tag in ("td", "th"):
            self._close_cell(grid)
        elif grid and tag == "table":
            self._close_cell(grid)
            self.tables.pop()
            self._close_table(grid)
        elif not grid and tag in self.BLOCKS:
            self._end_block()

    def handle_data(self, data):
        if self.skipping:
            return
        grid = self.tables[-1] if self.tables else None
        if grid:
            if grid.cell is not None:
                grid.cell.append(data)
            return
        self.current.append(data)
        if self.in_link:
            self.link_chars += len(data.strip())

    # ------------------------------------------------ tables

    @staticmethod
    def _close_cell(grid: _Grid) -> None:
        if grid.cell is not None:
            if not grid.rows:
                grid.rows.append([])
            grid.rows[-1].append(("".join(grid.cell).strip(), *grid.span))
            grid.cell = None

    def _close_table(self, grid: _Grid) -> None:
        """A data table becomes row lines; a layout table gives its cells back as blocks. A table inside
        another's cell stands in that cell as a placeholder line until the outer table is placed."""
        outer = self.tables[-1] if self.tables else None
        texts = grid.texts()
        data = not grid.nested and texts and max(len(t) for t in texts) <= 80
        table = make_table(grid.grid()) if data else None
        if outer is not None:
            outer.nested = True
            if outer.cell is not None:
                held = [self._hold(table)] if table is not None else texts
                outer.cell.append("\n" + "\n".join(held) + "\n")
            return
        if table is not None:
            self._add_table(table)
            return
        for text in texts:
            for line in text.splitlines():
                if line.strip() in self.held:
                    self._add_table(self.held[line.strip()])
                elif line.strip():
                    self.blocks.append(_Block(line, boilerplate=self.boilerplate > 0))

    def _hold(self, table: Table) -> str:
        token = f"\ue000{len(self.held)}\ue001"
        self.held[token] = table
        return token

    def _add_table(self, table: Table) -> None:
        self.blocks += [_Block(line, table=table, boilerplate=self.boilerplate > 0) for line in table_lines(table)]

    def finish(self) -> list[_Block]:
        self.close()
        while self.tables:  # a table never closed: what was read of it still counts
            grid = self.tables.pop()
            self._close_cell(grid)
            self._close_table(grid)
        self._end_block()
        return self.blocks


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 50))
    except ValueError:
        return 1


# ---------------------------------------------------------------- the main text


def _squash(text: str) -> str:
    return SPACE.sub("", text)


def main_units(page: str) -> set[str] | None:
    """The page's main text as trafilatura finds it: the text of each of its blocks (paragraphs,
    headings, list items, table cells, whole cells of layout tables), without spaces. None when
    trafilatura finds nothing or fails."""
    try:
        import trafilatura
        from lxml import etree

        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        found = trafilatura.extract(TABLE_TAGS.sub(r"<\1div", page), output_format="xml", include_tables=True, include_comments=False,
                                    include_links=False, include_images=False, favor_recall=True, deduplicate=False,
                                    with_metadata=False)
        if not found:
            return None
        tree = etree.fromstring(found.encode("utf-8"), etree.XMLParser(resolve_entities=False, huge_tree=False))
    except Exception:  # any page trafilatura cannot take: the fallback reads the page's own blocks
        log.debug("trafilatura failed", exc_info=True)
        return None
    units = {_squash("".join(element.itertext())) for element in tree.iter() if isinstance(element.tag, str)}
    units.discard("")
    return units or None


class _MainText:
    """trafilatura's main text, asked block by block in page order (a cursor keeps the search near-linear)."""

    def __init__(self, units: set[str]):
        self.units = units
        self.text = max(units, key=len)  # the whole main text is one unit (the document's)
        self.cursor = 0

    def has(self, block: _Block) -> bool:
        text = _squash(block.text)
        if len(text) <= SHORT:
            at = self.text.find(text, self.cursor, self.cursor + SLACK + len(text))
            if at >= 0:
                self.cursor = at + len(text)
            return at >= 0 or text in self.units
        at = self.text.find(text, self.cursor)
        if at < 0:
            at = self.text.find(text)
        if at >= 0:
            self.cursor = max(self.cursor, at + len(text))
        return at >= 0


def _table_in_main(table: Table, units: set[str]) -> bool:
    cells = [_squash(c) for row in (table.header, *table.rows) for c in row if c and _squash(c)]
    return bool(cells) and sum(c in units for c in cells) >= len(cells) / 2


def _drop_link_lists(blocks: list[_Block]) -> list[_Block]:
    """Blocks that are nothing but a link, three or more in a row, are a list of links (a menu, 相关文章)."""
    def is_link(block: _Block) -> bool:
        return block.table is None and block.link_chars >= 0.9 * len(block.text.strip())

    kept, run = [], []
    for block in blocks + [_Block("end")]:
        if is_link(block):
            run.append(block)
            continue
        if len(run) < 3:
            kept += run
        run = []
        kept.append(block)
    return kept[:-1]


def html_to_text(page: str) -> tuple[str, list[Table]]:
    """The main text of an HTML page, one block per line, and the data tables found in it."""
    reader = _PageReader()
    reader.feed(page)
    blocks = reader.finish()
    units = main_units(page)
    main: list[_Block] = []
    if units:
        found, tables, after_main = _MainText(units), {}, False
        for block in blocks:
            if block.table is None:
                after_main = block.title or found.has(block)
                if after_main:
                    main.append(block)
                continue
            if id(block.table) not in tables:  # a data table: its cells are main text, or it follows main text
                tables[id(block.table)] = _table_in_main(block.table, units) or after_main
            if tables[id(block.table)]:
                main.append(block)
    if sum(len(b.text.strip()) for b in main) < 20:  # the fallback: the page's own blocks, less its furniture
        main = [b for b in blocks if not b.boilerplate]
        if sum(len(b.text.strip()) for b in main) < 20:
            main = blocks
    blocks = _drop_link_lists(main)
    found: list[Table] = []
    for block in blocks:
        if block.table is not None and all(block.table is not t for t in found):
            found.append(block.table)
    return "\n".join(b.text.strip() for b in blocks) + "\n", found
