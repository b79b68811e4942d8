"""Quantified targets: extract them from plan text, store them, look them up.

A target is a commitment with a deadline year: "到2025年，非化石能源消费比重达到15%".
Extraction reads a plan sentence by sentence and clause by clause (split on
commas): a year governs the clauses after it in the same sentence; a clause
with a value but no indicator inherits the indicator of the clause before it
("……提升至60%左右,到2030年提升至70%"); "A、B分别达到x、y" gives one row per
subject. Headline indicators a plan states without a number ("确保完成省下达的
指标要求") become qualitative rows that quote the commitment.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .corpus import Plan
from .indicators import INDICATORS, canonical_by_meaning, canonical_of, find_indicators, head_family, in_family_units, measure_families
from .sections import heading_of, section_at, split_sections
from .zh.headings import REVIEW
from .zh.periods import BARE_DEADLINE, BASELINE, CHANGE_START, DEADLINE, FIVE_YEAR, FROM_YEAR, FUTURE_DEADLINE, period_year
from .zh.numerals import arabic_numerals
from .zh.relations import AFTER, LOWERING, PROJECTION, QUALIFIERS_AFTER, QUALIFIERS_BEFORE, QUALITATIVE, VERBS, relation
from .zh.sentences import CLAUSE, SENTENCE
from .zh.units import ALL_UNITS, MEASURES, UNIT_ALIASES, VALUE
from .tables import parse_row


@dataclass(frozen=True)
class Citation:
    section: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Target:
    city: str
    plan_id: str
    year: int
    indicator: str  # as written
    canonical: str
    value: float | None
    unit: str | None
    qualifier: str
    baseline_year: int | None
    direction: str | None  # "down" / "up" / None
    qualitative: bool
    sentence: str
    section: str
    char_start: int
    char_end: int
    also_cited: tuple[Citation, ...] = field(default_factory=tuple)
    from_table: bool = False  # read from a table cell (row label, column header) rather than a sentence
    kind: str = "target"  # target / actual (a base-year figure: "2020年 7.6") / projection ("预计……")
    page_start: int | None = None  # pages of the cited text in a paged source
    page_end: int | None = None

    @property
    def key(self) -> tuple:
        return (self.city, self.year, self.canonical, self.value, self.unit)

    @property
    def side(self) -> str:
        """The side of its value the target commits to (rag.zh.units.RELATIONS): "300万千瓦以上" is ">="."""
        return relation(before=self.qualifier or "", after=self.qualifier or "")

    def value_text(self) -> str:
        """达到15% / 达到300万千瓦以上 / 比2020年下降14% / 未给出具体数值."""
        if self.qualitative or self.value is None:
            return "未给出具体数值"
        amount = f"{self.value:g}{self.unit or ''}"
        if self.kind == "actual":
            return f"为{amount}（{self.year}年现状值）"
        if self.qualifier == CUMULATIVE:
            return f"{CUMULATIVE}{amount}"
        if self.direction in ("down", "up"):
            verb = ("比%d年" % self.baseline_year if self.baseline_year else "") + ("下降" if self.direction == "down" else "提升")
        else:
            verb = self._verb_as_written() or ("达到" if self.qualifier in ("达", "") or self.qualifier not in VERBS else self.qualifier)
        suffix = self.qualifier if self.qualifier in QUALIFIERS_AFTER else ""
        return f"{verb}{amount}{suffix}"

    def subsets(self) -> str:
        """The parts of this value the plan gives right after it ("，其中粤港澳大湾区珠三角九市超过45%"), as
        written, so a row never shows the whole without its parts; "" when none follows."""
        at = self._value_at()
        if at < 0 or self.qualitative or self.value is None:
            return ""
        rest = self.sentence[at + len(f"{self.value:g}") :]
        parts = re.match(r"[^，,；;。]{0,6}?[，,]\s*(其中[^；;。]*?\d[^，,；;。]*)", rest)
        return f"，{parts.group(1)}" if parts else ""

    def _value_at(self) -> int:
        """Where this value is written in its sentence: after its indicator (one sentence may give 30%
        twice), else anywhere (named after its value: "创建8家示范单位")."""
        value = f"{self.value:g}"
        at = self.sentence.find(value, max(self.sentence.find(self.indicator), 0))
        return at if at >= 0 else self.sentence.find(value)

    def _verb_as_written(self) -> str | None:
        """The verb the plan puts before this value ("提高至23%左右"), so answers keep its wording (超过
        before one 30% of a sentence, 达到 before the other)."""
        at = self._value_at()
        window = self.sentence[max(0, at - 8) : at] if at > 0 else ""
        if window.endswith("约"):
            return "约"  # an approximate level ("水电装机约10500万千瓦"), never made a 达到
        found = [(window.rfind(v), v) for v in VERBS if v in window]
        if not found:
            return None
        verb = max(found, key=lambda pv: (pv[0], len(pv[1])))[1]
        return "达到" if verb == "达" else verb

    def to_dict(self) -> dict:
        row = asdict(self)
        row["also_cited"] = [asdict(c) for c in self.also_cited]
        return row


# ---------------------------------------------------------------- extraction

HEADLINE = ("单位GDP能耗", "单位GDP二氧化碳排放", "非化石能源消费比重")


def extract_targets(plan: Plan) -> list[Target]:
    """Every target stated in the plan; one row per (year, indicator, value), citations merged."""
    sections = split_sections(plan.text)
    found: list[Target] = []
    # a five-year plan's goals section states its period's targets: a value written there without a
    # year ("煤电机组供电煤耗降至297克标准煤/千瓦时" under "主要目标" of a “十四五” plan) is for 2025, and so
    # is one in the tasks after it (what the period does); the background before the goals is not
    period = period_year(plan.title)
    goals_start = min((s.start for s in sections if "目标" in s.path), default=len(plan.text))
    # "到2025年，……。……。" : a bare deadline clause in a paragraph's first sentence governs the paragraph
    paragraph_year: int | None = None
    opens_line, opens_end = None, 0  # the sentence that began the current line, when it is a heading ("(二)主要目标。")
    for sentence in SENTENCE.finditer(plan.text):
        starts = sentence.start() == 0 or plan.text[sentence.start() - 1] == "\n"
        # a paragraph's first sentence, or the first after the heading that opens its line
        first = starts or (opens_line is not None and heading_of(opens_line) is not None and sentence.start() == opens_end)
        if starts:
            opens_line, opens_end = sentence.group(), sentence.end()
        section = section_at(sections, sentence.start()).path
        row = parse_row(sentence.group()) if first else None
        if row is not None:
            found.extend(table_targets(plan, row, sentence.group(), sentence.start(), section))
            continue
        planned = "目标" in section or (sentence.start() > goals_start and not REVIEW.search(section))
        goals_year = period if period and planned else None
        rows, lead_year = _sentence_targets(plan, sentence.group(), sentence.start(), section,
                                            None if first else paragraph_year, goals_year)
        paragraph_year = lead_year if first else paragraph_year
        found.extend(rows)
    return [replace(t, **dict(zip(("page_start", "page_end"), plan.pages_of(t.char_start, t.char_end))))
            for t in _merge_repeats(_the_past(found))]


def _the_past(targets: list[Target]) -> list[Target]:
    """A section reviewing what was done and the situation ("“十三五”时期成效", 发展基础和面临形势) states no
    target of the plan: a figure there for a year before the plan's first target year is the past's
    ("提高至2020年的7.6%", kind actual); one for a year after it is another's commitment the plan recalls
    ("我国……明确2030年非化石能源占一次能源消费比重达到25%左右": the country's, not the province's), dropped
    from the plan's targets (its passage still answers)."""
    def reviewed(t: Target) -> bool:  # a target row of such a section
        return t.kind == "target" and bool(REVIEW.search(t.section)) and "目标" not in t.section

    first = min((t.year for t in targets if t.kind == "target" and not reviewed(t)), default=None)
    if first is None:
        return targets
    return [replace(t, kind="actual") if reviewed(t) and t.year < first else t
            for t in targets if not (reviewed(t) and t.year > first)]


