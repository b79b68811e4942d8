"""What the page's selectors offer and what a pick means: places and years of the index served now,
全部 for no filter, a year as typed (a place pick is read by `rag.question.selected_place`)."""
from __future__ import annotations

import re

from ..errors import UserError
from ..usertext import clip

ALL = "全部"


def place_of(plan) -> str:
    """The place a plan is for: its place, or its title when the place is unknown."""
    return getattr(plan, "place", None) or plan.label


def parse_year(year) -> int | None:
    """None for empty/全部; 2025, 2025.0, "2025", "2025年" -> 2025; anything else raises UserError."""
    if year is None or isinstance(year, bool):
        return None
    if isinstance(year, (int, float)):
        if year != int(year) or not 2000 <= int(year) <= 2100:
            raise UserError(f"年份无效：{clip(year)}。请输入四位年份，如 2025。")
        return int(year)
    text = str(year).strip()
    if text in ("", ALL, "all"):
        return None
    match = re.fullmatch(r"(\d{4})(?:\.0+)?\s*年?", text)
    if not match:
        raise UserError(f"年份无效：{clip(text)}。请输入四位年份，如 2025。")
    return int(match.group(1))
