"""Target questions: a value, several values, a qualitative target, a comparison across places.

Rows come from the targets table (sentences and table cells). Each asked indicator gets its own
line: the rows for the asked years (a 十四五 target counts for 2025), the plan's wording when it
sets no number ("确保完成省下达指标"), a base-year figure when the question asks what it is now,
or an honest "not stated" — with the nearest statement labelled, never passed off as the answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..config import MAX_PLACES_LISTED
from ..index import Index, lexical_tokens
from ..indicators import MEASURE_FAMILIES, thing_of
from ..question.bounds import Bound
from ..targets import Target
from ..zh.periods import states_year
from ..zh.units import amount, in_base
from .citing import passages_for
from .honesty import holds, narrowing_words, not_stated, row_about, sentence_states_value, states_in_words
from .result import Answer

KIND_NOTES = {"projection": "（预计值）", "actual": ""}


def describe(target: Target, index: Index) -> str:
    """南昌市：到2025年，非化石能源消费比重达到15%（《南昌市碳达峰实施方案》一、总体要求 > (三)主要目标）"""
    plan = index.plans[target.plan_id]
    where = f"（{plan.where(target.section, target.char_start, target.char_end)}）"
    if target.qualitative:
        return f"{target.city}：到{target.year}年，{target.indicator}未给出具体数值，方案表述为“{target.qualifier}”{where}"
    if target.kind == "actual":
        return f"{target.city}：{target.year}年{target.indicator}{target.value_text()}{where}"
    return f"{target.city}：到{target.year}年，{target.indicator}{target.value_text()}{target.subsets()}{KIND_NOTES.get(target.kind, '')}{where}"


def documents_line(rows: list[Target], index: Index) -> str:
    """The rows of one place and indicator, the best document first (Plan.precedence), each cited by its
    title; when documents of the place give different values for one year, said so."""
    rows = sorted(rows, key=lambda t: index.plans[t.plan_id].precedence)
    line = "；".join(describe(t, index) for t in rows)
    values: dict[int, set[tuple[str, str]]] = {}  # year -> (document, value) pairs
    for t in rows:
        if not t.qualitative and t.kind != "actual":
            values.setdefault(t.year, set()).add((t.plan_id, t.value_text()))
    differ = [y for y, found in sorted(values.items())
              if len({plan for plan, _ in found}) > 1 and len({value for _, value in found}) > 1]
    if differ:
        line += f"（同一地区的不同文件对{'、'.join(f'{y}年' for y in differ)}给出的数值不同，以上并列列出）"
    return line


def best_documents(rows: list[Target], index: Index) -> tuple[list[Target], dict]:
    """A comparison's rows, one document per place and year: the best by Plan.precedence among those
    giving a number (a comparison compares numbers; one set in words only when no document gives
    one); and the rows of the place's other documents stating it that year ({year: {place: rows}})."""
    by_place: dict[tuple, set[str]] = {}
    for t in rows:
        by_place.setdefault((t.city, t.year), set()).add(t.plan_id)
    numeric = {(t.city, t.year, t.plan_id) for t in rows if not t.qualitative}
    best = {key: min(plans, key=lambda p: ((*key, p) not in numeric, index.plans[p].precedence))
            for key, plans in by_place.items()}
    also: dict = {}
    for t in rows:
        if best[(t.city, t.year)] != t.plan_id:
            also.setdefault(t.year, {}).setdefault(t.city, []).append(t)
    return [t for t in rows if best[(t.city, t.year)] == t.plan_id], also


def _other_documents(place: str, others: list[Target], best: list[Target], index: Index) -> tuple[str, list[Target]]:
    """A comparison's note on a place's other documents stating the indicator: how many, and those
    giving another value, each by its title (returned too, to be cited), so a side is never silently
    one document's."""
    count = len({t.plan_id for t in others})
    values = {in_base(t.value, t.unit) for t in best if not t.qualitative}
    differing = [t for t in others if not t.qualitative and in_base(t.value, t.unit) not in values]
    if not differing:
        return f"{place}另有{count}份文件也给出该目标（见“目标”页）", []
    listed = "；".join(f"《{index.plans[t.plan_id].title}》{t.value_text()}" for t in differing)
    return f"{place}另有{count}份文件也给出该目标，数值不同的：{listed}", differing


