"""Serving the index to many requests at once: the loaded index shared by concurrent answers, and
the index the app answers from, following the index folder's `current` build as it is replaced.

Beside rag.index (which builds and loads one build); nothing here knows about web pages.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from .errors import NotReady, UserError

log = logging.getLogger(__name__)

# Questions of every answer type: the chat's examples, and what is asked of every index before users are
# (ServedIndex.warm).
EXAMPLE_QUESTIONS = (
    "江门2030年可再生能源装机目标是多少？",
    "南昌2025年非化石能源消费比重目标是多少？",
    "各城市2025年非化石能源消费比重对比",
    "哪些城市提到了氢能？",
    "津市2030年光伏装机目标是多少？",
    "江门如何发展海上风电？",
)

# Requests answered at once by the web app (the embedding call is the only part that takes turns).
CONCURRENT_ANSWERS = 16


def load_or_build(settings):
    """Load the index; when it is missing or unusable, build it first (with progress), then load."""
    from .index import build_index, load_index

    try:
        return load_index(settings)
    except UserError as problem:  # IndexUnusable is a UserError
        print(f"索引不可用：{problem}", flush=True)
        print("正在构建索引（约需半分钟）……", flush=True)
        manifest = build_index(settings, progress=True).manifest
        print(f"索引已建成：{manifest.plans} 个方案，{manifest.chunks} 个段落，{manifest.targets} 条目标。", flush=True)
        return load_index(settings)


def shared_index(index):
    """`index` for a server answering many requests at once: the same loaded data (cached properties
    included), with `embed` taking turns — the model's tokenizer must not be used by two threads at once
    — and everything else running concurrently.

    Each request is one short question, so the embedding runtime (torch or onnxruntime) and faiss get
    one thread each: their own thread pools would only spin against the other concurrent requests for
    the same cores.
    """
    import copy

    import faiss

    from .embed import limit_threads

    limit_threads(1)
    faiss.omp_set_num_threads(1)
    shared = copy.copy(index)
    shared._embed_lock = threading.Lock()
    embed = type(index).embed

    def embed_in_turn(texts):
        with shared._embed_lock:
            return embed(shared, texts)

    shared.embed = embed_in_turn
    shared._shared = True
    return shared


class ServedIndex:
    """The index the app answers from, following the index folder's `current` build.

    It can be created before anything is loaded, so the app listens first: `current` waits until
    `load` has finished (a question that arrives early waits for the index rather than failing),
    and raises the load's UserError if it failed.

    Whoever switches `current` — `rag build` in a terminal, or a change in the 方案 tab — the next
    request sees it: one readlink per request notices the switch and one request (or the `follow`
    thread) loads the new build; requests that wait for the index wait for it too, those that do not
    (the JSON API) go on with the loaded one, which stays valid for requests already using it
    (everything was read into memory). A build that cannot be loaded is logged and not retried.
    """

    def __init__(self, settings, index=None, wait_seconds: float = 900, warm_questions: tuple[str, ...] = ()):
        self.settings = settings
        # asked of every index before users are (see `warm`): questions of each answer type
        self.warm_questions = tuple(warm_questions)
        self.changing = threading.Lock()  # one corpus change (upload, edit, removal, restore) at a time
        self.wait_seconds = wait_seconds  # how long a request waits for the first load
        self._index = None  # the shared index being served
        self._loaded = threading.Event()  # set when the first load finished, well or not
        self._problem = ""
        self._waiting = 0
        self._count = threading.Lock()
        self._reloading = threading.Lock()
        self._unloadable: set[str] = set()
        if index is not None:
            self._serve(index)

    def load(self, build: bool = True):
        """Load the current build — building it first when missing or stale, if `build` — and serve it.
        Requests waiting for the index go on; a UserError is kept for them and raised here too."""
        from .index import load_index

        try:
            index = load_or_build(self.settings) if build else load_index(self.settings)
        except UserError as problem:
            self._problem = str(problem)
            self._loaded.set()
            raise
        return self._serve(index)

    def follow(self, every_seconds: float = 1.0) -> None:
        """Look for a new build every `every_seconds` in a background thread, so that a process that is not
        asked anything meanwhile (one of `rag serve`'s workers) has loaded it before its next request."""

        def watch():
            while True:
                time.sleep(every_seconds)
                try:
                    self.serving(wait=False)
                except UserError:
                    pass  # not loaded yet, or unloadable: requests say so

        threading.Thread(target=watch, name="follow-current", daemon=True).start()

    def warm_up(self) -> None:
        """Warm the index being served (see `warm`); requests arriving meanwhile are answered, and wait for
        whatever they need that is still being loaded."""
        self.warm(self.current)

    def warm(self, index) -> None:
        """Ask `warm_questions` of `index`, so that the model, the tokenizer and every cache an answer
        builds on first use (per-index word statistics, place names …) exist before users ask: computed
        by one request under 16 concurrent ones they held every other request up for seconds."""
        from .answer import ask

        for question in self.warm_questions:
            try:
                ask(index, question)
            except Exception:  # a question the index cannot answer warms what it reached
                log.exception("warming the index with %r failed", question)

    @property
    def ready(self) -> bool:
        return self._index is not None

    @property
    def failed(self) -> bool:
        """The first load finished without an index to serve."""
        return self._loaded.is_set() and self._index is None

    @property
    def waiting(self) -> int:
        """Requests waiting for the first load now."""
        return self._waiting

    @property
    def current(self):
        """The index to answer from: waits for the first load (up to `wait_seconds`)."""
        return self.serving(wait=True)

    def serving(self, wait: bool):
        """The index to answer from, after loading a new build if `current` changed; without `wait`, NotReady
        at once while the first load is still going on (a program calling the JSON API retries later)."""
        from .index import CURRENT

        if not self._loaded.is_set() and not wait:
            raise NotReady("索引仍在加载或构建中，请稍后重试。")
        if not self._loaded.is_set():
            with self._count:
                self._waiting += 1
            try:
                loaded = self._loaded.wait(self.wait_seconds)
            finally:
                with self._count:
                    self._waiting -= 1
            if not loaded:
                raise NotReady("索引仍在加载或构建中，请稍后重试。")
        held = self._index
        if held is None:
            raise NotReady(self._problem or "索引不可用。")
        try:
            build = Path(os.readlink(Path(self.settings.index_dir) / CURRENT)).name
        except OSError:
            return held
        if build in (held.path.name, *self._unloadable):
            return held
        # a caller that waits also waits for a new build another thread is loading (a page opened after
        # `rag build` shows the new build, not the one it replaces); one that does not goes on with the held one
        if not self._reloading.acquire(blocking=wait, timeout=self.wait_seconds if wait else -1):
            return held
        try:
            if build in (self._index.path.name, *self._unloadable):  # loaded while this caller waited
                return self._index
            self.swap()
            log.info("loaded the new index build %s", build)
        except UserError as problem:
            self._unloadable.add(build)
            log.warning("new index build %s not loaded, still serving %s: %s", build, held.path.name, problem)
        finally:
            self._reloading.release()
        return self._index

    def swap(self) -> None:
        """Load the index just built, warm it, and answer from it from now on."""
        from .index import load_index

        fresh = shared_index(load_index(self.settings))
        if self._index is not None:
            fresh._embed_lock = self._index._embed_lock  # one model, one tokenizer lock
        self.warm(fresh)
        self._serve(fresh)

    def _serve(self, index):
        fresh = index if getattr(index, "_shared", False) else shared_index(index)
        if self._index is not None:
            fresh._embed_lock = self._index._embed_lock  # one model, one tokenizer lock
        self._index = fresh
        self._loaded.set()
        return fresh