def _sentence_targets(plan: Plan, sentence: str, offset: int, section: str,
                      paragraph_year: int | None, goals_year: int | None = None) -> tuple[list[Target], int | None]:
    """The targets of one sentence, and the deadline year its paragraph carries on with; `goals_year`
    is the year of a value the sentence gives no year for (a five-year plan's goals section)."""
    targets: list[Target] = []
    reading = arabic_numerals(sentence)
    year: int | None = paragraph_year
    indicator: str | None = None  # the last indicator named in this sentence
    clauses = CLAUSE.findall(reading)
    # a deadline stated after the values ("首批打造10个……,到2022年底率先建成") still governs them
    later_year = next((y for y in map(_clause_year, clauses) if y), None)
    deadline = False  # the clauses since the last "；" follow a deadline ahead ("至2025年底，水电装机约……")
    for previous, text in zip([""] + clauses, clauses):
        deadline = (deadline and not previous.rstrip().endswith(("；", ";"))) or bool(FUTURE_DEADLINE.search(text))
        if BARE_DEADLINE.match(text):
            paragraph_year = _clause_year(text)
        year = _clause_year(text) or year or later_year or goals_year
        if year is None:
            continue
        common = dict(plan=plan, sentence=sentence, offset=offset, section=section, year=year)
        values = list(VALUE.finditer(text))
        if not values:
            named = _indicator_phrase(text)
            if named and QUALITATIVE.search(text):
                targets.extend(_qualitative_targets(text, named, **common))
            indicator = named or indicator
            continue
        if SUBSET.match(text) and indicator and not head_family(_indicator_phrase(text, True) or ""):
            continue  # "其中珠三角九市超过45%": the part of the indicator before, quoted with its row (Target.subsets)
        for phrase, group in _value_groups(text, values, indicator, deadline):
            targets.extend(_value_targets(group, phrase, text, **common))
            indicator = phrase
    return targets, paragraph_year


