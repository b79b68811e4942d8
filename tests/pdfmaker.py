"""Write small PDFs whose layout a test chooses: Chinese text runs at given positions, the way office
suites write them (a number often in a text run of its own), with no font embedded (the reader's
text comes from the standard CMap UniGB-UCS2-H, as in many government PDFs)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

A4 = (595, 842)


@dataclass(frozen=True)
class Run:
    x: float
    y: float  # from the top of the page
    text: str
    size: float = 16


def _hex(text: str) -> str:
    return "".join(f"{ord(ch):04X}" for ch in text)


@dataclass(frozen=True)
class Rule:
    """A straight line drawn on the page (table rules), corners from the top of the page."""
    x0: float
    y0: float
    x1: float
    y1: float


def write_pdf(path: Path, pages: list[list[Run | Rule]]) -> Path:
    """One page per list of runs and rules; each run is its own text object (BT … ET)."""
    objects: list[bytes] = []

    def add(body: str | bytes) -> int:
        objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(objects)

    font = add("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
               "/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
               "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
               "/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] "
               "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >> /DW 1000 >>] >>")
    pages_id = len(objects) + 2 * len(pages) + 1
    kids = []
    for runs in pages:
        stream = "".join(f"BT /F1 {r.size} Tf {r.x} {A4[1] - r.y} Td <{_hex(r.text)}> Tj ET\n" if isinstance(r, Run)
                         else f"{r.x0} {A4[1] - r.y0} m {r.x1} {A4[1] - r.y1} l S\n" for r in runs)
        content = add(f"<< /Length {len(stream)} >>\nstream\n{stream}endstream")
        kids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {A4[0]} {A4[1]}] "
                        f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>"))
    assert add(f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>") == pages_id
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>")
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    Path(path).write_bytes(bytes(out))
    return Path(path)


def paragraph(text: str, top: float, left: float = 72, width_chars: int = 28, size: float = 16,
              indent: bool = True) -> tuple[list[Run], float]:
    """A paragraph set as full lines of `width_chars` characters (the first indented by two), each
    line one run; digits are set in runs of their own, half as wide. Returns runs and the next top."""
    runs, y, x, room = [], top, left + (2 * size if indent else 0), width_chars - (2 if indent else 0)
    used = 0.0
    pieces = []
    for ch in text:
        if pieces and ch.isdigit() == pieces[-1][0].isdigit():
            pieces[-1] += ch
        else:
            pieces.append(ch)
    for piece in pieces:
        step = 0.5 if piece[0].isdigit() else 1.0
        for i, ch in enumerate(piece if not piece[0].isdigit() else [piece]):
            width = step * len(ch)
            if used + width > room:
                y += size * 1.6
                x, used, room = left, 0.0, width_chars
            runs.append(Run(x + used * size, y, ch, size))
            used += width
    return runs, y + size * 1.6


def ruled_rows(rows: list[list[str]], top: float, edges: list[float], height: float = 30,
               size: float = 10) -> tuple[list[Run | Rule], float]:
    """Rows of cells framed by rules, columns starting at `edges` (the last edge closes the table),
    each cell's text one run. Returns runs and rules, and the top below the table."""
    items: list[Run | Rule] = []
    for i, row in enumerate(rows):
        y = top + i * height
        items += [Run(x + 3, y + height / 2 + size / 2, text, size) for x, text in zip(edges, row) if text]
    bottom = top + len(rows) * height
    items += [Rule(edges[0], top + i * height, edges[-1], top + i * height) for i in range(len(rows) + 1)]
    items += [Rule(x, top, x, bottom) for x in edges]
    return items, bottom
