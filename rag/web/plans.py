"""The plans tab: the plan list and the pickers, and the changes an administrator makes while the
app runs — uploading plan files, correcting a plan's metadata, removing and restoring plans — behind
the sign-in when a password is set. Each change runs through rag.catalog and ends with the app
answering from the new index; its report names files, never server paths."""
from __future__ import annotations

import hmac
import logging
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..errors import UserError
from ..ingest import FORMATS, size_problem
from ..metadata import KINDS
from ..places import LEVEL_NAMES
from ..usertext import INTERNAL_ERROR, clip, safe_name
from .choices import place_of
from .render import esc

log = logging.getLogger(__name__)

PLAN_COLUMNS = ("方案标题", "地区", "级别", "省份", "类型", "文号", "签发日期", "发文机关", "文件", "段落数", "目标数", "字数")
# The fields an administrator corrects in the browser: (plans.json key, label), in the form's order.
FIELDS = (("place", "地区"), ("level", "级别"), ("title", "标题"), ("doc_number", "文号"), ("issued", "签发日期"),
          ("issuer", "发文机关"), ("kind", "类型"))
LEVEL_CHOICES = [(name, level) for level, name in LEVEL_NAMES.items()]
KIND_CHOICES = list(KINDS)
SIGN_IN_FIRST = "修改方案需要管理员密码：请先在上方输入密码并登录。"


def plans_frame(index):
    """The plan list: one row per plan of the index, with its metadata and counts."""
    import pandas as pd

    from ..catalog import plan_rows

    rows = [
        [r["title"], r["place"] or "（未识别）", LEVEL_NAMES.get(r["level"], r["level"]), r["province"], r["kind"],
         r["doc_number"], r["issued"], r["issuer"], r["file"], r["chunks"], r["targets"], len(index.plans[r["plan_id"]].text)]
        for r in plan_rows(index)
    ]
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


def plan_choices(index) -> list[tuple[str, str]]:
    """(label, plan_id) for the plan pickers: place and title, so two plans of one place are told apart."""
    return [(f"{place_of(p)} ·《{p.title}》（{p.file}）", p.plan_id) for p in index.plans.values()]


def removed_choices(settings) -> list[tuple[str, str]]:
    """(label, key) of every removed plan that can be restored, the latest first."""
    from ..catalog import removed_plans

    return [(r.label(), r.key) for r in removed_plans(settings)]


def plan_fields(index, plan_id: str | None) -> dict[str, str]:
    """The form's values for one plan: what the index holds now (detected, or corrected before)."""
    plan = index.plans.get(str(plan_id or ""))
    return {key: (getattr(plan, key) if plan else "") for key, _ in FIELDS}


@dataclass
class PlanChange:
    """What a change did, for the plans tab."""

    ok: bool
    message: str  # one line, Chinese, without server paths
    report: list[str] = field(default_factory=list)  # the lines `rag build` prints


def plan_change_html(change: PlanChange) -> str:
    """The outcome line and the per-file build report, escaped."""
    css = "rag-answer" if change.ok else "rag-answer rag-error"
    lines = "".join(f"<li>{esc(line)}</li>" for line in change.report)
    return f'<div class="rag-reply"><div class="{css}">{esc(change.message)}</div>' + (
        f'<ul class="rag-report">{lines}</ul>' if lines else "") + "</div>"


ABSOLUTE_PATH = re.compile(r"(?:/[^/\s，。；：:、（）()“”《》]+)+/?")


def without_paths(message: str, settings) -> str:
    """`message` with the server's folders named by what they are and any other path cut to its last part."""
    for folder, name in ((settings.index_dir, "索引目录"), (settings.corpus_dir, "语料目录")):
        for form in {str(Path(folder)), str(Path(folder).resolve())}:
            message = message.replace(form + "/", "").replace(form, name)
    message = re.sub(r"(索引目录|语料目录)\s*[（(]?\1[)）]?", r"\1", message)  # "索引目录 /x/index" named once
    return ABSOLUTE_PATH.sub(lambda m: m.group().rstrip("/").rsplit("/", 1)[-1], message)


UPLOAD_TYPES = tuple(FORMATS)  # .txt .md .html .htm .pdf .docx
def upload_problem(path: Path, name: str, max_bytes: int) -> str | None:
    """Why an uploaded file cannot be a plan (type or size), or None."""
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        return f"{clip(name)}：不支持的文件类型{suffix and '（' + clip(suffix, 10) + '）'}，只能上传 {' '.join(UPLOAD_TYPES)} 文件"
    problem = size_problem(path.stat().st_size, max_bytes)
    return f"{clip(name)}：{problem}" if problem else None


@dataclass(frozen=True)
class AdminGate:
    """The administrator password for changes (RAG_ADMIN_PASSWORD / --admin-password); none: changes are open."""

    password: str = ""

    @property
    def required(self) -> bool:
        return bool(self.password)

    def admits(self, typed: str | None) -> bool:
        if not self.required:
            return True
        return hmac.compare_digest(str(typed or "").encode("utf-8"), self.password.encode("utf-8"))


