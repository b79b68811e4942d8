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
import logging
import re
import warnings
from bisect import bisect_right
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import UserError, os_reason
from .ingest import FORMATS, Document, Limits, UnreadableFile, read_document, split_pages
from .metadata import detect, first_line_title
from .normalize import normalize
from .places import LEVELS

MANIFEST = "plans.json"
log = logging.getLogger(__name__)


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
    page_count: int = 0  # pages of a paged source (PDF); 0 when the source has no pages
    page_starts: tuple[int, ...] = ()  # offset in `text` where page 2, 3, … begins
    ocr_pages: tuple[int, ...] = ()  # pages read by OCR

    def __post_init__(self):  # rows read back from JSON carry lists
        object.__setattr__(self, "spans", tuple((str(f), int(s), int(e)) for f, s, e in self.spans))
        object.__setattr__(self, "page_starts", tuple(self.page_starts))
        object.__setattr__(self, "ocr_pages", tuple(self.ocr_pages))

    def page_at(self, position: int) -> int | None:
        """The 1-based page holding the character at `position`, or None for a source without pages."""
        if not self.page_count:
            return None
        return bisect_right(self.page_starts, position) + 1

    def pages_of(self, start: int, end: int) -> tuple[int | None, int | None]:
        """First and last page of the text [start, end)."""
        return self.page_at(start), self.page_at(max(start, end - 1))

    def where(self, section: str, start: int, end: int) -> str:
        """A citation's place in this plan: 《title》section, and the page(s) in a paged source."""
        pages = page_label(*self.pages_of(start, end))
        return f"《{self.title}》{section}" + (f"，{pages}" if pages else "")

    def span_of(self, name: str) -> tuple[int, int] | None:
        return next(((s, e) for f, s, e in self.spans if f == name), None)

    @property
    def label(self) -> str:
        """The name answers use: the place, or the title when the place is unknown."""
        return self.place or self.title

    @property
    def status(self) -> str:
        """final / draft / interpretation / news: what the document is, read from its kind and title."""
        return status_of(self.kind, self.title)

    @property
    def precedence(self) -> tuple:
        """Sort key among one place's documents stating the same thing: a final document before a draft,
        the document itself before an interpretation or a news report, then the newest signed first, and
        among documents equal so far the place's carbon-peak document (its title names 碳达峰) before its
        sector plans."""
        return (STATUS_ORDER.index(self.status), "".join(chr(0x10FFFF - ord(c)) for c in self.issued or "0"),
                "碳达峰" not in self.title, self.plan_id)

    def metadata(self) -> dict:
        meta = asdict(self)
        del meta["text"], meta["spans"], meta["page_starts"]
        return meta


# what a document is, best first when several documents of a place state the same indicator
STATUS_ORDER = ("final", "draft", "interpretation", "news")
STATUS_NAMES = {"final": "正式文件", "draft": "征求意见稿", "interpretation": "政策解读", "news": "新闻报道"}
STATUS_OF_KIND = {"征求意见稿": "draft", "政策解读": "interpretation", "新闻报道": "news"}


def status_of(kind: str, title: str = "") -> str:
    """A page kind (征求意见稿, 政策解读, 新闻报道) or a title marked as a draft decides; else final."""
    for word, status in STATUS_OF_KIND.items():
        if word in kind:
            return status
    return "draft" if "征求意见稿" in title else "final"


def page_label(first: int | None, last: int | None) -> str:
    """"第 3 页" / "第 3–4 页" / "" for a source without pages: how citations name pages."""
    if first is None:
        return ""
    return f"第 {first} 页" if last in (None, first) else f"第 {first}–{last} 页"


@dataclass
class FileReport:
    """One line of the build report."""

    file: str
    status: str  # indexed / unplaced (indexed under its title: no place found) / skipped
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
    pages: int = 0
    ocr_pages: int = 0  # pages read by OCR
    tables: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


# what to do with a file of a type that is not read, said in the build report
CONVERT_HINTS = {
    ".doc": "请另存为 .docx", ".wps": "请另存为 .docx", ".rtf": "请另存为 .docx", ".odt": "请另存为 .docx",
    ".ofd": "请导出为 PDF", ".xps": "请导出为 PDF", ".zip": "请解压后放入", ".rar": "请解压后放入", ".7z": "请解压后放入",
    ".xls": "表格文件不是方案正文", ".xlsx": "表格文件不是方案正文", ".csv": "表格文件不是方案正文",
}


def _entries(corpus_dir: Path) -> list[Path]:
    """Every entry of the corpus folder except hidden ones (names starting with ".": system files and
    copies being written) and plans.json, sorted by name."""
    try:
        return sorted(p for p in Path(corpus_dir).iterdir() if not p.name.startswith(".") and p.name != MANIFEST)
    except OSError as exc:
        raise CorpusError(f"无法读取语料目录 {corpus_dir}（{os_reason(exc)}）") from None


