"""Serving the index to many requests at once: the loaded index shared by concurrent answers, and
the index the app answers from, following the index folder's `current` build as it is replaced.

Beside rag.index (which builds and loads one build); nothing here knows about web pages.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from .errors import UserError
from .index import Index

log = logging.getLogger(__name__)

# Requests answered at once by the web app (the embedding call is the only part that takes turns).
CONCURRENT_ANSWERS = 16


def load_or_build(settings):
    """Load the index; when it is missing or stale, build it first (with progress), then load."""
    from .index import build_index, load_index

    try:
        return load_index(settings)
    except UserError as problem:  # IndexUnusable is a UserError
        print(f"索引不可用：{problem}", flush=True)
        print("正在构建索引（约需半分钟）……", flush=True)
        manifest = build_index(settings, progress=True).manifest
        print(f"索引已建成：{manifest.plans} 个方案，{manifest.chunks} 个段落，{manifest.targets} 条目标。", flush=True)
        return load_index(settings)


class SharedIndex(Index):
    """The loaded index, answering many requests at once.

    Everything `ask` reads is read-only after loading, except the embedding
    model's tokenizer, which must not be used by two threads at once: only
    `embed` takes turns (a few milliseconds), the rest runs concurrently.
    """

    def embed(self, texts: list[str]):
        with self._embed_lock:
            return super().embed(texts)


def shared_index(index: Index) -> SharedIndex:
    """`index` for a server answering many requests at once.

    Each request is one short question, so torch and faiss get one thread each: their own
    thread pools would only spin against the other concurrent requests for the same cores.
    """
    import faiss
    import torch

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    shared = SharedIndex.__new__(SharedIndex)
    shared.__dict__.update(index.__dict__)  # the same loaded data, cached properties included
    shared._embed_lock = threading.Lock()
    return shared


class ServedIndex:
    """The index the app answers from, following the index folder's `current` build.

    Whoever switches `current` — `rag build` in a terminal, or an upload or removal in the 方案
    tab — the next request sees it: one readlink per request notices the switch, one request
    loads the new build while the others go on with the loaded one, which stays valid for
    requests already using it (everything was read into memory). A build that cannot be
    loaded is logged and not retried.
    """

    def __init__(self, index: Index):
        self._index = index if isinstance(index, SharedIndex) else shared_index(index)
        self._changing = threading.Lock()  # one upload or removal at a time
        self._reloading = threading.Lock()
        self._unloadable: set[str] = set()

    @property
    def current(self) -> SharedIndex:
        from .index import CURRENT

        held = self._index
        try:
            build = Path(os.readlink(Path(held.settings.index_dir) / CURRENT)).name
        except OSError:
            return held
        if build in (held.path.name, *self._unloadable) or not self._reloading.acquire(blocking=False):
            return held
        try:
            self.swap(held.settings)
            log.info("loaded the new index build %s", build)
        except UserError as problem:
            self._unloadable.add(build)
            log.warning("new index build %s not loaded, still serving %s: %s", build, held.path.name, problem)
        finally:
            self._reloading.release()
        return self._index

    def swap(self, settings) -> None:
        """Load the index just built and answer from it from now on."""
        from .index import load_index

        fresh = shared_index(load_index(settings, check_corpus=False))
        fresh._embed_lock = self._index._embed_lock  # one model, one tokenizer lock
        self._index = fresh

