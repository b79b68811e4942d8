"""Pure helpers behind the web UI (app.py): HTML formatting, follow-up questions, tables, files.

Nothing here imports gradio, so every function can be unit-tested on its own.
All corpus text goes through `html.escape` before any markup is added; the
only tags this module emits are its own (<div>, <mark>, <strong>, <br>, ...).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import UserError
from .indicators import indicator_mentions
from .retrieve import QUESTION_YEAR, PlaceNames
from .normalize import to_simplified
from .sections import section_at, split_sections
from .targets import FIVE_YEAR_END

ALL = "全部"

# ---------------------------------------------------------------- escaping and highlighting


def esc(text: str | None) -> str:
    """Corpus text as safe HTML, line breaks kept as <br>."""
    return html.escape(text or "", quote=True).replace("\r\n", "\n").replace("\n", "<br>")


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


# ---------------------------------------------------------------- chat replies


def _passage_fields(passage) -> dict:
    """A Passage or its to_dict() row, as a dict."""
    return passage if isinstance(passage, dict) else passage.to_dict()


def passage_html(passage, highlight: Iterable = ()) -> str:
    p = _passage_fields(passage)
    spans = spans_for(highlight, p["plan_id"])
    head = (
        f'<div class="rag-cite-head">[{int(p["rank"])}] 《{esc(p["title"])}》 · {esc(p["city"])} · '
        f'<span class="rag-section">{esc(p["section"])}</span></div>'
    )
    body = f'<div class="rag-cite-text">{highlight_html(p["text"], int(p["char_start"]), spans)}</div>'
    return f'<div class="rag-cite">{head}{body}</div>'


def _cites(passage, highlight) -> bool:
    p = _passage_fields(passage)
    return any(s < p["char_end"] and p["char_start"] < e for s, e in spans_for(highlight, p["plan_id"]))


def format_answer(answer, understood_as: str | None = None, notice: str | None = None) -> str:
    """The chat reply: the direct answer (or 未找到 with the reason), then its citations.

    `answer` is a rag.answer.Answer. The result is one line of HTML (no blank
    lines), so the chat's markdown renderer leaves the corpus text alone.
    """
    parts = ['<div class="rag-reply">']
    if understood_as:
        parts.append(f'<div class="rag-understood">按上下文理解为：{esc(understood_as)}</div>')
    if notice:
        parts.append(f'<div class="rag-understood">{esc(notice)}</div>')
    if answer.found:
        parts.append(f'<div class="rag-answer"><strong>答：</strong>{esc(answer.answer)}</div>')
    else:
        reason = answer.answer or getattr(answer, "note", "") or "在方案中没有找到与问题相关的内容。"
        parts.append(f'<div class="rag-answer rag-notfound"><strong>未找到。</strong>{esc(reason)}</div>')
    cited = [p for p in answer.passages if _cites(p, answer.highlight)]
    others = [p for p in answer.passages if p not in cited]
    if cited:
        parts.append(f'<div class="rag-cites-title">依据（{len(cited)} 处，<mark>高亮</mark>为答案所在句）</div>')
        parts.extend(passage_html(p, answer.highlight) for p in cited)
    if others:
        label = "其他相关段落" if cited else "相关段落（仅供参考）"
        parts.append(f"<details><summary>{label}（{len(others)} 段）</summary>")
        parts.extend(passage_html(p, answer.highlight) for p in others)
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def error_html(message: str) -> str:
    return f'<div class="rag-reply"><div class="rag-answer rag-error"><strong>出错了：</strong>{esc(message)}</div></div>'


def citation_choices(answer_dict: dict | None) -> list[tuple[str, str]]:
    """Dropdown choices for the last answer's passages: (label, "plan_id:char_start")."""
    choices = []
    for p in (answer_dict or {}).get("passages", []):
        label = f"[{p['rank']}] 《{p['title']}》{p['section']}"
        choices.append((label, f"{p['plan_id']}:{p['char_start']}"))
    return choices


def section_html(plan, position: int, highlight: Iterable = ()) -> str:
    """The whole section of `plan` holding `position`, escaped, with answering spans marked."""
    sections = split_sections(plan.text)
    if not sections:
        return f'<div class="rag-reader">{esc(plan.text)}</div>'
    section = section_at(sections, position)
    body = plan.text[section.start : section.end].rstrip()
    spans = spans_for(highlight, plan.plan_id)
    return (
        f'<div class="rag-section-view"><div class="rag-cite-head">《{esc(plan.title)}》 · {esc(plan.label)} · '
        f'{esc(section.path)}（第 {section.start}–{section.start + len(body)} 字）</div>'
        f'<div class="rag-reader">{highlight_html(body, section.start, spans)}</div></div>'
    )


