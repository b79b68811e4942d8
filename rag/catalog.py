"""The plans of a corpus as staff see and manage them: one row per plan (`rag plans --json`, the
web API /plans) and the build report a change prints (`rag build/add/remove`, the 方案 tab)."""
from __future__ import annotations

from collections import Counter

STATUS = {"indexed": "收录", "unplaced": "收录（地区未识别）", "skipped": "跳过"}


def plan_rows(index) -> list[dict]:
    """One dict per plan of a loaded index: its metadata and how many passages and targets it gave."""
    chunks, targets = Counter(c.plan_id for c in index.chunks), Counter(t.plan_id for t in index.targets)
    return [
        {"file": p.file, "plan_id": p.plan_id, "place": p.place, "level": p.level, "province": p.province,
         "parent": p.parent, "title": p.title, "doc_number": p.doc_number, "issued": p.issued, "issuer": p.issuer,
         "kind": p.kind, "chunks": chunks[p.plan_id], "targets": targets[p.plan_id]}
        for p in index.plans.values()
    ]


def report_lines(result) -> list[str]:
    """A BuildResult as the lines `rag build` prints: one per file, then the totals."""
    from .places import LEVEL_NAMES

    lines = []
    for f in result.files:
        if f.status == "skipped":
            lines.append(f"[跳过] {f.file}：{f.error}")
            continue
        place = f"{f.place}（{LEVEL_NAMES.get(f.level, f.level)}）" if f.place else "地区未知"
        line = (f"[{STATUS[f.status]}] {f.file} → {place}《{f.title}》 文号 {f.doc_number or '—'} · 签发 {f.issued or '—'} · "
                f"{f.kind} · {f.chunks} 段 · {f.targets} 条目标 · 修复乱码 {f.repairs} 处")
        lines.append(line + (f" · 警告：{'；'.join(f.warnings)}" if f.warnings else ""))
    m = result.manifest
    skipped = len(result.skipped)
    if result.unchanged:
        lines.append(f"语料未变化，索引已是最新：{m.plans} 个方案，{m.chunks} 个段落，{m.targets} 条目标。")
    else:
        lines.append(
            f"索引已建成：{m.plans} 个方案，{m.chunks} 个段落（新向量化 {result.embedded} 个），{m.targets} 条目标，"
            f"跳过 {skipped} 个文件，模型 {m.model}（{m.dims} 维），用时 {m.build_seconds} 秒。"
        )
    return lines
