"""The plans tab: the plan list and reader choices, uploading plan files and removing plans while
the app runs, and the report of what a change did."""
from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..errors import UserError
from ..ingest import FORMATS, size_problem
from ..serving import ServedIndex
from ..usertext import BIDI_CONTROLS, INTERNAL_ERROR, clip
from .choices import place_of
from .render import esc

log = logging.getLogger(__name__)


def plans_frame(index, targets):
    import pandas as pd

    chunk_counts: dict[str, int] = {}
    for chunk in index.chunks:
        chunk_counts[chunk.plan_id] = chunk_counts.get(chunk.plan_id, 0) + 1
    target_counts: dict[str, int] = {}
    for t in targets:
        target_counts[t.plan_id] = target_counts.get(t.plan_id, 0) + 1
    rows = [
        [p.title, place_of(p), p.province, p.kind, p.issued, p.source_file, chunk_counts.get(p.plan_id, 0),
         target_counts.get(p.plan_id, 0), len(p.text)]
        for p in index.plans.values()
    ]
    return pd.DataFrame(rows, columns=["方案标题", "城市", "省份", "类型", "发布日期", "源文件", "段落数", "目标数", "字数"])


@dataclass
class PlanChange:
    """What an upload or a removal did, for the plans tab."""

    ok: bool
    message: str  # one line, Chinese
    report: list[str] = field(default_factory=list)  # the lines `rag build` prints


UPLOAD_TYPES = tuple(FORMATS)  # .txt .md .html .htm .pdf .docx
NAME_CHARS = 80
UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_name(name: str) -> str:
    """A plan file name that stays inside the corpus folder: no folders, no control or bidi characters,
    no leading dot (hidden files are not plans), the extension lower-cased, at most NAME_CHARS characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = BIDI_CONTROLS.sub("", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME.sub("_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.strip(" .")[:NAME_CHARS] or "方案"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def upload_problem(path: Path, name: str, max_bytes: int) -> str | None:
    """Why an uploaded file cannot be a plan (type or size), or None."""
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        return f"{clip(name)}：不支持的文件类型{suffix and '（' + clip(suffix, 10) + '）'}，只能上传 {' '.join(UPLOAD_TYPES)} 文件"
    problem = size_problem(path.stat().st_size, max_bytes)
    return f"{clip(name)}：{problem}" if problem else None


def add_uploaded_plans(served: ServedIndex, uploads: Iterable) -> PlanChange:
    """Add uploaded plan files to the corpus the app was started with, rebuild, and answer from the new index.

    `uploads` are paths of files the server received (their names are what the user's files were
    called). Every file is checked before any is added; on any problem nothing is added.
    """
    from ..catalog import report_lines
    from ..index import add_plans, build_index

    settings = served.current.settings
    files = [Path(u) for u in uploads or () if u]
    if not files:
        return PlanChange(False, "请先选择要上传的方案文件（.txt .md .html .htm .pdf .docx）。")
    names = [safe_name(f.name) for f in files]
    problems = [p for f, n in zip(files, names) if (p := upload_problem(f, n, settings.max_file_bytes))]
    if len(set(names)) < len(names):
        problems.append("有两个文件同名，请改名后再上传")
    if problems:
        return PlanChange(False, "未添加任何文件。" + "；".join(problems))
    corpus = Path(settings.corpus_dir)
    with served._changing, tempfile.TemporaryDirectory(prefix="rag-upload-") as staging:
        new = [name for name in names if not (corpus / name).exists()]
        staged = []
        for source, name in zip(files, names):
            staged.append(Path(staging) / name)
            shutil.copyfile(source, staged[-1])
        try:
            result = add_plans(settings, staged, progress=False)
            refused = [f for f in result.files if f.file in new and f.status == "skipped"]
            if refused:  # readable, yet no plan in it (no text layer): it does not stay in the corpus
                for report in refused:
                    (corpus / report.file).unlink(missing_ok=True)
                rebuilt = build_index(settings, progress=False)
                result = dataclasses.replace(rebuilt, files=rebuilt.files + refused)
            served.swap(settings)
        except UserError as problem:
            return PlanChange(False, clip(str(problem), 300))
        except Exception:
            log.exception("adding plans failed: %s", names)
            return PlanChange(False, INTERNAL_ERROR)
    if result.unchanged:
        return PlanChange(True, "这些文件已在语料中，内容相同，索引无需更新。", report_lines(result))
    added = [f.file for f in result.files if f.file in names and f.status != "skipped"]
    message = f"已添加 {len(added)} 个方案：{'、'.join(added)}，现在可以提问。" if added else ""
    if refused:
        message = f"未能收录（文件未保留）：{'；'.join(f'{f.file}（{f.error}）' for f in refused)}。{message}"
    return PlanChange(not refused, message, report_lines(result))


def remove_served_plan(served: ServedIndex, plan_id: str | None) -> PlanChange:
    """Take a plan out of the corpus and the index (its file is kept under the index's removed/ folder)."""
    from ..catalog import report_lines
    from ..index import remove_plan

    plan = served.current.plans.get(str(plan_id or ""))
    if plan is None:
        return PlanChange(False, "请先在列表中选择要移除的方案。")
    settings = served.current.settings
    with served._changing:
        try:
            result, kept = remove_plan(settings, plan.plan_id, progress=False)
            served.swap(settings)
        except UserError as problem:
            return PlanChange(False, f"未移除：{clip(str(problem), 300)}")
        except Exception:
            log.exception("removing plan %s failed", plan.plan_id)
            return PlanChange(False, INTERNAL_ERROR)
    return PlanChange(True, f"已移除《{plan.title}》（{plan.file}）；原文件保存在 {kept}。", report_lines(result))


def plan_change_html(change: PlanChange) -> str:
    """The outcome line and the per-file build report, escaped."""
    css = "rag-answer" if change.ok else "rag-answer rag-error"
    lines = "".join(f"<li>{esc(line)}</li>" for line in change.report)
    return f'<div class="rag-reply"><div class="{css}">{esc(change.message)}</div>' + (
        f'<ul class="rag-report">{lines}</ul>' if lines else "") + "</div>"


def plan_choices(index) -> list[tuple[str, str]]:
    """(label, plan_id) for the plan pickers: place and title, so two plans of one place are told apart."""
    return [(f"{place_of(p)} ·《{p.title}》（{p.file}）", p.plan_id) for p in index.plans.values()]
