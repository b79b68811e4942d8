"""Answers and plan text as the page shows them: escaped HTML with the answering sentences marked,
a table for comparisons, numbered citations, and the same answer as plain text for the clipboard.

Every piece of corpus or user text is escaped here before any markup is added; the only tags this
module emits are its own. Passages and answers are read through their dict form, so new fields
(page numbers, new answer types) pass through without changes here.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterable

from ..sections import section_at, split_sections
from ..usertext import clean_input
from .choices import place_of


def esc(text: str | None) -> str:
    """Corpus text as safe HTML, line breaks kept as <br>."""
    return html.escape(text or "", quote=True).replace("\r\n", "\n").replace("\n", "<br>")



def user_html(text: str) -> str:
    """The user's message for the chat: shown as typed, never read as Markdown or HTML.

    One escaped HTML block on one line: Markdown leaves the inside of an HTML
    block alone, so `![x](http://…)` stays text and fetches nothing.
    """
    return f'<div class="rag-user">{esc(clean_input(text))}</div>'


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted((s, e) for s, e in spans if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def highlight_html(text: str, offset: int, spans: Iterable[tuple[int, int]]) -> str:
    """Escape `text` (which starts at plan position `offset`) and wrap the parts inside `spans` in <mark>.

    Spans are in plan-text coordinates, like `Answer.highlight` and the chunks' char_start/char_end.
    """
    end_of_text = offset + len(text)
    pieces: list[str] = []
    cursor = 0
    for start, end in merge_spans(spans):
        start, end = max(start, offset) - offset, min(end, end_of_text) - offset
        if start >= end:
            continue
        pieces.append(esc(text[cursor:start]))
        pieces.append(f"<mark>{esc(text[start:end])}</mark>")
        cursor = end
    pieces.append(esc(text[cursor:]))
    return "".join(pieces)


def spans_for(highlight: Iterable, plan_id: str) -> list[tuple[int, int]]:
    """The (start, end) answering spans in one plan; accepts tuples or to_dict() rows."""
    out = []
    for item in highlight or ():
        if isinstance(item, dict):
            item = (item["plan_id"], item["char_start"], item["char_end"])
        pid, start, end = item
        if pid == plan_id:
            out.append((int(start), int(end)))
    return out


# ---------------------------------------------------------------- the reply: answer, table, citations, copy text


def _passage_fields(passage) -> dict:
    """A Passage or its to_dict() row, as a dict."""
    return passage if isinstance(passage, dict) else passage.to_dict()


def _target_position(text: str, target) -> int:
    """Where the answer text states `target`, so tables and citations follow the answer's order."""
    for needle in (f"{target.city}{target.value_text()}", f"{target.city}：到{target.year}年",
                   f"{target.city}未给出具体数值", target.city):
        at = text.find(needle)
        if at >= 0:
            return at
    return len(text)


def answer_targets(answer) -> list:
    """The answer's target rows in the order the answer states them."""
    rows = list(getattr(answer, "targets", None) or ())
    return [t for _, t in sorted(enumerate(rows), key=lambda it: (_target_position(answer.answer, it[1]), it[0]))]


def _answer_spans(answer) -> list[tuple[str, int, int]]:
    """The answering spans in the order the answer gives its facts."""
    rows = answer_targets(answer)
    if rows and answer.mode in ("target", "compare"):
        return [(t.plan_id, t.char_start, t.char_end) for t in rows]
    return [tuple(h.values()) if isinstance(h, dict) else tuple(h) for h in answer.highlight]


@dataclass
class Citation:
    number: int  # as shown: [1], [2], ... in the answer's order
    passage: dict  # Passage.to_dict()
    spans: list[tuple[int, int]]  # answering spans inside this passage (plan coordinates)

    def quote(self) -> str:
        """The answering sentence(s) of this passage, as plain text."""
        p = self.passage
        pieces = []
        for start, end in merge_spans(self.spans):
            start, end = max(start, p["char_start"]), min(end, p["char_end"])
            if start < end:
                pieces.append(p["text"][start - p["char_start"] : end - p["char_start"]].strip())
        return "……".join(x for x in pieces if x)


