"""A PDF's text as a careful clerk would copy it: every number kept, page furniture dropped,
wrapped lines re-joined, tables read as tables, pages without a text layer read by OCR.

- The text layer comes from pdfium (pypdfium2), which keeps a number set in its own text run on
  its line ("增量 40 亿元"), where pypdf returns it on a line of its own; every line carries its
  position on the page, and layout decisions are made from positions, not from guesses about text.
- Page furniture is what stands at a page's top or bottom edge and looks like it: a page mark
  ("— 2 —", "- 3 -", "第 3 页", a bare number that counts with the pages), or a line repeated at
  the edge of most pages (a running header). A number inside the body is body text.
- A line continues the paragraph above when the line above runs to the right margin and this
  one is not indented (Chinese paragraphs open indented), also across a page break.
- Ruled tables (pages whose drawing has table rules) are read by pdfplumber as cells, and stand in
  the text, where the table stood, as row lines (`rag.tables`).
- A page with no text layer is rendered and read by OCR (`rag.ingest.ocr`).
- Limits before work (`Limits`): what the file's compressed streams unpack to is counted with zlib,
  never more than the limit, before pdfium opens it (a 1 MB stream can unpack to 1 GB, which pdfium
  would hold twice over); then the page count; each page must be read within `page_seconds`.

Page breaks are kept in the text as `PAGE_BREAK` so later stages know every character's page.
"""
from __future__ import annotations

import logging
import re
import statistics
import time
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..tables import Table, make_table, table_lines
from .document import PAGE_BREAK, Limits, Line, UnreadableFile

SENTENCE_END = "。！？；：!?;:”）)》"
# page marks: "— 2 —", "- 3 -", "第 3 页", "第3页 共10页", "3/10", "·3·", a bare number
PAGE_MARK = re.compile(r"^\s*(?:[—－\-–·•]+\s*(\d{1,4})\s*[—－\-–·•]+|第\s*(\d{1,4})\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?|(\d{1,4})\s*/\s*\d{1,4}|(\d{1,4}))\s*$")


@dataclass
class PdfText:
    text: str  # with PAGE_BREAK before every page after the first
    pages: int
    ocr_pages: list[int] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_pdf(path: Path, limits: Limits, progress=None) -> PdfText:
    import pypdfium2 as pdfium

    check_streams(path, limits)
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UnreadableFile("PDF 设有打开密码，无法读取正文；请提供未加密的文件") from None
        raise UnreadableFile(f"PDF 文件已损坏或无法解析（{_reason(exc)}）") from None
    try:
        count = len(document)
        if count > limits.pdf_pages:
            raise UnreadableFile(f"PDF 共 {count} 页，超过上限 {limits.pdf_pages} 页（可用 RAG_MAX_PDF_PAGES 调整）")
        result = PdfText("", count)
        pages: list[list[Line]] = []
        tables = _TableReader(path)
        try:
            for number in range(1, count + 1):
                clock = PageClock(number, limits.page_seconds)
                try:
                    page = document[number - 1]
                except pdfium.PdfiumError:  # one damaged page: the others are still read
                    result.warnings.append(f"第 {number} 页已损坏，无法读取，已略过")
                    pages.append([])
                    continue
                try:
                    lines = _text_lines(page, number, clock)
                    if _needs_ocr(page, lines):
                        if len(result.ocr_pages) >= limits.ocr_pages:
                            result.warnings.append(f"第 {number} 页没有文字层；OCR 页数已达上限 {limits.ocr_pages}（RAG_MAX_OCR_PAGES），未识别")
                        else:
                            from .ocr import ocr_page

                            lines, found = ocr_page(page, number)
                            result.ocr_pages.append(number)
                            result.tables += found
                    elif _has_rules(page, clock):
                        lines, found = tables.replace_tables(number, lines)
                        result.tables += found
                    clock.check()
                    pages.append(lines)
                finally:
                    page.close()
                if progress:
                    progress(number, count, bool(result.ocr_pages and result.ocr_pages[-1] == number))
        finally:
            tables.close()
    finally:
        document.close()
    result.text = join_pages(pages)
    if not result.text.replace(PAGE_BREAK, "").strip():
        if len(result.ocr_pages) >= limits.ocr_pages and result.warnings:
            raise UnreadableFile(f"PDF 没有文字层，需要 OCR 的页数超过上限 {limits.ocr_pages} 页（可用 RAG_MAX_OCR_PAGES 调整）")
        raise UnreadableFile("PDF 没有可读的文字（没有文字层，OCR 也未识别出文字）")
    return result


