"""Every tunable setting in one place, overridable from the environment.

`RAG_MODEL`, `RAG_CORPUS`, `RAG_INDEX`, `RAG_EMBED_BACKEND`, `RAG_MODEL_CACHE`,
`RAG_BUILD_WORKERS` and `RAG_APPROXIMATE_FROM` are read once, when `Settings` is created; command-line flags override them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_MODEL_DIR = PROJECT_ROOT.parent / "shared" / "models" / "m3e-small"
HUB_MODEL_ID = "moka-ai/m3e-small"
MAX_PASSAGES = 50  # the largest k an answer may cite (`rag ask --k`, /ask)
# torch | onnx | onnx-int8 (rag.embed). onnx-int8: measured on the shipped corpus + 16 real PDFs, see
# README "Embedding backends" (faster than torch at the same hit@5)
DEFAULT_EMBED_BACKEND = "onnx-int8"


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
    model_cache: str = field(default_factory=lambda: os.environ.get("RAG_MODEL_CACHE", ""))
    # processes reading and parsing corpus files in a build; 0: one per core
    build_workers: int = field(default_factory=lambda: int(os.environ.get("RAG_BUILD_WORKERS", "0")))
    # passages embedded and committed to the embedding cache at a time (a killed build loses at most one step)
    embed_step: int = 256
    # from this many passages on, the vector index is approximate (rag.vectors) instead of exact. Measured
    # (bench --scale, 2 busy cores): retrieve p95 at 9,690 passages exact 77 ms / IVF 66 ms (recall@5 0.991),
    # at 32,300 exact 148 ms / IVF 56 ms (recall@5 0.998)
    approximate_from: int = field(default_factory=lambda: int(os.environ.get("RAG_APPROXIMATE_FROM", "20000")))
    # an approximate index searches enough lists (nprobe) for this recall@5 against exact search
    ann_recall: float = 0.99
    # on an approximate index, a question naming no place ranks the passages this many nearest by
    # meaning and this many best by words propose (the rest cannot reach its top k)
    search_depth: int = 100

    @property
    def models_cache(self) -> Path:
        return Path(self.model_cache) if self.model_cache else Path(self.index_dir) / "cache" / "models"

    @property
    def model_id(self) -> str:
        """The model name recorded in the manifest: the folder name of a local path."""
        path = Path(self.model)
        if path.is_dir():
            return HUB_MODEL_ID if path.resolve() == SHARED_MODEL_DIR.resolve() else path.name
        return self.model
