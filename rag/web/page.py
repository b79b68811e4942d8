"""What the whole page shows of the index served now — the header line and every list — so that a fresh
load, and any open page on its next action, shows the plans being served: after an upload, an edit, a
removal or a restore in any session, and after `rag add/remove/build` in a terminal."""
from __future__ import annotations

from dataclasses import dataclass

from ..places import LEVEL_NAMES
from .choices import ALL, place_of
from .plans import plan_choices, removed_choices
from .targets import chart_indicators


@dataclass
class PageLists:
    build: str  # the index build these lists come from
    summary: str  # the header (Markdown)
    places: list[str]  # 全部, then every plan's place
    years: list[str]  # 全部, then every target year
    plans: list[tuple[str, str]]  # (label, plan_id)
    removed: list[tuple[str, str]]  # (label, key) of removed plans that can be restored
    indicators: list[str]  # chart indicators, the most shared first


def summary_markdown(index) -> str:
    places = {place_of(p) for p in index.plans.values()}
    levels = sorted({p.level for p in index.plans.values() if p.level}, key=list(LEVEL_NAMES).index)
    spread = "、".join(LEVEL_NAMES[level] for level in levels)
    return (f"## 碳达峰实施方案问答\n收录 {len(index.plans)} 个方案（{len(places)} 个地区{'，' + spread if spread else ''}），"
            f"共 {len(index.targets)} 条量化目标。回答均摘自方案原文并注明出处（标题、地区、章节），<mark>高亮</mark>为答案所在句；"
            "方案中没有的内容会明确说“未找到”。")


def page_lists(index) -> PageLists:
    return PageLists(
        build=index.path.name,
        summary=summary_markdown(index),
        places=[ALL, *dict.fromkeys(place_of(p) for p in index.plans.values())],
        years=[ALL, *map(str, sorted({t.year for t in index.targets}))],
        plans=plan_choices(index),
        removed=removed_choices(index.settings),
        indicators=chart_indicators(index.targets),
    )


def kept(value, choices, fallback=None):
    """`value` when it is still one of `choices` (plain values or (label, value) pairs), else `fallback`."""
    values = [c[1] if isinstance(c, tuple) else c for c in choices]
    return value if value in values else fallback
