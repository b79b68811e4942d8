"""Every tunable setting in one place, overridable from the environment.

`RAG_MODEL`, `RAG_CORPUS` and `RAG_INDEX` are read once, when `Settings`
is created; command-line flags override them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_MODEL_DIR = PROJECT_ROOT.parent / "shared" / "models" / "m3e-small"
HUB_MODEL_ID = "moka-ai/m3e-small"
MAX_PASSAGES = 50  # the largest k an answer may cite (`rag ask --k`, /ask)


def resolve_model(explicit: str | None = None) -> str:
    """Explicit setting, then the shared model folder when present, then the hub id."""
    chosen = explicit or os.environ.get("RAG_MODEL")
    if chosen:
        return chosen
    if (SHARED_MODEL_DIR / "modules.json").is_file():
        return str(SHARED_MODEL_DIR)
    return HUB_MODEL_ID


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
    max_question_chars: int = 500
    # a plan file above this size is refused with the size and the limit (RAG_MAX_FILE_MB)
    max_file_bytes: int = field(default_factory=lambda: int(float(os.environ.get("RAG_MAX_FILE_MB", "20")) * 1_000_000))
    # a PDF with more pages is refused (RAG_MAX_PDF_PAGES); pages without a text layer are read by OCR,
    # at most this many per file (RAG_MAX_OCR_PAGES; ~10 s a page on one core)
    max_pdf_pages: int = field(default_factory=lambda: int(os.environ.get("RAG_MAX_PDF_PAGES", "1000")))
    max_ocr_pages: int = field(default_factory=lambda: int(os.environ.get("RAG_MAX_OCR_PAGES", "200")))
    # an indicator phrase outside the vocabulary takes a known canonical name only at this cosine or above
    # (m3e-small gives 0.93-0.95 to related but different measures: 森林面积/森林抚育面积, 新增装机/装机)
    canonical_similarity: float = 0.96
    # a question's indicator matches a row worded otherwise at this cosine or above (only when no text
    # rule matched): correct pairs measured 0.82-0.95 (those below fall back to passages), different
    # measures up to 0.86
    question_similarity: float = 0.88
    # a quoted-sentence answer must contain this share of the question's IDF-weighted words
    min_coverage: float = 0.3

    @property
    def limits(self):
        """What one file may cost before it is refused (`rag.ingest.Limits`)."""
        from .ingest import Limits

        return Limits(self.max_file_bytes, self.max_pdf_pages, self.max_ocr_pages)

    @property
    def model_id(self) -> str:
        """The model name recorded in the manifest: the folder name of a local path."""
        path = Path(self.model)
        if path.is_dir():
            return HUB_MODEL_ID if path.resolve() == SHARED_MODEL_DIR.resolve() else path.name
        return self.model
