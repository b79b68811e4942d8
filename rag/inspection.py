"""What the product reads from one file — the command a user runs when an answer surprises them.

`inspect_file` runs exactly the build's reading path (read → clean → metadata → targets) on one
file, inside the corpus or not, and returns what it found: metadata with where each field came
from, the pages as indexed, the tables as rows, the targets, the OCR'd pages and any warnings.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from .config import Settings
from .corpus import MANIFEST, file_for_plan, plan_files, read_overrides, read_plan
from .errors import UserError


def resolve_file(name: str, settings: Settings) -> Path:
    """A path to a file, or the id or file name of a plan in the corpus folder."""
    path = Path(name)
    if path.is_file():
        return path
    corpus = Path(settings.corpus_dir)
    if corpus.is_dir():
        found = file_for_plan(corpus, name) or (corpus / name if corpus.joinpath(name) in plan_files(corpus) else None)
        if found:
            return found
    raise UserError(f"找不到文件 {name}（既不是文件路径，也不是语料中的方案编号或文件名）")


def inspect_file(path: Path, settings: Settings, progress=None) -> dict:
    from .targets import extract_targets

    path = Path(path)
    corpus = Path(settings.corpus_dir)
    inside = corpus.is_dir() and path.resolve().parent == corpus.resolve()
    override = read_overrides(corpus).get(path.name, {}) if inside else {}
    reading = read_plan(path, override, settings.limits, progress)
    plan = reading.plan
    metadata = {key: {"value": value, "source": reading.sources.get(key, "")} for key, value in plan.metadata().items()
                if key in ("place", "level", "province", "parent", "title", "doc_number", "issued", "issuer", "kind")}
    bounds = (0, *plan.page_starts, len(plan.text))
    pages = [{"page": n + 1, "text": plan.text[bounds[n] : bounds[n + 1]]} for n in range(len(bounds) - 1)] \
        if plan.page_count else []
    return {
        "file": path.name,
        "in_corpus": inside,
        "format": reading.document.format,
        "encoding": reading.document.encoding,
        "page_count": plan.page_count,
        "ocr_pages": list(plan.ocr_pages),
        "metadata": metadata,
        "pages": pages,
        "text": plan.text,
        "tables": [t.to_dict() for t in reading.document.tables],
        "targets": [asdict(t) | {"also_cited": [asdict(c) for c in t.also_cited]} for t in extract_targets(plan)],
        "warnings": list(reading.warnings) + ([] if inside or not corpus.is_dir() else
                                              [f"该文件不在语料目录中，{MANIFEST} 的设置未应用；用 rag add 加入后才会被检索"]),
    }


def inspection_text(found: dict) -> str:
    """The inspection as a person reads it: metadata, then pages with their marks, tables, targets."""
    lines = [f"文件：{found['file']}（{found['format']}{'，' + found['encoding'] if found['encoding'] else ''}）"]
    names = {"place": "地区", "level": "级别", "province": "省份", "parent": "上级", "title": "标题", "doc_number": "文号",
             "issued": "签发日期", "issuer": "发文机关", "kind": "文种"}
    for key, field in found["metadata"].items():
        lines.append(f"  {names[key]}：{field['value'] or '—'}" + (f"  （{field['source']}）" if field["source"] else ""))
    if found["page_count"]:
        ocr = f"，其中 {len(found['ocr_pages'])} 页经 OCR 识别（第 {'、'.join(map(str, found['ocr_pages']))} 页）" if found["ocr_pages"] else ""
        lines.append(f"页数：{found['page_count']}{ocr}")
    for warning in found["warnings"]:
        lines.append(f"警告：{warning}")
    lines.append("")
    if found["pages"]:
        for page in found["pages"]:
            lines.append(f"—— 第 {page['page']} 页 ——")
            lines.append(page["text"].rstrip("\n"))
    else:
        lines.append(found["text"].rstrip("\n"))
    for n, table in enumerate(found["tables"], 1):
        where = f"第 {table['page']} 页" if table["page"] else ""
        lines += ["", f"表格 {n}：{table['caption'] or '（无标题）'} {where}".rstrip(), "  " + " | ".join(table["header"])]
        lines += ["  " + " | ".join(row) for row in table["rows"]]
    lines += ["", f"量化目标 {len(found['targets'])} 条："]
    for t in found["targets"]:
        value = f"{t['value']:g}{t['unit'] or ''}" if t["value"] is not None else f"“{t['qualifier']}”"
        origin = "表格" if t["from_table"] else "正文"
        page = f" 第 {t['page_start']} 页" if t["page_start"] else ""
        lines.append(f"  {t['year']}年 {t['indicator']}：{value}（{origin}{page}{'，' + KIND_NAMES[t['kind']] if t['kind'] != 'target' else ''}）")
    return "\n".join(lines) + "\n"


KIND_NAMES = {"target": "目标", "actual": "现状值", "projection": "预计值"}
