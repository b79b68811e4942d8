"""How policy Chinese commits to an amount, in plans' targets and in questions alike.

- The verbs and qualifiers around a target's value: before it ("力争", "提高至", "不低于", "降至"), after it
  ("以上", "左右"); the words that commit a clause to a level, or only project one ("预计"); the words that
  set a target without a number ("确保完成上级下达的目标").
- `relation` reads the side of an amount a text commits to ("以上", "不超过", "未超过") as one of
  RELATIONS; `within` compares two such commitments.
"""
from __future__ import annotations

import re

QUALIFIERS_AFTER = ("以上", "以下", "左右", "以内")
AFTER = "(?:" + "|".join(QUALIFIERS_AFTER) + ")"  # one of them, as a pattern
QUALIFIERS_BEFORE = ("不低于", "不高于", "不超过", "小于", "少于", "力争", "提高至", "提高到", "提升至", "提升到", "下降", "降低",
                     "减少", "控制在", "稳定在", "超过", "达到", "达")
# the verbs an answer keeps as the plan wrote them before a value ("提高至23%左右")
VERBS = ("不低于", "不高于", "不超过", "小于", "少于", "力争", "提高至", "提高到", "提升至", "提升到", "控制在", "稳定在",
         "超过", "下降至", "下降到", "降低至", "降低到", "降至", "达到", "达")
# the verbs that bring a value down to a level ("下降至", "降到")
LOWERING = ("下降至", "下降到", "降低至", "降低到", "降至", "降到")
# a clause commits to a level of what it names ("提升", "控制", "完成……下达", "不超过")
COMMITMENT = re.compile(r"提升|提高|降低|下降|减少|控制|达到|保持|稳定|确保|完成[^，。]{0,8}下达|力争|不低于|不高于|不超过")
# a value the plan projects, not one it commits to ("预计到2025年……将达到", "经测算", "有望")
PROJECTION = re.compile(r"预计|预测|测算|估算|预期将|有望")
# a target set in words, without a number
QUALITATIVE = re.compile(r"(确保完成|完成[^,，。]{0,8}下达|达到预期目标|上级确定|保持[^,，。]{0,10}水平|持续[^,，。]{0,4}(?:下降|提升|提高)|下达的?(?:指标|目标))")

# the side of an amount
RELATIONS = ("=", ">=", ">", "<=", "<")  # "=": the amount itself (达到15%, 15%左右)
# comparatives before an amount; a negation before one turns it over (未超过 = <=, 不低于 = >=)
COMPARATIVES = {"超过": ">", "超出": ">", "高于": ">", "大于": ">", "多于": ">", "至少": ">=", "最少": ">=",
                "低于": "<", "少于": "<", "小于": "<", "不足": "<", "不到": "<", "至多": "<=", "最多": "<=", "控制在": "<="}
NEGATIONS = ("不得", "不能", "不会", "不应", "不可", "没有", "尚未", "未", "没", "不")
# words after an amount ("20%以上" includes 20%, as in Chinese usage and law)
LIMITS_AFTER = {"及以上": ">=", "或以上": ">=", "以上": ">=", "及以下": "<=", "或以下": "<=", "以下": "<=", "以内": "<="}
OPPOSITE = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}
_LONGEST_FIRST = sorted(COMPARATIVES.items(), key=lambda item: -len(item[0]))  # read once per target compared


def relation(before: str = "", after: str = "") -> str:
    """The side of an amount that words around it commit to: "以上" after it, or a comparative
    (negated or not) ending just before it; "=" when neither ("达到15%", "15%左右")."""
    for word, side in LIMITS_AFTER.items():
        if after.startswith(word):
            return side
    for word, side in _LONGEST_FIRST:
        if before.endswith(word):
            stem = before[: -len(word)]
            return OPPOSITE[side] if stem.endswith(NEGATIONS) else side
    return "="


def within(value: float, side: str, wanted: str, limit: float) -> bool | None:
    """Whether every amount a commitment allows (`value` with its side: "=" the value, ">=" the value or
    more, ...) stands in relation `wanted` to `limit`: True when all do, False when none does, None when
    some do ("300万千瓦以上" is neither surely above nor surely not above 300万千瓦)."""
    low, low_open = (value, side == ">") if side in ("=", ">=", ">") else (float("-inf"), True)
    high, high_open = (value, side == "<") if side in ("=", "<=", "<") else (float("inf"), True)
    if wanted in (">=", ">"):
        strict = wanted == ">"
        all_ = low > limit or (low == limit and (not strict or low_open))
        none = high < limit or (high == limit and (strict or high_open))
    else:
        strict = wanted == "<"
        all_ = high < limit or (high == limit and (not strict or high_open))
        none = low > limit or (low == limit and (strict or low_open))
    return True if all_ else (False if none else None)