# a clause giving a part of what the clause before measures: "……占比超过30%，其中珠三角九市超过45%"
SUBSET = re.compile(r"^\s*其中")
def _value_groups(clause: str, values: list[re.Match], inherited: str | None,
                  deadline: bool = False) -> list[tuple[str, list[re.Match]]]:
    """Pair each value with the indicator it measures.

    The indicator is named before the value ("光伏装机容量达到300万千瓦"), after it
    ("创建8家节约型公共机构示范单位"), shared by a list ("分别达到72%、35%"), or,
    when nothing but a qualifier precedes the value, inherited from the clause
    before ("……提升至60%左右,到2030年提升至70%"). After a deadline ahead ("至2025年底，"), up to the
    next "；", an approximate amount is a level too ("水电装机约10500万千瓦").
    """
    groups: list[tuple[str, list[re.Match], bool]] = []  # (indicator, values, named after its value)
    for i, value in enumerate(values):
        before = clause[values[i - 1].end() if i else 0 : value.start()]
        after = clause[value.end() : values[i + 1].start() if i + 1 < len(values) else len(clause)]
        postfix = bool(groups) and groups[-1][2]  # then `before` already named the previous value
        named_before = None if postfix else _indicator_phrase(before, open_vocabulary=True)
        # "8家节约型公共机构示范单位" names what the value counts; "50%以上由非化石能源满足" does not
        named_after = None if PASSIVE.match(after) else _indicator_phrase(after)
        # an indicator no vocabulary knows must reach its value through a verb ("保有量达到80万辆"):
        # "总投资177994万元" reports an amount, it sets no target
        # ... or, in a clause a deadline governs, an approximate level ("至2025年底，水电装机约10500万千瓦")
        committed = bool(re.search("|".join(VERBS) + r"|下降|降低|提高|提升|减少|增加|增长|新增|累计", before)) \
            or (deadline and before.rstrip().endswith("约"))
        # a change reported from one year to another ("占比由2015年的76.5%下降至……") names its measure too
        changes = bool(CHANGE_START.search(before))
        if named_before and (find_indicators(named_before)
                             or (not named_after and (changes or committed and CLAUSE_END.match(after)))):
            groups.append((named_before, [value], False))
        elif _is_thin(before) and groups and not postfix:
            groups[-1][1].append(value)
        elif named_after:
            groups.append((named_after, [value], True))
        elif _is_thin(before) and inherited and i == 0:  # a later value after an unnamed one names nothing
            groups.append((inherited, [value], False))
    return [(phrase, group) for phrase, group, _ in groups]


THIN = re.compile(r"(20\d{2}\s*年(?:底|前|末)?|“?十[四五]五”?(?:期间|末|时期)?|分别|原则上|平均|[比较到至在于]|"
                  + "|".join(QUALIFIERS_BEFORE) + r"|[、和,，；;\s])")