def spans(rows: list[Target]) -> list[tuple[str, int, int]]:
    return [(t.plan_id, t.char_start, t.char_end) for t in rows]


def rows_for(index: Index, question, indicator: str, plan_ids) -> list[Target]:
    """The target rows of these plans for one indicator, narrowed by the question's modifier word
    ("海上风电装机": 海上 must be in the row's sentence); about the place below when it asks about one."""
    narrowing = narrowing_words(question, index)
    rows = [t for p in plan_ids for t in index.targets_by_plan.get(p, ()) if t.canonical == indicator] if plan_ids \
        else index.targets_by_indicator.get(indicator, ())  # that place's rows, or every plan's of the indicator
    return [t for t in rows if all(holds(t.sentence, m) for m in narrowing) and (not question.below or row_about(t, question.below_word))]


def place_rows(index: Index, question, indicator: str, place: str) -> tuple[tuple[str, ...], list[Target]]:
    """The documents of a place searched for an indicator, and their rows: those the question's words
    point to; every document of the place when those do not state it for the asked years — unless the
    question names a kind of document ("实施意见"), which then is the only one asked about."""
    every = index.plan_ids_by_label.get(place, ())
    plan_ids = tuple(p for p in question.plan_ids if index.plans[p].label == place) or every
    mine = rows_for(index, question, indicator, plan_ids)
    if plan_ids != every and not question.names_document and not in_years(mine, question.years, question.actual):
        plan_ids = every
        mine = rows_for(index, question, indicator, plan_ids)
    return plan_ids, mine


def in_years(rows: list[Target], years, actual: bool) -> list[Target]:
    """Rows for the asked years (targets and projections); base-year figures only when the question
    asks what it is now, or names their year."""
    chosen = [t for t in rows if t.kind != "actual" and (not years or t.year in years)]
    if actual or years:
        chosen += [t for t in rows if t.kind == "actual" and (actual or t.year in years)]
    return chosen


@dataclass
class Stated:
    """What one plan place says about one asked indicator."""

    rows: list[Target]  # target rows for the asked years
    quoted: tuple[str, int, int] | None = None  # a sentence stating the value in words no row has
    line: str = ""  # the answer's line for it (rows, quoted sentence, or why not stated)
    cited: list[tuple[str, int, int]] = field(default_factory=list)  # spans shown beside a refusal

    @property
    def found(self) -> bool:
        return bool(self.rows) or self.quoted is not None


def stated(index: Index, question, indicator: str, place: str, k: int, fallback: bool = True) -> Stated:
    """A place's value for an indicator: its rows for the asked years; else a sentence that states
    the value (honesty rule 1); else an honest "not stated", with the plan's other years or the
    nearest statement labelled."""
    from .passages import best_sentence

    plan_ids, mine = place_rows(index, question, indicator, place)
    chosen = in_years(mine, question.years, question.actual)
    if chosen:
        return Stated(chosen, line=documents_line(chosen, index))
    narrowing = narrowing_words(question, index)
    # what is said missing is what was asked: the indicator with the word narrowing it ("海上风电装机容量")
    word = question.qualifier if question.qualifier in narrowing else ""
    asked = indicator if word in indicator else word + indicator
    # the document asked about by name, else the place's plans
    document = f"{place}《{index.plans[plan_ids[0]].title}》" if question.names_document and len(plan_ids) == 1 else f"{place}方案"
    if fallback:
        found = best_sentence(index, question, plan_ids, k, require=lambda s: sentence_states_value(s, question, narrowing, only=indicator)
                              and (not question.years or any(states_year(s, y) for y in question.years)))
        if found:
            return Stated([], found, _quote_line(index, *found))
        worded = best_sentence(index, question, plan_ids, k, require=lambda s: states_in_words(s, question, narrowing, only=indicator)
                               and (not question.years or any(states_year(s, y) for y in question.years)))
        if worded:  # a target set in words is a target: quoted, said to have no number
            when = "".join(f"{y}年" for y in question.years)
            return Stated([], worded, f"{document}没有给出{when}{asked}的具体数值，方案表述为：{_quote_line(index, *worded)}")
    when = "".join(f"{y}年" for y in question.years)
    if mine:
        ahead = [t for t in mine if t.kind != "actual"] or mine  # a past figure ("2015年的…") is no target year
        other = "、".join(f"{y}年" for y in sorted({t.year for t in ahead}))
        return Stated([], None, f"{document}中没有{when}{asked}的目标（该方案给出的是{other}的目标，见下方引用）。", spans(mine[:2]))
    thing = _rarest_thing_word(index, question, indicator)
    nearest = best_sentence(index, question, plan_ids, k, require=lambda s: bool(re.search(r"\d", s)) and thing in s.lower()) \
        if fallback else None
    return Stated([], None, not_stated(document, f"{when}{asked}", _quote_line(index, *nearest) if nearest else ""),
                  [nearest] if nearest else [])


