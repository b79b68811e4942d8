"""Every tunable setting in one place, overridable from the environment.

`RAG_MODEL`, `RAG_CORPUS`, `RAG_INDEX`, `RAG_EMBED_BACKEND`, `RAG_MODEL_CACHE`, `RAG_BUILD_WORKERS`,
`RAG_APPROXIMATE_FROM` and the limits below (`RAG_MAX_…`, `RAG_PDF_PAGE_SECONDS`) are read once, when
`Settings` is created; command-line flags override them. A setting that is not a number in its range is
refused in one Chinese sentence naming it (`SettingError`, exit status 2).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_ROOT.parent / "shared"
SHARED_MODEL_DIR = SHARED_DIR / "models" / "m3e-small"
HUB_MODEL_ID = "moka-ai/m3e-small"
MAX_PASSAGES = 50  # the largest k an answer may cite (`rag ask --k`, /ask)
# an answer across places (a comparison, "哪些城市提到了…") quotes at most this many places; the rest are
# counted and left to the targets table (the 目标 tab, `rag targets`), which lists every row
MAX_PLACES_LISTED = 100
# a two-character word of a question names one document by its title ("滚动方案") only when it is this
# rare in the library: its weight (idf) at least this share of the largest a word can have
RARE_TITLE_WORD = 0.6
# torch | onnx | onnx-int8 (rag.embed). onnx-int8: measured on the shipped corpus + 16 real PDFs, see
# README "Embedding backends" (faster than torch at the same hit@5)
DEFAULT_EMBED_BACKEND = "auto"  # rag.embed.chosen: the fastest backend measured on this machine


class SettingError(UserError):
    """An environment setting that cannot be used; the message names it and says what it should be."""


def env_number(name: str, default: float, minimum: float = 0, maximum: float = 10**9, integer: bool = True,
               unit: str = "") -> float:
    """The number an environment variable holds (its default when unset or empty), checked against its range."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    kind = "整数" if integer else "数字"
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = None
    if value is None or value != value or not minimum <= value <= maximum:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        raise SettingError(f"环境变量 {name} 应是 {minimum:g} 到 {maximum:g} 之间的{kind}{unit and '（单位 ' + unit + '）'}，"
                           f"收到“{shown}”。请改正或删除该设置后重试")
    return value


def resolve_model(explicit: str | None = None) -> str:
    """Explicit setting, then the shared model folder when the shared folder is there, then the hub id.

    Where `../shared` exists the model is expected in it: a missing model folder there is reported
    (`model_problem`), never replaced by a download from the hub."""
    chosen = explicit or os.environ.get("RAG_MODEL")
    if chosen:
        return chosen
    if SHARED_DIR.is_dir():
        return str(SHARED_MODEL_DIR)
    return HUB_MODEL_ID


def is_local_model(model: str) -> bool:
    """Whether `model` names a folder on this machine rather than a hub id (`name` or `owner/name`):
    it exists, or it is written as a path (absolute, ./, ~, or more than one folder deep)."""
    return Path(model).expanduser().exists() or model.startswith(("/", ".", "~")) or model.count("/") > 1


def model_problem(model: str) -> str | None:
    """Why a local model folder cannot be loaded (missing, not a folder, incomplete), or None.
    A hub id is not checked here: it needs the network, and says so when it fails."""
    if not is_local_model(model):
        return None
    path = Path(model).expanduser()
    where = "共享模型目录" if path.resolve() == SHARED_MODEL_DIR.resolve() else "模型目录"
    if not path.exists():
        return f"找不到嵌入模型：{where} {model} 不存在。请放入模型，或用 RAG_MODEL / --model 指定本地模型目录"
    if not path.is_dir():
        return f"嵌入模型路径 {model} 不是目录。请用 RAG_MODEL / --model 指定本地模型目录"
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        return f"嵌入模型目录 {model} 不完整（没有 modules.json 或 config.json）。请重新放入模型"
    return None