class PageClock:
    """The time one page may take (`Limits.page_seconds`); `check` stops the file once it is spent."""

    def __init__(self, number: int, seconds: float):
        self.number, self.seconds = number, seconds
        self.until = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise UnreadableFile(f"PDF 第 {self.number} 页读取超过 {self.seconds:g} 秒（每页上限，可用 RAG_PDF_PAGE_SECONDS 调整）")


STREAM = re.compile(rb"(?<!end)stream\r?\n")
INFLATE_STEP = 1 << 20  # bytes of output per zlib call while counting


def check_streams(path: Path, limits: Limits) -> None:
    """Refuse a PDF whose compressed streams unpack to more than `limits.unpacked_bytes`.

    Every FlateDecode stream is inflated into nothing, in steps, and counted; counting stops at the
    limit, so a bomb costs a few megabytes and well under a second. Page text, fonts and object
    streams count together; an image counts alone (a scan's pages are rendered one at a time)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        from ..errors import os_reason

        raise UnreadableFile(f"无法读取文件（{os_reason(exc)}）") from None
    total = 0
    for match in STREAM.finditer(data):
        head = data[max(0, match.start() - 2000) : match.start()]
        image = re.search(rb"/Subtype\s*/Image", head[head.rfind(b"obj") + 1 :]) is not None
        budget = limits.unpacked_bytes - (0 if image else total)
        size = _inflated_size(data, match.end(), budget)
        if size > budget:
            what = "其中一幅图像" if image else "各数据流"
            raise UnreadableFile(f"PDF {what}解压后超过 {limits.unpacked_bytes / 1e6:.0f} MB 上限（可用 RAG_MAX_UNPACKED_MB 调整）")
        if not image:
            total += size


def _inflated_size(data: bytes, start: int, budget: int) -> int:
    """What the deflate stream at `start` unpacks to, counted up to just over `budget` (0: not deflate)."""
    inflater = zlib.decompressobj()
    size, position = 0, start
    try:
        while position < len(data) and not inflater.eof and size <= budget:
            size += len(inflater.decompress(data[position : position + 65536], INFLATE_STEP))
            position += 65536
            while inflater.unconsumed_tail and not inflater.eof and size <= budget:
                size += len(inflater.decompress(inflater.unconsumed_tail, INFLATE_STEP))
    except zlib.error:
        pass  # not (or no longer) deflate data: what was unpacked so far counts
    return size


def _reason(exc: Exception) -> str:
    return str(exc).split("(")[0].strip() or exc.__class__.__name__


# ---------------------------------------------------------------- lines from the text layer


def _text_lines(page, number: int, clock: PageClock | None = None) -> list[Line]:
    """The page's lines, each with the box around its characters. pdfium's own line breaks are
    kept, and a piece is split further where its characters leave the baseline or jump back to
    the left (a boxed note and a heading beside it that pdfium read as one line)."""
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        height = page.get_height()
        pieces: list[list[tuple[str, tuple]]] = []
        current: list[tuple[str, tuple]] = []
        for index, char in enumerate(text):
            if clock and not index % 1000:
                clock.check()
            if char in "\r\n":
                if current:
                    pieces.append(current)
                current = []
                continue
            box = textpage.get_charbox(index)
            if current and not char.isspace() and _leaves_line(current, box):
                pieces.append(current)
                current = []
            current.append((char, box))
        if current:
            pieces.append(current)
        lines = [line for piece in pieces if (line := _line(piece, height, number))]
        return _merge_same_line(sorted(lines, key=lambda l: (round(l.middle), l.left)))
    finally:
        textpage.close()


def _leaves_line(chars: list[tuple[str, tuple]], box: tuple) -> bool:
    """Whether a character's box starts a new line: off the baseline of the characters before it,
    or back to the left of them."""
    inked = [b for ch, b in chars if not ch.isspace() and b[3] > b[1]]
    if not inked or box[3] <= box[1]:
        return False
    last = inked[-1]
    size = max(b[3] - b[1] for b in inked[-4:])
    middle, last_middle = (box[1] + box[3]) / 2, (last[1] + last[3]) / 2
    return abs(middle - last_middle) > 0.6 * max(size, box[3] - box[1]) or box[0] < last[0] - 2 * size


def _line(chars: list[tuple[str, tuple]], height: float, number: int) -> Line | None:
    text = "".join(ch for ch, _ in chars).strip()
    boxes = [b for ch, b in chars if not ch.isspace() and (b[2] > b[0] or b[3] > b[1])]
    if not text or not boxes:
        return None
    # the type size, from ideographs: a digit's box is shorter and a full stop's is a dot (0: no ideograph)
    ideographs = [b[3] - b[1] for ch, b in chars if "\u3400" <= ch <= "\u9fff" and b[3] > b[1]]
    size = statistics.median(ideographs or [b[3] - b[1] for b in boxes])
    return Line(text, min(b[0] for b in boxes), max(b[2] for b in boxes), height - max(b[3] for b in boxes),
                height - min(b[1] for b in boxes), size, number, sized=bool(ideographs))


def _merge_same_line(lines: list[Line]) -> list[Line]:
    """Pieces pdfium split at a change of text run but that share one baseline join, left to right
    (with a space where the layout leaves a gap between two pieces)."""
    out: list[Line] = []
    for line in lines:
        last = out[-1] if out else None
        if last and abs(line.middle - last.middle) < 0.35 * max(line.size, last.size, 1) and line.left >= last.right - 1:
            gap = " " if line.left - last.right > 0.5 * max(line.size, 1) else ""
            last.text += gap + line.text
            last.right, last.top, last.bottom = line.right, min(last.top, line.top), max(last.bottom, line.bottom)
        else:
            out.append(line)
    return out


def _needs_ocr(page, lines: list[Line]) -> bool:
    """A page whose text layer is (nearly) empty but that shows an image: a scan."""
    import pypdfium2.raw as raw

    if sum(len(l.text) for l in lines) >= 20:
        return False
    return any(True for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _has_rules(page, clock: PageClock | None = None) -> bool:
    """Whether the page's drawing holds table rules: several thin horizontal and vertical strokes
    (a row of cells alone has two across and three or more down), or several boxes the size of cells."""
    import pypdfium2.raw as raw

    across = down = boxes = 0
    for seen, item in enumerate(page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=3)):
        if clock and not seen % 1000:
            clock.check()
        left, bottom, right, top = item.get_bounds()
        width, height = right - left, top - bottom
        if height <= 3 and width >= 20:
            across += 1
        elif width <= 3 and height >= 8:
            down += 1
        elif width >= 20 and height >= 8:
            boxes += 1
        if (across >= 3 and down >= 2) or (across >= 2 and down >= 3) or boxes >= 6:
            return True
    return False


class _TableReader:
    """pdfplumber, opened only for pages whose drawing has table rules."""

    def __init__(self, path: Path):
        self.path, self.pdf = path, None
        self.last: Table | None = None  # a table continued on the next page repeats its header, not its caption
        # a header row alone at a page's foot (its rows on the next page): (cells, column edges, caption, page)
        self.header_alone: tuple[list, tuple[float, ...], str, int] | None = None

    def replace_tables(self, number: int, lines: list[Line]) -> tuple[list[Line], list[Table]]:
        """The page's lines with the text inside each table replaced by the table's row lines."""
        try:
            if self.pdf is None:
                import pdfplumber

                logging.getLogger("pdfminer").setLevel(logging.ERROR)
                self.pdf = pdfplumber.open(str(self.path))
            found = self.pdf.pages[number - 1].find_tables()
            grids = [(t.bbox, t.extract(), _column_edges(t)) for t in found]
        except Exception:  # a page pdfplumber cannot parse keeps its plain text
            return lines, []
        tables = []
        for (x0, top, x1, bottom), grid, edges in grids:
            caption = _caption_above(lines, top)
            if sum(1 for row in grid if any(row)) == 1 and len(edges) > 2:
                self.header_alone = (grid[0], edges, caption, number)
                continue
            alone = self.header_alone
            if alone and alone[3] == number - 1 and _same_edges(alone[1], edges) and grid[0] != alone[0]:
                grid, caption, self.header_alone = [alone[0]] + grid, caption or alone[2], None
            table = make_table(grid, caption, number)
            if table is None:
                continue
            if not table.caption and self.last and self.last.header == table.header and self.last.page == number - 1:
                table = replace(table, caption=self.last.caption)
            self.last = table
            inside = [l for l in lines if x0 - 2 <= (l.left + l.right) / 2 <= x1 + 2 and top - 2 <= l.middle <= bottom + 2]
            if not inside:
                continue
            size = statistics.median(l.size for l in inside)
            lines = [l for l in lines if l not in inside]
            rows = [Line(text, x0, x1, top + i * 0.01, top + i * 0.01, size, number, table=True)
                    for i, text in enumerate(table_lines(table))]
            lines = sorted(lines + rows, key=lambda l: (l.top, l.left))
            tables.append(table)
        return lines, tables

    def close(self) -> None:
        if self.pdf is not None:
            try:
                self.pdf.close()
            except Exception:  # pdfplumber reads every page's box to close: a damaged one is no reason to fail
                pass


def _column_edges(table) -> tuple[float, ...]:
    """Where the columns of a pdfplumber table begin, and where its last one ends."""
    try:
        return tuple(cell[0] for cell in table.rows[0].cells if cell) + (table.bbox[2],)
    except Exception:  # a table without rows
        return ()


def _same_edges(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= 3 for x, y in zip(a, b))


def _caption_above(lines: list[Line], top: float) -> str:
    """The table's title: the line right above it when it names a table ("表1 …", "…主要指标")."""
    above = [l for l in lines if l.bottom <= top + 1]
    if not above:
        return ""
    line = max(above, key=lambda l: l.bottom)
    if top - line.bottom > 3 * line.size:
        return ""
    text = line.text.strip()
    if len(text) <= 40 and not text.endswith(tuple("。；，")):
        return text
    return ""


