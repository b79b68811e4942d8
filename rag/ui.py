"""Everything behind the web UI (app.py) that a unit test can reach without a browser.

The chat turn (follow-ups, city selector, safe display of what the user typed),
the reply (answer, comparison table, ordered citations, plain text to copy),
the targets tab (name filter, sortable table, chart, downloads), the plans
tab (uploading and removing plans while the app runs) and the API helpers.
Nothing here imports gradio. All corpus text and all user text goes
through `html.escape` before any markup is added; the only tags this module
emits are its own.
"""
from __future__ import annotations

import atexit
import dataclasses
import hashlib
import html
import logging
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .errors import UserError
from .index import Index
from .ingest import FORMATS, size_problem
from .indicators import indicator_mentions
from .normalize import to_simplified
from .retrieve import QUESTION_YEAR, PlaceNames, question_year
from .sections import section_at, split_sections
from .targets import CSV_COLUMNS

log = logging.getLogger(__name__)

ALL = "全部"
# Requests answered at once by the web app (the embedding call is the only part that takes turns).
CONCURRENT_ANSWERS = 16
# How much of what a user typed is repeated back in an error message.
ECHO_CHARS = 30
INTERNAL_ERROR = "服务器内部错误，请稍后重试。"
EMPTY_HINT = "请输入一个问题，例如：江门2030年可再生能源装机目标是多少？"
EXAMPLE_QUESTION = "江门2030年可再生能源装机目标是多少？"


def place_of(plan) -> str:
    """The place a plan is for. The only place this module reads the plan's place field."""
    return getattr(plan, "place", None) or plan.label


# ---------------------------------------------------------------- escaping and highlighting


def esc(text: str | None) -> str:
    """Corpus text as safe HTML, line breaks kept as <br>."""
    return html.escape(text or "", quote=True).replace("\r\n", "\n").replace("\n", "<br>")


