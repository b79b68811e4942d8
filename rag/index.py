"""Build, persist and load the search index: FAISS vectors + BM25 + plans + targets.

Layout under the index directory:

    builds/<id>/manifest.json   what built it: model, dims, corpus fingerprint, chunk settings
    builds/<id>/plans.jsonl     plan metadata and normalized text (the reader and citations)
    builds/<id>/chunks.jsonl    passages with plan, section path and character span
    builds/<id>/vectors.faiss   one normalized embedding per chunk (inner product = cosine)
    builds/<id>/bm25/           lexical index over jieba tokens
    builds/<id>/targets.sqlite  the quantified targets table
    current -> builds/<id>      switched atomically once a build is complete

A build writes a new folder and only then swaps the `current` link, so a
crash at any point leaves the previous index loadable.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
import math
from collections import Counter
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .chunk import Chunk, chunk_plans
from .config import Settings
from .corpus import Plan, fingerprint, load_plans
from .errors import UserError

FORMAT_VERSION = 1
CURRENT = "current"


class IndexUnusable(UserError):
    """Missing, corrupt, stale or built with other settings; the message says how to fix it."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    model_path: str
    dims: int
    corpus_dir: str
    corpus_fingerprint: str
    chunk_size: int
    chunk_overlap: int
    created: str
    plans: int
    chunks: int
    targets: int
    mojibake_spans: int
    mojibake_repaired: int
    build_seconds: float


