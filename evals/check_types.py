#!/usr/bin/env python3
"""Check evals/questions_types.jsonl against the shipped plans, normalised as the product does.

Run from the repository root:

    .venv/bin/python evals/check_types.py [--set FILE] [--corpus DIR]

The plans are read and cleaned with `rag.corpus.load_plans` (pinyin ruby, `@@`
noise and page furniture removed, OpenCC t2s), which only reads files; no
question is answered and no answering code is imported.

Row rules:
  * keys exactly, in this order: id question city kind answer answer_keys
    evidence source note type context; ids "t001", "t002", ... and unique
  * kind in {target, fact, open, compare, unanswerable};
    type in {target, qualitative, fact, list, where, yesno, compare, corpus,
    definition, greeting, open}
  * source: "" or plan file names joined by "|", each a file of the corpus
  * evidence: 1-3 strings of 10-30 characters, already simplified, each an
    exact substring of the normalised text of (one of) its source plan(s)
  * answer_keys: each occurs in the gold answer and in the normalised text of
    the source plan(s) (corpus rows: in some plan's text or metadata)
  * answerable rows (not unanswerable / greeting / corpus) need a source,
    answer_keys and evidence; compare-kind rows need >= 2 sources and evidence
    from >= 2 of them
  * unanswerable and greeting rows: empty answer_keys and evidence; tokens
    after "absent:" in the note (separated by "|", ended by ";" or end of
    note) must NOT occur in the source plan(s); an unanswerable row without a
    source names a place that has no plan (or "" for the bare follow-up trap)
  * greeting and corpus rows: no source, no evidence
  * a row with one source names that plan's place as city, or "" (no place)
  * follow-ups: a question that reads as a follow-up (starts with 那, ends
    with 呢) needs a context, except the deliberate bare follow-up trap (kind
    unanswerable, note says "bare follow-up"); a context is a full question,
    not itself a follow-up, and differs from the question
Exit status 0 when every row passes; otherwise every failure is printed.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.corpus import load_plans  # noqa: E402  (reads and cleans the plans only)

KEYS = ["id", "question", "city", "kind", "answer", "answer_keys", "evidence", "source", "note", "type", "context"]
KINDS = {"target", "fact", "open", "compare", "unanswerable"}
TYPES = {"target", "qualitative", "fact", "list", "where", "yesno", "compare", "corpus", "definition", "greeting", "open"}
NO_PASSAGE_TYPES = {"greeting", "corpus"}
FOLLOW_UP = re.compile(r"^\s*(那|那么)|呢\s*[？?]?\s*$")
EVIDENCE_LEN = (10, 30)


def simplified(text: str) -> bool:
    try:
        import opencc
    except ImportError:  # the product's venv has it; without it this one check is skipped
        return True
    return opencc.OpenCC("t2s").convert(text) == text


def absent_tokens(note: str) -> list[str]:
    m = re.search(r"absent:([^;；]*)", note)
    return [t.strip() for t in m.group(1).split("|") if t.strip()] if m else []


def check(rows: list[tuple[int, dict]], plans: list) -> tuple[list[str], Counter, Counter, int]:
    text = {p.file: p.text for p in plans}
    place_of = {p.file: p.place for p in plans}
    places = {p.place for p in plans if p.place}
    short_places = {p.place[:-1] for p in plans if p.place} | {p.place.removesuffix("市") for p in plans if p.place}
    metadata = " ".join(f"{p.place} {p.province} {p.title} {p.doc_number} {p.issued} {p.issuer} {p.kind}" for p in plans)
    everything = "\n".join(text.values()) + "\n" + metadata

    errors: list[str] = []
    by_type: Counter = Counter()
    by_kind: Counter = Counter()
    follow_ups = 0
    seen: set[str] = set()
    for n, (lineno, row) in enumerate(rows, 1):
        rid = row.get("id", f"line{lineno}")
        where = f"{rid} (line {lineno})"
        err = lambda msg: errors.append(f"{where}: {msg}")  # noqa: E731

        if list(row) != KEYS:
            err(f"keys {list(row)} != {KEYS}")
            continue
        if rid in seen:
            err("duplicate id")
        seen.add(rid)
        if rid != f"t{n:03d}":
            err(f"id should be t{n:03d} (sequential)")
        for key in ("question", "city", "kind", "answer", "source", "note", "type", "context"):
            if not isinstance(row[key], str):
                err(f"{key} must be a string")
        if not all(isinstance(row[k], list) and all(isinstance(x, str) and x for x in row[k]) for k in ("answer_keys", "evidence")):
            err("answer_keys and evidence must be lists of non-empty strings")
            continue
        if any(not isinstance(row[k], str) for k in ("question", "city", "kind", "answer", "source", "note", "type", "context")):
            continue
        kind, typ = row["kind"], row["type"]
        if kind not in KINDS:
            err(f"bad kind {kind!r}")
        if typ not in TYPES:
            err(f"bad type {typ!r}")
        by_kind[kind] += 1
        by_type[typ] += 1
        if not row["question"].strip() or not row["answer"].strip():
            err("question and answer must not be empty")

        sources = [s for s in row["source"].split("|")] if row["source"] else []
        unknown = [s for s in sources if s not in text]
        if unknown:
            err(f"unknown source file(s) {unknown}")
            continue
        if len(set(sources)) != len(sources):
            err("source names a file twice")
        joined = "\n".join(text[s] for s in sources)

        # city
        if len(sources) == 1 and row["city"] not in ("", place_of[sources[0]]):
            err(f"city {row['city']!r} is not the place of {sources[0]} ({place_of[sources[0]]!r})")
        if len(sources) > 1 and row["city"]:
            err(f"a row with several sources has city {row['city']!r}; use \"\"")

        # follow-ups
        bare_trap = kind == "unanswerable" and "bare follow-up" in row["note"]
        if row["context"]:
            follow_ups += 1
            ctx = row["context"].strip()
            if FOLLOW_UP.search(ctx) or len(ctx) < 8 or not ctx.endswith(("？", "?")):
                err(f"context {ctx!r} is not a full question")
            if ctx == row["question"].strip():
                err("context repeats the question")
            if bare_trap:
                err("the bare follow-up trap must have an empty context")
        elif FOLLOW_UP.search(row["question"]) and not bare_trap:
            err(f"question {row['question']!r} reads as a follow-up but has no context")
        if bare_trap and (sources or row["city"]):
            err("the bare follow-up trap names no plan and no city")

        # evidence
        for ev in row["evidence"]:
            if not EVIDENCE_LEN[0] <= len(ev) <= EVIDENCE_LEN[1]:
                err(f"evidence {ev!r} is {len(ev)} characters (need {EVIDENCE_LEN[0]}-{EVIDENCE_LEN[1]})")
            if not simplified(ev):
                err(f"evidence {ev!r} is not in simplified characters")
        if len(row["evidence"]) > 3:
            err("more than 3 evidence strings")

        # keys in the gold answer
        for key in row["answer_keys"]:
            if key not in row["answer"]:
                err(f"answer key {key!r} is not in the gold answer")

        if kind == "unanswerable" or typ == "greeting":
            if row["answer_keys"] or row["evidence"]:
                err("unanswerable and greeting rows need empty answer_keys and evidence")
            for tok in absent_tokens(row["note"]):
                if not sources:
                    err(f"absent token {tok!r} but no source to check it against")
                elif tok in joined:
                    err(f"absent token {tok!r} does occur in {sources}")
            if kind == "unanswerable" and not sources and not bare_trap:
                if not row["city"]:
                    err("an unanswerable row without a source must name its place")
                elif row["city"] in places or row["city"] in short_places:
                    err(f"city {row['city']!r} has a plan; name its source")
            if typ == "greeting" and (sources or row["city"]):
                err("a greeting has no source and no city")
            continue

        if typ == "corpus":
            if sources or row["evidence"]:
                err("a corpus row has no source and no evidence")
            if not row["answer_keys"]:
                err("a corpus row needs answer_keys")
            for key in row["answer_keys"]:
                if key not in everything:
                    err(f"answer key {key!r} is in no plan's text or metadata")
            continue

        # answerable rows quoting plans
        if not sources:
            err("an answerable row needs a source")
            continue
        if not row["answer_keys"]:
            err("an answerable row needs answer_keys")
        if not row["evidence"]:
            err("an answerable row needs evidence")
        hit: set[str] = set()
        for ev in row["evidence"]:
            files = [s for s in sources if ev in text[s]]
            if not files:
                err(f"evidence {ev!r} not found in {sources}")
            hit.update(files)
        for key in row["answer_keys"]:
            if not any(key in text[s] for s in sources):
                err(f"answer key {key!r} not in the text of {sources}")
        if kind == "compare":
            if len(sources) < 2:
                err("a compare row needs >= 2 source files")
            elif len(hit) < 2:
                err(f"a compare row needs evidence from >= 2 of its sources (got {sorted(hit)})")
        for tok in absent_tokens(row["note"]):
            if tok in joined:
                err(f"absent token {tok!r} does occur in {sources}")
    return errors, by_type, by_kind, follow_ups


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default=str(ROOT / "evals" / "questions_types.jsonl"))
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    args = ap.parse_args(argv)

    plans, reports = load_plans(Path(args.corpus))
    errors: list[str] = [f"plan file {r.file} was skipped: {r.error}" for r in reports if r.status == "skipped"]
    rows = []
    with open(args.set, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"line {lineno}: bad JSON ({exc})")
                continue
            if not isinstance(row, dict):
                errors.append(f"line {lineno}: not a JSON object")
                continue
            rows.append((lineno, row))

    row_errors, by_type, by_kind, follow_ups = check(rows, plans)
    errors += row_errors
    print(f"{len(plans)} plans, {len(rows)} questions, {follow_ups} follow-ups with context")
    print("  by type: " + ", ".join(f"{t}={by_type[t]}" for t in sorted(by_type)))
    print("  by kind: " + ", ".join(f"{k}={by_kind[k]}" for k in sorted(by_kind)))
    if errors:
        print(f"FAIL ({len(errors)} problems)")
        for e in errors:
            print("  -", e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