def plan_files(corpus_dir: Path) -> list[Path]:
    """The files of the corpus folder that are read as plans."""
    return [p for p in _entries(corpus_dir) if p.suffix.lower() in FORMATS and p.is_file() and _utf8_name(p.name)]


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:  # bytes that are not UTF-8 (a name from a GBK system's zip), kept as surrogates
        return False


def odd_entries(corpus_dir: Path) -> list[tuple[str, str]]:
    """Every other entry of the corpus folder, with why it is not read: a file of another type (and
    what to do), a sub-folder, a broken or looping link, a device or pipe. Each is reported as skipped,
    never silently left out."""
    supported = "、".join(FORMATS)
    odd = []
    for path in _entries(corpus_dir):
        if not _utf8_name(path.name):
            shown = path.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            odd.append((shown, "文件名不是 UTF-8 编码（可能来自 GBK 系统的压缩包），无法可靠引用；请改名后重新放入"))
            continue
        try:
            path.stat()
        except OSError as exc:
            odd.append((path.name, f"符号链接无法打开（{os_reason(exc)}）"))
            continue
        if path.is_dir():
            odd.append((path.name, f"是一个子目录，其中的文件不会被读取（方案文件须直接放在语料目录中，支持 {supported}）"))
        elif not path.is_file():
            odd.append((path.name, "不是普通文件（设备、管道或套接字）"))
        elif path.suffix.lower() not in FORMATS:
            suffix = path.suffix.lower()
            hint = CONVERT_HINTS.get(suffix, "")
            odd.append((path.name, f"不支持的文件类型 {suffix or '（无扩展名）'}{'，' + hint if hint else ''}（支持 {supported}）"))
    return odd


@dataclass(frozen=True)
class FileJob:
    """One corpus file to read, with its plans.json entry and the limits it is read under."""

    path: Path
    override: dict
    limits: Limits


def load_plans(corpus_dir: Path, limits: Limits | int | None = None, progress=None,
               read_all=None) -> tuple[list[Plan], list[FileReport]]:
    """Every readable plan in the folder, and one report per entry (skipped ones and other types included).

    `read_all(jobs)` reads the files and yields `read_file`'s (report, plan or None) for each job, in
    order: by default one after another here; a build passes one that reads in parallel, with a cache
    (`rag.parsing`).
    """
    from .config import Settings

    limits = limits or Settings().limits
    if not isinstance(limits, Limits):
        limits = Limits(max_bytes=limits)
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"语料目录不存在：{corpus_dir}")
    overrides = read_overrides(corpus_dir)
    files = plan_files(corpus_dir)
    if not files:
        raise CorpusError(f"语料目录 {corpus_dir} 中没有方案文件（支持 {'、'.join(FORMATS)}）")
    ids = plan_ids(files, overrides)
    jobs = [FileJob(path, overrides.get(path.name, {}), limits) for path in files]
    read: list[tuple[Path, FileReport, Plan | None]] = []
    for job, (report, plan) in zip(jobs, (read_all or _read_each)(jobs)):
        read.append((job.path, report, plan))
        if progress:
            progress(job.path.name)
    digest = {path.name: hashlib.sha256(plan.text.encode("utf-8", "surrogatepass")).hexdigest()
              for path, _report, plan in read if plan is not None}
    first: dict[str, str] = {}  # a plan text's digest -> the file that keeps it (the shortest name)
    for name in sorted(digest, key=lambda n: (len(n), n)):
        first.setdefault(digest[name], name)
    plans: list[Plan] = []
    reports: list[FileReport] = []
    for path, report, plan in read:
        reports.append(report)
        if plan is None:
            continue
        if first[digest[path.name]] != path.name:  # the same text twice would answer every question twice
            report.error = f"与 {first[digest[path.name]]} 的正文相同，未重复收录（删除其中一个即可）"
            continue
        plan = replace(plan, plan_id=ids[path.name])
        plans.append(plan)
        report.status = "indexed" if plan.place else "unplaced"
        report.plan_id = plan.plan_id
    for name, reason in odd_entries(corpus_dir):
        reports.append(FileReport(name, "skipped", error=reason))
    for name in sorted(set(overrides) - {p.name for p in files}):
        reports.append(FileReport(name, "skipped", error=f"{MANIFEST} 中有 {name} 的条目，但语料目录中没有这个文件"))
    return plans, reports


