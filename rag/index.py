"""Build, persist and load the search index: FAISS vectors + BM25 + plans + targets.

Layout under the index directory:

    builds/<id>/manifest.json   what built it: model, dims, corpus fingerprint, chunk settings
    builds/<id>/plans.jsonl     plan metadata and normalized text (the reader and citations)
    builds/<id>/chunks.jsonl    passages with plan, section path and character span
    builds/<id>/vectors.npy     one normalized embedding per chunk (inner product = cosine), memory-mapped
    builds/<id>/vectors.faiss   past `Settings.approximate_from` chunks: the approximate index (rag.vectors)
    builds/<id>/bm25/           lexical index over jieba tokens
    builds/<id>/targets.sqlite  the quantified targets table
    current -> builds/<id>      switched atomically once a build is complete
    cache/                      embeddings (by model, backend and text), parsed files, ONNX exports

A build writes a new folder and only then swaps the `current` link, so a
crash at any point leaves the previous index loadable. The work before that
is committed in steps (each parsed file, each batch of embeddings), so a
killed build's successor neither reads nor embeds again what it finished.
"""
from __future__ import annotations

import bisect
import contextlib
import fcntl
import gc
import hashlib
import json
import math
import os
import shutil
import sqlite3
import sys
import time
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import vectors as dense
from .chunk import Chunk
from .cluster import connected
from .config import SettingError, Settings, model_problem
from .corpus import FileReport, Plan, file_digests, fingerprint, load_plans, not_indexed, plan_files
from .embed import AUTO, CacheUnusable, cache_reason as _reason, check_backend, chosen, embed_texts, embedder_for, prefer_threads
from .errors import UserError, os_reason
from .indicators import ASIDE
from .lexical import lexical_tokens  # noqa: F401 (retrieve and answer import it from here)

FORMAT_VERSION = 2  # 2: vectors.npy (+ vectors.faiss past the approximate threshold), embedding backend
CURRENT = "current"
MEMO_ENTRIES = 10_000  # per memo of words asked (Index._answer_memo)


# the query vectors of the answer being made (`one_answer`), per thread and task
_QUERY_VECTORS: ContextVar[dict | None] = ContextVar("query_vectors", default=None)


@contextmanager
def one_answer():
    """The scope of one answer: a search text it embeds is embedded once, then reused until it ends."""
    token = _QUERY_VECTORS.set({})
    try:
        yield
    finally:
        _QUERY_VECTORS.reset(token)


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
    embed_backend: str = "torch"  # rag.embed backend of every vector (builds before backends: torch)
    vector_index: str = "flat"  # rag.vectors.Search.kind
    recall_at_5: float = 1.0  # of the vector index against exact search, measured at build time
    files: dict = field(default_factory=dict)  # file name -> digest of each file built from (`file_digests`)


