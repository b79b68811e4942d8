"""The plans of a corpus as staff see and change them.

One row per plan (`rag plans --json`, the web API /plans); adding plan files; removing a plan — its
file and its plans.json entry are kept together under <index>/removed/<key>/, so "restore" brings it
back as it was; editing a plan's metadata, written as its plans.json entry. Every change ends in a
build (`rag.index.build_index`), and a change whose build fails is undone; the build report is the
same lines `rag build` prints. Used by the command line and the 方案 tab alike.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .corpus import LEGACY, MANIFEST, check_override, file_for_plan, plan_files, plan_ids, read_overrides
from .errors import UserError, os_reason
from .index import CURRENT, BuildResult, build_index, check_writable, read_jsonl

STATUS = {"indexed": "收录", "unplaced": "收录（地区未识别）", "skipped": "跳过"}
REMOVED = "removed"  # under the index folder
RECORD = "removed.json"  # in each removed plan's folder, beside its file
# What staff may correct from the browser, as plans.json keys (the schema allows a few more).
EDITABLE = ("place", "level", "title", "doc_number", "issued", "issuer", "kind")


def plan_rows(index) -> list[dict]:
    """One dict per plan of a loaded index: its metadata and how many passages and targets it gave;
    grouped by place (places in corpus order), each place's documents in precedence order."""
    chunks, targets = Counter(c.plan_id for c in index.chunks), Counter(t.plan_id for t in index.targets)
    first = {}
    for n, plan in enumerate(index.plans.values()):
        first.setdefault(plan.label, n)
    grouped = sorted(index.plans.values(), key=lambda p: (first[p.label], p.precedence))
    return [
        {"file": p.file, "plan_id": p.plan_id, "place": p.place, "level": p.level, "province": p.province,
         "parent": p.parent, "title": p.title, "doc_number": p.doc_number, "issued": p.issued, "issuer": p.issuer,
         "kind": p.kind, "status": p.status, "chunks": chunks[p.plan_id], "targets": targets[p.plan_id]}
        for p in grouped
    ]


# `BuildResult.stages` in Chinese (`rag build` prints seconds per stage; `--json` gives them as they are)
STAGE_NAMES = {"parse": "读取解析", "embed": "向量化", "lexical": "关键词索引", "targets": "目标归一", "vectors": "向量索引",
               "write": "写入"}


def report_lines(result: BuildResult) -> list[str]:
    """A BuildResult as the lines `rag build` prints: one per file, then the totals."""
    from .places import LEVEL_NAMES

    lines = []
    for f in result.files:
        if f.status == "skipped":
            lines.append(f"[跳过] {f.file}：{f.error}")
            continue
        place = f"{f.place}（{LEVEL_NAMES.get(f.level, f.level)}）" if f.place else "地区未知"
        pages = f"{f.pages} 页" + (f"（OCR {f.ocr_pages} 页）" if f.ocr_pages else "") + " · " if f.pages else ""
        tables = f"{f.tables} 个表格 · " if f.tables else ""
        line = (f"[{STATUS[f.status]}] {f.file} → {place}《{f.title}》 文号 {f.doc_number or '—'} · 签发 {f.issued or '—'} · "
                f"{f.kind} · {pages}{tables}{f.chunks} 段 · {f.targets} 条目标 · 修复乱码 {f.repairs} 处")
        lines.append(line + (f" · 警告：{'；'.join(f.warnings)}" if f.warnings else ""))
    m = result.manifest
    skipped = len(result.skipped)
    if result.unchanged:
        lines.append(f"语料未变化，索引已是最新：{m.plans} 个方案，{m.chunks} 个段落，{m.targets} 条目标。")
    else:
        lines.append(
            f"索引已建成：{m.plans} 个方案，{m.chunks} 个段落（新向量化 {result.embedded} 个），{m.targets} 条目标，"
            f"跳过 {skipped} 个文件，模型 {m.model}（{m.dims} 维，后端 {m.embed_backend}），"
            f"向量索引 {m.vector_index}（recall@5 {m.recall_at_5:.4f}），用时 {m.build_seconds} 秒。"
        )
        stages = "，".join(f"{STAGE_NAMES.get(name, name)} {seconds} 秒" for name, seconds in result.stages.items())
        if stages:
            lines.append(f"各阶段：{stages}；{result.reused_files} 个文件的解析取自缓存。")
    return lines


# ---------------------------------------------------------------- adding