# a value followed by an agent or a purpose is not the count of the noun after it
PASSIVE = re.compile(rf"\s*{AFTER}?\s*(?:的)?\s*(?:由|被|从|来自|用于|通过)")
# After an open-vocabulary target's value only a qualifier may follow: "占比达到50%以上，".
# "城镇新建建筑100%执行绿色建筑标准" goes on to say what the value measures.
CLAUSE_END = re.compile(rf"\s*{AFTER}?\s*[)）]?\s*(?:[,，；;。、和及]|$)")


def _is_thin(text: str) -> bool:
    """Nothing but years, qualifiers and list punctuation: the value continues a list."""
    return len(THIN.sub("", text)) <= 2


def _clause_year(text: str) -> int | None:
    years = [int(m.group(1)) for m in DEADLINE.finditer(text)]
    if years:
        return years[-1]
    return period_year(text)


LEADING = re.compile(r"^(?:其中|全省|全市|全县|全区|全旗|我省|我市|我县|我区|在|将|实现|推动|确保|力争|累计|基本|新建|建成|创建|完成|优化提升|提升|的)+")
TRAILING = re.compile(r"(?:将|预计在|预计|原则上|平均|约|达|的|和|及|与|、)+$")
CUT = re.compile(r"(分别|比20\d{2}年?|较20\d{2}年?|" + "|".join(LOWERING + QUALIFIERS_BEFORE) + r"|保持在)")
# Verbs that make a clause an action ("建设充电桩5000个"), not a measure reaching a level.
ACTION = re.compile(r"^(?:建设|建成|打造|培育|创建|实施|推广|推进|开展|新建|改造|完成|实现|争创|组织|引进|谋划|储备|申报|认定|培训|举办|安排|投资|投入|淘汰|关停|压减|整治|治理|发展)")
MEASURE_WORD = re.compile("^(?:" + "|".join(MEASURES) + ")$")  # a measure word alone names nothing


def _indicator_phrase(text: str, open_vocabulary: bool = False) -> str | None:
    """The stretch of text naming what is measured.

    A phrase that names a known indicator is always taken. With `open_vocabulary`, any noun
    phrase in the subject position before the verb and value is taken too ("新能源和清洁能源装机
    占比达到50%"), unless it starts with an action verb or is a bare measure word ("比重"), which
    continues the indicator named before it.
    """
    body = DEADLINE.sub("", FIVE_YEAR.sub("", FROM_YEAR.sub("", text))).strip("，,。；; 、")
    body = LEADING.sub("", body)
    known = bool(find_indicators(body))
    if not known and not open_vocabulary:
        return None
    # cut at the verb before the value: the first one, unless a phrase no vocabulary knows has a measure
    # only before a later one ("重点领域达到能效标杆水平的产能比例超过30%" measures 产能比例, not 重点领域)
    cuts = list(CUT.finditer(body))
    cut = next((c for c in cuts if known or measure_families(body[: c.start()])), cuts[0]) if cuts else None
    phrase = body[: cut.start()] if cut and (find_indicators(body[: cut.start()]) or not known) else body
    value = VALUE.search(phrase)
    if value:  # the indicator follows the value: "80%以上的县(处)级及以上机关建成节约型机关"
        if not known:
            return None
        phrase = phrase[value.end() :]
        phrase = re.sub(r"^(以上|左右|以内)?的?", "", phrase)
    phrase = TRAILING.sub("", LEADING.sub("", phrase.strip()))
    if find_indicators(phrase):
        return phrase
    return phrase if open_vocabulary and _is_measure(phrase) else None


def _is_measure(phrase: str) -> bool:
    """Shape of an open-vocabulary indicator: a short phrase of words, not an action or a bare measure word."""
    return (2 <= len(phrase) <= 30 and len(re.findall(r"[\u4e00-\u9fff]", phrase)) >= 3
            and not re.search(r"[\d:：;；“”\"《》]", phrase)
            and not ACTION.match(phrase) and not MEASURE_WORD.match(phrase) and not BUDGET.search(phrase))


# money spent ("总投资达177994万元", "安排资金") reports a project's budget, not a level to reach
BUDGET = re.compile(r"投资|资金|投入|预算")