class PlanDesk:
    """The plan changes of the 方案 tab, one at a time, each answered from the new index at once.

    Every change takes `signed_in` (the session's sign-in) and is refused without it when a password
    is set; the check is here, on the server, not in the page.
    """

    def __init__(self, served, gate: AdminGate = AdminGate()):
        """`served`: the rag.serving.ServedIndex the app answers from."""
        self.served, self.gate = served, gate

    @property
    def settings(self):
        return self.served.settings

    def sign_in(self, typed: str | None) -> tuple[bool, str]:
        if self.gate.admits(typed):
            return True, "已登录，可以添加、修改、移除和恢复方案。"
        time.sleep(1)  # slows guessing
        return False, "密码不正确。"

    def add(self, uploads: Iterable, signed_in: bool) -> PlanChange:
        """Add uploaded plan files to the corpus the app was started with, rebuild, and answer from the new index.

        `uploads` are paths of files the server received (their names are what the user's files were
        called). Every file is checked before any is added; on any problem nothing is added.
        """
        from ..catalog import add_plans, report_lines

        if not self._allowed(signed_in):
            return PlanChange(False, SIGN_IN_FIRST)
        settings = self.settings
        files = [Path(u) for u in uploads or () if u]
        if not files:
            return PlanChange(False, f"请先选择要上传的方案文件（{' '.join(UPLOAD_TYPES)}）。")
        names = [safe_name(f.name) for f in files]
        problems = [p for f, n in zip(files, names) if (p := upload_problem(f, n, settings.max_file_bytes))]
        if len(set(names)) < len(names):
            problems.append("有两个文件同名，请改名后再上传")
        if problems:
            return PlanChange(False, "未添加任何文件。" + "；".join(problems))
        with self.served.changing, tempfile.TemporaryDirectory(prefix="rag-upload-") as staging:
            staged = []
            for source, name in zip(files, names):
                staged.append(Path(staging) / name)
                shutil.copyfile(source, staged[-1])
            try:  # add_plans reads each file as a build would and refuses them all if one has no plan in it
                result = add_plans(settings, staged, progress=False)
                self.served.swap()
            except Exception as problem:
                return self._failed(problem, f"adding plans {names}")
        if result.unchanged:
            return PlanChange(True, "这些文件已在语料中，内容相同，索引无需更新。", report_lines(result))
        added = [f.file for f in result.files if f.file in names and f.status != "skipped"]
        return PlanChange(True, f"已添加 {len(added)} 个方案：{'、'.join(added)}，现在可以提问。", report_lines(result))

    def edit(self, plan_id: str | None, values: dict[str, str], signed_in: bool) -> PlanChange:
        """Correct a plan's metadata: the fields that differ from what the index holds are written to its
        plans.json entry (an emptied field goes back to what was detected), then the index is rebuilt."""
        from ..catalog import edit_plan, report_lines

        if not self._allowed(signed_in):
            return PlanChange(False, SIGN_IN_FIRST)
        plan = self.served.current.plans.get(str(plan_id or ""))
        if plan is None:
            return PlanChange(False, "请先在列表中选择要修改的方案。")
        shown = plan_fields(self.served.current, plan.plan_id)
        changes = {key: str(values.get(key) or "").strip() for key, _ in FIELDS
                   if str(values.get(key) or "").strip() != (shown[key] or "")}
        if not changes:
            return PlanChange(True, "没有需要保存的修改。")
        with self.served.changing:
            try:
                result = edit_plan(self.settings, plan.file, changes, progress=False)
                self.served.swap()
            except Exception as problem:
                return self._failed(problem, f"editing {plan.file}")
        labels = dict(FIELDS)
        return PlanChange(True, f"已保存《{plan.title}》（{plan.file}）的修改：{'、'.join(labels[k] for k in changes)}，"
                                "已写入 plans.json 并更新索引。", report_lines(result))

    def remove(self, plan_id: str | None, signed_in: bool) -> PlanChange:
        """Take a plan out of the corpus and the index; its file and plans.json entry are kept for restoring."""
        from ..catalog import remove_plan, report_lines

        if not self._allowed(signed_in):
            return PlanChange(False, SIGN_IN_FIRST)
        plan = self.served.current.plans.get(str(plan_id or ""))
        if plan is None:
            return PlanChange(False, "请先在列表中选择要移除的方案。")
        with self.served.changing:
            try:
                result, _kept = remove_plan(self.settings, plan.plan_id, progress=False)
                self.served.swap()
            except Exception as problem:
                return self._failed(problem, f"removing plan {plan.plan_id}", "未移除：")
        return PlanChange(True, f"已移除《{plan.title}》（{plan.file}）；文件和它的修改都已保存，可在“恢复已移除的方案”中恢复。",
                          report_lines(result))

    def restore(self, key: str | None, signed_in: bool) -> PlanChange:
        """Bring a removed plan back with its plans.json entry."""
        from ..catalog import report_lines, restore_plan

        if not self._allowed(signed_in):
            return PlanChange(False, SIGN_IN_FIRST)
        if not key:
            return PlanChange(False, "请先在列表中选择要恢复的方案。")
        with self.served.changing:
            try:
                result, record = restore_plan(self.settings, str(key), progress=False)
                self.served.swap()
            except Exception as problem:
                return self._failed(problem, f"restoring {key}", "未恢复：")
        return PlanChange(True, f"已恢复《{record.title or record.file}》（{record.file}）" +
                          ("，连同它的修改" if record.override else "") + "，现在可以提问。", report_lines(result))

    def _allowed(self, signed_in: bool) -> bool:
        return signed_in or not self.gate.required

    def _failed(self, problem: Exception, what: str, prefix: str = "") -> PlanChange:
        if isinstance(problem, UserError):
            return PlanChange(False, prefix + clip(without_paths(str(problem), self.settings), 300))
        log.exception("%s failed", what)
        return PlanChange(False, INTERNAL_ERROR)