@dataclass
class Index:
    """Everything `ask` needs, loaded once per process."""

    manifest: Manifest
    plans: dict[str, Plan]
    chunks: list[Chunk]
    matrix: np.ndarray  # (chunks x dims) unit vectors, memory-mapped from vectors.npy
    approximate: object | None  # the FAISS approximate index past `Settings.approximate_from` chunks
    bm25: object  # bm25s.BM25
    targets: list  # rag.targets.Target rows, read at load like everything else
    path: Path  # the build folder itself (not the `current` link)
    settings: Settings

    def embed(self, texts: list[str]) -> np.ndarray:
        return embedder_for(self.settings).encode(texts)

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
        """The row numbers of each plan's chunks, so a search restricted to some plans reads their rows
        directly (comparing every chunk's plan id string took ~15 ms a search at 32,000 chunks)."""
        rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            rows.setdefault(chunk.plan_id, []).append(row)
        return {plan_id: np.array(found) for plan_id, found in rows.items()}

    @cached_property
    def _chunks_by_start(self) -> dict[str, tuple[list[int], list[Chunk]]]:
        """Each plan's chunks ordered by where they start, with those starts."""
        found = {}
        for plan_id, rows in self.plan_rows.items():
            ordered = sorted(rows, key=lambda r: (self.chunks[r].char_start, -r))  # ties: the first row is met first
            found[plan_id] = ([self.chunks[r].char_start for r in ordered], [self.chunks[r] for r in ordered])
        return found

    def chunk_at(self, plan_id: str, position: int) -> Chunk | None:
        """The chunk of a plan holding a character position (the one starting last, where chunks overlap)."""
        starts, chunks = self._chunks_by_start.get(plan_id, ([], []))
        for i in range(bisect.bisect_right(starts, position) - 1, -1, -1):
            if position < chunks[i].char_end:
                return chunks[i]
        return None

    def rows_of(self, plan_ids) -> np.ndarray:
        """The rows of these plans' chunks, in row order."""
        parts = [self.plan_rows[p] for p in plan_ids if p in self.plan_rows]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=int)

    @cached_property
    def plan_ids_by_label(self) -> dict[str, tuple[str, ...]]:
        """The plans of each place (by the label answers use), so naming a place looks up its plans
        instead of reading every plan."""
        found: dict[str, list[str]] = {}
        for plan in self.plans.values():
            found.setdefault(plan.label, []).append(plan.plan_id)
        return {label: tuple(ids) for label, ids in found.items()}

    def plans_of(self, labels) -> list[Plan]:
        """The plans of these places, in corpus order."""
        ids = {plan_id for label in labels for plan_id in self.plan_ids_by_label.get(label, ())}
        return [self.plans[plan_id] for plan_id in sorted(ids, key=self.plan_order.__getitem__)]

    @cached_property
    def plan_order(self) -> dict[str, int]:
        """Each plan's position in the corpus."""
        return {plan_id: n for n, plan_id in enumerate(self.plans)}

    @cached_property
    def targets_by_indicator(self) -> dict[str, list]:
        """The target rows of each canonical indicator, in table order: an answer reads one indicator's rows,
        not the whole table (~100 rows a plan)."""
        found: dict[str, list] = {}
        for target in self.targets:
            found.setdefault(target.canonical, []).append(target)
        return found

    @cached_property
    def units_by_indicator(self) -> dict[str, frozenset[str]]:
        """The units each canonical indicator's rows give their numbers in (what a question's measure is
        checked against, for every wording a question is compared with)."""
        return {canonical: frozenset(t.unit for t in rows if t.value is not None and t.unit)
                for canonical, rows in self.targets_by_indicator.items()}

    @cached_property
    def targets_by_plan(self) -> dict[str, list]:
        """Each plan's target rows, in table order: a question naming a place reads that place's rows."""
        found: dict[str, list] = {}
        for target in self.targets:
            found.setdefault(target.plan_id, []).append(target)
        return found

    @cached_property
    def wordings(self) -> dict[str, frozenset[tuple[str, str]]]:
        """Each plan's target indicators as (wording in lower case, canonical), for matching questions:
        an aside in brackets is left out ("既有建筑节能（绿色）改造" is asked as 既有建筑节能改造)."""
        found: dict[str, set[tuple[str, str]]] = {}
        for target in self.targets:
            wording = ASIDE.sub("", target.indicator).lower() or target.indicator.lower()
            found.setdefault(target.plan_id, set()).add((wording, target.canonical))
        return {plan_id: frozenset(pairs) for plan_id, pairs in found.items()}

    @cached_property
    def all_wordings(self) -> frozenset[tuple[str, str]]:
        return frozenset().union(*self.wordings.values())

    def wordings_of(self, plan_ids) -> frozenset[tuple[str, str]]:
        """The target wordings of these plans (of every plan when none are given)."""
        if not plan_ids:
            return self.all_wordings
        return frozenset().union(*(self.wordings.get(p, frozenset()) for p in plan_ids))

    def plans_naming(self, name: str, labels=(), times: int = 2) -> list[Plan]:
        """The plans (of these places, or of all) whose text names `name` at least `times` times, in
        corpus order. Over all plans only those whose passages hold the word are read (`chunks_with_word`),
        once per name."""
        if labels:
            return [plan for plan in self.plans_of(labels) if plan.text.count(name) >= times]
        found = self._answer_memo("_naming")  # kept per name: a common word is counted once
        plan_ids = found.get((name, times))
        if plan_ids is None:  # read into a local: another answer's thread may clear the memo meanwhile
            holding = {self.chunks[row].plan_id for row in self.chunks_with_word(name.lower())}
            plan_ids = found[name, times] = [plan_id for plan_id in sorted(holding, key=self.plan_order.__getitem__)
                                             if self.plans[plan_id].text.count(name) >= times]
        return [self.plans[plan_id] for plan_id in plan_ids]

    def _answer_memo(self, name: str) -> dict:
        """A memo of what answers look up by a word of the question; a long-running server asks many
        words, so past MEMO_ENTRIES it starts afresh."""
        found = self.__dict__.setdefault(name, {})
        if len(found) >= MEMO_ENTRIES:
            found.clear()
        return found

    def memo(self, name: str, make):
        """A structure another module derives from this index (place names, ...), made once per loaded
        index: a cached property here would make this module import that one."""
        cache = self.__dict__.setdefault("_memo", {})
        if name not in cache:
            cache[name] = make()
        return cache[name]

    def query_vector(self, text: str) -> np.ndarray:
        """The embedding of a search text; inside `one_answer` each text is embedded once (an answer
        may search the same words several times: its value, then a sentence stating it, then the nearest)."""
        memo = _QUERY_VECTORS.get()
        if memo is None:
            return self.embed([text])[0]
        if text not in memo:
            memo[text] = self.embed([text])[0]
        return memo[text]

    def search_scores(self, text: str, tokens: list[str], rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cosine, BM25 score) of the passages a search for `text` must rank: the given rows (the
        plans a question names, in row order), else every passage.

        On an approximate index, when that is every passage or more than `Settings.approximate_from` of
        them, only those the vector index and BM25 each rank in their top `Settings.search_depth` (the
        vector index proposing proportionally more when some rows are left out), plus a fixed spread
        of rows that keeps the scale of the scores (`retrieve.fuse` scales by min and max)."""
        vector = self.query_vector(text)
        if self.approximate is None or (rows is not None and len(rows) < self.settings.approximate_from):
            if rows is None:
                return np.arange(len(self.chunks)), self.matrix @ vector, self.lexical_scores(tokens)
            return rows, self.matrix[rows] @ vector, self.lexical_scores(tokens, rows)
        total, depth = len(self.chunks), self.settings.search_depth
        lexical = self.lexical_scores(tokens)
        allowed = None
        if rows is not None and len(rows) < total:
            allowed = np.zeros(total, dtype=bool)
            allowed[rows] = True
        share = 1.0 if allowed is None else len(rows) / total
        proposals = dense.nearest(self.approximate, self.matrix, vector, min(total, int(np.ceil(depth / share))))
        words = lexical if allowed is None else np.where(allowed, lexical, 0)
        best_words = np.argpartition(-words, depth)[:depth] if total > depth else np.arange(total)
        found = np.unique(np.concatenate([proposals, best_words[words[best_words] > 0], self._scale_rows]))
        if allowed is not None:
            found = found[allowed[found]]
        return found, self.matrix[found] @ vector, lexical[found]

    @cached_property
    def _scale_rows(self) -> np.ndarray:
        return np.linspace(0, len(self.chunks) - 1, num=min(len(self.chunks), 1024), dtype=int)

    def lexical_scores(self, tokens: list[str], rows: np.ndarray | None = None) -> np.ndarray:
        """BM25 scores of `tokens` for the given rows (sorted), or for every chunk. The same sums as
        bm25s' get_scores (each query token's precomputed score in each document holding it), read
        from its column-sorted matrix: a subset costs a binary search per token, not a corpus scan."""
        scores, ids = self.bm25.scores, self.bm25.get_tokens_ids(tokens)
        data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
        base = float(self.bm25.nonoccurrence_array[ids].sum()) if self.bm25.nonoccurrence_array is not None and ids else 0.0
        if rows is None:
            if not ids:
                return np.full(len(self.chunks), base, dtype="float32")
            spans = [slice(indptr[t], indptr[t + 1]) for t in ids]
            found = np.bincount(np.concatenate([indices[s] for s in spans]), weights=np.concatenate([data[s] for s in spans]),
                                minlength=len(self.chunks))
            return (found + base).astype("float32")
        out = np.full(len(rows), base, dtype="float64")
        for span in (slice(indptr[t], indptr[t + 1]) for t in ids):
            docs = indices[span]
            if not len(docs):
                continue
            at = np.minimum(np.searchsorted(docs, rows), len(docs) - 1)
            hit = docs[at] == rows
            out[hit] += data[span][at[hit]]
        return out.astype("float32")

    def chunks_with_word(self, word: str) -> np.ndarray:
        """Rows (sorted) of the chunks one of whose lexical tokens contains `word` ("氢能" in 氢能源), read from
        the BM25 index's postings: which passages mention a word without reading every plan's text."""
        found = self._answer_memo("_word_rows")
        rows = found.get(word)
        if rows is None:  # read into a local: another answer's thread may clear the memo meanwhile
            indices, indptr = self.bm25.scores["indices"], self.bm25.scores["indptr"]
            postings = [indices[indptr[i] : indptr[i + 1]] for token, i in self.bm25.vocab_dict.items() if word in token]
            rows = found[word] = np.unique(np.concatenate(postings)) if postings else np.empty(0, dtype=int)
        return rows

    @cached_property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each lexical token over the chunks (for answer selection)."""
        df = Counter(w for c in self.chunks for w in set(lexical_tokens(c.search_text())))
        return {w: math.log(1 + len(self.chunks) / n) for w, n in df.items()}


