"""The plans in a corpus folder: read every file, clean it, detect its metadata.

Any .txt/.md/.html/.pdf/.docx file in the folder is a plan. Its metadata
(place, level, province, title, 文号, signing date, issuer, kind) is detected
from its own text (`rag.metadata`); an entry in the optional `plans.json`
overrides what was detected, field by field. A file that cannot be read is
reported and skipped — one bad file never stops the others — and a file whose
place cannot be detected is still indexed, under its file name, with a warning.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import UserError, os_reason
from .ingest import FORMATS, UnreadableFile, read_document
from .metadata import KINDS, detect
from .normalize import normalize
from .places import LEVELS

MANIFEST = "plans.json"


class CorpusError(UserError):
    """The corpus as a whole cannot be used (no folder, an invalid plans.json); the message is for the user."""


@dataclass(frozen=True)
class Plan:
    plan_id: str
    place: str  # the issuing jurisdiction at any level: 湖南省, 岳阳市, 天河区, 万盛经开区 ("" when unknown)
    level: str  # province / city / county / district / zone
    province: str
    title: str
    doc_number: str
    issued: str  # YYYY-MM-DD, the date signed under the issuer
    issuer: str
    kind: str  # 实施方案 / 征求意见稿 / 政策解读 / 新闻报道
    file: str  # name in the corpus folder
    text: str  # normalized simplified text; citations point into it
    parent: str = ""  # the prefecture of a county, district or zone
    source_file: str = ""
    mojibake_spans: int = 0
    mojibake_repaired: int = 0
    # where each detected fact stands in `text`: (field, start, end)
    spans: tuple[tuple[str, int, int], ...] = ()

    def __post_init__(self):  # rows read back from JSON carry lists
        object.__setattr__(self, "spans", tuple((str(f), int(s), int(e)) for f, s, e in self.spans))

    def span_of(self, name: str) -> tuple[int, int] | None:
        return next(((s, e) for f, s, e in self.spans if f == name), None)

    @property
    def label(self) -> str:
        """The name answers use: the place, or the title when the place is unknown."""
        return self.place or self.title

    def metadata(self) -> dict:
        meta = asdict(self)
        del meta["text"], meta["spans"]
        return meta


@dataclass
class FileReport:
    """One line of the build report."""

    file: str
    status: str  # indexed / unplaced (indexed under its file name) / skipped
    plan_id: str = ""
    place: str = ""
    level: str = ""
    title: str = ""
    doc_number: str = ""
    issued: str = ""
    kind: str = ""
    format: str = ""
    encoding: str = ""
    chunks: int = 0
    targets: int = 0
    repairs: int = 0
    pages: int = 0  # PDF pages read (1 for a file without pages)
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def plan_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in Path(corpus_dir).iterdir() if p.suffix.lower() in FORMATS and p.is_file() and not p.name.startswith("."))


def odd_entries(corpus_dir: Path) -> list[tuple[str, str]]:
    """Names that look like plans but are no readable file (a folder, a broken or looping link), with why:
    reported as skipped rather than silently left out."""
    odd = []
    for path in sorted(Path(corpus_dir).iterdir()):
        if path.suffix.lower() not in FORMATS or path.name.startswith(".") or path.is_file():
            continue
        try:
            path.stat()
            odd.append((path.name, "是一个目录，不是文件" if path.is_dir() else "不是普通文件"))
        except OSError as exc:
            odd.append((path.name, f"符号链接无法打开（{os_reason(exc)}）"))
    return odd


@dataclass(frozen=True)
class FileJob:
    """One corpus file to read, with its plans.json entry and the size limit."""

    path: Path
    override: dict
    max_bytes: int


def load_plans(corpus_dir: Path, max_bytes: int | None = None, progress=None, read_all=None) -> tuple[list[Plan], list[FileReport]]:
    """Every readable plan in the folder, and one report per file (skipped ones included).

    `read_all(jobs)` reads the files and yields `read_file`'s (report, plan or None) for each job, in
    order: by default one after another here; a build passes one that reads in parallel, with a cache
    (`rag.parsing`).
    """
    from .config import Settings

    max_bytes = max_bytes or Settings().max_file_bytes
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"语料目录不存在：{corpus_dir}")
    overrides = read_overrides(corpus_dir)
    files = plan_files(corpus_dir)
    if not files:
        raise CorpusError(f"语料目录 {corpus_dir} 中没有方案文件（支持 {'、'.join(FORMATS)}）")
    jobs = [FileJob(path, overrides.get(path.name, {}), max_bytes) for path in files]
    plans: list[Plan] = []
    reports: list[FileReport] = []
    taken: set[str] = set()
    for job, (report, plan) in zip(jobs, (read_all or _read_each)(jobs)):
        reports.append(report)
        if plan is not None:
            plan = _unique_id(plan, taken, report)
            taken.add(plan.plan_id)
            plans.append(plan)
            report.status = "indexed" if plan.place else "unplaced"
            report.plan_id = plan.plan_id
        if progress:
            progress(job.path.name)
    for name, reason in odd_entries(corpus_dir):
        reports.append(FileReport(name, "skipped", error=reason))
    for name in sorted(set(overrides) - {p.name for p in files}):
        reports.append(FileReport(name, "skipped", error=f"{MANIFEST} 中有 {name} 的条目，但语料目录中没有这个文件"))
    return plans, reports


def read_file(job: FileJob) -> tuple[FileReport, Plan | None]:
    """One file's report and plan (None when it cannot be read: the report says why)."""
    report = FileReport(job.path.name, "skipped")
    try:
        return report, load_plan(job.path, job.override, job.max_bytes, report)
    except UnreadableFile as problem:
        report.error = str(problem)
        return report, None


def _read_each(jobs: list[FileJob]):
    return map(read_file, jobs)