def _canonical(subject: str, indicator: str, unit: str | None) -> str:
    """The vocabulary's name of what a value measures, from its own phrase or the clause's indicator, when
    its unit can be that measure's ("累计开工建设装配式建筑面积1亿平方米" is no 装配式建筑占比); else the phrase."""
    for name in (canonical_of(subject), canonical_of(indicator)):
        if name and (not unit or in_family_units(head_family(name), [unit])):
            return name
    return subject


def _value_targets(values, indicator, clause, *, plan, sentence, offset, section, year) -> list[Target]:
    subjects = _subjects(indicator, len(values))
    targets = []
    for match, subject in zip(values, subjects):
        low, high, unit = match.group(1), match.group(2), match.group(3)
        canonical = _canonical(subject, indicator, UNIT_ALIASES.get(unit, unit))
        after = clause[match.end() : match.end() + 3]
        before = clause[: match.start()]
        qualifier = next((q for q in QUALIFIERS_AFTER if after.startswith(q)), None) or _last_qualifier(before)
        baseline = BASELINE.search(before)
        level = re.search(r"(下降|降低|降)(至|到)", before)
        projected = bool(PROJECTION.search(sentence[: max(0, sentence.find(match.group(0)))][-40:]))
        start = CHANGE_START.search(before)  # the figure a change starts from ("由2015年的2.2%")
        direction = None
        if not level and re.search(r"下降|降低|减少", before):
            direction = "down"
        elif baseline and re.search(r"提升|提高", before):
            direction = "up"
        targets.append(
            Target(
                city=plan.label,
                plan_id=plan.plan_id,
                year=int(start.group(1)) if start else year,
                indicator=subject,
                canonical=canonical,
                value=float(high or low),
                unit=UNIT_ALIASES.get(unit, unit),
                qualifier=(level.group(0) if level and qualifier in ("下降", "降低") else qualifier) or "",
                baseline_year=int(baseline.group(1)) if baseline else None,
                direction=direction,
                qualitative=False,
                sentence=sentence.strip(),
                section=section,
                char_start=offset,
                char_end=offset + len(sentence.rstrip()),
                kind="actual" if start else "projection" if projected else "target",
            )
        )
    return targets


CUMULATIVE = "累计"  # a table value in brackets ("[5]") is the five-year total, not a level


def table_targets(plan: Plan, row, line: str, offset: int, section: str) -> list[Target]:
    """The targets of one table row: each cell under a year column (the row's label names the
    indicator and often its unit: "4.非化石能源消费比重（%）"). With two or more year columns the
    earliest, when no later than 2022, holds base-year figures ("2020年 7.6"): kind "actual"."""
    labels = list(row.labels)
    # a unit column without a header ("风电｜万千瓦｜2020年：669") is the row's unit, not its name
    column_unit = labels.pop().strip("()（） ") if len(labels) >= 2 and labels[-1].strip("()（） ") in ALL_UNITS else None
    label = labels[-1] if labels else ""
    label = re.sub(r"^\s*\d{1,2}\s*[.．、]\s*", "", label)
    # the unit in brackets after the name ("非化石能源消费比重（%）"); beside a unit column a bracket
    # is part of the name ("水电（含抽水蓄能）")
    unit_match = None if column_unit else re.search(r"[(（]([^()（）]{1,10})[)）]\s*$", label)
    indicator = label[: unit_match.start()].strip() if unit_match else label.strip()
    # "营运船舶单位周转量二氧化碳排放较2020年下降": the measure, its base year, its direction
    change = re.match(r"(.{2,}?)\s*(?:[较比](20\d{2})年?)?\s*(下降率|降低率|增长率|下降|降低|减少|降幅|提高|提升|增长|增幅)?$", indicator)
    if change and (change.group(2) or change.group(3)):
        indicator, baseline, word = change.group(1), change.group(2), change.group(3) or ""
        direction = "down" if re.search(r"下降|降低|减少|降幅", word) else ("up" if word else None)
    else:
        baseline, direction = None, None
    if len(indicator) < 2:
        return []
    years = [(header, value, _header_year(header)) for header, value in row.cells]
    dated = sorted({y for _, _, y in years if y})
    targets = []
    for header, value, year in years:
        if not year:
            continue
        kind = "target"
        if re.search(r"现状|基期|基准|实际|完成值", header) or (len(dated) >= 2 and year == dated[0] and year <= 2022):
            kind = "actual"
        elif re.search(r"预计|预测|展望", header):
            kind = "projection"
        unit = column_unit or (unit_match.group(1) if unit_match else None) or _header_unit(header)
        targets += _cell_targets(plan, indicator, value, unit, year, kind, line, offset, section, baseline, direction)
    return targets


