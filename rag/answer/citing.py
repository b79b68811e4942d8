"""Citations: the chunks that hold cited text, and the sentences of a plan.

Every answer cites spans of plan text as (plan_id, start, end); the passages shown with it are
the chunks holding those spans, in citation order, then retrieval's best for the rest.
"""
from __future__ import annotations

from ..chunk import Chunk
from ..index import Index
from ..retrieve import Passage, retrieve
from ..zh.sentences import FULL_STOPS, SENTENCE_MARK


def cited_chunks(index: Index, spans) -> list[Chunk]:
    """The chunk holding each cited (plan_id, start, …) span, once each, in citation order
    (compared by identity: comparing whole chunks is slow)."""
    chosen: dict[int, Chunk] = {}
    for plan_id, start, *_ in spans:
        chunk = index.chunk_at(plan_id, start)
        if chunk:
            chosen.setdefault(id(chunk), chunk)
    return list(chosen.values())


def passages_for(index: Index, spans, question=None, k: int = 5, plan_ids: tuple[str, ...] | None = None) -> list[Passage]:
    """The chunks holding the cited spans first (all of them, even past k), then, when a question
    is given, retrieval fills up to k."""
    chosen = cited_chunks(index, spans)
    passages = [Passage(0, c, 1.0, 0.0, 0.0) for c in chosen]
    if question is not None and len(passages) < k:
        seen = {id(c) for c in chosen}
        for p in retrieve(index, question, k + len(chosen), plan_ids):
            if len(passages) >= k:
                break
            if id(p.chunk) not in seen:
                passages.append(p)
    return [Passage(r + 1, p.chunk, p.score, p.dense, p.lexical) for r, p in enumerate(passages)]


def sentence_at(text: str, position: int) -> tuple[int, int]:
    """The span of the sentence holding `position` (。！？ or a line end close it), found locally: in
    windows growing from the position, so a mark the text lacks (an ASCII "!") does not send the
    search to both ends of a long plan (a question naming no place looks at every plan)."""
    width, start = 256, None
    while start is None:
        low = max(0, position - width)
        marks = [m.start() for m in SENTENCE_MARK.finditer(text, low, position)]
        if marks or low == 0:
            start = marks[-1] + 1 if marks else 0
        width *= 4
    width, end = 256, None
    while end is None:
        high = min(len(text), position + width)
        mark = SENTENCE_MARK.search(text, position, high)
        if mark or high == len(text):
            end = mark.start() + 1 if mark else len(text)
        width *= 4
    return start, end


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans; a ；inside parentheses ("(三山:……;两江:……)") does not end a sentence."""
    spans, start, depth = [], 0, 0
    for i, char in enumerate(text):
        if char in "(（":
            depth += 1
        elif char in ")）":
            depth = max(0, depth - 1)
        if char in FULL_STOPS or char == "\n" or (char in "；;" and depth == 0):
            if text[start : i + 1].strip():
                spans.append((start, i + 1))
            start = i + 1
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def quote(index: Index, plan_id: str, start: int, end: int, section: str | None = None) -> str:
    """"江门市：<sentence>（《title》section，第 N 页）": a plan's words with where they stand."""
    from ..sections import section_at, split_sections

    plan = index.plans[plan_id]
    section = section if section is not None else section_at(split_sections(plan.text), start).path
    return f"{plan.label}：{plan.text[start:end].strip()}（{plan.where(section, start, end)}）"