def load_plan(path: Path, override: dict, max_bytes: int, report: FileReport | None = None) -> Plan:
    report = report or FileReport(path.name, "skipped")
    document = read_document(path, max_bytes)
    clean = normalize(document.text)
    if len(clean.text.strip()) < 20:
        raise UnreadableFile("文件没有正文内容")
    meta = detect(clean.text)
    detected = {
        "plan_id": plan_id_for(path), "place": meta.place, "level": meta.level, "province": meta.province,
        "parent": meta.parent, "title": meta.title or path.stem, "doc_number": meta.doc_number,
        "issued": meta.issued, "issuer": meta.issuer, "kind": meta.kind, "source_file": path.name,
    }
    values = {**detected, **{k: v for k, v in override.items() if v not in (None, "")}}
    plan = Plan(
        **values, file=path.name, text=clean.text,
        mojibake_spans=clean.mojibake_spans, mojibake_repaired=clean.mojibake_repaired,
        spans=tuple((k, *v) for k, v in meta.spans.items()),
    )
    report.warnings += list(meta.warnings)
    if not plan.place:
        report.warnings.append("未能识别发文地区，已按文件名收录；可在 plans.json 中为该文件填写 place")
    if clean.mojibake_spans > clean.mojibake_repaired:
        report.warnings.append(f"乱码 {clean.mojibake_spans} 处，其中 {clean.mojibake_spans - clean.mojibake_repaired} 处无法修复已删除")
    report.__dict__.update(
        place=plan.place, level=plan.level, title=plan.title, doc_number=plan.doc_number, issued=plan.issued,
        kind=plan.kind, format=document.format, encoding=document.encoding, repairs=clean.mojibake_repaired,
    )
    return plan


def plan_id_for(path: Path) -> str:
    """A stable id from the file name: letters, digits, CJK, - and _ kept."""
    return re.sub(r"[^\w\u4e00-\u9fff-]+", "_", path.stem).strip("_") or "plan"


def _unique_id(plan: Plan, taken: set[str], report: FileReport) -> Plan:
    if plan.plan_id not in taken:
        return plan
    n = 2
    while f"{plan.plan_id}-{n}" in taken:
        n += 1
    report.warnings.append(f"方案编号 {plan.plan_id} 已被其他文件使用，改用 {plan.plan_id}-{n}")
    return replace(plan, plan_id=f"{plan.plan_id}-{n}")


def fingerprint(corpus_dir: Path) -> str:
    """A hash of every file the index is built from, to detect a stale index."""
    digest = hashlib.sha256()
    corpus_dir = Path(corpus_dir)
    paths = plan_files(corpus_dir) + ([corpus_dir / MANIFEST] if (corpus_dir / MANIFEST).is_file() else [])
    for name, reason in odd_entries(corpus_dir):  # so the build report lists them
        digest.update(f"{name} {reason}".encode())
    for path in paths:
        digest.update(path.name.encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError as exc:  # an unreadable file is reported by the build, not fatal here
            digest.update(f"unreadable {exc.errno} {path.stat().st_size} {path.stat().st_mtime_ns}".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- plans.json

# the keys an entry may set, all strings; `city` is the name older corpora used for `place`
OVERRIDABLE = ("plan_id", "place", "level", "province", "parent", "title", "doc_number", "issued", "issuer", "kind", "source_file")
LEGACY = {"city": "place"}


def read_overrides(corpus_dir: Path) -> dict[str, dict]:
    """plans.json validated against its schema; any problem is one Chinese sentence naming file, key and type."""
    path = Path(corpus_dir) / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} 不是有效的 JSON（{_json_problem(exc)}）。请修正或删除该文件后重试") from None
    except OSError as exc:
        raise CorpusError(f"无法读取 {path}（{os_reason(exc)}）") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{path} 的顶层应是对象（文件名 → 条目），实际是{_type_name(data)}")
    entries = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise CorpusError(f"{path} 中 {name} 的条目应是对象，实际是{_type_name(entry)}")
        clean = {}
        for key, value in entry.items():
            key = LEGACY.get(key, key)
            if key not in OVERRIDABLE:
                raise CorpusError(f"{path} 中 {name} 的条目有未知字段 {key}（可用字段：{', '.join(OVERRIDABLE)}）")
            if not isinstance(value, str):
                raise CorpusError(f"{path} 中 {name} 的字段 {key} 应是字符串，实际是{_type_name(value)}")
            clean[key] = value.strip()
        if clean.get("level") and clean["level"] not in LEVELS:
            raise CorpusError(f"{path} 中 {name} 的 level 应是 {' / '.join(LEVELS)} 之一")
        if clean.get("kind") and clean["kind"] not in KINDS:
            raise CorpusError(f"{path} 中 {name} 的 kind 应是 {' / '.join(KINDS)} 之一")
        if clean.get("issued") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", clean["issued"]):
            raise CorpusError(f"{path} 中 {name} 的 issued 应是 YYYY-MM-DD 格式的日期")
        if "plan_id" in clean and not re.fullmatch(r"[\w\u4e00-\u9fff-]{1,80}", clean["plan_id"]):
            raise CorpusError(f"{path} 中 {name} 的 plan_id 只能包含字母、数字、汉字、- 和 _")
        entries[str(name)] = clean
    return entries


def _type_name(value) -> str:
    return {dict: "对象", list: "数组", str: "字符串", int: "整数", float: "数字", bool: "布尔值", type(None): "null"}.get(type(value), "其他类型")


def _json_problem(exc: Exception) -> str:
    return f"第 {exc.lineno} 行第 {exc.colno} 列" if isinstance(exc, json.JSONDecodeError) else "不是 UTF-8 编码"


PLAN_FIELDS = tuple(f.name for f in fields(Plan))
