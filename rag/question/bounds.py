"""A bound a question sets on the values it asks about: "定在20%以上", "超过50万千瓦", "不得低于百分之十五".

A comparison across places keeps the places whose target lies within it (`Bound.holds`), comparing in
one unit per dimension (兆瓦 and 万千瓦 alike, `rag.zh.units.in_base`) and minding the target's own side
("300万千瓦以上" is not surely above 300万千瓦). The words are those of a bound in any Chinese sentence —
a comparative before the amount, negated or not, or 以上/以下/以内 after it (`rag.zh.units.relation`) —
not of a plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..zh.numerals import arabic_numerals
from ..zh.relations import COMPARATIVES, LIMITS_AFTER, NEGATIONS, relation, within
from ..zh.units import UNITS, UNIT_ALIASES, amount, in_base

if TYPE_CHECKING:  # a bound is held against a plan's target row; the question stage does not read extraction
    from ..targets import Target

# how an answer says each relation; "不" before it says the opposite (不在20%以上, 不超过20%)
SAID = {">=": "在{}以上", ">": "超过{}", "<=": "在{}以下", "<": "低于{}"}

_alternatives = lambda words: "|".join(sorted(map(re.escape, words), key=len, reverse=True))
BOUND = re.compile(f"((?:{_alternatives(NEGATIONS)})?(?:{_alternatives(COMPARATIVES)}))?\\s*(\\d+(?:\\.\\d+)?)\\s*"
                   f"({_alternatives(UNITS)})\\s*({_alternatives(LIMITS_AFTER)})?")


@dataclass(frozen=True)
class Bound:
    relation: str  # ">=", ">", "<=", "<" (rag.zh.units.RELATIONS)
    value: float
    unit: str

    @property
    def said(self) -> str:
        """The bound in words: 在20%以上, 超过50万千瓦."""
        return SAID[self.relation].format(amount(self.value, self.unit))

    def measures(self, target: Target) -> bool:
        """Whether a target gives a number in a unit the bound can be compared with."""
        return not target.qualitative and target.value is not None and \
            in_base(target.value, target.unit)[1] == in_base(self.value, self.unit)[1]

    def holds(self, target: Target) -> bool | None:
        """Whether a target's value lies within the bound: True surely, False surely not, None when
        its own side leaves it open ("300万千瓦以上" for 超过300万千瓦) or it cannot be compared (`measures`)."""
        if not self.measures(target):
            return None
        return within(in_base(target.value, target.unit)[0], target.side, self.relation, in_base(self.value, self.unit)[0])


def bound_asked(text: str) -> Bound | None:
    """The one bound `text` sets on an amount, if any: an amount with a comparative before it or
    以上/以下/以内 after it. An amount with neither ("目标为20%") is no bound, nor are two ("高于10%低于20%")."""
    found = [m for m in BOUND.finditer(arabic_numerals(text)) if m.group(1) or m.group(4)]
    if len(found) != 1:
        return None
    before, number, unit, after = found[0].groups()
    return Bound(relation(before or "", after or ""), float(number), UNIT_ALIASES.get(unit, unit))