@dataclass
class Reply:
    """One answer as the chat shows it."""

    answer: object  # rag.answer.Answer
    cited: list[Citation] = field(default_factory=list)  # the sources, in the answer's order
    others: list[Citation] = field(default_factory=list)  # retrieved, but not what the answer quotes

    @classmethod
    def of(cls, answer) -> "Reply":
        passages = [_passage_fields(p) for p in answer.passages]
        cited: list[Citation] = []
        if answer.found:
            for plan_id, start, end in _answer_spans(answer):
                for p in passages:
                    if p["plan_id"] == plan_id and start < p["char_end"] and p["char_start"] < end:
                        known = next((c for c in cited if c.passage is p), None)
                        if known:
                            known.spans.append((start, end))
                        else:
                            cited.append(Citation(len(cited) + 1, p, [(start, end)]))
                        break
        taken = [c.passage for c in cited]
        others = [Citation(len(cited) + i + 1, p, []) for i, p in enumerate(x for x in passages if x not in taken)]
        return cls(answer, cited, others)

    def number_of(self, target) -> int | None:
        """The citation number of the passage quoting `target`."""
        for c in self.cited:
            p = c.passage
            if p["plan_id"] == target.plan_id and target.char_start < p["char_end"] and p["char_start"] < target.char_end:
                return c.number
        return None

    def copy_text(self) -> str:
        """Plain text for the clipboard: the answer, then the numbered citations."""
        a = self.answer
        if a.found:
            lines = [f"答：{a.answer.strip()}"]
        else:
            lines = [f"答：未找到。{(a.answer or a.note or '在方案中没有找到与问题相关的内容。').strip()}"]
        if self.cited:
            lines.append("引用：")
            for c in self.cited:
                p = c.passage
                lines.append(f"[{c.number}] 《{p['title']}》 {p['section']}" + (f"（{pages(p)}）" if pages(p) else ""))
                if c.quote():
                    lines.append(f"    “{c.quote()}”")
        return "\n".join(lines)


def _amount(t) -> str:
    return f"{t.value:g}{t.unit or ''}"


COMPARE_COLUMNS = ("地区", "年份", "目标值", "表述", "出处")


def compare_table_html(reply: Reply) -> str:
    """A comparison answer as a table: 地区, 年份, 目标值, 表述, 出处 — rows in the answer's order.

    Each cell carries its column's name (hidden on a wide screen), so a narrow screen shows every row
    as a stacked card ("地区：江门市 …") instead of squeezing five columns into 390 px.
    """
    rows = []
    for t in answer_targets(reply.answer):
        if t.qualitative or t.value is None:
            value, wording = "未给出具体数值", t.qualifier
        else:
            value, wording = _amount(t), t.value_text().replace(_amount(t), "…")
        number = reply.number_of(t)
        source = (f"[{number}] " if number else "") + f"{t.section}"
        cells = zip(COMPARE_COLUMNS, (t.city, str(t.year), value, wording, source))
        rows.append("<tr>" + "".join(f'<td><span class="rag-label">{label}：</span><span class="rag-value">{esc(text)}</span></td>'
                                     for label, text in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in COMPARE_COLUMNS)
    return f'<table class="rag-compare"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _compare_headline(answer) -> str:
    """The one-line summary above a comparison table: the ranking, if asked, and who set no target."""
    lines = [line for line in answer.answer.splitlines() if "（《" not in line and line.strip()]
    rows = answer_targets(answer)
    years = "、".join(f"{y}年" for y in sorted({t.year for t in rows}))
    names = "、".join(dict.fromkeys(t.canonical for t in rows))
    numeric = list(dict.fromkeys(t.city for t in rows if not t.qualitative and t.value is not None))
    vague = [c for c in dict.fromkeys(t.city for t in rows) if c not in numeric]
    summary = f"{years}{names}：{len(numeric)} 个城市给出了具体数值，见下表（按回答顺序）。"
    if vague:
        summary += f"{'、'.join(vague)}未给出具体数值。"
    missing = [m.strip() for m in re.findall(r"([^；：\n]+)未设定该目标", answer.answer)]
    if missing:
        summary += f"{'、'.join(dict.fromkeys(missing))}未设定该目标。"
    return "".join(lines) + summary


def pages(passage: dict) -> str:
    """"第 3 页" / "第 3–4 页" when the passage says where it stands in the source PDF, else ""."""
    first, last = passage.get("page_start"), passage.get("page_end")
    if not first:
        return ""
    return f"第 {first} 页" if not last or last == first else f"第 {first}–{last} 页"


def passage_html(passage, highlight: Iterable = (), number: int | None = None) -> str:
    p = _passage_fields(passage)
    spans = spans_for(highlight, p["plan_id"])
    where = pages(p)
    head = (
        f'<div class="rag-cite-head">[{int(number if number is not None else p["rank"])}] 《{esc(p["title"])}》 · '
        f'{esc(p["city"])} · <span class="rag-section">{esc(p["section"])}{" · " + where if where else ""}</span></div>'
    )
    body = f'<div class="rag-cite-text">{highlight_html(p["text"], int(p["char_start"]), spans)}</div>'
    return f'<div class="rag-cite">{head}{body}</div>'


def _copy_html(text: str) -> str:
    """The copy button and the plain text it copies (hidden; newlines as entities to keep one line)."""
    plain = html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "&#10;")
    return (f'<div class="rag-tools"><button type="button" class="rag-copy" title="复制答案与引用（纯文本）">复制答案</button></div>'
            f'<pre class="rag-copy-text">{plain}</pre>')


