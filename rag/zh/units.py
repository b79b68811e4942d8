"""Amounts made comparable: a plan writes 1400兆瓦 where another writes 42万千瓦, "15%以上" where
another writes "不低于15%".

`in_base` turns a value in any unit of a dimension into that dimension's base unit (the one plans
use most), so comparisons, rankings and charts line up; answers still quote the plan's own words.
`VALUE` is a target's value as plans write it (a number or a range, with its unit). The side of an
amount ("以上", "不超过") is `rag.zh.relations`.
"""
from __future__ import annotations

import re

# units a target's value may carry; where one unit begins another, the longer comes first
UNITS = (
    "吨二氧化碳/万元", "吨标准煤/万元", "克标准煤/千瓦时", "亿千瓦时", "万千瓦时", "千瓦时", "亿千瓦", "万千瓦", "兆瓦", "千瓦",
    "亿吨标准煤", "万吨标准煤", "吨标准煤", "亿吨标煤", "万吨标煤", "吨标煤", "亿吨", "万吨", "亿立方米", "亿立方", "万立方米", "立方米", "亿平方米", "万平方米", "万㎡",
    "万亩", "亩", "万辆", "辆", "亿元", "万元", "公里", "万人", "个", "家", "处", "座", "项", "%",
)
UNIT_ALIASES = {"亿立方": "亿立方米", "万㎡": "万平方米", "亿吨标煤": "亿吨标准煤", "万吨标煤": "万吨标准煤", "吨标煤": "吨标准煤",
                "个百分点": "%", "百分点": "%"}
# what things are counted in besides the units of amounts ("多少座", "几家", "多少条")
COUNTERS = ("个百分点", "百分点", "个", "家", "处", "座", "项", "辆", "条", "所", "台", "套", "批", "户", "次", "人", "元")
# unit -> (dimension base unit, factor to the base unit)
CONVERSIONS: dict[str, tuple[str, float]] = {
    "万千瓦": ("万千瓦", 1.0), "千瓦": ("万千瓦", 1e-4), "兆瓦": ("万千瓦", 0.1), "MW": ("万千瓦", 0.1), "mw": ("万千瓦", 0.1),
    "亿千瓦": ("万千瓦", 1e4), "GW": ("万千瓦", 100.0), "gw": ("万千瓦", 100.0), "吉瓦": ("万千瓦", 100.0),
    "万吨": ("万吨", 1.0), "吨": ("万吨", 1e-4), "亿吨": ("万吨", 1e4),
    "万吨标准煤": ("万吨标准煤", 1.0), "吨标准煤": ("万吨标准煤", 1e-4), "亿吨标准煤": ("万吨标准煤", 1e4),
    "万辆": ("万辆", 1.0), "辆": ("万辆", 1e-4),
    "亿元": ("亿元", 1.0), "万元": ("亿元", 1e-4), "元": ("亿元", 1e-8),
    "万平方米": ("万平方米", 1.0), "平方米": ("万平方米", 1e-4), "亿平方米": ("万平方米", 1e4), "万㎡": ("万平方米", 1.0),
    "万立方米": ("万立方米", 1.0), "立方米": ("万立方米", 1e-4), "亿立方米": ("万立方米", 1e4),
    "万亩": ("万亩", 1.0), "亩": ("万亩", 1e-4),
    "公里": ("公里", 1.0), "千米": ("公里", 1.0),
    "万人": ("万人", 1.0), "人": ("万人", 1e-4),
}


def in_base(value: float, unit: str | None) -> tuple[float, str | None]:
    """(value, unit) in the dimension's base unit; units outside the table are left as they are."""
    unit = UNIT_ALIASES.get(unit, unit)
    if unit in CONVERSIONS:
        base, factor = CONVERSIONS[unit]
        return value * factor, base
    return value, unit


# every unit a text may count or measure in, the longer first where one begins another ("亿吨标准煤" before "亿吨")
# the words naming how a thing is measured rather than what it is: a share of a whole, a size
SHARE_WORDS = ("比重", "占比", "比例")
SIZE_WORDS = ("规模", "总量", "总规模", "数量", "容量")
MEASURES = SHARE_WORDS + SIZE_WORDS

ALL_UNITS = tuple(sorted({*UNITS, *CONVERSIONS, *COUNTERS}, key=len, reverse=True))
_COUNTERS = tuple(sorted(COUNTERS, key=len, reverse=True))
# a number with its unit; a count may be in tens of thousands ("15万个")
AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:(" + "|".join(map(re.escape, ALL_UNITS)) + ")|[万亿](" + "|".join(map(re.escape, _COUNTERS)) + "))")
UNIT = re.compile("|".join(map(re.escape, ALL_UNITS)))  # a unit anywhere ("【表：单位：万千瓦】")
COUNTED = re.compile(r"(?<![哪这那])(?:几|多少)(" + "|".join(map(re.escape, ALL_UNITS)) + ")")


def counted_unit(text: str) -> str:
    """The unit a question counts or measures in: "多少亿吨" -> 亿吨, "几座" -> 座; "" when it names none."""
    match = COUNTED.search(text)
    return match.group(1) if match else ""


def states_amount_in(text: str, unit: str) -> bool:
    """Whether a text gives a number in the unit's dimension: 1400兆瓦 for 万千瓦, 6.3亿吨 for 万吨 —
    never 2.91亿吨标准煤 for 亿吨 (each number read with its longest unit)."""
    wanted = in_base(1.0, unit)[1]
    return any(in_base(1.0, match.group(1) or match.group(2))[1] == wanted for match in AMOUNT.finditer(text))


def amount(value: float, unit: str | None) -> str:
    """A value in the base unit, written without float noise or exponent: 140.0 -> "140", 0.15000000001
    -> "0.15", 1500000 -> "1500000"."""
    digits = f"{round(value, 6):f}".rstrip("0").rstrip(".")
    return f"{digits}{unit or ''}"


# a target's value: a number or a range ("1.5~2"), with its unit
NUMBER = r"(\d+(?:\.\d+)?)(?:\s*[~～]\s*(\d+(?:\.\d+)?))?"
VALUE = re.compile(NUMBER + r"\s*(" + "|".join(re.escape(unit) for unit in UNITS) + r")")
