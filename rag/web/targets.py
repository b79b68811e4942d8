"""The targets tab: the sortable targets table, its count line, the bar chart of one indicator across
places, and the CSV / Excel downloads."""
from __future__ import annotations

import atexit
import hashlib
import html
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..exports import write_csv_file, write_xlsx
from ..usertext import safe_name
from .choices import parse_year
from .render import esc


TABLE_COLUMNS = ("城市", "年份", "指标", "原文指标", "目标", "数值", "单位", "章节", "原文句子")
NUMERIC_COLUMNS = {"年份", "数值"}
SENTENCE_CHARS = 28  # the sentence column shows this much; the rest opens on demand


def _cell(text: str, sort_key=None) -> str:
    key = "" if sort_key is None else f' data-sort="{html.escape(str(sort_key), quote=True)}"'
    return f"<td{key}>{esc(text)}</td>"


def targets_table_html(targets) -> str:
    """The targets as an HTML table: every header sorts on click; long sentences open on demand."""
    head = "".join(
        f'<th data-type="{"num" if name in NUMERIC_COLUMNS else "text"}" aria-sort="none">'
        f'<button type="button" class="rag-sort">{name}</button></th>'
        for name in TABLE_COLUMNS
    )
    body = []
    for t in targets:
        target = f"未给出具体数值（{t.qualifier}）" if t.qualitative else t.value_text()
        value = "" if t.value is None else f"{t.value:g}"
        sentence = t.sentence.strip()
        if len(sentence) > SENTENCE_CHARS:
            sentence_cell = (f'<td class="rag-sentence" data-sort="{html.escape(sentence, quote=True)}"><details>'
                             f"<summary>{esc(sentence[:SENTENCE_CHARS])}…</summary>{esc(sentence)}</details></td>")
        else:
            sentence_cell = f'<td class="rag-sentence">{esc(sentence)}</td>'
        body.append(
            "<tr>" + _cell(t.city) + _cell(str(t.year)) + _cell(t.canonical) + _cell(t.indicator) + _cell(target)
            + _cell(value, t.value if t.value is not None else "") + _cell(t.unit or "") + _cell(t.section)
            + sentence_cell + "</tr>"
        )
    return (f'<div class="rag-table-wrap"><table class="rag-targets rag-sortable"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def targets_count(rows, total: int) -> str:
    if not rows:
        return "没有符合条件的目标，请放宽筛选条件。"
    return f"共 {len(rows)} 条目标（全部 {total} 条）。点击表头可排序；点击句子可展开全文。"


# Downloads, for people to file: named after the filter and the day, the plan's title rather than its id,
# 是/否, values as written (15, not 15.0). `rag targets --csv` keeps the machine columns.
EXPORT_COLUMNS = ("地区", "年份", "指标", "原文指标", "目标", "数值", "单位", "限定词", "基准年", "方向", "定性目标",
                  "方案标题", "章节", "原文句子")
EXPORT_WIDTHS = (10, 7, 22, 26, 30, 9, 10, 8, 8, 6, 8, 30, 40, 60)
DIRECTIONS = {"down": "下降", "up": "提升"}


def export_header() -> list[str]:
    return list(EXPORT_COLUMNS)


def export_rows(index, targets) -> list[list]:
    """One row per target in EXPORT_COLUMNS order."""
    def title(plan_id: str) -> str:
        plan = index.plans.get(plan_id)
        return plan.title if plan else ""

    return [
        [t.city, t.year, t.canonical, t.indicator, f"未给出具体数值（{t.qualifier}）" if t.qualitative else t.value_text(),
         "" if t.value is None else f"{t.value:g}", t.unit or "", t.qualifier or "", t.baseline_year or "",
         DIRECTIONS.get(t.direction, ""), "是" if t.qualitative else "否", title(t.plan_id), t.section, t.sentence.strip()]
        for t in targets
    ]


def export_name(city: str | None, year: int | None, indicator: str, day: str) -> str:
    """目标表_南昌市_2025_20261130: the filter's parts (全部 when there is none) and the day, safe as a file name."""
    parts = [city, str(year) if year else None, indicator.strip() if indicator else None]
    chosen = [safe_name(p).replace(".", "_")[:30] for p in parts if p]
    return "_".join(["目标表", *(chosen or ["全部"]), day])


def write_targets_csv(path: Path, rows: list[list]) -> Path:
    """Export rows as CSV with Chinese headers (UTF-8 with a BOM so Excel reads the Chinese), cells safe to open."""
    return write_csv_file(path, export_header(), rows)


def write_targets_xlsx(path: Path, rows: list[list]) -> Path:
    """The same columns and headers as the CSV, as an Excel workbook."""
    return write_xlsx(path, export_header(), rows, "量化目标", EXPORT_WIDTHS)


class ExportFolder:
    """One temporary folder for all downloads of this process, removed at exit.

    Each filter of each index build gets a subfolder holding its two files under the names people see
    (目标表_南昌市_2025_20261130.csv / .xlsx); asking again reuses them; only the most recent `keep`
    filters are kept.
    """

    def __init__(self, keep: int = 20):
        self.path = Path(tempfile.mkdtemp(prefix="rag-ui-"))
        self.keep = keep
        self._lock = threading.Lock()
        atexit.register(self.remove)

    def files(self, index, rows, city: str | None, year: int | None, indicator: str) -> tuple[str, str]:
        day = time.strftime("%Y%m%d")
        key = "|".join(map(str, (index.path.name, city, year, indicator, day)))
        folder = self.path / hashlib.sha1(key.encode()).hexdigest()[:12]
        name = export_name(city, year, indicator, day)
        csv_path, xlsx_path = folder / f"{name}.csv", folder / f"{name}.xlsx"
        with self._lock:
            if not (csv_path.exists() and xlsx_path.exists()):
                folder.mkdir(exist_ok=True)
                table = export_rows(index, rows)
                write_targets_csv(csv_path, table)
                write_targets_xlsx(xlsx_path, table)
            folder.touch()
            self._prune()
        return str(csv_path), str(xlsx_path)

    def _prune(self) -> None:
        folders = sorted((p for p in self.path.iterdir() if p.is_dir()), key=lambda p: -p.stat().st_mtime_ns)
        for old in folders[self.keep :]:
            shutil.rmtree(old, ignore_errors=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def chart_indicators(targets) -> list[str]:
    """Indicators with a numeric target, the ones most cities share first."""
    cities: dict[str, set[str]] = {}
    for t in targets:
        if not t.qualitative and t.value is not None:
            cities.setdefault(t.canonical, set()).add(t.city)
    return sorted(cities, key=lambda c: (-len(cities[c]), c))


def chart_year(targets, indicator: str, year) -> tuple[int | None, bool]:
    """(the year to draw, whether it was chosen for the user): the chosen year, or for 全部 the latest
    year the most cities give a numeric target for."""
    year = parse_year(year)
    if year is not None:
        return year, False
    cities: dict[int, set[str]] = {}
    for t in targets:
        if t.canonical == indicator and not t.qualitative and t.value is not None:
            cities.setdefault(t.year, set()).add(t.city)
    if not cities:
        return None, True
    return max(cities, key=lambda y: (len(cities[y]), y)), True


def chart_frame(targets, indicator: str, year) -> tuple[object, str]:
    """One bar per city for `indicator` in one year: (DataFrame[城市, 数值, 目标], caption naming the year).

    Values are drawn in their dimension's base unit (1400兆瓦 as 140万千瓦, `rag.zh.units`), the hover
    text quotes the plan's own words; a unit of another dimension than the most common one is not drawn.
    """
    import pandas as pd

    from ..zh.units import in_base

    year, picked = chart_year(targets, indicator, year)
    empty = pd.DataFrame({"城市": pd.Series(dtype=str), "数值": pd.Series(dtype=float), "目标": pd.Series(dtype=str)})
    if year is None:
        return empty, f"没有城市给出{indicator}的具体数值。"
    rows = [t for t in targets if t.canonical == indicator and t.year == year and not t.qualitative and t.value is not None]
    if not rows:
        return empty, f"没有城市给出{year}年{indicator}的具体数值。"
    based = [(t, *in_base(float(t.value), t.unit or None)) for t in rows]
    units = [u or "" for _, _, u in based]
    unit = max(dict.fromkeys(units), key=units.count)
    chosen: dict[str, tuple] = {}
    for t, value, base in based:
        if (base or "") == unit and t.city not in chosen:
            chosen[t.city] = (t, value)
    frame = pd.DataFrame(
        [[t.city, value, f"{t.year}年{t.value_text()}"] for t, value in chosen.values()], columns=["城市", "数值", "目标"]
    )
    caption = f"{year}年{indicator}（单位：{unit or '无'}）"
    if picked:
        caption += f"。年份选“全部”时，图中只画一个年份：{year}年是给出该目标的城市最多的最近年份"
    qualitative = sorted({t.city for t in targets if t.canonical == indicator and t.qualitative and t.year == year} - set(chosen))
    skipped = sorted({t.city for t, _, base in based if (base or "") != unit} - set(chosen))
    if skipped:
        caption += f"；{'、'.join(skipped)}的目标单位不同，未画出"
    if qualitative:
        caption += f"；{'、'.join(qualitative)}未给出具体数值"
    return frame, caption


@dataclass
class TargetsView:
    """The targets tab for one filter: the table, its count line and the two download files."""

    table: str
    count: str
    csv_path: str
    xlsx_path: str


def targets_view(index, exports: ExportFolder, city, year, indicator) -> TargetsView:
    """The targets of `index` matching the filter (place in any form or 全部, year, indicator name)."""
    from ..targets import filter_targets
    from ..question import selected_place

    city_name, year_value = selected_place(index, city), parse_year(year)
    indicator = (indicator or "").strip()[:50]
    rows = filter_targets(index.targets, city=city_name, year=year_value, indicator=indicator)
    csv_path, xlsx_path = exports.files(index, rows, city_name, year_value, indicator)
    return TargetsView(targets_table_html(rows), targets_count(rows, len(index.targets)), csv_path, xlsx_path)


def default_chart(targets) -> tuple[str, str]:
    """(indicator, year) the chart opens on: 非化石能源消费比重 in 2025 when the index has them."""
    indicators = chart_indicators(targets)
    indicator = "非化石能源消费比重" if "非化石能源消费比重" in indicators else (indicators[0] if indicators else "")
    years = sorted({t.year for t in targets})
    year = "2025" if 2025 in years else (str(years[-1]) if years else "全部")
    return indicator, year