def read_file(path: Path, override: dict, limits: Limits) -> tuple[FileReport, Plan | None]:
    """One file's report line and its plan — None when it cannot be read, and the report says why.

    Nothing one file does stops the others: whatever any library raises while reading it (a
    damaged PDF, unusual XML, a page too slow, too little memory) becomes a one-line reason."""
    report = FileReport(path.name, "skipped")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # libraries' notes about a damaged file: the report says what matters
            return report, load_plan(path, override, limits, report)
    except UnreadableFile as problem:
        report.error = str(problem)
    except MemoryError:
        report.error = "读取时内存不足，已跳过"
    except RecursionError:
        report.error = "文件结构嵌套过深，无法读取"
    except Exception as exc:  # any library, any format: this file is skipped, the build goes on
        log.warning("reading %s failed", path, exc_info=True)
        report.error = f"读取时出错（{exc.__class__.__name__}），文件可能已损坏；可用 rag inspect 查看"
    return report, None


def read_job(job: FileJob) -> tuple[FileReport, Plan | None]:
    """`read_file` of one `FileJob` (what `load_plans` hands to `read_all`)."""
    return read_file(job.path, job.override, job.limits)


def _read_each(jobs: list[FileJob]):
    return map(read_job, jobs)


@dataclass(frozen=True)
class Reading:
    """Everything read from one file: the plan, the document as read, what was detected and how."""

    plan: Plan
    document: Document
    sources: dict[str, str]  # field -> where its value came from
    warnings: tuple[str, ...]
    mojibake: tuple[int, int]  # spans found, repaired


def read_plan(path: Path, override: dict, limits: Limits | int, progress=None) -> Reading:
    """One file read, cleaned and described; `UnreadableFile` when it holds no readable text."""
    path = Path(path)
    document = read_document(path, limits if isinstance(limits, Limits) else Limits(max_bytes=limits), progress)
    clean = normalize(document.text)
    text, page_starts = split_pages(clean.text)
    if len(text.strip()) < 20:
        raise UnreadableFile("文件没有正文内容")
    meta = detect(text)
    sources = dict(meta.sources)
    title = meta.title
    if not title:  # never the file name: the document's first line stands for its title
        title = first_line_title(text)
        sources["title"] = "正文第一行（未找到标题）"
    detected = {
        "plan_id": plan_id_for(path), "place": meta.place, "level": meta.level, "province": meta.province,
        "parent": meta.parent, "title": title, "doc_number": meta.doc_number,
        "issued": meta.issued, "issuer": meta.issuer, "kind": meta.kind, "source_file": path.name,
    }
    chosen = {k: v for k, v in override.items() if v not in (None, "")}
    sources.update({k: f"{MANIFEST} 中的设置" for k in chosen})
    plan = Plan(
        **{**detected, **chosen}, file=path.name, text=text,
        mojibake_spans=clean.mojibake_spans, mojibake_repaired=clean.mojibake_repaired,
        spans=tuple((k, *v) for k, v in meta.spans.items()),
        page_count=document.pages, page_starts=page_starts, ocr_pages=document.ocr_pages,
    )
    warnings = list(document.warnings) + list(meta.warnings)
    if not plan.place:
        warnings.append(f"未能识别发文地区，暂以标题《{plan.title}》称呼；请在 {MANIFEST} 中为 {path.name} 设置 place（如 \"place\": \"成都市\"）")
    if clean.mojibake_spans > clean.mojibake_repaired:
        warnings.append(f"乱码 {clean.mojibake_spans} 处，其中 {clean.mojibake_spans - clean.mojibake_repaired} 处无法修复已删除")
    return Reading(plan, document, sources, tuple(warnings), (clean.mojibake_spans, clean.mojibake_repaired))


def load_plan(path: Path, override: dict, limits: Limits | int, report: FileReport | None = None, progress=None) -> Plan:
    """`read_plan`, with what was read written into the file's build report line."""
    reading = read_plan(path, override, limits, progress)
    plan, document = reading.plan, reading.document
    report = report or FileReport(plan.file, "skipped")
    report.warnings += list(reading.warnings)
    report.__dict__.update(
        place=plan.place, level=plan.level, title=plan.title, doc_number=plan.doc_number, issued=plan.issued,
        kind=plan.kind, format=document.format, encoding=document.encoding, repairs=reading.mojibake[1],
        pages=document.pages, ocr_pages=len(document.ocr_pages), tables=len(document.tables),
    )
    return plan


def plan_id_for(path: Path) -> str:
    """A plan's id, from its file's name alone, different for every name: `jiangmen.txt` -> jiangmen,
    `x.pdf` -> x.pdf, `x.docx` -> x.docx; a stem with other characters keeps letters, digits, CJK, -
    and _ and adds a hash of the whole name (`韶关 方案.txt` -> 韶关_方案-1f0c…, apart from 韶关_方案).
    So an id never moves to another file when files come and go."""
    path = Path(path)
    stem, suffix = path.name[: len(path.name) - len(path.suffix)], path.suffix
    base = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", stem).strip("_") or "plan"
    if base != stem:
        base = f"{base}-{_name_hash(path.name)}"
    return base if suffix == ".txt" else base + suffix


