"""One real index of the shipped corpus, built once per test session into a temp folder."""
from __future__ import annotations

import os
from dataclasses import replace

import pytest

from rag.config import PROJECT_ROOT, Settings
from rag.corpus import load_plans
from rag.index import build_index, load_index

# every index the tests build (in temporary folders, here and in subprocesses) shares one ONNX export
# of the model: the one `make test` exports for the project's own index
os.environ.setdefault("RAG_MODEL_CACHE", str(PROJECT_ROOT / "index" / "cache" / "models"))


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return replace(Settings(), corpus_dir=PROJECT_ROOT / "corpus", index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def index(settings):
    build_index(settings, progress=False)
    return load_index(settings)


@pytest.fixture(scope="session")
def plans():
    return {p.plan_id: p for p in load_plans(PROJECT_ROOT / "corpus")[0]}