def add_plans(settings: Settings, paths: list[Path], progress: bool = True) -> BuildResult:
    """Copy plan files into the corpus and update the index; on any failure the corpus is left as it was.

    Each file is read first, exactly as a build reads it: one that a build would skip is refused
    here with the same reason, and nothing is added. It is read once: what was read goes into the
    build's parse cache (rag.parsing), so the build that follows reads it from there (a scanned PDF
    is OCR'd once)."""
    from .corpus import FileJob
    from .index import parse_pipeline_version
    from .parsing import ParseCache, parse_file

    corpus = Path(settings.corpus_dir)
    if not corpus.is_dir():
        raise UserError(f"语料目录不存在：{corpus}")
    overrides = read_overrides(corpus)
    problems, copies = [], []  # copies: (source, target, the job it was read as, what was read)
    for path in map(Path, paths):
        if not path.is_file():
            problems.append(f"{path}：文件不存在")
            continue
        job = FileJob(path, overrides.get(path.name, {}), settings.limits)  # as the build will see it in the corpus
        parsed = parse_file(job, settings.chunks)
        if parsed.plan is None:
            problems.append(f"{path.name}：{parsed.report.error}")
            continue
        target = corpus / path.name
        if target.exists():
            if target.read_bytes() == path.read_bytes():
                continue  # already there, unchanged
            problems.append(f"{path.name}：语料中已有同名但内容不同的文件，请先移除它或改名后再添加")
            continue
        copies.append((path, target, job, parsed))
    if problems:
        raise UserError("未添加任何文件。" + "；".join(problems))
    check_writable(Path(settings.index_dir))
    cache = ParseCache(settings, parse_pipeline_version())
    for _, _, job, parsed in copies:
        cache.put(cache.key(job), parsed)
    _remove_stale_copies(corpus)
    added = []
    try:
        for number, (source, target, _, _) in enumerate(copies):
            tmp = corpus / f".adding-{os.getpid()}-{number}"  # short: the plan's own name may be near the 255-byte limit
            try:
                shutil.copyfile(source, tmp)
                os.replace(tmp, target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise UserError(f"无法把 {source.name} 复制到语料目录（{os_reason(exc)}），未添加任何文件") from None
            added.append(target)
        return build_index(settings, progress=progress)
    except BaseException:
        for target in added:
            target.unlink(missing_ok=True)
        raise


def _remove_stale_copies(corpus: Path) -> None:
    """Half-copied files of an `add` that was killed (hidden, so no build ever read them)."""
    for tmp in corpus.glob(".adding-*-*"):
        pid = tmp.name.split("-")[1]
        if not (pid.isdigit() and Path(f"/proc/{pid}").exists()):
            tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- removing and restoring


@dataclass(frozen=True)
class RemovedPlan:
    """A plan taken out of the corpus: its file and its plans.json entry, kept to be restored."""

    key: str  # the name of its folder under <index>/removed/
    file: str  # the file's name in the corpus, and again once restored
    title: str
    place: str
    removed: str  # when, "YYYY-MM-DD HH:MM"
    override: dict = field(default_factory=dict)  # its plans.json entry
    path: Path = Path()  # the kept file

    def label(self) -> str:
        return f"{self.place or '地区未知'} ·《{self.title or self.file}》（{self.file}，移除于 {self.removed}）"


def removed_plans(settings: Settings) -> list[RemovedPlan]:
    """Every removed plan that can be restored, the latest removal first."""
    folder = Path(settings.index_dir) / REMOVED
    found = []
    for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
        if entry.is_dir():
            try:
                record = json.loads((entry / RECORD).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (entry / record.get("file", "")).is_file():
                found.append(RemovedPlan(entry.name, record["file"], record.get("title", ""), record.get("place", ""),
                                         record.get("removed", ""), record.get("override") or {}, entry / record["file"]))
        elif entry.is_file() and entry.name[:15].replace("-", "").isdigit():
            # removed before records were kept: "<YYYYmmdd-HHMMSS>-<file>", no plans.json entry
            stamp = entry.name[:15]
            found.append(RemovedPlan(entry.name, entry.name[16:], "", "", f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} "
                                     f"{stamp[9:11]}:{stamp[11:13]}", {}, entry))
    return sorted(found, key=lambda r: (r.removed, r.key), reverse=True)


def remove_plan(settings: Settings, plan_id: str, progress: bool = True) -> tuple[BuildResult, RemovedPlan]:
    """Take one plan out of the corpus and the index. Its file and its plans.json entry are moved (not
    deleted) into a folder of their own under <index>/removed/, so `restore_plan` brings it back as it was."""
    corpus = Path(settings.corpus_dir)
    overrides = read_overrides(corpus) if corpus.is_dir() else {}
    path = file_for_plan(corpus, plan_id) if corpus.is_dir() else None
    if path is None:
        known = "、".join(sorted(plan_ids(plan_files(corpus), overrides).values())) if corpus.is_dir() else ""
        raise UserError(f"语料中没有编号为 {plan_id[:80]} 的方案。现有编号：{known or '（无）'}")
    check_writable(Path(settings.index_dir))
    shown = _served_plan(settings, plan_id)
    folder = _new_removed_folder(settings)
    record = RemovedPlan(folder.name, path.name, shown.get("title", ""), shown.get("place", ""),
                         time.strftime("%Y-%m-%d %H:%M"), raw_overrides(corpus).get(path.name, {}), folder / path.name)
    manifest_before = _read_bytes(corpus / MANIFEST)
    try:
        shutil.move(str(path), record.path)
    except OSError as exc:
        if path.exists():
            record.path.unlink(missing_ok=True)  # copied across file systems but not deleted: the corpus keeps it
        shutil.rmtree(folder, ignore_errors=True)
        raise UserError(f"无法把 {path.name} 移出语料目录（{os_reason(exc)}），未移除") from None
    try:
        _write_record(record)
        if path.name in overrides:
            rest = raw_overrides(corpus)
            rest.pop(path.name, None)
            _write_overrides(corpus, rest)
        return build_index(settings, progress=progress), record
    except BaseException:
        shutil.move(str(record.path), path)
        _restore_bytes(corpus / MANIFEST, manifest_before)
        shutil.rmtree(folder, ignore_errors=True)
        raise


def restore_plan(settings: Settings, key: str, progress: bool = True) -> tuple[BuildResult, RemovedPlan]:
    """Bring a removed plan back into the corpus with its plans.json entry, and update the index."""
    record = next((r for r in removed_plans(settings) if r.key == key), None)
    if record is None:
        raise UserError("没有这个已移除的方案（可能已经恢复）。")
    corpus = Path(settings.corpus_dir)
    target = corpus / record.file
    if target.exists():
        raise UserError(f"语料中已有同名文件 {record.file}，请先移除或改名后再恢复。")
    overrides = raw_overrides(corpus)
    manifest_before = _read_bytes(corpus / MANIFEST)
    check_writable(Path(settings.index_dir))
    shutil.move(str(record.path), target)
    try:
        if record.override:
            _write_overrides(corpus, {**overrides, record.file: record.override})
        result = build_index(settings, progress=progress)
    except BaseException:
        shutil.move(str(target), record.path)
        _restore_bytes(corpus / MANIFEST, manifest_before)
        raise
    if record.path.parent.name == key:  # its own folder (not a file removed before records were kept)
        shutil.rmtree(record.path.parent, ignore_errors=True)
    return result, record


# ---------------------------------------------------------------- editing metadata


def edit_plan(settings: Settings, file: str, changes: dict[str, str], progress: bool = True) -> BuildResult:
    """Write `changes` into the plans.json entry of the plan file `file` and update the index.

    A value overrides what was detected; an empty value removes the override, so the detected value
    is used again. Only the EDITABLE fields may be changed; the entry is checked like the whole file.
    """
    corpus = Path(settings.corpus_dir)
    if not (corpus / file).is_file() or Path(file).name != file:
        raise UserError(f"语料中没有文件 {file[:80]}。")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise UserError(f"不能修改这些字段：{'、'.join(sorted(unknown))}")
    overrides = raw_overrides(corpus)
    entry = {LEGACY.get(k, k): v for k, v in overrides.get(file, {}).items()}
    for key, value in changes.items():
        value = str(value or "").strip()
        if value:
            entry[key] = value
        else:
            entry.pop(key, None)
    check_override(file, entry)
    if entry == overrides.get(file, {}):
        return build_index(settings, progress=progress)
    manifest_before = _read_bytes(corpus / MANIFEST)
    if entry:
        overrides[file] = entry
    else:
        overrides.pop(file, None)
    check_writable(Path(settings.index_dir))
    _write_overrides(corpus, overrides)
    try:
        return build_index(settings, progress=progress)
    except BaseException:
        _restore_bytes(corpus / MANIFEST, manifest_before)
        raise


# ---------------------------------------------------------------- plans.json and the removed/ folder


def raw_overrides(corpus: Path) -> dict[str, dict]:
    """plans.json as written (validated first), to change one entry and keep every other as it is."""
    read_overrides(corpus)
    path = Path(corpus) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8-sig")) if path.is_file() else {}


def _write_overrides(corpus: Path, overrides: dict) -> None:
    path = Path(corpus) / MANIFEST
    if not overrides and not path.exists():
        return
    tmp = path.with_name(f".{MANIFEST}.tmp")
    tmp.write_text(json.dumps(overrides, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _restore_bytes(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(data)


def _served_plan(settings: Settings, plan_id: str) -> dict:
    """The plan's row in the current build (title and place for the removed list), or {}."""
    try:
        rows = read_jsonl(Path(settings.index_dir) / CURRENT / "plans.jsonl")
    except OSError:
        return {}
    return next((row for row in rows if row.get("plan_id") == plan_id), {})


def _new_removed_folder(settings: Settings) -> Path:
    """A fresh folder under <index>/removed/ with a short name: the file keeps its own name inside it,
    so any name the corpus accepted fits (a long Chinese name plus a prefix would not)."""
    root = Path(settings.index_dir) / REMOVED
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        folder = root / f"{stamp}-{n}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise UserError("无法在索引目录中保存被移除的方案。")


def _write_record(record: RemovedPlan) -> None:
    data = {"file": record.file, "title": record.title, "place": record.place, "removed": record.removed,
            "override": record.override}
    (record.path.parent / RECORD).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
