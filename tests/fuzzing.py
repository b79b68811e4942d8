"""Damaged copies of real plan files, made at test time: what a build must survive one file at a time.

`mutants(pdfs, docxs, seed)` yields (name, bytes) for each damage below, reproducibly from the seed:

- any file: truncations (anywhere, and just before the end, where a PDF keeps its cross-reference
  table and a zip its directory), flipped bits (1, 10, 100), a zeroed 4 KB block, a block cut out;
- PDF, by structure: numbers after /Count, /Length, /Size, /W, /Parent, /Kids … replaced by 0, -1 or
  a huge value (odd but parseable objects);
- DOCX, by structure (the XML stays well-formed): `<w:vMerge/>` in a table's first row, gridSpan
  0 / huge / not a number, a row that starts with gridBefore, a table without rows, a cell without
  a paragraph, tables nested 30 deep, the body wrapped in content controls, a DOCTYPE with an
  entity, the document part missing, a member whose bytes do not match its CRC.

`python tests/fuzzing.py [N]` reads every mutant (N seeds; default 1) through the build's reading
path in a child process — one that raises, dies, or takes longer than five minutes on a file counts
as a crash — and prints files tried, indexed, skipped and crashed. PYTHONPATH picks which code is
measured.
"""
from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL_PDFS = ROOT.parent / "shared" / "realpdfs"