def _header_year(header: str) -> int | None:
    found = re.search(r"(20[0-6]\d)", header)
    if found:
        return int(found.group(1))
    return period_year(header) if "目标" in header else None


def _header_unit(header: str) -> str | None:
    found = re.search(r"[(（]([^()（）]{1,10})[)）]", header)
    return found.group(1) if found else None


CELL_VALUE = re.compile(r"^[\[［]?\s*([≥≤>＞<＜])?\s*([-+−]?\d+(?:\.\d+)?)\s*(%)?\s*[\]］]?\*?\s*(" + "|".join(QUALIFIERS_AFTER) + ")?$")
CELL_QUALIFIER = {"≥": "不低于", ">": "超过", "＞": "超过", "≤": "不高于", "<": "小于", "＜": "小于", "以下": "以内"}


def _cell_targets(plan, indicator, value, unit, year, kind, line, offset, section, baseline, direction) -> list[Target]:
    value = value.strip()
    if not value or re.fullmatch(r"[-—–－/／\s]+", value):
        return []  # no figure for this year
    common = dict(city=plan.label, plan_id=plan.plan_id, year=year, baseline_year=None, sentence=line.strip(),
                  section=section, char_start=offset, char_end=offset + len(line.rstrip()), from_table=True, kind=kind)
    parts = re.split(r"[、，,；;]", value)
    numbers = [CELL_VALUE.match(p.strip()) for p in parts]
    if not all(numbers):
        if re.search(r"\d", value):
            return []  # a cell that mixes words and figures is quoted by passages, not tabulated
        canonical = canonical_of(indicator) or indicator
        return [Target(indicator=indicator, canonical=canonical, value=None, unit=None, qualifier=value,
                       direction=None, qualitative=True, **common)]
    rows = []
    for subject, match in zip(_subjects(indicator, len(numbers)), numbers):
        sign, amount, percent, after = match.groups()
        bracketed = match.group(0).lstrip().startswith(("[", "［"))
        qualifier = CUMULATIVE if bracketed else (CELL_QUALIFIER.get(sign or "") or CELL_QUALIFIER.get(after or "", after or ""))
        canonical = _canonical(subject, indicator, "%" if percent else unit)
        rows.append(Target(indicator=subject, canonical=canonical, value=float(amount.replace("−", "-")),
                           unit="%" if percent else unit, qualifier=qualifier,
                           direction=direction if direction and not bracketed else None, qualitative=False,
                           **{**common, "baseline_year": int(baseline) if baseline else None}))
    return rows


MEASURE = re.compile(r"(新能源汽车占比|单位换算周转量碳排放强度|综合利用率|资源化利用率|覆盖率|占比|比例|比重|利用率|装机容量|蓄积量)$")


def _subjects(indicator: str, count: int) -> list[str]:
    """"公交车、出租汽车(含网约车)新能源汽车占比" with 2 values -> one indicator per value."""
    if count == 1:
        return [indicator]
    items = [i for i in re.split(r"[、和及与]", indicator) if i]
    if len(items) < count:
        return [indicator] * count
    items = items[-count:]
    measure = MEASURE.search(items[-1])
    suffix = measure.group(1) if measure else ""
    return [item if (MEASURE.search(item) or not suffix) else item + suffix for item in items]


def _last_qualifier(before: str) -> str | None:
    best, best_pos = None, -1
    for q in QUALIFIERS_BEFORE:
        pos = before.rfind(q)
        if pos > best_pos:
            best, best_pos = q, pos
    return best


def _qualitative_targets(text, phrase, *, plan, sentence, offset, section, year) -> list[Target]:
    body = DEADLINE.sub("", FIVE_YEAR.sub("", text))
    items = re.split(r"[、和]", phrase)
    canonicals = []
    for item in items:
        canonical = canonical_of(item) or canonical_of("单位地区生产总值" + item)
        if canonical in HEADLINE and canonical not in canonicals:
            canonicals.append(canonical)
    commitment = QUALITATIVE.search(body)
    quote = body[commitment.start() :].strip("，,。；; ") if commitment else body.strip("，,。；; ")
    return [
        Target(
            city=plan.label, plan_id=plan.plan_id, year=year, indicator=canonical, canonical=canonical,
            value=None, unit=None, qualifier=quote, baseline_year=None, direction=None, qualitative=True,
            sentence=sentence.strip(), section=section, char_start=offset, char_end=offset + len(sentence.rstrip()),
        )
        for canonical in canonicals
    ]