def format_answer(answer, understood_as: str | None = None, notice: str | None = None) -> str:
    """The chat reply: the direct answer (or 未找到 with the reason), a table for comparisons, then its citations.

    `answer` is a rag.answer.Answer. The result is one line of HTML (no blank
    lines), so the chat's markdown renderer leaves the corpus text alone.
    """
    reply = Reply.of(answer)
    answer = reply.answer
    parts = ['<div class="rag-reply">']
    if understood_as:
        parts.append(f'<div class="rag-understood">按上下文理解为：{esc(understood_as)}</div>')
    if notice:
        parts.append(f'<div class="rag-understood">{esc(notice)}</div>')
    if answer.found and answer.mode == "compare" and answer.targets:
        parts.append(f'<div class="rag-answer"><strong>答：</strong>{esc(_compare_headline(answer))}</div>')
        parts.append(compare_table_html(reply))
    elif answer.found:
        parts.append(f'<div class="rag-answer"><strong>答：</strong>{esc(answer.answer)}</div>')
    elif answer.mode == "help":  # asked back before any search (a bare follow-up): a notice, not a miss
        parts.append(f'<div class="rag-answer rag-notfound">{esc(answer.answer)}</div>')
    else:
        reason = answer.answer or getattr(answer, "note", "") or "在方案中没有找到与问题相关的内容。"
        parts.append(f'<div class="rag-answer rag-notfound"><strong>未找到。</strong>{esc(reason)}</div>')
    parts.append(_copy_html(reply.copy_text()))
    if reply.cited:
        parts.append(f'<div class="rag-cites-title">依据（{len(reply.cited)} 处，<mark>高亮</mark>为答案所在句）</div>')
        parts.extend(passage_html(c.passage, answer.highlight if answer.found else (), c.number) for c in reply.cited)
    if reply.others:
        label = "其他相关段落" if reply.cited else "检索到的段落（它们不能回答这个问题，仅供参考）"
        parts.append(f"<details><summary>{label}（{len(reply.others)} 段）</summary>")
        parts.extend(passage_html(c.passage, (), c.number) for c in reply.others)
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def error_html(message: str) -> str:
    return f'<div class="rag-reply"><div class="rag-answer rag-error"><strong>出错了：</strong>{esc(message)}</div></div>'





def section_html(plan, position: int, highlight: Iterable = ()) -> str:
    """The whole section of `plan` holding `position`, escaped, with answering spans marked."""
    sections = split_sections(plan.text)
    if not sections:
        return f'<div class="rag-reader">{esc(plan.text)}</div>'
    section = section_at(sections, position)
    body = plan.text[section.start : section.end].rstrip()
    spans = spans_for(highlight, plan.plan_id)
    return (
        f'<div class="rag-section-view"><div class="rag-cite-head">《{esc(plan.title)}》 · {esc(place_of(plan))} · '
        f'{esc(section.path)}（第 {section.start}–{section.start + len(body)} 字）</div>'
        f'<div class="rag-reader">{highlight_html(body, section.start, spans)}</div></div>'
    )


def plan_reader_html(plan) -> str:
    """A plan's full text for reading: headings in bold, everything escaped."""
    meta = (
        f'<div class="rag-cite-head">《{esc(plan.title)}》 · {esc(plan.province)}{esc(place_of(plan))} · '
        f"{esc(plan.kind)} · 发布于 {esc(plan.issued)}</div>"
    )
    pieces = []
    for section in split_sections(plan.text):
        heading = plan.text[section.start : section.heading_end]
        if heading.strip():
            pieces.append(f'<strong class="rag-heading">{esc(heading)}</strong>')
        pieces.append(esc(plan.text[section.heading_end : section.end]))
    return f'<div class="rag-section-view">{meta}<div class="rag-reader">{"".join(pieces)}</div></div>'