# ---------------------------------------------------------------- build


@dataclass
class BuildResult:
    manifest: Manifest
    files: list[FileReport]
    embedded: int  # chunks embedded by the model in this build (the rest came from the cache)
    unchanged: bool = False  # the corpus had not changed: nothing was rebuilt
    reused_files: int = 0  # files whose parse came from the cache (not read again)
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, in build order

    @property
    def skipped(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "skipped"]

    def to_dict(self) -> dict:
        return {"manifest": asdict(self.manifest), "files": [f.to_dict() for f in self.files],
                "embedded": self.embedded, "unchanged": self.unchanged, "reused_files": self.reused_files,
                "stages": self.stages}


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


class Stages:
    """Seconds spent in each stage of a build, in order."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._last, 2)
        self._last = now


def _build(settings: Settings, root: Path, progress: bool, force: bool) -> BuildResult:
    import bm25s

    from .targets import canonicalise, write_targets

    started = time.time()
    check_backend(settings.embed_backend)
    digests = file_digests(settings.corpus_dir) if Path(settings.corpus_dir).is_dir() else {}
    corpus_print = fingerprint(settings.corpus_dir, digests) if Path(settings.corpus_dir).is_dir() else ""
    if not force:
        previous = _current_build(root, settings, corpus_print)
        if previous:
            return previous
    _remove_stale_tmp(root)
    stages = Stages()
    # rag build --cluster: the parse and the embedding on a Ray cluster (rag.cluster), the rest here
    with (connected(settings) if settings.cluster else contextlib.nullcontext()) as cluster:
        plans, files, parsed, reused = _parse_corpus(settings, progress, cluster)
        if not plans:
            raise IndexUnusable("没有可以收录的方案文件：" + "；".join(f"{f.file}：{f.error}" for f in files if f.error))
        chunks, targets, tokens = [], [], []
        for plan in plans:
            mine = parsed[plan.file].as_plan(plan.plan_id, len(chunks))
            chunks += mine.chunks
            targets += mine.targets
            tokens += mine.tokens
        stages.done("parse")
        choice = chosen(settings, [c.search_text() for c in chunks],
                        say=(lambda message: print(message, file=sys.stderr, flush=True)) if progress else None)
        settings = replace(settings, embed_backend=choice.backend)
        prefer_threads(choice.threads)
        if cluster is not None:
            cluster.embed_with(settings, choice.threads)
        vectors, embedded = _embed_chunks(settings, chunks, progress, cluster)
    stages.done("embed")
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    stages.done("lexical")
    targets = canonicalise(targets, embedder_for(settings).encode, settings.canonical_similarity)
    stages.done("targets")
    queries = recall_queries(settings, chunks, targets) if len(chunks) >= settings.approximate_from else np.zeros((0, 1))
    approximate, search = dense.build_search(vectors, queries, settings.approximate_from, settings.ann_recall,
                                             settings.search_depth)
    stages.done("vectors")
    if progress and approximate is not None:
        print(f"近似向量索引 {search.kind}：recall@5 = {search.recall_at_5:.4f}（对照精确检索，{search.queries} 个查询）",
              file=sys.stderr, flush=True)
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
        dense.save(tmp, vectors, approximate)
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
            embed_backend=settings.embed_backend,
            vector_index=search.kind,
            recall_at_5=search.recall_at_5,
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
    stages.done("write")
    _remove_old_builds(root)
    return BuildResult(manifest, files, embedded, reused_files=reused, stages=stages.seconds)


def _parse_corpus(settings: Settings, progress: bool, cluster=None):
    """(plans, file reports, parse of each file by name, how many parses came from the cache): every
    file read in parallel and cached (rag.parsing), with a bar of files, pages and passages."""
    from .parsing import CorpusReader

    corpus = Path(settings.corpus_dir)
    with tqdm(total=len(plan_files(corpus)) if corpus.is_dir() else 0, desc="读取并解析", unit="个文件",
              disable=not progress, leave=False) as bar:
        counts = Counter()

        def arrived(parsed) -> None:
            counts.update(pages=parsed.report.pages, passages=len(parsed.chunks))
            bar.set_postfix_str(f"{counts['pages']} 页，{counts['passages']} 段", refresh=False)
            bar.update()

        reader = CorpusReader(settings, parse_pipeline_version(), arrived, cluster)
        plans, files = load_plans(corpus, settings.limits, read_all=reader)
    return plans, files, reader.parsed, reader.reused


def _embed_chunks(settings: Settings, chunks: list[Chunk], progress: bool, cluster=None) -> tuple[np.ndarray, int]:
    """Every chunk's vector: cached ones read, the rest embedded in committed steps under a bar with an ETA."""
    with tqdm(total=0, desc="向量化", unit="段", disable=not progress, leave=False) as bar:
        def step(done: int, total: int) -> None:
            if bar.total != total:
                bar.reset(total=total)
            bar.update(done)

        try:
            return embed_texts(settings, [c.search_text() for c in chunks], settings.embed_step, step, cluster)
        except CacheUnusable as problem:
            raise IndexUnusable(str(problem)) from None


