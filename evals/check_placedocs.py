#!/usr/bin/env python3
"""Self-check for the gold set over ../../shared/placedocs (questions_placedocs.jsonl).

Usage:  python check_placedocs.py      (needs pypdfium2; uses opencc if importable)

Modelled on ../../shared/realpdfs/check.py, but reads PDFs with pypdfium2 and
resolves compare sources that live in ../../shared/realpdfs (PDF) or
../../shared/newplans (.txt excerpts).

Checks
  * every placedocs PDF is the unchanged original (sha256 from its SOURCES.md)
    and has an entry in meta_placedocs.json with the allowed fields;
  * questions_placedocs.jsonl rows have exactly the realpdfs schema, unique ids
    prefixed "pd-<tag>-" where <tag> names one placedocs file, and a valid kind;
  * answerable rows: every evidence string occurs in its source(s) (NFKC ->
    traditional-to-simplified -> all whitespace removed; for newplans .txt also
    pinyin annotations and "@@" removed, as in newplans/check.py); at least one
    evidence string is on `page` of the first source, which must be a placedocs
    PDF page that has a text layer; every answer_key occurs in the gold answer
    and in the source text(s);
  * compare rows have 2-3 sources joined by "|", the first a placedocs PDF, and
    every source is hit by some evidence string; other rows have one source;
  * unanswerable rows have empty answer_keys and evidence, page null, and a
    source that is "" or a placedocs file.
Exit status 0 when everything passes, 1 otherwise.
"""
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
PLACEDOCS = SHARED / "placedocs"
REALPDFS = SHARED / "realpdfs"
NEWPLANS = SHARED / "newplans"
QUESTIONS = HERE / "questions_placedocs.jsonl"
META = HERE / "meta_placedocs.json"

try:
    import pypdfium2 as pdfium
except ImportError:  # pragma: no cover
    sys.exit("check_placedocs.py needs pypdfium2 (pip install pypdfium2)")

try:
    import opencc
    _CC = opencc.OpenCC("t2s")

    def _t2s(s):
        return _CC.convert(s)
    T2S = "opencc t2s"
except Exception:  # the placedocs PDFs are simplified; traditional .txt sources will fail
    def _t2s(s):
        return s
    T2S = "none (opencc not importable: evidence in traditional-character .txt sources cannot match)"

# sha256 as listed in ../../shared/placedocs/SOURCES.md
SHA256 = {
    "chengdu-energy-structure.pdf": "1eb87656609fec999e0c2a9a9da5a5ed8cacccfbaa200702c3ca97635ae112ae",
    "guangdong-circular-opinions.pdf": "95673ccdb5cbec1cbb6b2267bc736d9d1d6685e0451779f0899ede398720695e",
    "guangdong-green-building.pdf": "5a0c9941e221c75b5bb17ffc8e22a96bd462c4f7c3048d1dddd29067f223d863",
    "henan-circular-opinions.pdf": "dfe34be106cdbf256ef3267418c07c9b559f470e872da1eba825a87ba9c1657f",
    "hunan-renewables.pdf": "81071a931a8b275e9a30d1a5837c4d84c566fbb6c397ef58bef6d3654ef3b6cd",
    "neimenggu-climate-plan.pdf": "57ff48a77cab6fe9ffe7b56a4405d679e36c19351896d3854bb958015c82614a",
    "shandong-circular-economy.pdf": "5b8f69c16ba714b2e158927f564ac6eeed0d87af1a2a23b21fdcbe734cb905f6",
    "shandong-green-building.pdf": "1efeac3e6eb4853fe114c6b189616f0346c68b07e6eed57a38ded41d087aa5ff",
    "sichuan-enterprise-energy.pdf": "3c60fe5e5f4a80e164c879186b6cde9d3fd8a2dd7d25764987a18742543ba1f0",
    "sichuan-renewables.pdf": "b145f20ff0fb684bb46018db9a8905a6d0940bf8acdce1d69cf03dda3e9cf768",
    "zhejiang-climate-plan.pdf": "fd119b43e99dbf071b48b2cb2559aec809cdeb5c9e5c7f230af190686bac26ce",
    "zhejiang-renewables.pdf": "f6d7775c30f39f10fc19f485871663a73c8df92e176fb7170885a869b1f2eea8",
}
# id tag -> placedocs file
TAGS = {
    "cdes": "chengdu-energy-structure.pdf",
    "gdco": "guangdong-circular-opinions.pdf",
    "gdgb": "guangdong-green-building.pdf",
    "hnco": "henan-circular-opinions.pdf",
    "hnre": "hunan-renewables.pdf",
    "nmcl": "neimenggu-climate-plan.pdf",
    "sdce": "shandong-circular-economy.pdf",
    "sdgb": "shandong-green-building.pdf",
    "scee": "sichuan-enterprise-energy.pdf",
    "scre": "sichuan-renewables.pdf",
    "zjcl": "zhejiang-climate-plan.pdf",
    "zjre": "zhejiang-renewables.pdf",
}

