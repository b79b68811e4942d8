"""Embedding backends on the real model: the ONNX exports give PyTorch's vectors, exports are made
once into the models cache, and the embedding cache never mixes vectors of two backends."""
from __future__ import annotations

import subprocess
from dataclasses import replace

import numpy as np
import pytest

from rag.cli import main
from rag.config import PROJECT_ROOT
from rag.embed import BACKENDS, embed_texts, embedder, exported_model

QUESTIONS = ["江门2030年可再生能源装机目标是多少？", "光伏", "哪些城市提到了氢能"]


def _texts(index) -> list[str]:
    return [c.search_text() for c in index.chunks[::12]] + QUESTIONS


def test_onnx_vectors_are_pytorch_vectors(index, settings):
    texts = _texts(index)
    cache = str(settings.models_cache)
    reference = embedder(settings.model, "torch").encode(texts)
    fp32 = embedder(settings.model, "onnx", cache).encode(texts)
    int8 = embedder(settings.model, "onnx-int8", cache).encode(texts)
    assert reference.shape == fp32.shape == int8.shape == (len(texts), 512)
    for vectors in (fp32, int8):
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert (fp32 * reference).sum(axis=1).min() > 0.9999
    agreement = (int8 * reference).sum(axis=1)
    assert agreement.mean() > 0.99 and agreement.min() > 0.98
    # one text alone (a question) gets the vector it gets in a batch of longer texts: no padding leaks in
    # (int8 quantises each batch's activations with one range, so there the batch moves it a little)
    first = len(texts) - len(QUESTIONS)
    alone = embedder(settings.model, "onnx", cache).encode([QUESTIONS[0]])[0]
    assert float(alone @ fp32[first]) > 0.9999
    alone = embedder(settings.model, "onnx-int8", cache).encode([QUESTIONS[0]])[0]
    assert float(alone @ int8[first]) > 0.99


def test_exports_are_made_once_outside_the_repository(index, settings):
    folder = PROJECT_ROOT.parent / "shared" / "models" / "m3e-small"
    if not folder.is_dir():
        pytest.skip("the shared model folder is not beside the checkout")
    path = exported_model(folder, settings.models_cache, quantized=True)
    assert path.is_file() and path.name == "model-int8.onnx" and (path.parent / "model.onnx").is_file()
    stamp = path.stat().st_mtime_ns
    assert exported_model(folder, settings.models_cache, quantized=True) == path and path.stat().st_mtime_ns == stamp
    tracked = subprocess.run(["git", "ls-files", "--", "*.onnx"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert tracked.returncode == 0 and tracked.stdout == ""


def test_the_embedding_cache_keeps_backends_apart(index, settings, tmp_path):
    texts = _texts(index)[:6]
    onnx = replace(settings, index_dir=tmp_path / "index", embed_backend="onnx")
    first, embedded = embed_texts(onnx, texts)
    assert embedded == len(texts)
    again, embedded = embed_texts(onnx, texts)
    assert embedded == 0 and np.array_equal(first, again)  # from the cache
    quantized, embedded = embed_texts(replace(onnx, embed_backend="onnx-int8"), texts)
    assert embedded == len(texts)  # none of the fp32 vectors were taken for int8 ones
    assert not np.array_equal(first, quantized)


def test_an_unknown_backend_is_refused_in_one_sentence(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("RAG_EMBED_BACKEND", "tensorflow")
    assert main(["build", "--index", str(tmp_path / "index")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("错误：RAG_EMBED_BACKEND 应是") and all(b in error for b in BACKENDS)
    assert error.count("\n") == 1