@dataclass(frozen=True)
class ChunkSettings:
    """How plan text is cut; recorded in the index manifest."""

    size: int = 360  # characters
    overlap: int = 60
    separators: tuple[str, ...] = ("\n", "。", "；", "！", "？", "，", "")


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: Path(os.environ.get("RAG_CORPUS", PROJECT_ROOT / "corpus")))
    index_dir: Path = field(default_factory=lambda: Path(os.environ.get("RAG_INDEX", PROJECT_ROOT / "index")))
    model: str = field(default_factory=resolve_model)
    chunks: ChunkSettings = ChunkSettings()
    lexical_weight: float = 0.3  # share of BM25 in the fused score (dense gets the rest)
    # a question longer than this is refused (RAG_MAX_QUESTION_CHARS)
    max_question_chars: int = field(default_factory=lambda: env_number("RAG_MAX_QUESTION_CHARS", 500, 1, 100_000))
    # any other text a user types or an API caller sends (city, year, indicator filter) (RAG_MAX_FIELD_CHARS)
    max_field_chars: int = field(default_factory=lambda: env_number("RAG_MAX_FIELD_CHARS", 100, 1, 100_000))
    # a plan file above this size is refused with the size and the limit (RAG_MAX_FILE_MB)
    max_file_bytes: int = field(default_factory=lambda: int(env_number("RAG_MAX_FILE_MB", 20, 0.001, 10_000, False, "MB") * 1_000_000))
    # what a file may unpack to before anything parses it (RAG_MAX_UNPACKED_MB): the members of a DOCX
    # (zip), as its central directory declares them; the compressed streams of a PDF. Real plans unpack
    # to 1-3 MB; a 560 KB zip bomb declares 512 MB.
    max_unpacked_bytes: int = field(default_factory=lambda: int(env_number("RAG_MAX_UNPACKED_MB", 100, 1, 10_000, False, "MB") * 1_000_000))
    # members of a DOCX (RAG_MAX_ZIP_MEMBERS); a Word document has 10-30, a few hundred with many images
    max_zip_members: int = field(default_factory=lambda: env_number("RAG_MAX_ZIP_MEMBERS", 2000, 1, 1_000_000))
    # a PDF with more pages is refused (RAG_MAX_PDF_PAGES); pages without a text layer are read by OCR,
    # at most this many per file (RAG_MAX_OCR_PAGES; ~10 s a page on one core)
    max_pdf_pages: int = field(default_factory=lambda: env_number("RAG_MAX_PDF_PAGES", 1000, 1, 1_000_000))
    max_ocr_pages: int = field(default_factory=lambda: env_number("RAG_MAX_OCR_PAGES", 200, 0, 1_000_000))
    # a PDF page taking longer than this to read (text, tables, OCR) stops the file (RAG_PDF_PAGE_SECONDS);
    # an OCR page takes ~10 s on one core, a text page well under 1 s
    pdf_page_seconds: float = field(default_factory=lambda: env_number("RAG_PDF_PAGE_SECONDS", 60, 1e-6, 86_400, False, "秒"))
    # an indicator phrase outside the vocabulary takes a known canonical name only at this cosine or above
    # (m3e-small gives 0.93-0.95 to related but different measures: 森林面积/森林抚育面积, 新增装机/装机)
    canonical_similarity: float = 0.96
    # a question's indicator matches a row worded otherwise at this cosine or above (only when no text
    # rule matched): correct pairs measured 0.82-0.95 (those below fall back to passages), different
    # measures up to 0.86
    question_similarity: float = 0.88
    # a quoted-sentence answer must contain this share of the question's IDF-weighted words
    min_coverage: float = 0.3
    embed_backend: str = field(default_factory=lambda: os.environ.get("RAG_EMBED_BACKEND", DEFAULT_EMBED_BACKEND))
    # where ONNX exports of the model are kept (never in git); empty: <index>/cache/models
    # rag build --cluster: a Ray cluster's address, or "local" (rag.cluster); empty: build on this machine
    cluster: str = field(default_factory=lambda: os.environ.get("RAG_CLUSTER", ""))
    # where PyTorch embeds: "cpu", or "cuda" for a GPU when one is present (then the torch backend builds)
    embed_device: str = field(default_factory=lambda: os.environ.get("RAG_EMBED_DEVICE", "cpu"))
    model_cache: str = field(default_factory=lambda: os.environ.get("RAG_MODEL_CACHE", ""))
    # processes reading and parsing corpus files in a build; 0: one per core
    build_workers: int = field(default_factory=lambda: env_number("RAG_BUILD_WORKERS", 0, 0, 1024))
    # passages embedded and committed to the embedding cache at a time (a killed build loses at most one step)
    embed_step: int = 256
    # from this many passages on, the vector index is approximate (rag.vectors) instead of exact. Measured
    # (bench --scale, 2 busy cores): retrieve p95 at 9,690 passages exact 77 ms / IVF 66 ms (recall@5 0.991),
    # at 32,300 exact 148 ms / IVF 56 ms (recall@5 0.998)
    approximate_from: int = field(default_factory=lambda: env_number("RAG_APPROXIMATE_FROM", 20000, 1, 10**12))
    # an approximate index searches enough lists (nprobe) for this recall@5 against exact search
    ann_recall: float = 0.99
    # on an approximate index, a question naming no place ranks the passages this many nearest by
    # meaning and this many best by words propose (the rest cannot reach its top k)
    search_depth: int = 100

    def given(self, corpus: str | None = None, index: str | None = None, model: str | None = None) -> "Settings":
        """These settings with the folders and model given on a command line (None or "" keeps the setting)."""
        changed = {name: value for name, value in (("corpus_dir", corpus and Path(corpus)),
                                                   ("index_dir", index and Path(index)), ("model", model)) if value}
        return replace(self, **changed)

    @property
    def models_cache(self) -> Path:
        return Path(self.model_cache) if self.model_cache else Path(self.index_dir) / "cache" / "models"

    @property
    def limits(self):
        """What one file may cost before it is refused (`rag.ingest.Limits`)."""
        from .ingest import Limits

        return Limits(self.max_file_bytes, self.max_pdf_pages, self.max_ocr_pages, self.max_unpacked_bytes,
                      self.max_zip_members, self.pdf_page_seconds)

    @property
    def model_id(self) -> str:
        """The model name recorded in the manifest: the folder name of a local path (the hub id for the
        shared folder, present or not)."""
        if not is_local_model(self.model):
            return self.model
        path = Path(self.model).expanduser()
        return HUB_MODEL_ID if path.resolve() == SHARED_MODEL_DIR.resolve() else path.name
