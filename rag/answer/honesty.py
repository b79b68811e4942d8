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
from ..indicators import MEASURE_WORDS, indicator_mentions, synonyms_of
from ..targets import VALUE
from .result import Answer

def asked_wordings(question) -> list[str]:
    """How the question itself names its indicators ("光伏装机", "非化石能源比重")."""
    return [question.topic[s:e].lower() for s, e, _ in indicator_mentions(question.topic)]


def states_value(clause: str, question) -> bool:
    """Whether a clause gives a value (number and unit) for an indicator the question asks."""
    clause = clause.lower()
    if not VALUE.search(clause):
        return False
    for canonical in question.indicators:
        if any(name.lower() in clause for name in synonyms_of(canonical)):
            return True
    for wording in asked_wordings(question):
        distinctive = [w for w in lexical_tokens(wording) if w not in MEASURE_WORDS and len(w) >= 2]
        if distinctive and all(w in clause for w in distinctive):
            return True
    return False


def sentence_states_value(sentence: str, question) -> bool:
    """Whether any clause of a sentence states a value for the asked indicator."""
    return any(states_value(clause, question) for clause in re.split(r"[，,；;。]", sentence))


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