def recall_queries(settings: Settings, chunks: list[Chunk], targets: list, count: int = 200) -> np.ndarray:
    """Question-like phrases from the corpus itself, embedded: section titles and target indicators
    (what questions ask about), a fixed sample of `count`, for measuring the approximate index."""
    from .sections import SEPARATOR

    phrases = sorted({c.section.rsplit(SEPARATOR, 1)[-1] for c in chunks if c.section} | {t.indicator for t in targets})
    picked = [phrases[i] for i in np.linspace(0, len(phrases) - 1, num=min(count, len(phrases)), dtype=int)] if phrases else []
    return embed_texts(settings, picked)[0] if picked else np.zeros((0, 1), dtype="float32")


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


# The modules (and data) whose code decides what a file parses into (rag.parsing caches by it), and
# those that decide what a build contains: a build made by other code is rebuilt, never reused because
# the corpus alone is unchanged. A name may be a package folder (every file in it counts).
PARSE_PIPELINE = ("ingest", "tables.py", "zh", "normalize.py", "metadata.py", "places.py", "divisions.tsv", "corpus.py",
                  "sections.py", "chunk.py", "targets.py", "indicators.py", "lexical.py", "parsing.py")
PIPELINE = PARSE_PIPELINE + ("index.py", "embed.py", "vectors.py")