@dataclass
class Index:
    """Everything `ask` needs, loaded once per process."""

    manifest: Manifest
    plans: dict[str, Plan]
    chunks: list[Chunk]
    vectors: object  # faiss.Index
    bm25: object  # bm25s.BM25
    path: Path
    settings: Settings

    def embed(self, texts: list[str]) -> np.ndarray:
        return embedder(self.settings.model).encode(texts)

    @cached_property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each lexical token over the chunks (for answer selection)."""
        df = Counter(w for c in self.chunks for w in set(lexical_tokens(c.search_text())))
        return {w: math.log(1 + len(self.chunks) / n) for w, n in df.items()}

    @cached_property
    def targets(self) -> list:
        """The targets table (rag.targets.Target rows), read once."""
        from .targets import read_targets

        return read_targets(self.path / "targets.sqlite")


# ---------------------------------------------------------------- tokens


_PUNCT = re.compile(r"^[\W_]+$")
STOPWORDS = frozenset(
    "的 了 和 与 及 等 在 是 为 对 将 把 中 上 下 以 其 或 并 到 年 有 要 我 你 他 它 这 那 哪些 哪个 什么 多少 怎么 如何 吗 呢 啊 "
    "是否 有没有 请问 目标 提出 方面 关于 一下 情况 问题 市 我市 全市 方案 实施 实施方案 碳达峰 能否".split()
)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def lexical_tokens(text: str) -> list[str]:
    """jieba search-mode tokens without punctuation and stopwords (simplified text)."""
    tokens = []
    for token in _jieba().lcut_for_search(text.lower()):
        token = token.strip()
        if token and not _PUNCT.match(token) and token not in STOPWORDS:
            tokens.append(token)
    return tokens


# ---------------------------------------------------------------- embeddings


class Embedder:
    """sentence-transformers model, loaded on first use; m3e takes no query prefix."""

    def __init__(self, model: str):
        self.model_name = model
        self._model = None

    @property
    def model(self):
        if self._model is None:
            if Path(self.model_name).is_dir():
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()

            try:
                self._model = SentenceTransformer(self.model_name, device="cpu")
            except Exception as exc:  # hub unreachable, folder incomplete, ...
                raise IndexUnusable(
                    f"无法加载嵌入模型 {self.model_name}：{exc.__class__.__name__}。"
                    "请用 RAG_MODEL 指定本地模型目录或可访问的模型名。"
                ) from exc
        return self._model

    @property
    def dims(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts, batch_size=32, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype="float32")


@lru_cache(maxsize=4)
def embedder(model: str) -> Embedder:
    return Embedder(model)


# ---------------------------------------------------------------- build


def build_index(settings: Settings, progress: bool = True) -> Manifest:
    """Build everything into a fresh folder, then switch `current` to it."""
    import bm25s
    import faiss

    from .targets import extract_targets, write_targets

    started = time.time()
    steps = tqdm(total=5, desc="构建索引", unit="步", disable=not progress)
    steps.set_postfix_str("读取并清洗语料")
    plans = load_plans(settings.corpus_dir)
    corpus_print = fingerprint(settings.corpus_dir)
    chunks = chunk_plans(plans, settings.chunks)
    steps.update()

    steps.set_postfix_str(f"向量化 {len(chunks)} 个段落")
    model = embedder(settings.model)
    vectors = model.encode([c.search_text() for c in chunks], progress=progress)
    steps.update()

    steps.set_postfix_str("建立 BM25 词法索引")
    bm25 = bm25s.BM25()
    bm25.index([lexical_tokens(c.search_text()) for c in chunks], show_progress=False)
    steps.update()

    steps.set_postfix_str("抽取量化目标")
    targets = [t for plan in plans for t in extract_targets(plan)]
    steps.update()

    steps.set_postfix_str("写入索引")
    root = Path(settings.index_dir)
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    tmp = builds / f".tmp-{build_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        bm25.save(str(tmp / "bm25"))
        _write_jsonl(tmp / "plans.jsonl", (asdict(p) for p in plans))
        _write_jsonl(tmp / "chunks.jsonl", (c.to_dict() for c in chunks))
        write_targets(tmp / "targets.sqlite", targets)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=settings.model_id,
            model_path=settings.model,
            dims=int(vectors.shape[1]),
            corpus_dir=str(Path(settings.corpus_dir).resolve()),
            corpus_fingerprint=corpus_print,
            chunk_size=settings.chunks.size,
            chunk_overlap=settings.chunks.overlap,
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            plans=len(plans),
            chunks=len(chunks),
            targets=len(targets),
            mojibake_spans=sum(p.mojibake_spans for p in plans),
            mojibake_repaired=sum(p.mojibake_repaired for p in plans),
            build_seconds=round(time.time() - started, 1),
        )
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
        final = builds / build_id
        os.replace(tmp, final)
        _switch_current(root, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_builds(root)
    steps.update()
    steps.close()
    return manifest


def _switch_current(root: Path, build: Path) -> None:
    """Atomically point `current` at the new build (rename of a symlink)."""
    link = root / f".{CURRENT}.tmp"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path("builds") / build.name)
    os.replace(link, root / CURRENT)


def _remove_old_builds(root: Path) -> None:
    current = (root / CURRENT).resolve()
    for build in (root / "builds").iterdir():
        if build.resolve() != current and not build.name.startswith(".tmp-"):
            shutil.rmtree(build, ignore_errors=True)


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- load


def load_index(settings: Settings, check_corpus: bool = True) -> Index:
    """Load the current index, refusing a missing, corrupt, stale or mismatched one."""
    import bm25s
    import faiss

    path = Path(settings.index_dir) / CURRENT
    if not (path / "manifest.json").is_file():
        raise IndexUnusable(f"索引不存在（{settings.index_dir}）。请先运行：rag build")
    try:
        raw = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
        raise IndexUnusable("索引清单已损坏或格式过旧。请运行 rag build 重建索引") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexUnusable("索引格式版本与当前程序不一致。请运行 rag build 重建索引")
    if manifest.model != settings.model_id or manifest.chunk_size != settings.chunks.size or manifest.chunk_overlap != settings.chunks.overlap:
        raise IndexUnusable(
            f"索引由模型 {manifest.model}（分块 {manifest.chunk_size}/{manifest.chunk_overlap}）构建，"
            f"与当前配置（模型 {settings.model_id}，分块 {settings.chunks.size}/{settings.chunks.overlap}）不一致。"
            "请运行 rag build 重建索引"
        )
    if check_corpus:
        try:
            current_print = fingerprint(settings.corpus_dir)
        except OSError:
            current_print = None
        if current_print != manifest.corpus_fingerprint:
            raise IndexUnusable(f"语料（{settings.corpus_dir}）已在建索引后更改，索引已过期。请运行 rag build 重建索引")
    try:
        plans = {row["plan_id"]: Plan(**row) for row in read_jsonl(path / "plans.jsonl")}
        chunks = [Chunk(**row) for row in read_jsonl(path / "chunks.jsonl")]
        vectors = faiss.read_index(str(path / "vectors.faiss"))
        bm25 = bm25s.BM25.load(str(path / "bm25"))
    except Exception as exc:
        raise IndexUnusable(f"索引文件已损坏（{exc.__class__.__name__}）。请运行 rag build 重建索引") from exc
    if vectors.ntotal != len(chunks) or vectors.d != manifest.dims or len(chunks) != manifest.chunks:
        raise IndexUnusable("索引文件彼此不一致（段落数或向量维度不符）。请运行 rag build 重建索引")
    return Index(manifest, plans, chunks, vectors, bm25, path.resolve(), settings)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as rows:
        return [json.loads(line) for line in rows if line.strip()]