# Bidirectional controls (they can reverse how a question is displayed) and other invisible format characters.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u200b\ufeff]")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(text: str | None) -> str:
    """What the user typed, with bidi/format controls and control characters removed, trimmed."""
    return CONTROL_CHARS.sub("", BIDI_CONTROLS.sub("", text or "")).strip()


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """`text` cut to `limit` characters (with …), for repeating user input back safely."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


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


# A line that opens a section: 一、 / (一) / 1. / 专栏1
HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）]|\d{1,2}[.．、](?!\d)|专栏\s*\d{1,2})")


def is_heading(text: str) -> bool:
    """True when `text` is only a section heading ("2.津市新能源开发利用风电光伏项目。"): a title, not an answer."""
    text = (text or "").strip()
    if not HEADING.match(text) or "\n" in text:
        return False
    rest = re.split(r"[。：:]", text, maxsplit=1)
    return len(rest) == 1 or not re.search(r"[\u4e00-\u9fff\d]", rest[1])


def screen_answer(answer):
    """The answer as the UI shows it: a section heading quoted as the answer becomes 未找到."""
    if answer.found and answer.mode == "passage" and is_heading(answer.answer):
        return dataclasses.replace(
            answer, found=False, answer="", mode="none", highlight=[],
            note=f"方案中只找到章节标题“{answer.answer.strip()}”，没有可以回答这个问题的句子。",
        )
    return answer


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

    answer: object  # rag.answer.Answer, after screen_answer
    cited: list[Citation] = field(default_factory=list)  # the sources, in the answer's order
    others: list[Citation] = field(default_factory=list)  # retrieved, but not what the answer quotes

    @classmethod
    def of(cls, answer) -> "Reply":
        answer = screen_answer(answer)
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
                lines.append(f"[{c.number}] 《{p['title']}》 {p['section']}")
                if c.quote():
                    lines.append(f"    “{c.quote()}”")
        return "\n".join(lines)


def _amount(t) -> str:
    return f"{t.value:g}{t.unit or ''}"


def compare_table_html(reply: Reply) -> str:
    """A comparison answer as a table: 地区, 年份, 目标值, 表述, 出处 — rows in the answer's order."""
    rows = []
    for t in answer_targets(reply.answer):
        if t.qualitative or t.value is None:
            value, wording = "未给出具体数值", t.qualifier
        else:
            value, wording = _amount(t), t.value_text().replace(_amount(t), "…")
        number = reply.number_of(t)
        source = (f"[{number}] " if number else "") + f"{t.section}"
        rows.append(f"<tr><td>{esc(t.city)}</td><td>{t.year}</td><td>{esc(value)}</td><td>{esc(wording)}</td>"
                    f"<td>{esc(source)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("地区", "年份", "目标值", "表述", "出处"))
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


def passage_html(passage, highlight: Iterable = (), number: int | None = None) -> str:
    p = _passage_fields(passage)
    spans = spans_for(highlight, p["plan_id"])
    head = (
        f'<div class="rag-cite-head">[{int(number if number is not None else p["rank"])}] 《{esc(p["title"])}》 · '
        f'{esc(p["city"])} · <span class="rag-section">{esc(p["section"])}</span></div>'
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


def notice_html(message: str) -> str:
    return f'<div class="rag-reply"><div class="rag-answer rag-notfound">{esc(message)}</div></div>'


CITES_LABEL = "上一回答的引用"
UNRELATED_LABEL = "检索到的段落（不能回答上一个问题）"


@dataclass
class Picker:
    """The citation picker beside the chat: choices (label, "plan_id:char_start"), the one it opens on, its label."""

    choices: list[tuple[str, str]]
    value: str | None
    label: str


def citation_picker(answer) -> Picker:
    """Opens on the passage the answer cites; after 未找到 the passages are listed as not answering."""
    if answer is None:
        return Picker([], None, CITES_LABEL)
    reply = Reply.of(answer)

    def choice(c: Citation, prefix: str = "") -> tuple[str, str]:
        p = c.passage
        return f"{prefix}[{c.number}] 《{p['title']}》{p['section']}", f"{p['plan_id']}:{p['char_start']}"

    if reply.cited:
        choices = [choice(c) for c in reply.cited] + [choice(c, "（未引用）") for c in reply.others]
        return Picker(choices, choices[0][1], CITES_LABEL)
    return Picker([choice(c, "（不回答问题）") for c in reply.others], None, UNRELATED_LABEL)


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


# ---------------------------------------------------------------- follow-up questions

FILLER = re.compile(
    r"那么|那|呢|吗|嘛|呀|啊|吧|又|再|也|还有|的|是|有|多少|几|怎么样|怎样|如何|情况|目标|要求|换成|改成|换|"
    r"如果是|看看|看|对于|关于|请问|方面|年份|年|中|里|"
    r"[\s，,。．.？?！!、：:；;“”\"'‘’（）()]"
)
# Words that mark a question as a follow-up to the previous one: "…呢？", "那…", "还有…".
FOLLOW_UP_MARK = re.compile(r"呢|^(?:那么?|还有|换成|改成|如果是)")
# Short words staff use for an indicator in a follow-up ("光伏呢？"), and the indicator they stand for.
SHORT_INDICATORS = {
    "光伏": "光伏装机容量", "太阳能": "光伏装机容量", "风电": "风电装机容量", "风能": "风电装机容量",
    "生物质": "生物质发电装机容量", "可再生能源": "可再生能源发电装机容量",
}
NO_CONTEXT = "这是一个追问，但当前对话里还没有可以接着问的问题。请把问题写完整，例如：“{example}”"


@dataclass(frozen=True)
class _Slot:
    start: int
    end: int
    text: str  # what to write in its place when substituting into another question


def _aliases(place_names) -> dict[str, str]:
    """alias -> full name, from a rag.retrieve.PlaceNames or a plain list of city names."""
    if hasattr(place_names, "aliases"):
        return dict(place_names.aliases)
    from .places import short_name as short_city_name

    aliases = {}
    for name in place_names or ():
        aliases[name] = name
        aliases[short_city_name(name)] = name
    return aliases


def _city_slots(text: str, aliases: dict[str, str]) -> list[_Slot]:
    return [_Slot(s, e, text[s:e]) for s, e, _ in PlaceNames(aliases).spans(text)]


def _year_slots(text: str) -> list[_Slot]:
    slots = []
    for match in QUESTION_YEAR.finditer(text):
        slots.append(_Slot(match.start(), match.end(), f"{question_year(match)}年"))
    return slots


def _indicator_slots(text: str) -> list[_Slot]:
    slots = [_Slot(s, e, text[s:e]) for s, e, _ in indicator_mentions(text)]
    for word in sorted(SHORT_INDICATORS, key=len, reverse=True):
        for match in re.finditer(re.escape(word), text):
            s, e = match.span()
            if not any(x.start < e and s < x.end for x in slots):
                slots.append(_Slot(s, e, SHORT_INDICATORS[word]))
    return sorted(slots, key=lambda slot: slot.start)


def _substitute(question: str, old: list[_Slot], new: list[_Slot], insert_at: int) -> str:
    """Put the `new` slot values where the first `old` slot was (or at `insert_at`), dropping the other old ones."""
    if not new:
        return question
    value = "和".join(dict.fromkeys(slot.text for slot in new))
    if not old:
        return question[:insert_at] + value + question[insert_at:]
    out = question
    for slot in sorted(old[1:], key=lambda s: -s.start):  # later duplicates go, with a joining 和/、 before them
        start = slot.start - 1 if slot.start and out[slot.start - 1] in "和、与及,，" else slot.start
        out = out[:start] + out[slot.end :]
    first = old[0]
    return out[: first.start] + value + out[first.end :]


def _elliptical_slots(text: str, aliases: dict[str, str]) -> dict[str, list[_Slot]] | None:
    """The city/year/indicator slots of a question that says nothing else, or None for any other question."""
    slots = {"city": _city_slots(text, aliases), "year": _year_slots(text), "indicator": _indicator_slots(text)}
    if not any(slots.values()):
        return None
    rest = text
    for slot in sorted((s for group in slots.values() for s in group), key=lambda s: -s.start):
        rest = rest[: slot.start] + " " + rest[slot.end :]
    return None if FILLER.sub("", rest) else slots


def is_follow_up(question: str, place_names) -> bool:
    """True for a short follow-up ("那2030年呢？", "光伏呢？", "津市呢？"): it needs a previous question."""
    text = to_simplified(clean_input(question))
    if not text:
        return False
    if _elliptical_slots(text, _aliases(place_names)) is None:
        return bool(re.fullmatch(r"(?:那么?|还有)?呢[？?]?", text))  # "那呢？"
    return bool(FOLLOW_UP_MARK.search(text))  # "光伏装机目标是多少？" alone is a question of its own


def contextualize(question: str, previous_question: str | None, place_names) -> str:
    """Rewrite an elliptical follow-up into a full question, using the previous (already full) question.

    A follow-up is a question that, once its city, year and indicator words are
    taken out, says nothing else ("那2030年呢？", "江门呢？", "光伏呢？").
    Each of those slots it names replaces the same slot in the previous question;
    the slots it leaves out are inherited. A question naming both a city and an
    indicator is a full question unless it says "呢"/"那". Any other question is
    returned as is. `place_names` is a rag.retrieve.PlaceNames or a list of city names.
    """
    if not question or not question.strip() or not previous_question or not previous_question.strip():
        return question
    text = to_simplified(clean_input(question))
    previous = to_simplified(previous_question.strip())
    aliases = _aliases(place_names)
    slots = _elliptical_slots(text, aliases)
    if slots is None:
        return question  # it says more than a slot change: a question of its own
    if slots["city"] and slots["indicator"] and not FOLLOW_UP_MARK.search(text):
        return question  # "南昌光伏装机目标是多少？": a full question
    rewritten = previous
    # substitute right to left by kind, re-finding the slots each time since offsets move
    for kind, finder in (("indicator", _indicator_slots), ("year", _year_slots), ("city", lambda t: _city_slots(t, aliases))):
        new = slots[kind]
        if not new:
            continue
        old = finder(rewritten)
        if kind == "indicator" and not old:
            # the previous question named no indicator: ask about this one for its city and year
            context = "".join(s.text for s in _city_slots(rewritten, aliases)[:1] + _year_slots(rewritten)[:1])
            rewritten = f"{context}{'和'.join(s.text for s in new)}目标是多少？"
            continue
        if kind == "year" and not old:
            cities = _city_slots(rewritten, aliases)
            insert_at = cities[0].end if cities else 0
        else:
            insert_at = 0
        rewritten = _substitute(rewritten, old, new, insert_at)
    return rewritten


# ---------------------------------------------------------------- the chat turn

# A question about several cities at once: the city selector must not narrow it to one.
CROSS_CITY = re.compile(r"各城市|各市|各地|哪个城市|哪些城市|哪座城市|哪几个城市|所有城市|几个城市|五个城市|对比|比较|排名|最高|最低|which cit|compare|all cities", re.I)


def choose_city(selected: str | None, typed: str, names, question: str | None = None) -> tuple[str | None, str | None]:
    """The chat's city filter for one question: (city to pass to ask, notice for the user).

    The selector restricts the search, except when the question as typed names
    other cities ("江门呢？" while 南昌市 is selected) or the question (as
    rewritten from context, `question`) asks across cities ("哪些城市提到了氢能？"):
    then the reply says the selector was not applied.
    """
    if not selected or selected.strip() in ("", ALL, "all"):
        return None, None
    chosen = names.resolve(selected) or selected
    typed = to_simplified(typed or "")
    named = names.find(typed)
    if named and chosen not in named:
        return None, f"问题中提到了{'、'.join(named)}，本次未按“限定城市：{chosen}”筛选。"
    if not named and CROSS_CITY.search(to_simplified(question or typed)):
        return None, f"这是关于多个城市的问题，本次在全部城市中查找，未按“限定城市：{chosen}”筛选。"
    return chosen, None


def with_city(question: str, city: str, place_names) -> str:
    """`question` about `city` instead of the cities it names (a city it inherited from context)."""
    from .places import short_name as short_city_name

    text = to_simplified(question)
    old = _city_slots(text, _aliases(place_names))
    if not old:
        return question
    return _substitute(text, old, [_Slot(0, 0, short_city_name(city))], 0)


@dataclass
class ChatTurn:
    """What one question changes on the chat page."""

    history: list[dict]
    context: str | None  # the last answered question, in full: what the next follow-up builds on
    answer: dict | None  # Answer.to_dict() of this reply, for the section reader
    picker: Picker
    hint: str = ""  # a short line under the question box (empty input)
    cleared_input: bool = True


def chat_turn(index, message: str | None, history: list | None, selected_city: str | None,
              context: str | None) -> ChatTurn:
    """Answer one chat message: follow-ups, the city selector, errors; the whole turn as data."""
    from .answer import ask
    from .retrieve import place_names

    history = list(history or [])
    message = clean_input(message)
    if not message:
        return ChatTurn(history, context, None, citation_picker(None), EMPTY_HINT, cleared_input=False)
    names = place_names(index)
    if context:
        effective = contextualize(message, context, names)
    elif is_follow_up(message, names):
        reply = notice_html(NO_CONTEXT.format(example=EXAMPLE_QUESTION))
        history += [{"role": "user", "content": user_html(message)}, {"role": "assistant", "content": reply}]
        return ChatTurn(history, None, None, citation_picker(None))
    else:
        effective = message
    answer = None
    try:
        resolve_city(index, selected_city)  # an unknown city is reported, not silently ignored
        city_filter, notice = choose_city(selected_city, message, names, effective)
        if city_filter and names.find(to_simplified(effective)) not in ((), (city_filter,)):
            effective = with_city(effective, city_filter, names)  # the selector beats a city inherited from context
        answer = screen_answer(ask(index, effective, city=city_filter))
        reply = format_answer(answer, understood_as=effective if effective != message else None, notice=notice)
        context = effective
    except UserError as problem:
        reply = error_html(clip(str(problem), 200))
    except Exception:  # a bug must not take the page down; the log has the details
        log.exception("chat question failed: %r", clip(message, 200))
        reply = error_html(INTERNAL_ERROR)
    history += [{"role": "user", "content": user_html(message)}, {"role": "assistant", "content": reply}]
    return ChatTurn(history, context, answer.to_dict() if answer else None, citation_picker(answer))


# ---------------------------------------------------------------- API helpers


def resolve_city(index, city) -> str | None:
    """None for empty/全部, else the plan city's full name; unknown names raise UserError."""
    from .retrieve import place_names

    name = str(city or "").strip()
    if name in ("", ALL, "all"):
        return None
    resolved = place_names(index).resolve(name)
    if not resolved:
        known = "、".join(place_of(p) for p in index.plans.values())
        raise UserError(f"未知城市：{clip(name)}。语料中有这些城市的方案：{known}")
    return resolved


def parse_year(year) -> int | None:
    """None for empty/全部; 2025, 2025.0, "2025", "2025年" -> 2025; anything else raises UserError."""
    if year is None or isinstance(year, bool):
        return None
    if isinstance(year, (int, float)):
        if year != int(year) or not 2000 <= int(year) <= 2100:
            raise UserError(f"年份无效：{clip(year)}。请输入四位年份，如 2025。")
        return int(year)
    text = str(year).strip()
    if text in ("", ALL, "all"):
        return None
    match = re.fullmatch(r"(\d{4})(?:\.0+)?\s*年?", text)
    if not match:
        raise UserError(f"年份无效：{clip(text)}。请输入四位年份，如 2025。")
    return int(match.group(1))


def ask_dict(index, question, city) -> dict:
    """The /ask endpoint: the same dict as `rag ask --json`, or {"error": "..."} for bad input."""
    from .answer import ask

    try:
        city_name = resolve_city(index, city)
        return ask(index, "" if question is None else str(question), city=city_name).to_dict()
    except UserError as error:
        return {"error": clip(str(error), 200)}
    except Exception:
        log.exception("/ask failed")
        return {"error": INTERNAL_ERROR}


def targets_dict(index, city=None, year=None, indicator=None) -> dict:
    """The /targets endpoint: {"targets": [...]} filtered like `rag targets`, or {"error": "..."}."""
    from .targets import filter_targets

    try:
        rows = filter_targets(
            index.targets,
            city=resolve_city(index, city),
            year=parse_year(year),
            indicator=(str(indicator).strip() or None) if indicator is not None else None,
        )
    except UserError as error:
        return {"error": clip(str(error), 200)}
    except Exception:
        log.exception("/targets failed")
        return {"error": INTERNAL_ERROR}
    return {"targets": [t.to_dict() for t in rows]}


class SharedIndex(Index):
    """The loaded index, answering many requests at once.

    Everything `ask` reads is read-only after loading, except the embedding
    model's tokenizer, which must not be used by two threads at once: only
    `embed` takes turns (a few milliseconds), the rest runs concurrently.
    """

    def embed(self, texts: list[str]):
        with self._embed_lock:
            return super().embed(texts)


def shared_index(index: Index) -> SharedIndex:
    """`index` for a server answering many requests at once.

    Each request is one short question, so the embedding runtime and faiss get one thread each: their
    own thread pools would only spin against the other concurrent requests for the same cores.
    """
    import faiss

    from .embed import limit_threads

    limit_threads(1)
    faiss.omp_set_num_threads(1)
    shared = SharedIndex.__new__(SharedIndex)
    shared.__dict__.update(index.__dict__)  # the same loaded data, cached properties included
    shared._embed_lock = threading.Lock()
    return shared


# ---------------------------------------------------------------- the targets tab


TABLE_COLUMNS = ("城市", "年份", "指标", "原文指标", "目标", "数值", "单位", "章节", "原文句子")
NUMERIC_COLUMNS = {"年份", "数值"}
SENTENCE_CHARS = 28  # the sentence column shows this much; the rest opens on demand


def _cell(text: str, sort_key=None) -> str:
    key = "" if sort_key is None else f' data-sort="{html.escape(str(sort_key), quote=True)}"'
    return f"<td{key}>{esc(text)}</td>"


def targets_table_html(targets) -> str:
    """The targets as an HTML table: every header sorts on click; long sentences open on demand."""
    head = "".join(
        f'<th data-type="{"num" if name in NUMERIC_COLUMNS else "text"}" aria-sort="none">'
        f'<button type="button" class="rag-sort">{name}</button></th>'
        for name in TABLE_COLUMNS
    )
    body = []
    for t in targets:
        target = f"未给出具体数值（{t.qualifier}）" if t.qualitative else t.value_text()
        value = "" if t.value is None else f"{t.value:g}"
        sentence = t.sentence.strip()
        if len(sentence) > SENTENCE_CHARS:
            sentence_cell = (f'<td class="rag-sentence" data-sort="{html.escape(sentence, quote=True)}"><details>'
                             f"<summary>{esc(sentence[:SENTENCE_CHARS])}…</summary>{esc(sentence)}</details></td>")
        else:
            sentence_cell = f'<td class="rag-sentence">{esc(sentence)}</td>'
        body.append(
            "<tr>" + _cell(t.city) + _cell(str(t.year)) + _cell(t.canonical) + _cell(t.indicator) + _cell(target)
            + _cell(value, t.value if t.value is not None else "") + _cell(t.unit or "") + _cell(t.section)
            + sentence_cell + "</tr>"
        )
    return (f'<div class="rag-table-wrap"><table class="rag-targets rag-sortable"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def targets_count(rows, total: int) -> str:
    if not rows:
        return "没有符合条件的目标，请放宽筛选条件。"
    return f"共 {len(rows)} 条目标（全部 {total} 条）。点击表头可排序；点击句子可展开全文。"


# Downloads: the same columns as `rag targets --csv`, with the Chinese headers the table and Excel use.
EXPORT_HEADERS = {
    "city": "城市", "year": "年份", "canonical": "指标", "indicator": "原文指标", "value": "数值", "unit": "单位",
    "qualifier": "限定词", "baseline_year": "基准年", "direction": "方向", "qualitative": "定性目标",
    "section": "章节", "sentence": "原文句子", "plan_id": "方案编号", "char_start": "起始字符", "char_end": "结束字符",
}


def export_header() -> list[str]:
    return [EXPORT_HEADERS.get(c, c) for c in CSV_COLUMNS]


def _export_values(t) -> list:
    data = t.to_dict()
    return [data[c] for c in CSV_COLUMNS]


def _part(path: Path) -> Path:
    """A private temporary name beside `path`, so concurrent writers never share a half-written file."""
    import uuid

    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")


def write_targets_csv(path: Path, targets) -> Path:
    """The targets as CSV with Chinese headers, in UTF-8 with a BOM so Excel reads the Chinese."""
    import csv

    path = Path(path)
    tmp = _part(path)
    with open(tmp, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(export_header())
        writer.writerows(_export_values(t) for t in targets)
    tmp.replace(path)
    return path


def write_targets_xlsx(path: Path, targets) -> Path:
    """The same columns and headers as the CSV, as an Excel workbook."""
    from openpyxl import Workbook

    path = Path(path)
    book = Workbook()
    sheet = book.active
    sheet.title = "量化目标"
    sheet.append(export_header())
    for t in targets:
        sheet.append(_export_values(t))
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKLMNO", (10, 7, 22, 26, 9, 14, 10, 10, 8, 9, 40, 60, 14, 9, 9)):
        sheet.column_dimensions[column].width = width
    tmp = _part(path)
    book.save(tmp)
    tmp.replace(path)
    return path


class ExportFolder:
    """One temporary folder for all downloads of this process, removed at exit.

    A filter's files are named after the filter, so asking again reuses them;
    only the most recent `keep` filters are kept.
    """

    def __init__(self, keep: int = 20):
        self.path = Path(tempfile.mkdtemp(prefix="rag-ui-"))
        self.keep = keep
        self._lock = threading.Lock()
        atexit.register(self.remove)

    def files(self, rows, *key) -> tuple[str, str]:
        stem = "targets_" + hashlib.sha1("|".join(map(str, key)).encode()).hexdigest()[:10]
        csv_path, xlsx_path = self.path / f"{stem}.csv", self.path / f"{stem}.xlsx"
        with self._lock:
            if not (csv_path.exists() and xlsx_path.exists()):
                write_targets_csv(csv_path, rows)
                write_targets_xlsx(xlsx_path, rows)
            csv_path.touch(), xlsx_path.touch()
            self._prune()
        return str(csv_path), str(xlsx_path)

    def _prune(self) -> None:
        stems = sorted({p.stem for p in self.path.glob("targets_*")},
                       key=lambda s: -max(p.stat().st_mtime for p in self.path.glob(f"{s}.*")))
        for stem in stems[self.keep :]:
            for old in self.path.glob(f"{stem}.*"):
                old.unlink(missing_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def chart_indicators(targets) -> list[str]:
    """Indicators with a numeric target, the ones most cities share first."""
    cities: dict[str, set[str]] = {}
    for t in targets:
        if not t.qualitative and t.value is not None:
            cities.setdefault(t.canonical, set()).add(t.city)
    return sorted(cities, key=lambda c: (-len(cities[c]), c))


def chart_year(targets, indicator: str, year) -> tuple[int | None, bool]:
    """(the year to draw, whether it was chosen for the user): the chosen year, or for 全部 the latest
    year the most cities give a numeric target for."""
    year = parse_year(year)
    if year is not None:
        return year, False
    cities: dict[int, set[str]] = {}
    for t in targets:
        if t.canonical == indicator and not t.qualitative and t.value is not None:
            cities.setdefault(t.year, set()).add(t.city)
    if not cities:
        return None, True
    return max(cities, key=lambda y: (len(cities[y]), y)), True


def chart_frame(targets, indicator: str, year) -> tuple[object, str]:
    """One bar per city for `indicator` in one year: (DataFrame[城市, 数值, 目标], caption naming the year).

    Values in different units are not comparable, so only the most common unit is drawn.
    """
    import pandas as pd

    year, picked = chart_year(targets, indicator, year)
    empty = pd.DataFrame({"城市": pd.Series(dtype=str), "数值": pd.Series(dtype=float), "目标": pd.Series(dtype=str)})
    if year is None:
        return empty, f"没有城市给出{indicator}的具体数值。"
    rows = [t for t in targets if t.canonical == indicator and t.year == year and not t.qualitative and t.value is not None]
    if not rows:
        return empty, f"没有城市给出{year}年{indicator}的具体数值。"
    units = [t.unit or "" for t in rows]
    unit = max(dict.fromkeys(units), key=units.count)
    chosen: dict[str, object] = {}
    for t in rows:
        if (t.unit or "") == unit and t.city not in chosen:
            chosen[t.city] = t
    frame = pd.DataFrame(
        [[t.city, float(t.value), f"{t.year}年{t.value_text()}"] for t in chosen.values()], columns=["城市", "数值", "目标"]
    )
    caption = f"{year}年{indicator}（单位：{unit or '无'}）"
    if picked:
        caption += f"。年份选“全部”时，图中只画一个年份：{year}年是给出该目标的城市最多的最近年份"
    qualitative = sorted({t.city for t in targets if t.canonical == indicator and t.qualitative and t.year == year} - set(chosen))
    skipped = sorted({t.city for t in rows if (t.unit or "") != unit} - set(chosen))
    if skipped:
        caption += f"；{'、'.join(skipped)}的目标单位不同，未画出"
    if qualitative:
        caption += f"；{'、'.join(qualitative)}未给出具体数值"
    return frame, caption


def plans_frame(index, targets):
    import pandas as pd

    chunk_counts: dict[str, int] = {}
    for chunk in index.chunks:
        chunk_counts[chunk.plan_id] = chunk_counts.get(chunk.plan_id, 0) + 1
    target_counts: dict[str, int] = {}
    for t in targets:
        target_counts[t.plan_id] = target_counts.get(t.plan_id, 0) + 1
    rows = [
        [p.title, place_of(p), p.province, p.kind, p.issued, p.source_file, chunk_counts.get(p.plan_id, 0),
         target_counts.get(p.plan_id, 0), len(p.text)]
        for p in index.plans.values()
    ]
    return pd.DataFrame(rows, columns=["方案标题", "城市", "省份", "类型", "发布日期", "源文件", "段落数", "目标数", "字数"])


# ---------------------------------------------------------------- the plans tab: adding and removing plans


class ServedIndex:
    """The index the app answers from, following the index folder's `current` build.

    Whoever switches `current` — `rag build` in a terminal, or an upload or removal in the 方案
    tab — the next request sees it: one readlink per request notices the switch, one request
    loads the new build while the others go on with the loaded one, which stays valid for
    requests already using it (everything was read into memory). A build that cannot be
    loaded is logged and not retried.
    """

    def __init__(self, index: Index):
        self._index = index if isinstance(index, SharedIndex) else shared_index(index)
        self._changing = threading.Lock()  # one upload or removal at a time
        self._reloading = threading.Lock()
        self._unloadable: set[str] = set()

    @property
    def current(self) -> SharedIndex:
        from .index import CURRENT

        held = self._index
        try:
            build = Path(os.readlink(Path(held.settings.index_dir) / CURRENT)).name
        except OSError:
            return held
        if build in (held.path.name, *self._unloadable) or not self._reloading.acquire(blocking=False):
            return held
        try:
            self.swap(held.settings)
            log.info("loaded the new index build %s", build)
        except UserError as problem:
            self._unloadable.add(build)
            log.warning("new index build %s not loaded, still serving %s: %s", build, held.path.name, problem)
        finally:
            self._reloading.release()
        return self._index

    def swap(self, settings) -> None:
        """Load the index just built and answer from it from now on."""
        from .index import load_index

        fresh = shared_index(load_index(settings, check_corpus=False))
        fresh._embed_lock = self._index._embed_lock  # one model, one tokenizer lock
        self._index = fresh


@dataclass
class PlanChange:
    """What an upload or a removal did, for the plans tab."""

    ok: bool
    message: str  # one line, Chinese
    report: list[str] = field(default_factory=list)  # the lines `rag build` prints


UPLOAD_TYPES = tuple(FORMATS)  # .txt .md .html .htm .pdf .docx
NAME_CHARS = 80
UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_name(name: str) -> str:
    """A plan file name that stays inside the corpus folder: no folders, no control or bidi characters,
    no leading dot (hidden files are not plans), the extension lower-cased, at most NAME_CHARS characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = BIDI_CONTROLS.sub("", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME.sub("_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.strip(" .")[:NAME_CHARS] or "方案"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def upload_problem(path: Path, name: str, max_bytes: int) -> str | None:
    """Why an uploaded file cannot be a plan (type or size), or None."""
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        return f"{clip(name)}：不支持的文件类型{suffix and '（' + clip(suffix, 10) + '）'}，只能上传 {' '.join(UPLOAD_TYPES)} 文件"
    problem = size_problem(path.stat().st_size, max_bytes)
    return f"{clip(name)}：{problem}" if problem else None


def add_uploaded_plans(served: ServedIndex, uploads: Iterable) -> PlanChange:
    """Add uploaded plan files to the corpus the app was started with, rebuild, and answer from the new index.

    `uploads` are paths of files the server received (their names are what the user's files were
    called). Every file is checked before any is added; on any problem nothing is added.
    """
    from .cli import report_lines
    from .index import add_plans, build_index

    settings = served.current.settings
    files = [Path(u) for u in uploads or () if u]
    if not files:
        return PlanChange(False, "请先选择要上传的方案文件（.txt .md .html .htm .pdf .docx）。")
    names = [safe_name(f.name) for f in files]
    problems = [p for f, n in zip(files, names) if (p := upload_problem(f, n, settings.max_file_bytes))]
    if len(set(names)) < len(names):
        problems.append("有两个文件同名，请改名后再上传")
    if problems:
        return PlanChange(False, "未添加任何文件。" + "；".join(problems))
    corpus = Path(settings.corpus_dir)
    with served._changing, tempfile.TemporaryDirectory(prefix="rag-upload-") as staging:
        new = [name for name in names if not (corpus / name).exists()]
        staged = []
        for source, name in zip(files, names):
            staged.append(Path(staging) / name)
            shutil.copyfile(source, staged[-1])
        try:
            result = add_plans(settings, staged, progress=False)
            refused = [f for f in result.files if f.file in new and f.status == "skipped"]
            if refused:  # readable, yet no plan in it (no text layer): it does not stay in the corpus
                for report in refused:
                    (corpus / report.file).unlink(missing_ok=True)
                rebuilt = build_index(settings, progress=False)
                result = dataclasses.replace(rebuilt, files=rebuilt.files + refused)
            served.swap(settings)
        except UserError as problem:
            return PlanChange(False, clip(str(problem), 300))
        except Exception:
            log.exception("adding plans failed: %s", names)
            return PlanChange(False, INTERNAL_ERROR)
    if result.unchanged:
        return PlanChange(True, "这些文件已在语料中，内容相同，索引无需更新。", report_lines(result))
    added = [f.file for f in result.files if f.file in names and f.status != "skipped"]
    message = f"已添加 {len(added)} 个方案：{'、'.join(added)}，现在可以提问。" if added else ""
    if refused:
        message = f"未能收录（文件未保留）：{'；'.join(f'{f.file}（{f.error}）' for f in refused)}。{message}"
    return PlanChange(not refused, message, report_lines(result))


def remove_served_plan(served: ServedIndex, plan_id: str | None) -> PlanChange:
    """Take a plan out of the corpus and the index (its file is kept under the index's removed/ folder)."""
    from .cli import report_lines
    from .index import remove_plan

    plan = served.current.plans.get(str(plan_id or ""))
    if plan is None:
        return PlanChange(False, "请先在列表中选择要移除的方案。")
    settings = served.current.settings
    with served._changing:
        try:
            result, kept = remove_plan(settings, plan.plan_id, progress=False)
            served.swap(settings)
        except UserError as problem:
            return PlanChange(False, f"未移除：{clip(str(problem), 300)}")
        except Exception:
            log.exception("removing plan %s failed", plan.plan_id)
            return PlanChange(False, INTERNAL_ERROR)
    return PlanChange(True, f"已移除《{plan.title}》（{plan.file}）；原文件保存在 {kept}。", report_lines(result))


def plan_change_html(change: PlanChange) -> str:
    """The outcome line and the per-file build report, escaped."""
    css = "rag-answer" if change.ok else "rag-answer rag-error"
    lines = "".join(f"<li>{esc(line)}</li>" for line in change.report)
    return f'<div class="rag-reply"><div class="{css}">{esc(change.message)}</div>' + (
        f'<ul class="rag-report">{lines}</ul>' if lines else "") + "</div>"


def plan_choices(index) -> list[tuple[str, str]]:
    """(label, plan_id) for the plan pickers: place and title, so two plans of one place are told apart."""
    return [(f"{place_of(p)} ·《{p.title}》（{p.file}）", p.plan_id) for p in index.plans.values()]