FIELDS = ["id", "question", "city", "kind", "answer", "answer_keys",
          "evidence", "source", "page", "note"]
KINDS = ["target", "fact", "open", "compare", "unanswerable"]
META_FIELDS = {"place", "level", "doc_number", "issued", "issuer", "kind"}
LEVELS = {"province", "city", "county", "district", "zone"}
PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7}\)")


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = _t2s(s)
    return re.sub(r"\s+", "", s)


def norm_txt(s):
    return norm(PINYIN.sub("", s).replace("@@", ""))


def resolve(name):
    """Path of a source file name, or None."""
    if not name or "/" in name or "\\" in name:
        return None
    for folder in (PLACEDOCS, REALPDFS):
        if name.lower().endswith(".pdf") and (folder / name).is_file():
            return folder / name
    if name.endswith(".txt") and (NEWPLANS / name).is_file():
        return NEWPLANS / name
    return None


_PAGES = {}


def pages(name):
    """Normalised text of each page (index 0 = PDF page 1); a .txt is one page."""
    if name not in _PAGES:
        path = resolve(name)
        if path.suffix == ".txt":
            _PAGES[name] = [norm_txt(path.read_text(encoding="utf-8"))]
        else:
            pdf = pdfium.PdfDocument(str(path))
            try:
                _PAGES[name] = [norm(pdf[i].get_textpage().get_text_range())
                                for i in range(len(pdf))]
            finally:
                pdf.close()
    return _PAGES[name]


def doc(name):
    return "".join(pages(name))


