"""Read the plans in `corpus/`: one text, markdown or HTML file per plan.

`corpus/plans.json` describes each file (city, province, title, kind, issue
date, original file name). A file without an entry is still read: its city
and title are detected from the text and a warning says so.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import warnings
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

from .errors import UserError
from .normalize import NormalizedText, normalize

MANIFEST = "plans.json"
SUFFIXES = (".txt", ".md", ".html", ".htm")
KINDS = ("实施方案", "征求意见稿", "政策解读")


class CorpusError(UserError):
    """The corpus cannot be read; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class Plan:
    plan_id: str
    city: str
    province: str
    title: str
    kind: str
    issued: str
    source_file: str
    file: str
    text: str  # normalized simplified text; citations point into it
    raw: str  # the page as scraped, kept for reference
    mojibake_spans: int = 0
    mojibake_repaired: int = 0

    def metadata(self) -> dict:
        meta = asdict(self)
        del meta["text"], meta["raw"]
        return meta


def short_city_name(city: str) -> str:
    """南昌市 -> 南昌, 津市市 -> 津市, 共青城市 -> 共青城."""
    return city[:-1] if city.endswith(("市", "县", "区")) and len(city) > 2 else city


def load_plans(corpus_dir: Path) -> list[Plan]:
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"语料目录不存在：{corpus_dir}")
    manifest = _read_manifest(corpus_dir)
    files = sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    if not files:
        raise CorpusError(f"语料目录 {corpus_dir} 中没有 .txt/.md/.html 文件")
    plans = [_load_plan(path, manifest.get(path.name)) for path in files]
    ids = [p.plan_id for p in plans]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise CorpusError(f"方案编号重复：{', '.join(sorted(duplicates))}，请检查 {MANIFEST}")
    return plans


def fingerprint(corpus_dir: Path) -> str:
    """A hash of every file the index is built from, to detect a stale index."""
    digest = hashlib.sha256()
    for path in sorted(Path(corpus_dir).iterdir()):
        if path.is_file() and (path.suffix.lower() in SUFFIXES or path.name == MANIFEST):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_manifest(corpus_dir: Path) -> dict:
    path = corpus_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} 不是有效的 JSON：{exc}") from exc


def _load_plan(path: Path, entry: dict | None) -> Plan:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"文件 {path.name} 不是 UTF-8 编码，无法读取（第 {exc.start} 字节附近）") from exc
    if path.suffix.lower() in (".html", ".htm"):
        raw = html_to_text(raw)
    elif path.suffix.lower() == ".md":
        raw = re.sub(r"^\s{0,3}#{1,6}\s*|^\s*[-*]\s+|[*_`]{1,3}", "", raw, flags=re.M)
    clean: NormalizedText = normalize(raw)
    if not clean.text.strip():
        raise CorpusError(f"文件 {path.name} 没有正文内容")
    if entry is None:
        entry = detect_metadata(path, clean.text)
        warnings.warn(
            f"{path.name} 在 {MANIFEST} 中没有条目，已从正文识别：城市={entry['city'] or '未知'}，标题={entry['title']}",
            stacklevel=2,
        )
    missing = [k for k in ("plan_id", "city", "title") if not entry.get(k)]
    if missing:
        raise CorpusError(f"{MANIFEST} 中 {path.name} 的条目缺少字段：{', '.join(missing)}")
    return Plan(
        plan_id=entry["plan_id"],
        city=entry["city"],
        province=entry.get("province", ""),
        title=entry["title"],
        kind=entry.get("kind", "实施方案"),
        issued=entry.get("issued", ""),
        source_file=entry.get("source_file", path.name),
        file=path.name,
        text=clean.text,
        raw=raw,
        mojibake_spans=clean.mojibake_spans,
        mojibake_repaired=clean.mojibake_repaired,
    )


TITLE = re.compile(r"《?([\u4e00-\u9fff]{2,8}?(?:市|县|区))(碳达峰[\u4e00-\u9fff]{0,8}?(?:实施方案|行动方案|方案))》?")


def detect_metadata(path: Path, text: str) -> dict:
    """Best guess of city and title from the first plan title found in the text."""
    match = TITLE.search(text)
    city = match.group(1) if match else ""
    title = (match.group(1) + match.group(2)) if match else path.stem
    kind = "征求意见稿" if "征求意见" in text[:2000] else "政策解读" if "解读" in text[:500] else "实施方案"
    return {"plan_id": path.stem, "city": city, "province": "", "title": title, "kind": kind, "issued": ""}


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"}
    SKIP = {"script", "style", "nav", "header", "footer", "form", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(page: str) -> str:
    """Visible text of an HTML page, one block per line; scripts and navigation dropped."""
    parser = _TextExtractor()
    parser.feed(page)
    return html.unescape("".join(parser.parts))