FAMILY_WORDS = re.compile("|".join(w for family in MEASURE_FAMILIES for w in family))  # 保有量, 强度 …


def _rarest_thing_word(index: Index, question, indicator: str) -> str:
    """The rarest word of what the indicator measures, as the vocabulary and the question name it: a
    statement near to it says it (新能源汽车保有量's nearest is about 新能源汽车, never 自然岸线保有率)."""
    names = [indicator] + [wording for wording, _ in question.wordings_of(indicator)]
    words = [w for name in names for part in FAMILY_WORDS.sub("|", thing_of(name)).split("|")
             for w in lexical_tokens(part) if len(w) > 1]
    return max(words, key=lambda w: index.idf.get(w, 0.0), default="")


def target(index: Index, question, k: int) -> Answer:
    """One line per asked indicator and place; found when at least one asked value is stated."""
    from .passages import part_answer

    asked = [(indicator, place) for indicator in question.indicators for place in question.places]
    found = [stated(index, question, indicator, place, k) for indicator, place in asked]
    # a part a stated total covers is no line of its own ("风电光伏装机" states 风电、太阳能发电总装机: no
    # "没有风电的目标" beside it)
    totals = [pair for pair, f in zip(asked, found) if f.found]
    found = [f for (indicator, place), f in zip(asked, found)
             if f.found or not any(p == place and _covers(total, indicator) for total, p in totals)]
    rows = [t for f in found for t in f.rows]
    quoted = [f.quoted for f in found if f.quoted]
    # what it asks beside its indicators that none of them measures ("绿氢产能和加氢站数量"): quoted each
    # (a sentence the lines already give is not given again; a part not found leaves the lines as they are)
    lines = [f.line for f in found]
    beside = [a for a in (part_answer(index, question, part, k) for part in question.other_parts)
              if a.found and not any(a.answer in line for line in lines)]
    quoted += [span for a in beside for span in a.highlight]
    ok = any(f.found for f in found) or bool(beside)
    passages = passages_for(index, spans(rows) + quoted + [s for f in found for s in f.cited], question, k)
    said = lines + [a.answer for a in beside]
    # one sentence of several lines: each line's own full stop gives way to the "；" between them
    text = "；".join(line.rstrip("。") for line in said) + ("。" if said and said[-1].endswith("。") else "")
    if question.bound and question.verdict:  # "是否超过20%": the verdict first
        text = _verdict(rows, question.bound) + text
    return Answer(question.asked, text, ok, passages, rows,
                  "target" if rows else ("passage" if ok else "none"), spans(rows) + quoted,
                  "" if ok else "方案中没有所问指标的数值目标。")


def _covers(total: str, part: str) -> bool:
    """Whether an indicator's name holds every piece of what another one measures (风电光伏装机容量 holds
    风电 and 光伏 of 光伏装机容量), being another indicator."""
    pieces = [piece for piece in thing_of(part).split("|") if piece]
    return total != part and bool(pieces) and all(piece in total for piece in pieces)


def _verdict(rows: list[Target], bound: Bound) -> str:
    """"是，在20%以上。" / "否，不在20%以上。" when every value that can be compared lies on one side of
    the bound, else why it cannot be said; nothing when no value is stated (the line says so)."""
    if not rows:
        return ""
    sides = {bound.holds(t) for t in rows if bound.measures(t)}
    if not sides:
        return f"方案的目标没有可与“{bound.said}”比较的数值（未给出数值或单位不同），无法判断。"
    if sides == {True}:
        return f"是，{bound.said}。"
    if sides == {False}:
        return f"否，不{bound.said}。"
    if sides == {True, False}:
        return f"部分目标{bound.said}，部分不是：见下。"
    return f"方案的目标只定了下限或上限，无法判断是否{bound.said}。"


