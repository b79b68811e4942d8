"""Read one plan file of any supported format into text: the I/O edge of the pipeline.

- .txt / .md / .html / .htm: the encoding is detected by charset-normalizer (UTF-8 with or
  without BOM, UTF-16, GB18030/GBK, Big5 …), never guessed by trying codecs one after another;
  web pages keep their visible text and their tables (`html.py`);
- .pdf: the text layer by pdfium, tables by pdfplumber, pages without text by OCR (`pdf.py`);
- .docx: paragraphs and tables in document order (`docx.py`).

Tables become row lines (`rag.tables`); a paged source marks each page break with `PAGE_BREAK`,
which `split_pages` turns into page offsets once the text is cleaned. Everything after this
stage works on `str` and never touches a file.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import os_reason
from ..tables import Table
from .document import PAGE_BREAK, Document, Limits, UnreadableFile

FORMATS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
def size_problem(size: int, max_bytes: int) -> str | None:
    """Why a file of `size` bytes is refused before reading it (empty, or over the limit), or None."""
    if size == 0:
        return "文件为空"
    if size > max_bytes:
        return f"文件过大（{size / 1e6:.1f} MB），上限为 {max_bytes / 1e6:.0f} MB（可用 RAG_MAX_FILE_MB 调整）"
    return None

def read_document(path: Path, limits: Limits | int, progress=None) -> Document:
    """The text of one file; `UnreadableFile` (one Chinese sentence) when it cannot be read.
    `progress(page, pages, ocr)` is called after each page of a PDF."""
    path = Path(path)
    limits = limits if isinstance(limits, Limits) else Limits(max_bytes=limits)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableFile(f"不支持的文件类型 {path.suffix or '（无扩展名）'}，支持：{'、'.join(FORMATS)}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"无法读取文件（{os_reason(exc)}）") from None
    problem = size_problem(size, limits.max_bytes)
    if problem:
        raise UnreadableFile(problem)
    if fmt == "pdf":
        from .pdf import read_pdf

        pdf = read_pdf(path, limits, progress)
        return Document(pdf.text, fmt, "", pdf.pages, tuple(pdf.ocr_pages), tuple(pdf.tables), tuple(pdf.warnings))
    if fmt == "docx":
        from .docx import read_docx

        text, tables = read_docx(path, limits)
        return Document(text, fmt, "", tables=tuple(tables))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"无法读取文件（{os_reason(exc)}）") from None
    text, encoding = decode(data)
    tables: list[Table] = []
    if fmt == "html":
        from .html import html_to_text

        text, tables = html_to_text(text)
    elif fmt == "md":
        text = re.sub(r"^\s{0,3}#{1,6}\s*|^\s*[-*]\s+|[*_`]{1,3}", "", text, flags=re.M)
    return Document(text.replace(PAGE_BREAK, ""), fmt, encoding, tables=tuple(tables))

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

def split_pages(text: str) -> tuple[str, tuple[int, ...]]:
    """The text without page marks, and the offset where each page after the first starts."""
    if PAGE_BREAK not in text:
        return text, ()
    starts, parts, position = [], [], 0
    for i, part in enumerate(text.split(PAGE_BREAK)):
        if i:
            starts.append(position)
        parts.append(part)
        position += len(part)
    return "".join(parts), tuple(starts)