# ---------------------------------------------------------------- furniture and paragraphs


def join_pages(pages: list[list[Line]]) -> str:
    """The document's text: page furniture dropped, paragraphs re-joined, PAGE_BREAK between pages."""
    pages = drop_furniture(pages)
    body = [l for page in pages for l in page if not l.table]
    layout = _Layout.of(body)
    out: list[str] = []
    previous: Line | None = None
    earlier: Line | None = None  # the line before `previous`: with it, the right edge of a narrower box
    pending = ""  # page breaks not yet written: they go before the next line (a blank page adds one)
    for number, page in enumerate(pages):
        pending += PAGE_BREAK if number else ""
        for line in page:
            if previous is not None and out and layout.continues(previous, line, earlier):
                out[-1] += pending + _glue(out[-1], line.text)
            else:
                out.append(pending + line.text)
            pending = ""
            earlier, previous = previous, line
    if pending and out:
        out[-1] += pending  # blank pages at the end
    return "\n".join(out) + "\n"


def _glue(before: str, text: str) -> str:
    """Re-join a wrapped line: nothing inserted, except a space between two words of Latin letters."""
    if before[-1:].isascii() and before[-1:].isalpha() and text[:1].isascii() and text[:1].isalpha():
        return " " + text
    return text


@dataclass(frozen=True)
class _Layout:
    left: float  # the body's left margin
    right: float  # where full lines end
    size: float  # body character height
    leading: float  # the usual space between two lines of a paragraph

    @classmethod
    def of(cls, lines: list[Line]) -> "_Layout":
        if not lines:
            return cls(0, 0, 10, 5)
        size = statistics.median([l.size for l in lines if l.sized] or [10])
        lefts = [round(l.left / 2) * 2 for l in lines]
        left = statistics.mode(lefts)
        rights = sorted(l.right for l in lines)
        right = rights[int(0.9 * (len(rights) - 1))]
        gaps = [b.top - a.bottom for a, b in zip(lines, lines[1:]) if a.page == b.page and 0 <= b.top - a.bottom < 3 * size]
        return cls(left, right, size, statistics.median(gaps) if gaps else size / 2)

    def continues(self, above: Line, line: Line, earlier: Line | None = None) -> bool:
        """Whether `line` carries on the paragraph of `above` (`earlier` is the line before that)."""
        from ..sections import heading_of
        from ..zh.headings import TOC_LINE

        if above.table or line.table or heading_of(line.text) is not None or TOC_LINE.search(above.text):
            return False
        if above.sized and line.sized and abs(above.size - line.size) >= 0.15 * max(above.size, line.size):
            return False  # a title over the body, a note under it
        # a line is full when it runs to the right margin, less the room a Latin word or number
        # opening the next line ("2022年", "PM2.5") would have needed
        size = max(self.size, line.size if line.sized else 0)  # a title's lines are measured in its own type size
        word = re.match(r"[《“（(\[]?[A-Za-z0-9.%\-]+", line.text)  # an opening mark stays with what follows
        room = (1.5 + 0.6 * len(word.group()) if word else 1.5) * size
        # (a paragraph's last line ends a sentence; any other line ending short of the margin by
        # a few characters is a wrapped one: half-width digits leave such gaps)
        # the right edge is the body's, or that of a narrower box the three lines share
        edge = min(self.right, max(l.right for l in (earlier, above, line) if l is not None and not l.table))
        full = above.right >= edge - room or (
            above.right >= edge - 4 * size and not above.text.endswith(tuple(SENTENCE_END)))
        indented = line.left > self.left + size  # paragraphs open two characters in
        # paragraphs set apart by space rather than by indentation
        spaced = above.page == line.page and line.top - above.bottom > (self.leading + 0.4 * self.size) * size / self.size
        if full and not indented and not spaced:
            return True
        # a title wrapped onto a centred line ("……碳中 / 和工作滚动实施方案")
        close = above.page == line.page and 0 <= line.top - above.bottom < 2 * line.size
        return (self.centred(line) and (full or self.centred(above)) and close
                and not above.text.endswith(tuple(SENTENCE_END)) and not line.text.startswith(("（", "(")))

    def centred(self, line: Line) -> bool:
        left, right = line.left - self.left, self.right - line.right
        return left > 2 * self.size and right > 2 * self.size and abs(left - right) < 2 * self.size