@lru_cache(maxsize=2)
def _modules_digest(names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in names:
        path = here / name
        if not path.exists() and path.suffix == ".py" and path.with_suffix("").is_dir():
            path = path.with_suffix("")  # a module that became a package
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix != ".pyc") if path.is_dir() else [path]
        for file in files:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def pipeline_version() -> str:
    return _modules_digest(PIPELINE)


def parse_pipeline_version() -> str:
    return _modules_digest(PARSE_PIPELINE)


def _current_build(root: Path, settings: Settings, corpus_print: str) -> BuildResult | None:
    """The current build's result when it was made from this very corpus with these settings and loads."""
    try:
        path = root / CURRENT
        manifest = Manifest(**json.loads((path / "manifest.json").read_text(encoding="utf-8")))
        files = [FileReport(**row) for row in read_jsonl(path / "report.jsonl")]
    except (OSError, ValueError, TypeError):
        return None
    same = (manifest.format_version == FORMAT_VERSION and manifest.pipeline == pipeline_version()
            and manifest.model == settings.model_id and settings.embed_backend in (AUTO, manifest.embed_backend)
            and (manifest.vector_index == "flat") == (manifest.chunks < settings.approximate_from)
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
    if check_backend(settings.embed_backend) == AUTO:  # questions are embedded as the index's passages were
        settings = replace(settings, embed_backend=manifest.embed_backend)
    if settings.embed_backend != manifest.embed_backend:
        raise IndexUnusable(
            f"索引是用嵌入后端 {manifest.embed_backend} 构建的，与当前设置 RAG_EMBED_BACKEND={settings.embed_backend} 不一致，"
            f"请运行 rag build 重建索引，或设置 RAG_EMBED_BACKEND={manifest.embed_backend}"
        )
    try:
        plans = {row["plan_id"]: Plan(**row) for row in read_jsonl(path / "plans.jsonl")}
        chunks = [Chunk(**row) for row in read_jsonl(path / "chunks.jsonl")]
        matrix, approximate = dense.load(path, manifest.vector_index)
        bm25 = bm25s.BM25.load(str(path / "bm25"))
        targets = read_targets(path / "targets.sqlite")
    except Exception as exc:
        raise IndexUnusable(f"索引文件已损坏（{exc.__class__.__name__}）。请运行 rag build 重建索引") from exc
    if (matrix.shape != (len(chunks), manifest.dims) or (approximate is not None and approximate.ntotal != len(chunks))
            or len(chunks) != manifest.chunks or len(targets) != manifest.targets or len(plans) != manifest.plans):
        raise IndexUnusable("索引文件彼此不一致（段落、目标或向量数与清单不符）。请运行 rag build 重建索引")
    index = Index(manifest, plans, chunks, matrix, approximate, bm25, targets, path, settings)
    # millions of long-lived objects at the scale of every plan in China: the garbage collector need not
    # scan them again and again (full collections took ~0.5 s of some questions at 320,000 passages)
    gc.freeze()
    return index


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as rows:
        return [json.loads(line) for line in rows if line.strip()]