def plan_ids(files: list[Path], overrides: dict[str, dict]) -> dict[str, str]:
    """File name -> plan id: its plans.json `plan_id`, else `plan_id_for` its name. Two files given
    one id in plans.json (or one that another file's name gives) are refused, never renamed."""
    ids = {f.name: overrides.get(f.name, {}).get("plan_id") or plan_id_for(f) for f in files}
    owners: dict[str, str] = {}
    for name, plan_id in ids.items():
        if plan_id in owners:
            raise CorpusError(f"{MANIFEST} 使 {owners[plan_id]} 和 {name} 的方案编号都是 {plan_id}；请为其中一个设置不同的 plan_id")
        owners[plan_id] = name
    return ids


def _name_hash(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def file_for_plan(corpus_dir: Path, plan_id: str) -> Path | None:
    """The corpus file whose plan has this id (the very file a build gave it), or None."""
    ids = plan_ids(plan_files(corpus_dir), read_overrides(corpus_dir))
    name = next((name for name, found in ids.items() if found == plan_id), None)
    return Path(corpus_dir) / name if name else None


def file_digests(corpus_dir: Path) -> dict[str, str]:
    """A hash of each file an index is built from (the plan files and plans.json), by name.

    Hashes are remembered by (size, mtime, inode), so asking again — the web app does on every
    question — costs one stat per file."""
    corpus_dir = Path(corpus_dir)
    paths = plan_files(corpus_dir) + ([corpus_dir / MANIFEST] if (corpus_dir / MANIFEST).is_file() else [])
    digests = {}
    for path in paths:
        try:
            info = path.stat()
            key = (str(path), info.st_size, info.st_mtime_ns, info.st_ino)
            if key not in _DIGESTS:
                _DIGESTS[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            digests[path.name] = _DIGESTS[key]
        except OSError as exc:  # an unreadable file is reported by the build, not fatal here
            digests[path.name] = f"unreadable {exc.errno}"
    return digests


_DIGESTS: dict[tuple, str] = {}


def fingerprint(corpus_dir: Path, digests: dict[str, str] | None = None) -> str:
    """One hash of the whole corpus folder: its files' digests and every entry that is not read
    (so the build report lists those too)."""
    digest = hashlib.sha256()
    for name, reason in odd_entries(corpus_dir):
        digest.update(f"{name} {reason}".encode("utf-8", "surrogateescape"))
    for name, value in sorted((file_digests(corpus_dir) if digests is None else digests).items()):
        digest.update(f"{name} {value}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def not_indexed(indexed: dict[str, str], corpus_dir: Path) -> list[str]:
    """What the corpus folder holds now that an index built from `indexed` (its file digests) lacks:
    "name（新增）", "name（已修改）", "name（已从语料中删除，仍在索引中）"."""
    try:
        now = file_digests(corpus_dir)
    except CorpusError:
        return []
    changes = [f"{n}（新增）" if n not in indexed else f"{n}（已修改）" for n, d in now.items() if indexed.get(n) != d]
    return changes + [f"{n}（已从语料中删除，仍在索引中）" for n in indexed if n not in now]


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
    return {str(name): check_override(name, entry, path) for name, entry in data.items()}


def check_override(name: str, entry, path: Path | str = MANIFEST) -> dict[str, str]:
    """One plans.json entry checked against the schema: its fields, stripped; any problem is a CorpusError."""
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
    if len(clean.get("kind", "")) > 20:
        raise CorpusError(f"{path} 中 {name} 的 kind 应是文种名称（如 实施方案、实施意见、规划），不超过 20 字")
    if clean.get("issued") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", clean["issued"]):
        raise CorpusError(f"{path} 中 {name} 的 issued 应是 YYYY-MM-DD 格式的日期")
    if "plan_id" in clean and not re.fullmatch(r"[\w\u4e00-\u9fff-]{1,80}", clean["plan_id"]):
        raise CorpusError(f"{path} 中 {name} 的 plan_id 只能包含字母、数字、汉字、- 和 _")
    return clean


def _type_name(value) -> str:
    return {dict: "对象", list: "数组", str: "字符串", int: "整数", float: "数字", bool: "布尔值", type(None): "null"}.get(type(value), "其他类型")


def _json_problem(exc: Exception) -> str:
    return f"第 {exc.lineno} 行第 {exc.colno} 列" if isinstance(exc, json.JSONDecodeError) else "不是 UTF-8 编码"


PLAN_FIELDS = tuple(f.name for f in fields(Plan))
