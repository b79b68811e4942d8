"""Honesty rules, enforced here and nowhere else.

1. A number is given as the answer only when its indicator is the one asked: the clause that holds
   the value names the indicator by a synonym, or by every distinctive word of the question's own
   wording (光伏 of 光伏装机). A shared measure word (装机, 比重, 占比) is not enough: 江门's
   "可再生能源发电装机容量达到700万千瓦" does not answer a question about 光伏装机.
2. When the plan does not state it, the answer says so, and may show the nearest statement
   labelled as such ("江门市方案没有光伏装机容量的数值目标；相近的表述：……").
3. A place the corpus lacks — named in any script or language — gets "语料中没有X的方案" in the
   answer itself, and "您是不是要问……" when a plan's place is close; never another place's values.
   When documents of the places around it write about it (凉山州 in 四川's plans), the answer is
   what they say about it — every statement holding its name — labelled as theirs.
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..index import lexical_tokens
from ..indicators import COUNTED, FAMILY_UNITS, MEASURE_WORDS, counts_by, in_family_units, measure_families, synonyms_of
from ..sections import is_heading
from ..zh.relations import COMMITMENT, LOWERING, VERBS
from ..zh.sentences import CLAUSE_BREAK, STATEMENT_BREAK
from ..zh.units import UNIT, VALUE
from .result import Answer

LIST_JOINS = ("、", "和", "及", "与")
# a number without a unit is a value only right after a verb that sets it ("PUE不超过1.5"), not the
# stump of a year a page break cut ("分别比20")
BARE_VALUE = re.compile(r"(?:" + "|".join(VERBS + LOWERING) + r")\s*\d+(?:\.\d+)?")


GENERIC = frozenset("全市 我市 全县 城市 目标 规模 计划 方案 要求 总体 主要 整体 全部 所有 预计 期间".split())


def narrowing_words(question, index) -> list[str]:
    """Words narrowing the asked indicator that a statement of it must hold: the place below the
    question asks about (凉山 in 四川's plan), and the word right before the indicator's name
    ("海上风电装机" -> 海上) when plans use it (chat filler like "以后" is not)."""
    below = [question.below_word] if question.below else []
    word = question.qualifier
    # a word some plan uses (its passages' vocabulary); chat filler ("以后") is not one
    return below + ([word] if word and word not in GENERIC and word in index.idf else [])


def _names_indicator(clause: str, question, canonical: str) -> list[int]:
    """Where a clause names an asked indicator, counting it as the indicator counts (比重/占比…):
    by a synonym that does not end a list, or by every distinctive word of the question's wording."""
    if not all(counts_by(clause, family) for family in measure_families(canonical)):
        return []
    named = [at for name in synonyms_of(canonical) if (at := clause.find(name.lower())) >= 0
             and clause[at - 1 : at] not in LIST_JOINS]
    if named:
        return named
    for wording, own in question.wordings_of(canonical):
        words = [t for t in lexical_tokens(wording) if t not in MEASURE_WORDS and len(t) >= 2]
        if not own and len(words) < 2:
            continue  # a borrowed wording of one word ("风电" of 风电装机容量) names many indicators, not this one
        # a list's total answers a question naming all of its things ("风电光伏装机"), not one of them
        if words and all(t in clause if len(words) > 1 else _alone(clause, t) for t in words):
            return [0]
    return []


def _alone(clause: str, word: str) -> bool:
    """Whether a clause names a word other than as one of a list sharing one value: "风电、太阳能发电装机
    容量达到525万千瓦" is their total, not 风电's ("分别达到" gives each its own)."""
    at = clause.find(word)
    if at < 0:
        return False
    joined = clause[at - 1 : at] in LIST_JOINS or clause[at + len(word) : at + len(word) + 1] in LIST_JOINS
    return not joined or "分别" in clause


def states_value(clause: str, question, only: str | None = None) -> bool:
    """Whether a clause gives a value for an indicator the question asks: it names the indicator
    (a synonym, or every distinctive word of the question's wording), counts it the same way (its
    measure word: 比重/占比/比例 …) and holds a number — with a unit, or bare after the name
    ("电能利用效率（PUE）不超过1.5")."""
    clause = clause.lower()
    if not re.search(r"\d", clause):
        return False
    for canonical in (only,) if only else question.indicators:  # `only`: one of them, not another asked beside it
        named = _names_indicator(clause, question, canonical)
        if named and (VALUE.search(clause) or COUNTED.search(clause) or BARE_VALUE.search(clause[min(named) :])):
            return True
    return False


def holds(text: str, word: str) -> bool:
    """Whether a text holds a narrowing word as written, or shortened the way Chinese abbreviates, keeping
    characters in order with at most two left out between them: "规上工业" is 规模以上工业."""
    return word in text or re.search(".{0,2}".join(map(re.escape, word)), text) is not None


def states_in_words(sentence: str, question, narrowing=(), only: str | None = None) -> bool:
    """Whether a sentence commits to an asked indicator in words, with no number: a qualitative
    target ("非化石能源消费比重确保完成省下达指标", "提升公共出行比重")."""
    for clause in CLAUSE_BREAK.split(sentence.lower()):
        if re.search(r"\d", clause) or not all(holds(clause, w) for w in narrowing):
            continue
        if COMMITMENT.search(clause) and any(_names_indicator(clause, question, c) for c in ((only,) if only else question.indicators)):
            return True
    return False


def sentence_states_value(sentence: str, question, narrowing=(), only: str | None = None) -> bool:
    """Whether any clause of a sentence states a value for the asked indicator (holding the words
    that narrow it, "海上" of 海上风电). A clause opening with 其中 measures what the clause before it
    measures ("比例达到40%以上，其中济南、烟台3市达到50%以上"): read with that clause's words up to its value."""
    clauses = CLAUSE_BREAK.split(sentence)
    for i, clause in enumerate(clauses):
        if clause.startswith("其中") and i:
            clause = re.split(r"\d", clauses[i - 1])[0] + clause
        if states_value(clause, question, only) and all(holds(clause, w) for w in narrowing):
            return True
    return False


def states_asked(question, index):
    """The test a sentence about a place below passes to answer a target question: it states an asked
    indicator, by a value or in words, or gives an amount counted the way one is (its measure word and a
    unit of that measure: "凉山州风电基地建设……新增投产装机约510万千瓦" names the place in one clause and
    the amount in another; "屋顶光伏覆盖率达到50%" is no 装机, "加快台山核电后续项目" no amount); None when
    the question names no indicator (its words are what it asks)."""
    if not question.indicators:
        return None

    def counted_as_asked(sentence: str) -> bool:
        if not re.search(r"\d", sentence):
            return False
        units = UNIT.findall(sentence)
        for canonical in question.indicators:
            families = measure_families(canonical)
            # an amount in a measure's own units says the measure ("100万千瓦" is a capacity), else its word
            if families and all(in_family_units(f, units) if f in FAMILY_UNITS else counts_by(sentence, f) for f in families):
                return True
            # a name of no measure ("风电", a table's row) is counted in its rows' units, and named
            if not families and canonical in sentence and set(units) & index.units_by_indicator.get(canonical, set()):
                return True
        return False

    return lambda sentence: sentence_states_value(sentence, question) or states_in_words(sentence, question) \
        or counted_as_asked(sentence)


def not_stated(document: str, what: str, nearest: str = "") -> str:
    """The honest line for an indicator a plan does not set as a number ("江门市方案", "黑龙江省《…》")."""
    line = f"{document}中没有{what}的数值目标"
    return line + (f"；相近的表述（并非所问指标）：{nearest}" if nearest else "。")


def missing_places(question, index) -> Answer | None:
    """The refusal for a question about places the corpus has no plan for."""
    if not question.missing:
        return None
    names = "、".join(question.missing)
    text = f"语料中没有{names}的方案。"
    if question.suggestions:
        text += f"您是不是要问{'、'.join(question.suggestions)}？"
    return Answer(question.asked, text, False, [], mode="none", note=f"语料中没有{names}的碳达峰方案。",
                  type=question.type, understood=question.text if question.follow_up else "")


def row_about(row, word: str) -> bool:
    """Whether the clause of a target row's sentence that holds its value names `word`: "济南、青岛、
    烟台3市达到50%以上" is about 烟台, the province's 40% in the clause before it is not."""
    if row.value is None or row.from_table:
        return word in row.sentence
    number = f"{row.value:g}"
    for at in (m.start() for m in re.finditer(re.escape(number), row.sentence)):
        start = max((m.end() for m in STATEMENT_BREAK.finditer(row.sentence, 0, at)), default=0)
        if word in row.sentence[start:at]:
            return True
    return False


def about_below(question, result: Answer, index) -> Answer:
    """An answer about a place from what the documents of the places above say about it, labelled as
    theirs; without such a statement, rule 3's refusal saying where it was looked for."""
    where, place = "、".join(question.places), question.below
    own = place in index.plan_ids_by_label  # asked above because its own documents did not answer
    if result.found:
        lead = f"{place}的文件中没有找到所问的内容" if own else f"语料中没有{place}自己的文件"
        result.answer = f"{lead}；以下是{where}的文件中关于{place}的内容：" + result.answer
    else:
        result.answer = result.note = f"语料中没有{place}的方案；{where}的文件提到{place}，但没有找到所问的内容。"
    return result


def screened(answer: Answer) -> Answer:
    """A section heading quoted as the answer is no answer: 未找到, with why."""
    if answer.found and answer.mode == "passage" and is_heading(answer.answer):
        return replace(answer, found=False, answer="", mode="none", highlight=[],
                       note=f"方案中只找到章节标题“{answer.answer.strip()}”，没有可以回答这个问题的句子。")
    return answer