def _quote_line(index: Index, plan_id: str, start: int, end: int) -> str:
    from .citing import quote

    return quote(index, plan_id, start, end)


# ---------------------------------------------------------------- comparisons


def compare(index: Index, question, k: int) -> Answer:
    """The asked indicators side by side for the named places (all places when none is named):
    values in the plans' own words, ranked by value in one unit (兆瓦 and 万千瓦 compared as
    万千瓦), the difference of two, and a row for each place that does not set the target."""
    from .passages import mention, passage

    if not question.indicators:  # an amount of something no target row measures: a quoted sentence or nothing
        if question.quantity:
            return passage(index, question, k)
        return mention(index, question, k)  # "哪些城市提到了氢能"
    by_label = index.plan_ids_by_label  # every place, ordered by where its last plan stands in the corpus
    places = list(question.places) or sorted(by_label, key=lambda label: index.plan_order[by_label[label][-1]])
    place_set = set(places)
    lines: list[str] = []
    rows: list[Target] = []  # every row found
    shown: list[Target] = []  # those the answer lists (MAX_PLACES_LISTED a year and indicator)
    quoted: list[tuple[str, int, int]] = []
    for indicator in question.indicators:
        wanted = [t for place in question.places for t in place_rows(index, question, indicator, place)[1]] \
            if question.places else rows_for(index, question, indicator, ())  # no place named: every plan's
        years = set(question.years) or _years_present(wanted, place_set) or {None}
        chosen, also = best_documents([t for t in in_years(wanted, years - {None}, question.actual) if t.city in place_set], index)
        rows += chosen
        for year in sorted(years, key=lambda y: y or 0):
            year_rows = [t for t in chosen if t.year == year or year is None]
            stating = {t.city for t in year_rows}
            numeric = sorted((t for t in year_rows if not t.qualitative), key=lambda t: -in_base(t.value, t.unit)[0])
            if question.extreme == "lowest":
                numeric.reverse()
            ranked = numeric + [t for t in year_rows if t.qualitative]
            heading, others = "：", []
            if question.bound:  # "20%以上"
                bounded = _apply_bound(question.bound, ranked)
                ranked, heading, others = bounded.rows, bounded.heading, bounded.others
                numeric = [t for t in ranked if not t.qualitative]
            shown += ranked[:MAX_PLACES_LISTED]
            parts = [_compare_part(t, index) for t in ranked[:MAX_PLACES_LISTED]] + others
            if len(ranked) > MAX_PLACES_LISTED:
                parts.append(f"另有{len(ranked) - MAX_PLACES_LISTED}条目标未在此列出（共{len(ranked)}条），"
                             f"完整列表见“目标”页或 rag targets --indicator {indicator}")
            absent = [p for p in places if p not in stating]
            if question.places:  # a named place without a row may still state it in a sentence
                for place in absent:
                    found = stated(index, replace(question, years=(year,) if year else ()), indicator, place, k)
                    parts.append(found.line if found.quoted else f"{place}方案中未找到该目标")
                    quoted += [found.quoted] if found.quoted else []
            elif len(absent) > MAX_PLACES_LISTED:
                parts.append(f"另有{len(absent)}个地方的方案中未找到该目标")
            elif absent:
                parts.append("、".join(absent) + "的方案中未找到该目标")
            for place, others in also.get(year, {}).items():
                note, differing = _other_documents(place, others, [t for t in year_rows if t.city == place], index)
                parts.append(note)
                quoted += spans(differing)
            parts += [f"语料中没有{p}的方案" for p in question.missing]
            extreme, difference = _ranking(numeric, question)
            lines += extreme  # "最高的是…" answers the question: it comes first
            lines.append(f"{f'{year}年' if year else ''}{indicator}{heading}" + "；".join(parts))
            lines += difference
    found = bool(rows or quoted)
    listed = {id(t) for t in shown}
    shown = [t for t in rows if id(t) in listed]  # in the targets table's order
    passages = passages_for(index, spans(shown) + quoted, question if len(question.places) == 1 else None, max(k, len(shown)))
    return Answer(question.asked, "\n".join(lines) if found else "；".join(lines) or "方案中未找到所问的目标。", found,
                  passages, shown, "compare" if found else "none", spans(shown) + quoted)