def plan_reader_html(plan) -> str:
    """A plan's full text for reading: headings in bold, everything escaped."""
    meta = (
        f'<div class="rag-cite-head">《{esc(plan.title)}》 · {esc(plan.province)}{esc(plan.label)} · '
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


@dataclass(frozen=True)
class _Slot:
    start: int
    end: int
    text: str  # what to write in its place when substituting into another question


def _aliases(city_names) -> dict[str, str]:
    """alias -> full name, from a rag.retrieve.PlaceNames or a plain list of city names."""
    if hasattr(city_names, "aliases"):
        return dict(city_names.aliases)
    from .places import short_name as short_city_name

    aliases = {}
    for name in city_names or ():
        aliases[name] = name
        aliases[short_city_name(name)] = name
    return aliases


def _city_slots(text: str, aliases: dict[str, str]) -> list[_Slot]:
    return [_Slot(s, e, text[s:e]) for s, e, _ in PlaceNames(aliases).spans(text)]


def _year_slots(text: str) -> list[_Slot]:
    slots = []
    for match in QUESTION_YEAR.finditer(text):
        year = match.group(1) or str(FIVE_YEAR_END[match.group(2)])
        slots.append(_Slot(match.start(), match.end(), f"{year}年"))
    return slots


def _indicator_slots(text: str) -> list[_Slot]:
    return [_Slot(s, e, text[s:e]) for s, e, _ in indicator_mentions(text)]


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


def contextualize(question: str, previous_question: str | None, city_names) -> str:
    """Rewrite an elliptical follow-up into a full question, using the previous (already full) question.

    A follow-up is a question that, once its city, year and indicator words are
    taken out, says nothing else ("那2030年呢？", "江门呢？", "光伏装机容量呢？").
    Each of those slots it names replaces the same slot in the previous question;
    the slots it leaves out are inherited. Any other question is returned as is.
    `city_names` is a rag.retrieve.PlaceNames (place_names(index)) or a list of city names.
    """
    if not question or not question.strip() or not previous_question or not previous_question.strip():
        return question
    text = to_simplified(question.strip())
    previous = to_simplified(previous_question.strip())
    aliases = _aliases(city_names)
    slots = {
        "city": _city_slots(text, aliases),
        "year": _year_slots(text),
        "indicator": _indicator_slots(text),
    }
    if not any(slots.values()) or (slots["city"] and slots["indicator"]):
        return question  # nothing to carry over, or a city and an indicator: a full question
    rest = text
    for slot in sorted((s for group in slots.values() for s in group), key=lambda s: -s.start):
        rest = rest[: slot.start] + " " + rest[slot.end :]
    if FILLER.sub("", rest):
        return question  # it says more than a slot change: a question of its own
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


# ---------------------------------------------------------------- API helpers


def choose_city(selected: str | None, typed: str, names) -> tuple[str | None, str | None]:
    """The chat's city filter for one question: (city to pass to ask, notice for the user).

    The selector restricts the search, except when the question as typed names
    other cities ("江门呢？" while 南昌市 is selected): the words typed last win,
    and the reply says the selector was not applied.
    """
    if not selected or selected.strip() in ("", ALL, "all"):
        return None, None
    chosen = names.resolve(selected) or selected
    named = names.find(to_simplified(typed or ""))
    if named and chosen not in named:
        return None, f"问题中提到了{'、'.join(named)}，本次未按“限定城市：{chosen}”筛选。"
    return chosen, None


def with_city(question: str, city: str, city_names) -> str:
    """`question` about `city` instead of the cities it names (a city it inherited from context)."""
    from .places import short_name as short_city_name

    text = to_simplified(question)
    old = _city_slots(text, _aliases(city_names))
    if not old:
        return question
    return _substitute(text, old, [_Slot(0, 0, short_city_name(city))], 0)


def resolve_city(index, city) -> str | None:
    """None for empty/全部, else the plan city's full name; unknown names raise UserError."""
    from .retrieve import place_names

    name = str(city or "").strip()
    if name in ("", ALL, "all"):
        return None
    resolved = place_names(index).resolve(name)
    if not resolved:
        known = "、".join(p.label for p in index.plans.values())
        raise UserError(f"未知城市：{name}。语料中有这些城市的方案：{known}")
    return resolved


def parse_year(year) -> int | None:
    """None for empty/全部; 2025, 2025.0, "2025", "2025年" -> 2025; anything else raises UserError."""
    if year is None or isinstance(year, bool):
        return None
    if isinstance(year, (int, float)):
        if year != int(year) or not 2000 <= int(year) <= 2100:
            raise UserError(f"年份无效：{year}。请输入四位年份，如 2025。")
        return int(year)
    text = str(year).strip()
    if text in ("", ALL, "all"):
        return None
    match = re.fullmatch(r"(\d{4})(?:\.0+)?\s*年?", text)
    if not match:
        raise UserError(f"年份无效：{text}。请输入四位年份，如 2025。")
    return int(match.group(1))


def ask_dict(index, question, city) -> dict:
    """The /ask endpoint: the same dict as `rag ask --json`, or {"error": "..."} for bad input."""
    from .answer import ask

    try:
        city_name = resolve_city(index, city)
        return ask(index, "" if question is None else str(question), city=city_name).to_dict()
    except UserError as error:
        return {"error": str(error)}


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
        return {"error": str(error)}
    return {"targets": [t.to_dict() for t in rows]}


# ---------------------------------------------------------------- tables and files

TABLE_COLUMNS = ["城市", "年份", "指标", "原文指标", "目标", "数值", "单位", "章节", "原文句子"]
XLSX_HEADERS = {
    "city": "城市", "year": "年份", "canonical": "指标", "indicator": "原文指标", "value": "数值", "unit": "单位",
    "qualifier": "限定词", "baseline_year": "基准年", "direction": "方向", "qualitative": "定性目标",
    "section": "章节", "sentence": "原文句子", "plan_id": "方案编号", "char_start": "起始字符", "char_end": "结束字符",
}


def targets_frame(targets):
    import pandas as pd

    rows = [
        [t.city, t.year, t.canonical, t.indicator, t.value_text() if not t.qualitative else f"未给出具体数值（{t.qualifier}）",
         t.value, t.unit or "", t.section, t.sentence]
        for t in targets
    ]
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    frame["数值"] = pd.to_numeric(frame["数值"], errors="coerce")
    return frame


def _part(path: Path) -> Path:
    """A private temporary name beside `path`, so concurrent writers never share a half-written file."""
    import uuid

    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")


def write_targets_csv(path: Path, targets) -> Path:
    """CSV exactly as `rag targets --csv`, in UTF-8 with a BOM so Excel reads the Chinese."""
    from .targets import write_csv

    path = Path(path)
    tmp = _part(path)
    with open(tmp, "w", encoding="utf-8-sig", newline="") as out:
        write_csv(out, targets)
    tmp.replace(path)
    return path


def write_targets_xlsx(path: Path, targets) -> Path:
    """The same columns as the CSV, with Chinese headers, as an Excel workbook."""
    from openpyxl import Workbook

    from .targets import CSV_COLUMNS

    path = Path(path)
    book = Workbook()
    sheet = book.active
    sheet.title = "量化目标"
    sheet.append([XLSX_HEADERS.get(c, c) for c in CSV_COLUMNS])
    for t in targets:
        data = t.to_dict()
        sheet.append([data[c] for c in CSV_COLUMNS])
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKLMNO", (10, 7, 22, 26, 9, 14, 10, 10, 8, 9, 40, 60, 14, 9, 9)):
        sheet.column_dimensions[column].width = width
    tmp = _part(path)
    book.save(tmp)
    tmp.replace(path)
    return path


def chart_indicators(targets) -> list[str]:
    """Indicators with a numeric target, the ones most cities share first."""
    cities: dict[str, set[str]] = {}
    for t in targets:
        if not t.qualitative and t.value is not None:
            cities.setdefault(t.canonical, set()).add(t.city)
    return sorted(cities, key=lambda c: (-len(cities[c]), c))


def chart_frame(targets, indicator: str, year) -> tuple[object, str]:
    """One bar per city for `indicator` in `year`: (DataFrame[城市, 数值, 目标], caption).

    Values in different units are not comparable, so only the most common unit is drawn.
    """
    import pandas as pd

    year = parse_year(year)
    rows = [t for t in targets if t.canonical == indicator and (year is None or t.year == year)
            and not t.qualitative and t.value is not None]
    empty = pd.DataFrame({"城市": pd.Series(dtype=str), "数值": pd.Series(dtype=float), "目标": pd.Series(dtype=str)})
    if not rows:
        return empty, f"没有城市给出{year or ''}{'年' if year else ''}{indicator}的具体数值。"
    units = [t.unit or "" for t in rows]
    unit = max(dict.fromkeys(units), key=units.count)
    chosen: dict[str, object] = {}
    for t in rows:
        if (t.unit or "") == unit and t.city not in chosen:
            chosen[t.city] = t
    frame = pd.DataFrame(
        [[t.city, float(t.value), f"{t.year}年{t.value_text()}"] for t in chosen.values()], columns=["城市", "数值", "目标"]
    )
    qualitative = sorted({t.city for t in targets if t.canonical == indicator and t.qualitative
                          and (year is None or t.year == year)} - set(chosen))
    caption = f"{year or '各'}年{indicator}（单位：{unit or '无'}）"
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
        [p.title, p.label, p.province, p.kind, p.issued, p.source_file, chunk_counts.get(p.plan_id, 0),
         target_counts.get(p.plan_id, 0), len(p.text)]
        for p in index.plans.values()
    ]
    return pd.DataFrame(rows, columns=["方案标题", "城市", "省份", "类型", "发布日期", "源文件", "段落数", "目标数", "字数"])