def canonicalise(targets: list[Target], encode, threshold: float) -> list[Target]:
    """Rows whose indicator phrase the vocabulary does not know get a known canonical name when
    the phrase clearly is one (see `indicators.canonical_by_meaning`); the rest keep the phrase."""
    mapped = canonical_by_meaning([t.canonical for t in targets if t.canonical == t.indicator], encode, threshold)
    return [replace(t, canonical=mapped[t.canonical]) if t.canonical in mapped and t.canonical == t.indicator else t
            for t in targets]


def _merge_repeats(targets: list[Target]) -> list[Target]:
    """The lead paragraph often repeats the goals: keep one row, cite both places."""
    merged: dict[tuple, Target] = {}
    for target in targets:
        key = (*target.key, target.kind) if not target.qualitative else (target.plan_id, target.year, target.canonical, target.qualifier)
        if key not in merged:
            merged[key] = target
            continue
        kept = merged[key]
        # the body (a numbered section) is the better primary citation than the preface
        primary, other = (target, kept) if kept.section == "前言" and target.section != "前言" else (kept, target)
        cited = primary.also_cited + (Citation(other.section, other.char_start, other.char_end),) + other.also_cited
        merged[key] = replace(primary, also_cited=cited)
    return list(merged.values())


# ---------------------------------------------------------------- storage and lookup

COLUMNS = (
    "city", "plan_id", "year", "indicator", "canonical", "value", "unit", "qualifier", "baseline_year",
    "direction", "qualitative", "sentence", "section", "char_start", "char_end", "also_cited",
    "from_table", "kind", "page_start", "page_end",
)


def write_targets(path: Path, targets: list[Target]) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE targets ({', '.join(COLUMNS)})")
        db.executemany(
            f"INSERT INTO targets VALUES ({', '.join('?' for _ in COLUMNS)})",
            [
                tuple(
                    json.dumps(row["also_cited"], ensure_ascii=False) if col == "also_cited" else row[col]
                    for col in COLUMNS
                )
                for row in (t.to_dict() for t in targets)
            ],
        )
    # sqlite3's context manager commits but does not close
    sqlite3.connect(path).close()


def read_targets(path: Path) -> list[Target]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM targets ORDER BY plan_id, year, char_start").fetchall()
    finally:
        db.close()
    targets = []
    for row in rows:
        data = dict(zip(COLUMNS, row))
        data["qualitative"] = bool(data["qualitative"])
        data["from_table"] = bool(data["from_table"])
        data["also_cited"] = tuple(Citation(**c) for c in json.loads(data["also_cited"]))
        targets.append(Target(**data))
    return targets


def filter_targets(
    targets: list[Target], city: str | None = None, year: int | None = None, indicator: str | None = None
) -> list[Target]:
    """`indicator` matches indicator names — canonical, as written, or a synonym — never the
    sentence around the target (which names many other things)."""
    from .normalize import to_simplified

    wanted = to_simplified((indicator or "").strip()).lower()
    canonicals = set(find_indicators(wanted)) if wanted else set()
    out = []
    for t in targets:
        if (city and t.city != city) or (year and t.year != year):
            continue
        names = (t.indicator, t.canonical, *INDICATORS.get(t.canonical, ()))
        if wanted and t.canonical not in canonicals and not any(wanted in to_simplified(n).lower() for n in names):
            continue
        out.append(t)
    return out


# ---------------------------------------------------------------- export

CSV_COLUMNS = ("city", "year", "canonical", "indicator", "value", "unit", "qualifier", "baseline_year", "direction",
               "qualitative", "kind", "from_table", "section", "page_start", "page_end", "sentence", "plan_id",
               "char_start", "char_end")


def machine_rows(targets) -> list[list]:
    """Targets as rows in CSV_COLUMNS order (`rag targets --csv/--xlsx`)."""
    return [[data[c] for c in CSV_COLUMNS] for data in (t.to_dict() for t in targets)]
