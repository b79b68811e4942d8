"""Read one plan file of any supported format into text: the I/O edge of the pipeline.

- .txt / .md / .html / .htm: the encoding is detected by charset-normalizer
  (UTF-8 with or without BOM, UTF-16, GB18030/GBK, Big5 …), never guessed by
  trying codecs one after another;
- .pdf: the text layer (pypdf), with page numbers ("— 1 —", "第 1 页") and
  running headers/footers dropped and layout line breaks re-joined into
  paragraphs;
- .docx: paragraphs and table rows (python-docx).

Everything after this stage works on `str` and never touches a file.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .errors import UserError, os_reason

FORMATS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}


class UnreadableFile(UserError):
    """This one file cannot be read; the message says why, in Chinese."""


@dataclass(frozen=True)
class Document:
    text: str  # the page's text as read, before cleaning
    format: str  # txt / md / html / pdf / docx
    encoding: str  # detected text encoding ("" for pdf and docx)


def size_problem(size: int, max_bytes: int) -> str | None:
    """Why a file of `size` bytes is refused before reading it (empty, or over the limit), or None."""
    if size == 0:
        return "文件为空"
    if size > max_bytes:
        return f"文件过大（{size / 1e6:.1f} MB），上限为 {max_bytes / 1e6:.0f} MB（可用 RAG_MAX_FILE_MB 调整）"
    return None


def read_document(path: Path, max_bytes: int) -> Document:
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableFile(f"不支持的文件类型 {path.suffix or '（无扩展名）'}，支持：{'、'.join(FORMATS)}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"无法读取文件（{os_reason(exc)}）") from None
    problem = size_problem(size, max_bytes)
    if problem:
        raise UnreadableFile(problem)
    if fmt == "pdf":
        return Document(_pdf_text(path), fmt, "")
    if fmt == "docx":
        return Document(_docx_text(path), fmt, "")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"无法读取文件（{os_reason(exc)}）") from None
    text, encoding = decode(data)
    if fmt == "html":
        text = html_to_text(text)
    elif fmt == "md":
        text = re.sub(r"^\s{0,3}#{1,6}\s*|^\s*[-*]\s+|[*_`]{1,3}", "", text, flags=re.M)
    return Document(text, fmt, encoding)


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name of a byte string, as charset-normalizer detects it."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile("无法识别文件编码（不是 UTF-8、UTF-16 或 GBK/GB18030 文本）")
    text = str(best)
    if _looks_binary(text):
        raise UnreadableFile("文件含有二进制内容，不是文本文件")
    return text.lstrip("\ufeff"), best.encoding


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f")
    return controls > max(8, len(sample) // 100)


# ---------------------------------------------------------------- PDF

PAGE_NUMBER = re.compile(r"^\s*(?:[—－\-–]\s*\d{1,4}\s*[—－\-–]|第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})\s*$")
SENTENCE_END = "。！？；：!?;:”）)"


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise UnreadableFile("PDF 已加密，无法读取正文")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableFile(f"PDF 文件已损坏或无法解析（{exc.__class__.__name__}）") from None
    if not "".join(pages).strip():
        raise UnreadableFile("PDF 没有文字层（可能是扫描件），请先做 OCR")
    return pdf_pages_to_text(pages)


def pdf_pages_to_text(pages: list[str]) -> str:
    """Drop page numbers and running headers/footers, then re-join lines the layout broke."""
    lines_per_page = [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]
    furniture = _running_lines(lines_per_page)
    lines = [line for page in lines_per_page for line in page if not PAGE_NUMBER.match(line) and line not in furniture]
    return reflow(lines)


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines repeated at the top or bottom of most pages (headers, footers)."""
    if len(pages) < 3:
        return set()
    edges = Counter(line for page in pages for line in set(page[:2] + page[-2:]))
    return {line for line, n in edges.items() if n >= max(3, len(pages) // 2) and len(line) < 60}


def reflow(lines: list[str]) -> str:
    """One paragraph per line: a line continues the previous one unless that one ended a
    sentence or was clearly shorter than a full line of the layout."""
    if not lines:
        return ""
    full = sorted(len(line) for line in lines)[int(0.9 * (len(lines) - 1))]
    out: list[str] = []
    for line in lines:
        if out and not out[-1].endswith(tuple(SENTENCE_END)) and len(out[-1].rsplit("\n", 1)[-1]) >= 0.8 * full \
                and not _opens_heading(line):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _opens_heading(line: str) -> bool:
    from .sections import heading_of

    return heading_of(line) is not None


# ---------------------------------------------------------------- DOCX


def _docx_text(path: Path) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(f"DOCX 文件已损坏或不是 Word 文档（{exc.__class__.__name__}）") from None
    except Exception as exc:  # a zip that is not a docx raises from deep inside the XML layer
        raise UnreadableFile(f"DOCX 文件无法解析（{exc.__class__.__name__}）") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))
            lines.append("  ".join(c for c in cells if c))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- HTML


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"}
    SKIP = {"script", "style", "nav", "header", "footer", "form", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(page: str) -> str:
    """Visible text of an HTML page, one block per line; scripts and navigation dropped."""
    parser = _TextExtractor()
    parser.feed(page)
    return html.unescape("".join(parser.parts))