def drop_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """Page marks and running headers/footers removed; everything else kept, in page order."""
    running = _running_lines(pages)
    numbered = _page_numbers(pages)
    kept = []
    for index, page in enumerate(pages):
        edges = _edge_lines(page)
        kept.append([l for l in page if not (id(l) in edges and (id(l) in numbered or _shape(l.text) in running))])
    return kept


def _edge_lines(page: list[Line]) -> set[int]:
    """The lines at the very top and bottom of a page (two each, when they stand apart from the body)."""
    body = [l for l in page if not l.table]
    if not body:
        return set()
    edges = {id(body[0]), id(body[-1])}
    if len(body) > 3:
        edges |= {id(body[1]), id(body[-2])}
    return edges


def _page_numbers(pages: list[list[Line]]) -> set[int]:
    """Edge lines shaped like page marks. A bare number counts only when it counts with the pages
    (its value minus the page's position is the same on at least two pages) or stands apart from the
    body by more than a line's gap; a dashed or worded mark ("— 3 —", "第3页") always counts."""
    candidates: list[tuple[int, Line, int, bool]] = []
    for index, page in enumerate(pages):
        body = [l for l in page if not l.table]
        for line in body:
            if id(line) not in _edge_lines(page):
                continue
            match = PAGE_MARK.match(line.text)
            if match:
                value = int(next(g for g in match.groups() if g))
                candidates.append((index, line, value, match.group(4) is not None))
    offsets = [value - index for index, _, value, bare in candidates if bare]
    steady = {o for o in offsets if offsets.count(o) >= 2}
    found = set()
    for index, line, value, bare in candidates:
        if not bare or value - index in steady or _stands_apart(line, pages[index]):
            found.add(id(line))
    return found


def _stands_apart(line: Line, page: list[Line]) -> bool:
    others = [l for l in page if l is not line]
    if not others:
        return True
    gap = min(abs(line.top - o.bottom) if line.top >= o.bottom else abs(o.top - line.bottom) for o in others)
    return gap > 2 * line.size


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _running_lines(pages: list[list[Line]]) -> set[str]:
    """Texts (digits folded) standing at the edge of most pages: running headers and footers."""
    if len(pages) < 3:
        return set()
    counts: dict[str, int] = {}
    for page in pages:
        for shape in {_shape(l.text) for l in page if id(l) in _edge_lines(page)}:
            counts[shape] = counts.get(shape, 0) + 1
    return {shape for shape, n in counts.items() if n >= max(3, len(pages) // 2) and len(shape) < 60}
