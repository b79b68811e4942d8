"""Every corpus file parsed into what an index needs, in parallel and cached per file.

Reading a file (PDF text layers, OCR, charset detection, cleaning, metadata) is the slow part of
a build before embedding. A build hands each file to `parse_file` in a process pool (one process
per core, `Settings.build_workers`) and keeps each result in `<index>/cache/parsed/`, keyed by the
file's bytes, its plans.json entry, the limits (`rag.ingest.Limits`), the chunk settings and the
version of the code that parses (`rag/ingest/*` included: `index.PARSE_PIPELINE`).
So a build killed half-way, or the next build after one plan was added, reads only the files it
has not parsed yet. Chunking, target extraction and lexical tokens are per file too and travel
with the parse; chunk ids and de-duplicated plan ids are set by the build afterwards.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

from .chunk import Chunk, chunk_plans
from .config import ChunkSettings, Settings
from .corpus import FileJob, FileReport, Plan, read_job

# below this many bytes still to parse, starting worker processes (each imports the pipeline and
# loads its dictionaries, ~3 s) costs more than it saves: the five shipped plans (220 KB) parse in ~4 s
PARALLEL_FROM_BYTES = 1_000_000


@dataclass
class Parsed:
    """One file, read: its report, and for a readable plan its chunks, targets and lexical tokens."""

    report: FileReport
    plan: Plan | None
    chunks: list[Chunk]
    targets: list  # rag.targets.Target
    tokens: list[list[str]]  # lexical tokens of each chunk's search text

    def as_plan(self, plan_id: str, first_chunk_id: int) -> "Parsed":
        """This parse under the build's plan id (a duplicate id was renamed) and chunk numbering."""
        same = plan_id == self.plan.plan_id
        chunks = [replace(c, chunk_id=first_chunk_id + i, **({} if same else {"plan_id": plan_id}))
                  for i, c in enumerate(self.chunks)]
        targets = self.targets if same else [replace(t, plan_id=plan_id) for t in self.targets]
        return Parsed(self.report, replace(self.plan, plan_id=plan_id), chunks, targets, self.tokens)


def parse_file(job: FileJob, chunk_settings: ChunkSettings) -> Parsed:
    """Read one file and cut, extract and tokenise it (runs in a worker process). Nothing one file
    does stops the others: `read_file` turns any failure to read into the report's reason, and a plan
    whose cutting or extraction fails is skipped the same way."""
    from .lexical import lexical_tokens
    from .targets import extract_targets

    report, plan = read_job(job)
    if plan is None:
        return Parsed(report, None, [], [], [])
    try:
        chunks = chunk_plans([plan], chunk_settings)
        return Parsed(report, plan, chunks, extract_targets(plan), [lexical_tokens(c.search_text()) for c in chunks])
    except Exception as exc:  # one plan's text must not stop the others
        report.status, report.plan_id = "skipped", ""
        report.error = f"分段或抽取目标时出错（{exc.__class__.__name__}），已跳过；可用 rag inspect 查看"
        return Parsed(report, None, [], [], [])


class ParseCache:
    """Parsed files under <index>/cache/parsed/<key>.pickle, each written whole (temp file + rename)."""

    def __init__(self, settings: Settings, pipeline: str):
        self.folder = Path(settings.index_dir) / "cache" / "parsed"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.salt = f"{pipeline} {settings.chunks} ".encode()

    def key(self, job: FileJob) -> str:
        digest = hashlib.sha256(self.salt)
        digest.update(f"{job.path.name} {sorted(job.override.items())} {job.limits} ".encode())
        try:
            digest.update(job.path.read_bytes())
        except OSError as exc:  # unreadable now: parse it again (read_file reports why)
            digest.update(f"unreadable {exc.errno} {os.getpid()}".encode())
        return digest.hexdigest()[:32]

    def get(self, key: str) -> Parsed | None:
        try:
            with open(self.folder / f"{key}.pickle", "rb") as cached:
                parsed = pickle.load(cached)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError, ImportError):
            return None
        return parsed if isinstance(parsed, Parsed) else None

    def put(self, key: str, parsed: Parsed) -> None:
        tmp = self.folder / f".{key}.{os.getpid()}.tmp"
        with open(tmp, "wb") as out:
            pickle.dump(parsed, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.folder / f"{key}.pickle")

    def prune(self, keep: set[str]) -> None:
        """Forget files no longer in the corpus (or changed since)."""
        for path in self.folder.glob("*.pickle"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)


class CorpusReader:
    """`read_all` for `rag.corpus.load_plans`: cached parses first, the rest in a process pool,
    yielded in file order; every parse is kept (`parsed`) for the build and saved as it arrives."""

    def __init__(self, settings: Settings, pipeline: str, on_file=None, cluster=None):
        self.settings, self.cache = settings, ParseCache(settings, pipeline)
        self.cluster = cluster  # rag.cluster.Cluster: files parsed there instead of in local processes
        self.on_file = on_file  # called with each Parsed as it is ready (the progress bar)
        self.parsed: dict[str, Parsed] = {}  # by file name
        self.reused = 0  # files taken from the cache

    def __call__(self, jobs: list[FileJob]):
        keys = [self.cache.key(job) for job in jobs]
        done = {key: parsed for key in keys if (parsed := self.cache.get(key)) is not None}
        self.reused = len(done)
        self.cache.prune(set(keys))
        for parsed in done.values():
            self._arrived(parsed)
        for key, parsed in self._parse([(job, key) for job, key in zip(jobs, keys) if key not in done]):
            self.cache.put(key, parsed)  # at once: a build killed later does not read this file again
            done[key] = parsed
            self._arrived(parsed)
        for job, key in zip(jobs, keys):
            self.parsed[job.path.name] = done[key]
            yield done[key].report, done[key].plan

    def _arrived(self, parsed: Parsed) -> None:
        if self.on_file:
            self.on_file(parsed)

    def _parse(self, todo: list[tuple[FileJob, str]]):
        """(key, parse) of each of `todo` as it is ready: in worker processes when there is enough to read."""
        if self.cluster is not None:
            yield from self.cluster.parse(todo, self.settings.chunks)
            return
        workers = min(self.settings.build_workers or os.cpu_count() or 1, len(todo))
        if workers < 2 or sum(_size(job.path) for job, _ in todo) < PARALLEL_FROM_BYTES:
            yield from ((key, parse_file(job, self.settings.chunks)) for job, key in todo)
            return
        # spawn, not fork: a build may run inside the web app, whose threads fork would copy mid-flight
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(parse_file, job, self.settings.chunks): key for job, key in todo}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            finally:
                for future in futures:
                    future.cancel()


def _die_with_parent(parent: int) -> None:
    """Make this worker end when the build that started it ends: a killed build's workers would
    otherwise finish their file and then wait forever for the next (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker ends when its pipe closes
        return
    if os.getppid() != parent:  # the build was killed before the line above took effect
        os._exit(1)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
