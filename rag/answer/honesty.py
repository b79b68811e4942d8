"""Honesty rules, enforced here and nowhere else.

1. A number is given as the answer only when its indicator is the one asked: the clause that holds
   the value names the indicator by a synonym, or by every distinctive word of the question's own
   wording (光伏 of 光伏装机). A shared measure word (装机, 比重, 占比) is not enough: 江门's
   "可再生能源发电装机容量达到700万千瓦" does not answer a question about 光伏装机.
2. When the plan does not state it, the answer says so, and may show the nearest statement
   labelled as such ("江门市方案没有光伏装机容量的数值目标；相近的表述：……").
3. A place the corpus lacks — named in any script or language — gets "语料中没有X的方案" in the
   answer itself, and "您是不是要问……" when a plan's place is close; never another place's values.
"""
from __future__ import annotations

import re

from ..index import lexical_tokens
from ..indicators import MEASURE_WORDS, indicator_mentions, measure_families, synonyms_of
from ..targets import VALUE, VERBS
from .result import Answer

LIST_JOINS = ("、", "和", "及", "与")
# words that make a clause a commitment on its measure, even without a number
COMMITMENT = re.compile(r"提升|提高|降低|下降|减少|控制|达到|保持|稳定|确保|完成[^，。]{0,8}下达|力争|不低于|不高于|不超过")
# a number without a unit is a value only right after a verb that sets it ("PUE不超过1.5"), not the
# stump of a year a page break cut ("分别比20")
BARE_VALUE = re.compile(r"(?:" + "|".join(VERBS) + r"|下降到|降低到|下降至|降低至|降到)\s*\d+(?:\.\d+)?")


GENERIC = frozenset("全市 我市 全县 城市 目标 规模 计划 方案 要求 总体 主要 整体 全部 所有 预计 期间".split())


def narrowing_words(question, index) -> list[str]:
    """Words narrowing the asked indicator ("海上风电装机" -> 海上) that a statement of it must hold:
    the word right before the indicator's name, when plans use it (chat filler like "以后" is not)."""
    mentions = indicator_mentions(question.topic)
    if not mentions:
        return []
    # the word written right against the name: "蓉城2025年非化石能源" has none (a year stands between)
    before = re.split(r"20\d{2}年?|十[四五]五|[的年到至在和与、,，：:？?\s]", question.topic[: mentions[0][0]].lower())[-1]
    word = lexical_tokens(before)[-1:] if before else []
    # a word some plan uses (its passages' vocabulary); chat filler ("以后") is not one
    return [w for w in word if len(w) >= 2 and w not in GENERIC and re.fullmatch(r"[\u4e00-\u9fff]+", w) and w in index.idf]


def asked_wordings(question) -> list[str]:
    """How the question itself names its indicators ("光伏装机", "非化石能源比重")."""
    return [question.topic[s:e].lower() for s, e, _ in indicator_mentions(question.topic)]


def _names_indicator(clause: str, question, canonical: str) -> list[int]:
    """Where a clause names an asked indicator, counting it as the indicator counts (比重/占比…):
    by a synonym that does not end a list, or by every distinctive word of the question's wording."""
    if not all(any(word in clause for word in family) for family in measure_families(canonical)):
        return []
    named = [at for name in synonyms_of(canonical) if (at := clause.find(name.lower())) >= 0
             and clause[at - 1 : at] not in LIST_JOINS]
    if named:
        return named
    for wording in asked_wordings(question):
        words = [t for t in lexical_tokens(wording) if t not in MEASURE_WORDS and len(t) >= 2]
        if words and all(t in clause for t in words):
            return [0]
    return []


def states_value(clause: str, question) -> bool:
    """Whether a clause gives a value for an indicator the question asks: it names the indicator
    (a synonym, or every distinctive word of the question's wording), counts it the same way (its
    measure word: 比重/占比/比例 …) and holds a number — with a unit, or bare after the name
    ("电能利用效率（PUE）不超过1.5")."""
    clause = clause.lower()
    if not re.search(r"\d", clause):
        return False
    for canonical in question.indicators:
        named = _names_indicator(clause, question, canonical)
        if named and (VALUE.search(clause) or BARE_VALUE.search(clause[min(named) :])):
            return True
    return False


def states_in_words(sentence: str, question, narrowing=()) -> bool:
    """Whether a sentence commits to an asked indicator in words, with no number: a qualitative
    target ("非化石能源消费比重确保完成省下达指标", "提升公共出行比重")."""
    for clause in re.split(r"[，,；;。]", sentence.lower()):
        if re.search(r"\d", clause) or not all(w in clause for w in narrowing):
            continue
        if COMMITMENT.search(clause) and any(_names_indicator(clause, question, c) for c in question.indicators):
            return True
    return False


def sentence_states_value(sentence: str, question, narrowing=()) -> bool:
    """Whether any clause of a sentence states a value for the asked indicator (holding the words
    that narrow it, "海上" of 海上风电)."""
    return any(states_value(clause, question) and all(w in clause for w in narrowing)
               for clause in re.split(r"[，,；;。]", sentence))


def not_stated(label: str, what: str, nearest: str = "") -> str:
    """The honest line for an indicator a plan does not set as a number."""
    line = f"{label}方案中没有{what}的数值目标"
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
