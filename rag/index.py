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

import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .chunk import Chunk, chunk_plans
from .config import Settings
from .config import SettingError, is_local_model, model_problem
from .corpus import FileReport, Plan, file_digests, fingerprint, load_plans, not_indexed, plan_files
from .errors import UserError, os_reason

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
    pipeline: str = ""  # hash of the code that turns files into an index (see `pipeline_version`)
    files: dict = field(default_factory=dict)  # file name -> digest of each file built from (`file_digests`)


@dataclass
class Index:
    """Everything `ask` needs, loaded once per process."""

    manifest: Manifest
    plans: dict[str, Plan]
    chunks: list[Chunk]
    vectors: object  # faiss.Index
    bm25: object  # bm25s.BM25
    targets: list  # rag.targets.Target rows, read at load like everything else
    path: Path  # the build folder itself (not the `current` link)
    settings: Settings

    def embed(self, texts: list[str]) -> np.ndarray:
        return embedder(self.settings.model).encode(texts)

    def not_indexed(self) -> list[str]:
        """Files of the corpus folder that changed since this index was built ("name（新增）", ...): the
        index still answers, from what it holds, and says so (`stale_notice`)."""
        if not self.manifest.files:  # a build made before files were recorded one by one
            return [] if fingerprint(self.settings.corpus_dir) == self.manifest.corpus_fingerprint else ["语料中的文件"]
        return not_indexed(self.manifest.files, self.settings.corpus_dir)

    def stale_notice(self) -> str:
        """One sentence for a user when the corpus changed since the build, else ""."""
        changed = self.not_indexed()
        if not changed:
            return ""
        shown = "、".join(changed[:5]) + (f" 等 {len(changed)} 个" if len(changed) > 5 else "")
        return f"语料已更改，以下文件尚未反映在索引中：{shown}；回答来自上次建成的索引，运行 rag build 可收录。"

    @cached_property
    def plan_rows(self) -> dict[str, np.ndarray]:
        """The row numbers of each plan's chunks, so a search restricted to some plans marks their rows
        directly (comparing every chunk's plan id string took ~15 ms a search at 32,000 chunks)."""
        rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            rows.setdefault(chunk.plan_id, []).append(row)
        return {plan_id: np.array(found) for plan_id, found in rows.items()}

    @cached_property
    def wordings(self) -> dict[str, frozenset[tuple[str, str]]]:
        """Each plan's target indicators as (wording in lower case, canonical), for matching questions."""
        found: dict[str, set[tuple[str, str]]] = {}
        for target in self.targets:
            found.setdefault(target.plan_id, set()).add((target.indicator.lower(), target.canonical))
        return {plan_id: frozenset(pairs) for plan_id, pairs in found.items()}

    @cached_property
    def all_wordings(self) -> frozenset[tuple[str, str]]:
        return frozenset().union(*self.wordings.values())

    def wordings_of(self, plan_ids) -> frozenset[tuple[str, str]]:
        """The target wordings of these plans (of every plan when none are given)."""
        if not plan_ids:
            return self.all_wordings
        return frozenset().union(*(self.wordings.get(p, frozenset()) for p in plan_ids))

    @cached_property
    def matrix(self) -> np.ndarray:
        """The FAISS flat index's own vector storage as a (chunks x dims) array, without a copy."""
        import faiss

        return faiss.rev_swig_ptr(self.vectors.get_xb(), self.vectors.ntotal * self.vectors.d).reshape(self.vectors.ntotal, self.vectors.d)

    def dense_scores(self, text: str) -> np.ndarray:
        """Cosine similarity of `text` to every chunk (vectors are normalised)."""
        return self.matrix @ self.embed([text])[0]

    @cached_property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each lexical token over the chunks (for answer selection)."""
        df = Counter(w for c in self.chunks for w in set(lexical_tokens(c.search_text())))
        return {w: math.log(1 + len(self.chunks) / n) for w, n in df.items()}


# ---------------------------------------------------------------- tokens


_PUNCT = re.compile(r"^[\W_]+$")
STOPWORDS = frozenset(
    "的 了 和 与 及 等 在 是 为 对 将 把 中 上 下 以 其 或 并 到 年 有 要 我 你 他 它 这 那 哪些 哪个 什么 多少 怎么 如何 吗 呢 啊 "
    "是否 有没有 请问 目标 提出 方面 关于 一下 情况 问题 市 我市 全市 方案 实施 实施方案 碳达峰 能否 分别 各自 啥 哪 那个 这个 是不是 会不会 能不能 要不要".split()
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
            problem = model_problem(self.model_name)
            if problem:  # a local folder was expected: say so at once, never try the hub instead
                raise SettingError(problem)
            if is_local_model(self.model_name):
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
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


# ---------------------------------------------------------------- embedding cache


class EmbeddingCache:
    """Vectors keyed by (model, hash of the chunk's search text), kept beside the builds.

    A rebuild embeds only chunks whose text is new; a corrupt cache is
    discarded and rebuilt rather than trusted.
    """

    def __init__(self, path: Path, model: str):
        self.path, self.model = path, model
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.db = self._open()
            except sqlite3.DatabaseError:
                if path.is_file():  # a damaged cache file is discarded, anything else is not ours to delete
                    path.unlink()
                self.db = self._open()
        except (OSError, sqlite3.Error) as exc:
            raise IndexUnusable(f"嵌入缓存 {path} 无法打开（{_reason(exc)}）。请检查该路径，或删除它后重试") from None

    def _open(self):
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))")
        return db

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, keys: list[str], dims: int | None) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            rows = self.db.execute(
                f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(batch))})",
                [self.model, *batch],
            ).fetchall()
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype="float32")
                if dims is None or len(vector) == dims:
                    found[key] = vector
        return found

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(self.model, k, np.asarray(v, dtype="float32").tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        self.db.close()


def embed_chunks(settings: Settings, chunks: list[Chunk], progress: bool) -> tuple[np.ndarray, int]:
    """One vector per chunk, from the cache where possible; returns (vectors, how many were embedded)."""
    cache = EmbeddingCache(Path(settings.index_dir) / "cache" / "embeddings.sqlite", settings.model_id)
    try:
        texts = [c.search_text() for c in chunks]
        keys = [cache.key(t) for t in texts]
        known = cache.get(list(dict.fromkeys(keys)), None)
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            text_of = dict(zip(keys, texts))
            fresh = embedder(settings.model).encode([text_of[k] for k in missing], progress=progress)
            cache.put(dict(zip(missing, fresh)))
            known.update(zip(missing, fresh))
        if not chunks:
            return np.zeros((0, embedder(settings.model).dims), dtype="float32"), 0
        return np.stack([known[k] for k in keys]).astype("float32"), len(missing)
    finally:
        cache.close()


# ---------------------------------------------------------------- build


@dataclass
class BuildResult:
    manifest: Manifest
    files: list[FileReport]
    embedded: int  # chunks embedded by the model in this build (the rest came from the cache)
    unchanged: bool = False  # the corpus had not changed: nothing was rebuilt

    @property
    def skipped(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "skipped"]

    def to_dict(self) -> dict:
        return {"manifest": asdict(self.manifest), "files": [f.to_dict() for f in self.files],
                "embedded": self.embedded, "unchanged": self.unchanged}


def build_index(settings: Settings, progress: bool = True, force: bool = False) -> BuildResult:
    """Build everything into a fresh folder, then switch `current` to it.

    Nothing happens when the corpus and settings are those of the current
    build (unless `force`); otherwise only chunks whose text is new are embedded.
    Builds of one index folder take turns, so none deletes a build another is about to switch to.
    """
    from .corpus import read_overrides

    root = Path(settings.index_dir)
    check_writable(root)
    if Path(settings.corpus_dir).is_dir():
        read_overrides(settings.corpus_dir)  # an invalid plans.json is refused before any work
    if model_problem(settings.model):  # so is a missing model folder: not after every file was read
        raise SettingError(model_problem(settings.model))
    with _build_lock(root, progress):
        return _build(settings, root, progress, force)


@contextmanager
def _build_lock(root: Path, progress: bool):
    """An exclusive lock on the index folder for one build; released by the kernel if the build is killed."""
    with open(root / ".build.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if progress:
                print("另一个构建正在使用该索引目录，等待其完成……", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build(settings: Settings, root: Path, progress: bool, force: bool) -> BuildResult:
    import bm25s
    import faiss

    from .targets import canonicalise, write_targets

    started = time.time()
    digests = file_digests(settings.corpus_dir) if Path(settings.corpus_dir).is_dir() else {}
    corpus_print = fingerprint(settings.corpus_dir, digests) if Path(settings.corpus_dir).is_dir() else ""
    if not force:
        previous = _current_build(root, settings, corpus_print)
        if previous:
            return previous
    _remove_stale_tmp(root)
    with tqdm(total=0, desc="读取并清洗语料", unit="个文件", disable=not progress, leave=False) as bar:
        bar.total = len(plan_files(settings.corpus_dir)) if Path(settings.corpus_dir).is_dir() else 0
        plans, files = load_plans(settings.corpus_dir, settings.limits, progress=lambda _name: bar.update())
    plans, chunks, targets = _extract(plans, files, settings, progress)
    if not plans:
        raise IndexUnusable("没有可以收录的方案文件：" + "；".join(f"{f.file}：{f.error}" for f in files if f.error))
    vectors, embedded = embed_chunks(settings, chunks, progress)
    bm25 = bm25s.BM25()
    tokens = [lexical_tokens(c.search_text()) for c in tqdm(chunks, desc="建立关键词索引", unit="段", disable=not progress, leave=False)]
    bm25.index(tokens, show_progress=False)
    targets = canonicalise(targets, embedder(settings.model).encode, settings.canonical_similarity)
    by_plan = {f.plan_id: f for f in files if f.plan_id}
    for chunk in chunks:
        by_plan[chunk.plan_id].chunks += 1
    for target in targets:
        by_plan[target.plan_id].targets += 1

    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        bm25.save(str(tmp / "bm25"))
        _write_jsonl(tmp / "plans.jsonl", (asdict(p) for p in plans))
        _write_jsonl(tmp / "chunks.jsonl", (c.to_dict() for c in chunks))
        _write_jsonl(tmp / "report.jsonl", (f.to_dict() for f in files))
        write_targets(tmp / "targets.sqlite", targets)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            pipeline=pipeline_version(),
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
            files=digests,
        )
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
        final = builds / build_id
        os.replace(tmp, final)
        _switch_current(root, final)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, (OSError, sqlite3.Error)) or (isinstance(exc, RuntimeError) and "faiss" in str(exc).lower()):
            raise IndexUnusable(f"写入新索引时出错（{_reason(exc)}），原索引未改变。请检查 {root} 所在磁盘的空间和权限") from None
        raise
    _remove_old_builds(root)
    return BuildResult(manifest, files, embedded)


def _extract(plans: list[Plan], files: list[FileReport], settings: Settings, progress: bool):
    """Each plan's passages and targets; a plan whose cutting or extraction fails is skipped like a file
    that cannot be read (its report line says why), and the rest are built."""
    from .targets import extract_targets

    report = {f.file: f for f in files}
    kept, chunks, targets = [], [], []
    for plan in tqdm(plans, desc="分段并抽取量化目标", unit="个方案", disable=not progress, leave=False):
        try:
            found = chunk_plans([plan], settings.chunks), extract_targets(plan)
        except Exception as exc:  # one plan's text must not stop the others
            line = report[plan.file]
            line.status, line.plan_id = "skipped", ""
            line.error = f"分段或抽取目标时出错（{exc.__class__.__name__}），已跳过；可用 rag inspect 查看"
            continue
        kept.append(plan)
        chunks += [replace(c, chunk_id=len(chunks) + i) for i, c in enumerate(found[0])]
        targets += found[1]
    return kept, chunks, targets


def _reason(exc: BaseException) -> str:
    """A file system or database error in Chinese where there is one (磁盘空间不足, 没有权限 …)."""
    if isinstance(exc, OSError) and exc.errno:
        return os_reason(exc)
    text = str(exc).lower()
    if "disk is full" in text or "no space" in text:
        return "磁盘空间不足"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return "没有写入权限"
    if "unable to open" in text or "is a directory" in text:
        return "无法打开，可能是一个目录"
    return exc.__class__.__name__


def check_writable(root: Path, needed_bytes: int = 50_000_000) -> None:
    """Fail before any work when the index folder cannot take a build."""
    if root.exists() and not root.is_dir():
        raise IndexUnusable(f"索引路径 {root} 已存在且不是目录。请用 --index 指定一个目录")
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise IndexUnusable(f"索引目录 {root} 不可写（{os_reason(exc)}）。请检查权限或用 --index 指定其他目录") from None
    for path, kind in ((root / "builds", "目录"), (root / "cache", "目录"), (root / "cache" / "embeddings.sqlite", "文件")):
        wrong = path.is_symlink() and not path.exists() or path.exists() and (path.is_dir() != (kind == "目录"))
        if wrong:
            raise IndexUnusable(f"{path} 应是一个{kind}，实际不是。请删除或改名后重试（其中只有可重建的数据）")
    free = shutil.disk_usage(root).free
    if free < needed_bytes:
        raise IndexUnusable(f"索引目录 {root} 所在磁盘剩余空间不足（{free / 1e6:.0f} MB，至少需要 {needed_bytes / 1e6:.0f} MB）")


# The modules (and data) whose code decides what a build contains: a build made by other code is
# rebuilt, never reused because the corpus alone is unchanged.
PIPELINE = ("ingest/__init__.py", "ingest/pdf.py", "ingest/ocr.py", "ingest/docx.py", "ingest/html.py", "tables.py", "normalize.py", "metadata.py", "places.py", "divisions.tsv", "corpus.py", "sections.py",
            "chunk.py", "targets.py", "indicators.py", "index.py")


@lru_cache(maxsize=1)
def pipeline_version() -> str:
    digest = hashlib.sha256()
    for name in PIPELINE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def _current_build(root: Path, settings: Settings, corpus_print: str) -> BuildResult | None:
    """The current build's result when it was made from this very corpus with these settings and loads."""
    try:
        path = root / CURRENT
        manifest = Manifest(**json.loads((path / "manifest.json").read_text(encoding="utf-8")))
        files = [FileReport(**row) for row in read_jsonl(path / "report.jsonl")]
    except (OSError, ValueError, TypeError):
        return None
    same = (manifest.format_version == FORMAT_VERSION and manifest.pipeline == pipeline_version()
            and manifest.model == settings.model_id
            and manifest.chunk_size == settings.chunks.size and manifest.chunk_overlap == settings.chunks.overlap
            and manifest.corpus_fingerprint == corpus_print
            and manifest.corpus_dir == str(Path(settings.corpus_dir).resolve()))
    if not same:
        return None
    try:  # a damaged build is rebuilt, never taken for an up-to-date one
        load_index(settings)
    except IndexUnusable:
        return None
    return BuildResult(manifest, files, 0, unchanged=True)


def _remove_stale_tmp(root: Path) -> None:
    """Half-written builds of a process that is gone (a killed build)."""
    for tmp in (root / "builds").glob(".tmp-*") if (root / "builds").is_dir() else ():
        pid = tmp.name.split("-")[-2] if tmp.name.count("-") >= 4 else ""
        if not (pid.isdigit() and Path(f"/proc/{pid}").exists()):
            shutil.rmtree(tmp, ignore_errors=True)


def _switch_current(root: Path, build: Path) -> None:
    """Atomically point `current` at the new build (rename of a symlink)."""
    link = root / f".{CURRENT}.tmp-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path("builds") / build.name)
    os.replace(link, root / CURRENT)


def _remove_old_builds(root: Path, keep: int = 2) -> None:
    """Keep the current build and the one before it, and any build a reader is still loading
    (it holds a shared lock on the manifest): a loaded index needs no files, a loading one does."""
    current = (root / CURRENT).resolve()
    builds = sorted((b for b in (root / "builds").iterdir() if not b.name.startswith(".")), key=lambda b: b.stat().st_mtime)
    older = [b for b in builds if b.resolve() != current]
    for build in older[: max(0, len(older) - (keep - 1))]:
        try:
            with open(build / "manifest.json", "rb") as manifest:
                fcntl.flock(manifest, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(build, ignore_errors=True)
        except BlockingIOError:
            continue  # being loaded: the next build removes it
        except OSError:
            shutil.rmtree(build, ignore_errors=True)  # no manifest: not a loadable build


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- load


def load_index(settings: Settings) -> Index:
    """Load the current index, refusing a missing, corrupt or mismatched one.

    An index older than its corpus is loaded: it answers from what it holds, and
    `Index.not_indexed` says which files it lacks. Everything is read into memory here, so a loaded index keeps answering after a
    build replaces or deletes its folder. While reading, a shared lock on the build's
    manifest keeps builds from deleting it; a build deleted just before the lock was
    taken is noticed and the new `current` is loaded instead.
    """
    link = Path(settings.index_dir) / CURRENT
    for _attempt in range(5):
        # resolve once: a build that switches `current` meanwhile does not mix two builds
        path = link.resolve()
        try:
            manifest_file = open(path / "manifest.json", "rb")
        except OSError:
            if link.resolve() != path:
                continue  # replaced while we looked
            raise IndexUnusable(f"索引不存在或不完整（{settings.index_dir}）。请先运行：rag build") from None
        with manifest_file:
            fcntl.flock(manifest_file, fcntl.LOCK_SH)
            if not (path / "manifest.json").exists():
                continue  # deleted by a build before our lock: take the new `current`
            return _read_build(path, manifest_file.read(), settings)
    raise IndexUnusable("索引正在被连续重建，暂时无法加载。请稍后重试")


def _read_build(path: Path, raw_manifest: bytes, settings: Settings) -> Index:
    """Every file of one build folder, checked against its manifest and the settings."""
    import bm25s
    import faiss

    from .targets import read_targets

    try:
        manifest = Manifest(**json.loads(raw_manifest.decode("utf-8")))
    except (ValueError, TypeError) as exc:
        raise IndexUnusable("索引清单已损坏或格式过旧。请运行 rag build 重建索引") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexUnusable("索引格式版本与当前程序不一致。请运行 rag build 重建索引")
    if manifest.model != settings.model_id and model_problem(settings.model):
        raise SettingError(model_problem(settings.model))  # a missing model folder is no reason to rebuild
    if manifest.model != settings.model_id or manifest.chunk_size != settings.chunks.size or manifest.chunk_overlap != settings.chunks.overlap:
        raise IndexUnusable(
            f"索引由模型 {manifest.model}（分块 {manifest.chunk_size}/{manifest.chunk_overlap}）构建，"
            f"与当前配置（模型 {settings.model_id}，分块 {settings.chunks.size}/{settings.chunks.overlap}）不一致。"
            "请运行 rag build 重建索引"
        )
    try:
        plans = {row["plan_id"]: Plan(**row) for row in read_jsonl(path / "plans.jsonl")}
        chunks = [Chunk(**row) for row in read_jsonl(path / "chunks.jsonl")]
        vectors = faiss.read_index(str(path / "vectors.faiss"))
        bm25 = bm25s.BM25.load(str(path / "bm25"))
        targets = read_targets(path / "targets.sqlite")
    except Exception as exc:
        raise IndexUnusable(f"索引文件已损坏（{exc.__class__.__name__}）。请运行 rag build 重建索引") from exc
    if (vectors.ntotal != len(chunks) or vectors.d != manifest.dims or len(chunks) != manifest.chunks
            or len(targets) != manifest.targets or len(plans) != manifest.plans):
        raise IndexUnusable("索引文件彼此不一致（段落、目标或向量数与清单不符）。请运行 rag build 重建索引")
    return Index(manifest, plans, chunks, vectors, bm25, targets, path, settings)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as rows:
        return [json.loads(line) for line in rows if line.strip()]