@dataclass
class Bounded:
    """A comparison's rows for one year under a bound ("20%以上")."""

    rows: list[Target]  # listed with values and sources: those within it, or every row when none is
    heading: str  # what follows the indicator: "在20%以上的：", "：没有地方的目标确定在50%以上；各地的目标为："
    others: list[str]  # the places it leaves out, by name, one part per reason


def _apply_bound(bound: Bound, ranked: list[Target]) -> Bounded:
    """The rows within the bound, and the places left out by name: surely not within, open on the
    bound's side ("10%以上" for 在20%以上), in another unit, or without a number. When no row can be
    compared, every row, saying the bound was not applied."""
    measured = [t for t in ranked if bound.measures(t)]
    if not measured:
        return Bounded(ranked, "：", [f"（所问的“{bound.said}”无法与这些目标比较：未给出数值或单位不同，未按其筛选）"])
    verb = "下降" if all(t.direction == "down" for t in measured) else ""  # "下降超过14%", not "超过14%"
    sides = [(t, bound.holds(t)) for t in measured]
    within = [t for t, side in sides if side]
    if not within:
        return Bounded(ranked, f"：没有地方的目标确定{verb}{bound.said}；各地的目标为：", [])
    kept = {t.city for t in within}
    groups = {f"目标{verb}不{bound.said}的": [t for t, side in sides if side is False],
              "目标只定了下限或上限、无法判断的": [t for t, side in sides if side is None],
              "目标单位不同、无法比较的": [t for t in ranked if t.value is not None and not t.qualitative and not bound.measures(t)],
              "未给出具体数值的": [t for t in ranked if t.value is None or t.qualitative]}
    left = {reason: [t for t in group if t.city not in kept] for reason, group in groups.items()}
    others = [f"{reason}：{_names(group)}" for reason, group in left.items() if group]
    return Bounded(within, f"{verb}{bound.said}的：", others)


def _names(rows: list[Target]) -> str:
    """The places of `rows` in one list, at most MAX_PLACES_LISTED of them named."""
    places = list(dict.fromkeys(t.city for t in rows))
    more = f"等{len(places)}个地方" if len(places) > MAX_PLACES_LISTED else ""
    return "、".join(places[:MAX_PLACES_LISTED]) + more


def _years_present(rows: list[Target], places) -> set[int]:
    present = sorted({t.year for t in rows if t.city in places and t.kind != "actual"})
    return {present[0]} if len(present) == 1 else set(present)


def _compare_part(t: Target, index: Index) -> str:
    where = index.plans[t.plan_id].where(t.section, t.char_start, t.char_end)
    if t.qualitative:
        return f"{t.city}未给出具体数值（“{t.qualifier}”）（{where}）"
    base, unit = in_base(t.value, t.unit)
    converted = f"，折合{amount(base, unit)}" if unit != t.unit else ""
    return f"{t.city}{t.value_text()}{converted}{t.subsets()}（{where}）"


def _ranking(numeric: list[Target], question) -> tuple[list[str], list[str]]:
    """("最高的是…" when asked, the difference line), when the values share one unit once converted."""
    units = {in_base(t.value, t.unit)[1] for t in numeric}
    if len(numeric) < 2 or len(units) != 1:
        return [], []
    extreme, difference = [], []
    if question.extreme:
        word = "最低" if question.extreme == "lowest" else "最高"
        first = numeric[0]
        extreme.append(f"{word}的是{first.city}（{first.year}年{first.value_text()}）。")
    if (len(numeric) == 2 and len(question.places) == 2) or question.difference:
        (a, unit), (b, _) = in_base(numeric[0].value, numeric[0].unit), in_base(numeric[-1].value, numeric[-1].unit)
        if a != b:
            point = "个百分点" if unit == "%" else unit or ""
            difference.append(f"{numeric[0].city}比{numeric[-1].city}{'高' if a > b else '低'}{amount(abs(a - b), '')}{point}。")
        else:
            difference.append(f"{numeric[0].city}与{numeric[-1].city}的目标相同。")
    return extreme, difference


def yes_no(index: Index, question, k: int) -> Answer:
    """"江门是否设定了光伏装机目标": 是, with the rows; 否, with what the plan says instead."""
    answer = target(index, question, k)
    if not question.bound:  # with one ("是不是超过100万千瓦"), target() gave the verdict
        answer.answer = ("是。" if answer.found else "否。") + answer.answer
    answer.found = True  # 否 is an answer too
    return answer