def main():
    errors = []
    err = errors.append

    # ---- placedocs PDFs ----
    pdfs = sorted(p.name for p in PLACEDOCS.glob("*.pdf"))
    for f in pdfs:
        if f not in SHA256:
            err(f"{f}: not a known file of placedocs")
        elif hashlib.sha256((PLACEDOCS / f).read_bytes()).hexdigest() != SHA256[f]:
            err(f"{f}: sha256 differs from SOURCES.md")
    for f in SHA256:
        if f not in pdfs:
            err(f"{f}: missing from {PLACEDOCS}")

    # ---- meta_placedocs.json ----
    meta = json.loads(META.read_text(encoding="utf-8"))
    for f, m in meta.items():
        if f not in SHA256:
            err(f"meta: {f} is not a placedocs file")
        extra = set(m) - META_FIELDS
        if extra:
            err(f"meta: {f} has unknown fields {sorted(extra)}")
        if "place" not in m:
            err(f"meta: {f} has no place")
        if m.get("level") not in LEVELS:
            err(f"meta: {f} level {m.get('level')!r}")
        if "issued" in m and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", m["issued"]):
            err(f"meta: {f} issued {m['issued']!r} is not YYYY-MM-DD")
        if f in SHA256 and "doc_number" in m and norm(m["doc_number"]) not in doc(f):
            err(f"meta: {f} doc_number {m['doc_number']!r} not in the PDF")
    for f in SHA256:
        if f not in meta:
            err(f"meta: no entry for {f}")

    # ---- questions ----
    rows = []
    with open(QUESTIONS, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append((n, json.loads(line)))
                except json.JSONDecodeError as exc:
                    err(f"line {n}: bad JSON ({exc})")
    ids = set()
    kinds = Counter()
    per_file = Counter()
    per_file_kind = {}
    for n, r in rows:
        tag = f"line {n} {r.get('id')}"
        if list(r) != FIELDS:
            err(f"{tag}: fields {list(r)} != {FIELDS}")
            continue
        rid = r["id"]
        if rid in ids:
            err(f"{tag}: duplicate id")
        ids.add(rid)
        m = re.fullmatch(r"pd-([a-z]+)-[a-z0-9-]+", rid)
        if not m or m.group(1) not in TAGS:
            err(f"{tag}: id must look like pd-<tag>-... with a tag from {sorted(TAGS)}")
            continue
        home = TAGS[m.group(1)]
        kind = r["kind"]
        if kind not in KINDS:
            err(f"{tag}: bad kind {kind!r}")
            continue
        kinds[kind] += 1
        per_file[home] += 1
        per_file_kind.setdefault(home, Counter())[kind] += 1
        if not all(isinstance(r[k], str) for k in ("question", "city", "answer", "source", "note")):
            err(f"{tag}: question/city/answer/source/note must be strings")
            continue
        if not r["question"].strip() or not r["answer"].strip() or not r["city"].strip():
            err(f"{tag}: empty question, answer or city")
        if not isinstance(r["answer_keys"], list) or not isinstance(r["evidence"], list):
            err(f"{tag}: answer_keys/evidence must be lists")
            continue

        if kind == "unanswerable":
            if r["answer_keys"] or r["evidence"]:
                err(f"{tag}: unanswerable row must have empty answer_keys and evidence")
            if r["page"] is not None:
                err(f"{tag}: unanswerable row must have page null")
            if r["source"] and r["source"] not in SHA256:
                err(f"{tag}: unanswerable source must be '' or a placedocs file")
            if r["source"] and r["source"] != home:
                err(f"{tag}: source {r['source']} does not match id tag ({home})")
            continue

        srcs = [s for s in r["source"].split("|") if s]
        bad = [s for s in srcs if resolve(s) is None]
        if not srcs or bad:
            err(f"{tag}: bad source {r['source']!r}")
            continue
        if len(set(srcs)) != len(srcs):
            err(f"{tag}: repeated source")
        if srcs[0] not in SHA256:
            err(f"{tag}: first source must be a placedocs PDF")
            continue
        if srcs[0] != home:
            err(f"{tag}: first source {srcs[0]} does not match id tag ({home})")
        if kind == "compare":
            if not 2 <= len(srcs) <= 3:
                err(f"{tag}: compare row needs 2-3 sources")
            if "/" not in r["city"]:
                err(f"{tag}: compare city should list places as A/B")
        elif len(srcs) != 1:
            err(f"{tag}: only compare rows may have several sources")
        if not r["answer_keys"] or not r["evidence"]:
            err(f"{tag}: answerable row needs answer_keys and evidence")
        nans = norm(r["answer"])
        for k in r["answer_keys"]:
            if not isinstance(k, str) or not k.strip():
                err(f"{tag}: empty answer_key")
                continue
            if norm(k) not in nans:
                err(f"{tag}: answer_key {k!r} not in the gold answer")
            if not any(norm(k) in doc(s) for s in srcs):
                err(f"{tag}: answer_key {k!r} not found in {r['source']}")
        for e in r["evidence"]:
            if not isinstance(e, str) or not norm(e):
                err(f"{tag}: empty evidence string")
                continue
            if not any(norm(e) in doc(s) for s in srcs):
                err(f"{tag}: evidence {e!r} not found in {r['source']}")
        for s in srcs:
            if not any(isinstance(e, str) and norm(e) and norm(e) in doc(s) for e in r["evidence"]):
                err(f"{tag}: no evidence string found in {s}")
        p = r["page"]
        first = pages(srcs[0])
        if not isinstance(p, int) or isinstance(p, bool) or not 1 <= p <= len(first):
            err(f"{tag}: page {p!r} out of range")
        elif not first[p - 1]:
            err(f"{tag}: page {p} of {srcs[0]} has no text layer")
        elif not any(isinstance(e, str) and norm(e) and norm(e) in first[p - 1] for e in r["evidence"]):
            err(f"{tag}: no evidence string on page {p} of {srcs[0]}")

    for f in SHA256:
        if per_file[f] == 0:
            err(f"{f}: no question")

    total = len(rows)
    print(f"t2s: {T2S}")
    print(f"placedocs PDFs: {len(pdfs)}  meta entries: {len(meta)}  questions: {total}")
    print("kinds: " + ", ".join(f"{k}={kinds[k]}" for k in KINDS))
    print("per file:")
    for f in sorted(SHA256):
        c = per_file_kind.get(f, Counter())
        print(f"  {f:34s} {per_file[f]:3d}  " + " ".join(f"{k}={c[k]}" for k in KINDS if c[k]))
    if errors:
        print(f"FAIL: {len(errors)} problem(s)")
        for e in errors:
            print("  - " + e)
        return 1
    print("OK: all evidence strings found on their pages, all answer_keys in answers and sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
