"""A Word document's paragraphs and tables, in the order they stand (python-docx).

Before python-docx opens anything, the zip's own directory is checked against the limits: the
member count from the end record (before the directory itself is parsed), then the unpacked size
the directory declares (zipfile never unpacks more than a member declares, so a zip bomb is refused
having cost a few kilobytes).

The body is walked as XML: paragraphs, tables and the content controls (`w:sdt`) that wrap either.
Tables are read as cells on their grid — a cell merged across columns (`w:gridSpan`) or down rows
(`w:vMerge`) is read once; a `w:vMerge` with nothing above it (a first row) is a cell of its own —
and written as row lines (`rag.tables`) where the table stands, so its text is cited under its own
section.
"""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from ..tables import Table, make_table, table_lines
from .document import Limits, UnreadableFile

END_RECORD = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_END = b"PK\x06\x06"


def read_docx(path: Path, limits: Limits) -> tuple[str, list[Table]]:
    import docx
    from docx.oxml.ns import qn

    check_package(path, limits)
    try:
        document = docx.Document(str(path))
        body = document.element.body
    except Exception as exc:  # not a Word package, or XML python-docx cannot take
        raise UnreadableFile(f"DOCX 文件已损坏或不是 Word 文档（{exc.__class__.__name__}）") from None
    lines: list[str] = []
    tables: list[Table] = []
    for block in _blocks(body, qn):
        if block.tag == qn("w:tbl"):
            grid = _grid(block, qn)
            table = make_table(grid)
            if table is not None:
                tables.append(table)
                lines += table_lines(table)
            else:
                lines += [cell for row in grid for cell in row if cell]
        else:
            lines.append(_text(block, qn))
    return "\n".join(lines) + "\n", tables


def check_package(path: Path, limits: Limits) -> None:
    """Refuse a zip whose member count or declared unpacked size is over the limits, or that is no zip."""
    members = _declared_members(path)
    if members > limits.zip_members:
        raise UnreadableFile(f"DOCX 压缩包有 {members} 个成员，超过上限 {limits.zip_members} 个（可用 RAG_MAX_ZIP_MEMBERS 调整）")
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(item.file_size for item in package.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise UnreadableFile(f"DOCX 文件已损坏或不是 Word 文档（{exc.__class__.__name__}）") from None
    if unpacked > limits.unpacked_bytes:
        raise UnreadableFile(f"DOCX 解压后共 {unpacked / 1e6:.0f} MB，超过上限 {limits.unpacked_bytes / 1e6:.0f} MB"
                             "（可用 RAG_MAX_UNPACKED_MB 调整）")


def _declared_members(path: Path) -> int:
    """How many members the zip's end record declares, read from the file's last 64 KB only."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - 65_557))
            tail = handle.read()
            at = tail.rfind(END_RECORD)
            if at < 0 or len(tail) < at + 22:
                raise UnreadableFile("DOCX 文件已损坏或不是 Word 文档（没有 zip 目录）")
            count = struct.unpack("<H", tail[at + 10 : at + 12])[0]
            locator = tail.rfind(ZIP64_LOCATOR, 0, at)
            if count == 0xFFFF and locator >= 0 and len(tail) >= locator + 20:
                handle.seek(struct.unpack("<Q", tail[locator + 8 : locator + 16])[0])
                record = handle.read(56)
                if record[:4] == ZIP64_END and len(record) == 56:
                    count = struct.unpack("<Q", record[32:40])[0]
            return count
    except OSError as exc:
        from ..errors import os_reason

        raise UnreadableFile(f"无法读取文件（{os_reason(exc)}）") from None


def _blocks(parent, qn):
    """Paragraphs and tables in document order, looking inside content controls."""
    for child in parent.iterchildren():
        if child.tag in (qn("w:p"), qn("w:tbl")):
            yield child
        elif child.tag in (qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")):
            yield from _blocks(child, qn)


def _text(element, qn) -> str:
    """The text of one paragraph (or of every paragraph inside a cell, one per line)."""
    from docx.text.paragraph import Paragraph

    if element.tag == qn("w:p"):
        return Paragraph(element, None).text
    return "\n".join(Paragraph(p, None).text for p in element.iter(qn("w:p")))


def _grid(table, qn) -> list[list[str | None]]:
    """The table's cells on its grid: the continuation of a merged cell holds None."""
    grid: list[list[str | None]] = []
    for tr in table.iter(qn("w:tr")):
        if _ancestor(tr, "w:tbl", qn) is not table:
            continue  # a row of a table nested in a cell: read as that cell's text
        row: list[str | None] = [""] * _count(tr, "w:trPr/w:gridBefore", qn)
        for tc in tr.iter(qn("w:tc")):
            if _ancestor(tc, "w:tr", qn) is not tr:
                continue
            merge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
            continues = merge is not None and merge.get(qn("w:val"), "continue") == "continue"
            has_above = bool(grid) and len(row) < len(grid[-1])
            row.append(None if continues and has_above else _text(tc, qn))
            row += [None] * (max(1, min(_count(tc, "w:tcPr/w:gridSpan", qn), 64)) - 1)
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    return [r + [""] * (width - len(r)) for r in grid]


def _ancestor(element, tag: str, qn):
    """The nearest enclosing element with `tag` (a row's table, a cell's row)."""
    parent = element.getparent()
    while parent is not None and parent.tag != qn(tag):
        parent = parent.getparent()
    return parent


def _count(element, path: str, qn) -> int:
    """An integer attribute `w:val` at `path` under `element` (0 when absent or not a number)."""
    found = element.find("/".join(qn(part) for part in path.split("/")))
    try:
        return int(found.get(qn("w:val"))) if found is not None else 0
    except (TypeError, ValueError):
        return 0
