"""A bound a question sets on the values it asks about: "定在20%以上", "超过50万千瓦", "不低于百分之十五".

A comparison across places keeps the places whose value lies within it (`Bound.holds`), comparing in
one unit per dimension (兆瓦 and 万千瓦 alike, `rag.units.in_base`). The words are those of a bound
in any Chinese sentence — a comparative before the amount or 以上/以下/以内 after it — not of a plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..targets import CN_AMOUNT, UNITS, UNIT_ALIASES, arabic_numerals
from ..units import amount, in_base

# comparative before the amount -> relation of a value to it
BEFORE = {"不低于": ">=", "不少于": ">=", "不小于": ">=", "至少": ">=", "超过": ">", "超出": ">", "高于": ">", "大于": ">",
          "多于": ">", "不超过": "<=", "不高于": "<=", "不大于": "<=", "不多于": "<=", "至多": "<=", "低于": "<", "少于": "<",
          "小于": "<", "不足": "<", "不到": "<"}
# words after the amount ("20%以上" includes 20%, as in Chinese usage and law)
AFTER = {"及以上": ">=", "或以上": ">=", "以上": ">=", "及以下": "<=", "或以下": "<=", "以下": "<=", "以内": "<="}
# how the answer says each relation ("不" before it says the opposite: 不在20%以上, 不超过20%)
SAID = {">=": "在{}以上", ">": "超过{}", "<=": "在{}以下", "<": "低于{}"}

_alternatives = lambda words: "|".join(sorted(map(re.escape, words), key=len, reverse=True))
BOUND = re.compile(f"(?:({_alternatives(BEFORE)})\\s*)?(\\d+(?:\\.\\d+)?)\\s*({_alternatives(UNITS)})\\s*(?:({_alternatives(AFTER)}))?")


@dataclass(frozen=True)
class Bound:
    relation: str  # ">=", ">", "<=", "<"
    value: float
    unit: str

    @property
    def said(self) -> str:
        """The bound in words: 在20%以上, 超过50万千瓦."""
        return SAID[self.relation].format(amount(self.value, self.unit))

    def holds(self, value: float, unit: str | None) -> bool | None:
        """Whether a value lies within the bound; None when its unit measures something else."""
        (limit, dimension), (value, unit) = in_base(self.value, self.unit), in_base(value, unit)
        if unit != dimension:
            return None
        return {">=": value >= limit, ">": value > limit, "<=": value <= limit, "<": value < limit}[self.relation]


def bound_asked(text: str) -> Bound | None:
    """The one bound `text` sets on an amount, if any: an amount with a comparative before it or
    以上/以下/以内 after it. An amount with neither ("目标为20%") is no bound."""
    if "百分之" in text or CN_AMOUNT.search(text):
        text = arabic_numerals(text)
    found = [m for m in BOUND.finditer(text) if m.group(1) or m.group(4)]
    if len(found) != 1:  # two bounds ("高于10%低于20%") are not read as one
        return None
    before, number, unit, after = found[0].groups()
    return Bound(BEFORE[before] if before else AFTER[after], float(number), UNIT_ALIASES.get(unit, unit))
