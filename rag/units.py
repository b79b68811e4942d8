"""Units made comparable: a plan writes 1400兆瓦 where another writes 42万千瓦.

`in_base` turns a value in any unit of a dimension into that dimension's base unit (the one plans
use most), so comparisons, rankings and charts line up; answers still quote the plan's own words.
"""
from __future__ import annotations

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
}


def in_base(value: float, unit: str | None) -> tuple[float, str | None]:
    """(value, unit) in the dimension's base unit; units outside the table are left as they are."""
    if unit in CONVERSIONS:
        base, factor = CONVERSIONS[unit]
        return value * factor, base
    return value, unit


def amount(value: float, unit: str | None) -> str:
    """A value in the base unit, written without float noise: 140.0 -> "140", 0.15000000001 -> "0.15"."""
    return f"{round(value, 6):g}{unit or ''}"