def damaged(data: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    """Format-blind damage: truncations, flipped bits, a zeroed block, a block cut out."""
    n = len(data)
    out = [("trunc-half", data[: n // 2]), ("trunc-end", data[: n - rng.randint(1, 200)]),
           ("trunc-any", data[: rng.randrange(1, n)])]
    for flips in (1, 10, 100):
        mutated = bytearray(data)
        for _ in range(flips):
            mutated[rng.randrange(n)] ^= 1 << rng.randrange(8)
        out.append((f"flip{flips}", bytes(mutated)))
    at = rng.randrange(n)
    out.append(("zero4k", data[:at] + bytes(min(4096, n - at)) + data[at + 4096 :]))
    at = rng.randrange(n)
    out.append(("cut4k", data[:at] + data[at + 4096 :]))
    return out


PDF_NUMBERS = re.compile(rb"/(Count|Length|Size|W|Parent|Kids|Prev|First|N|Rotate|MediaBox)(\s*\[?\s*)(-?\d+)")


def pdf_structure(data: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    """Odd but parseable objects: key numbers replaced by 0, -1 or a huge value."""
    out = []
    matches = list(PDF_NUMBERS.finditer(data))
    for value in (b"0", b"-1", b"2147483647"):
        chosen = rng.sample(matches, min(5, len(matches)))
        mutated = bytearray(data)
        for match in sorted(chosen, key=lambda m: m.start(3), reverse=True):
            mutated[match.start(3) : match.end(3)] = value
        out.append((f"numbers{value.decode()}", bytes(mutated)))
    return out


def _with_document(data: bytes, change) -> bytes:
    """The DOCX `data` with word/document.xml replaced by `change(xml)` (None: the part left out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                content = change(content)
                if content is None:
                    continue
            target.writestr(item.filename, content)
    return out.getvalue()


def _first_tc_pr(xml: bytes, inner: bytes) -> bytes:
    """`inner` put into the first cell of the first table (a tcPr is made when the cell has none)."""
    at = xml.find(b"<w:tc>")
    if at < 0:
        return xml
    head = xml[: at + 6]
    rest = xml[at + 6 :]
    if rest.startswith(b"<w:tcPr>"):
        return head + b"<w:tcPr>" + inner + rest[len(b"<w:tcPr>") :]
    return head + b"<w:tcPr>" + inner + b"</w:tcPr>" + rest


def docx_structure(data: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    """Well-formed but unusual Word XML, and package-level damage."""
    def nested(xml: bytes) -> bytes:
        cell = b"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>\xe6\xb7\xb1</w:t></w:r></w:p>%s</w:tc></w:tr></w:tbl><w:p/>"
        inner = b""
        for _ in range(30):
            inner = cell % inner
        return xml.replace(b"<w:body>", b"<w:body>" + inner, 1)

    changes = {
        "vmerge-first-row": lambda x: _first_tc_pr(x, b"<w:vMerge/>"),
        "vmerge-restart-first-row": lambda x: _first_tc_pr(x, b'<w:vMerge w:val="continue"/>'),
        "gridspan-zero": lambda x: _first_tc_pr(x, b'<w:gridSpan w:val="0"/>'),
        "gridspan-huge": lambda x: _first_tc_pr(x, b'<w:gridSpan w:val="99999999"/>'),
        "gridspan-text": lambda x: _first_tc_pr(x, b'<w:gridSpan w:val="abc"/>'),
        "grid-before": lambda x: x.replace(b"<w:tr>", b'<w:tr><w:trPr><w:gridBefore w:val="2"/></w:trPr>', 1),
        "table-without-rows": lambda x: x.replace(b"<w:body>", b"<w:body><w:tbl><w:tblPr/></w:tbl>", 1),
        "cell-without-paragraph": lambda x: x.replace(b"<w:body>", b"<w:body><w:tbl><w:tr><w:tc/><w:tc/></w:tr></w:tbl>", 1),
        "nested-tables": nested,
        "content-controls": lambda x: x.replace(b"<w:body>", b"<w:body><w:sdt><w:sdtContent>", 1).replace(
            b"<w:sectPr", b"</w:sdtContent></w:sdt><w:sectPr", 1),
        "doctype-entity": lambda x: x.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY e "\xe6\xb3\xa8">]>', 1).replace(
            b"<w:t>", b"<w:t>&e;", 1),
        "no-document-part": lambda x: None,
    }
    out = [(name, _with_document(data, change)) for name, change in changes.items()]
    crc = bytearray(_with_document(data, lambda x: x))
    at = crc.find(b"word/document.xml") + len(b"word/document.xml") + rng.randrange(10, 200)
    crc[at] ^= 0xFF  # inside the compressed member: its CRC no longer matches
    out.append(("member-crc", bytes(crc)))
    return out


def sample_docx(text: str) -> bytes:
    """A Word document of `text`'s paragraphs with a small target table, written by python-docx."""
    import docx

    document = docx.Document()
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["指标", "2025年", "2030年"], ["光伏装机（万千瓦）", "50", "80"], ["风电装机（万千瓦）", "10", "20"]]):
        for c, value in enumerate(row):
            table.rows[r].cells[c].text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def mutants(pdfs: list[Path], docxs: list[tuple[str, bytes]], seed: int):
    """(file name, bytes) of every damaged copy, reproducibly from `seed`."""
    rng = random.Random(seed)
    for pdf in pdfs:
        data = pdf.read_bytes()
        for kind, mutated in damaged(data, rng) + pdf_structure(data, rng):
            yield f"{pdf.stem}-{kind}-{seed}.pdf", mutated
    for stem, data in docxs:
        for kind, mutated in damaged(data, rng) + docx_structure(data, rng):
            yield f"{stem}-{kind}-{seed}.docx", mutated


# ---------------------------------------------------------------- figures (python tests/fuzzing.py)

CHILD = r"""
import json, sys, resource, time
from pathlib import Path
from rag.config import Settings
from rag import corpus
limits = Settings().limits
for line in sys.stdin:
    path = Path(line.strip())
    started = time.time()
    try:
        if hasattr(corpus, "read_file"):
            report, plan = corpus.read_file(path, {}, limits)
            outcome, why = ("indexed" if plan else "skipped"), report.error
        else:
            try:
                corpus.load_plan(path, {}, limits)
                outcome, why = "indexed", ""
            except corpus.UnreadableFile as problem:
                outcome, why = "skipped", str(problem)
    except BaseException as exc:
        outcome, why = "crashed", f"{type(exc).__name__}: {str(exc)[:120]}"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"file": path.name, "outcome": outcome, "why": why, "peak_mb": rss,
                      "seconds": round(time.time() - started, 1)}, ensure_ascii=False), flush=True)
"""


def run(paths: list[Path], timeout: float = 300.0) -> list[dict]:
    """Read each file in a child process; a child that dies or hangs marks its file crashed and a new one goes on."""
    results: list[dict] = []
    todo = list(paths)
    while todo:
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env={**os.environ, "RAG_MAX_OCR_PAGES": "0"})
        child.stdin.write("".join(f"{p}\n" for p in todo))
        child.stdin.close()
        for path in list(todo):
            line = _readline(child, timeout)
            if line is None:
                child.kill()
                results.append({"file": path.name, "outcome": "crashed", "why": f"process ended or hung (code {child.wait()})"})
                todo.remove(path)
                break
            results.append(json.loads(line))
            todo.remove(path)
        child.wait()
    return results


def _readline(child: subprocess.Popen, timeout: float) -> str | None:
    import select

    ready, _, _ = select.select([child.stdout], [], [], timeout)
    line = child.stdout.readline() if ready else ""
    return line or None


def main(seeds: int = 1) -> None:
    import tempfile
    from collections import Counter

    pdfs = sorted(REAL_PDFS.glob("*.pdf"))
    texts = sorted((ROOT / "corpus").glob("*.txt"))
    docxs = [(p.stem, sample_docx(p.read_text(encoding="utf-8"))) for p in texts]
    with tempfile.TemporaryDirectory(prefix="rag-fuzz-") as folder:
        paths = []
        for seed in range(seeds):
            for name, data in mutants(pdfs, docxs, seed):
                path = Path(folder) / name
                path.write_bytes(data)
                paths.append(path)
        results = run(paths)
    counts = Counter(r["outcome"] for r in results)
    for kind in ("pdf", "docx"):
        mine = [r for r in results if r["file"].endswith(kind)]
        c = Counter(r["outcome"] for r in mine)
        print(f"{kind}: tried {len(mine)}, indexed {c['indexed']}, skipped {c['skipped']}, crashed {c['crashed']}")
    print(f"all: tried {len(results)}, indexed {counts['indexed']}, skipped {counts['skipped']}, crashed {counts['crashed']}; "
          f"peak RSS of a reading process {max(r.get('peak_mb', 0) for r in results)} MB, "
          f"slowest file {max(r.get('seconds', 0) for r in results)} s")
    for r in results:
        if r["outcome"] == "crashed":
            print(f"  crashed: {r['file']}: {r['why']}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
