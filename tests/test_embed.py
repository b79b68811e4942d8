"""Embedding backends on the real model: the ONNX exports give PyTorch's vectors, exports are made
once into the models cache, and the embedding cache never mixes vectors of two backends; passages go in
token-length batches that change no vector; the default backend is measured once per machine, kept, and
overridable; an index embeds questions with the backend that built it."""
from __future__ import annotations

import subprocess
from pathlib import Path
from dataclasses import replace

import numpy as np
import pytest

from rag.cli import main
from rag.config import PROJECT_ROOT
import json

from rag.embed import AUTO, BACKENDS, CHOICE_FILE, chosen, embed_texts, embedder, exported_model, machine_key, token_batches
from rag.index import build_index, load_index, IndexUnusable

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


def test_token_batches_pad_each_pass_to_its_own_longest_text_within_the_budget():
    lengths = [12, 500, 30, 30, 7, 256, 256, 511, 3] * 20
    batches = token_batches(lengths, budget=2048, most=64)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        widest = max(lengths[i] for i in batch)
        assert lengths[batch[0]] == widest  # the first is the longest: the pass is padded to it
        assert len(batch) == 1 or widest * len(batch) <= 2048
        assert len(batch) <= 64
    order = [lengths[batch[0]] for batch in batches]
    assert order == sorted(order, reverse=True)
    # short texts share a pass with many others, long ones with few
    assert max(len(b) for b in batches if lengths[b[0]] <= 30) == 64 and len(batches[0]) <= 4


def test_batching_by_tokens_changes_no_vector(index, settings):
    texts = _texts(index)
    for backend in ("torch", "onnx"):
        model = embedder(settings.model, backend, str(settings.models_cache))
        together = model.encode(texts)
        one_by_one = np.concatenate([model.encode([t]) for t in texts[::5]])
        assert (together[::5] * one_by_one).sum(axis=1).min() > 0.9999, backend


def test_the_default_backend_is_measured_once_per_machine_and_kept(settings):
    auto = replace(settings, embed_backend=AUTO)  # the models cache of every test index: its exports are made
    kept = Path(settings.models_cache) / CHOICE_FILE
    before = kept.read_text() if kept.exists() else None
    try:
        kept.unlink(missing_ok=True)
        choice = chosen(auto, ["到2025年，非化石能源消费比重达到20%左右。"] * 4)
        assert choice.backend in BACKENDS and choice.threads >= 1
        measured = choice.tokens_per_second
        assert {key.split("/")[0] for key in measured} == set(BACKENDS)
        assert measured[f"{choice.backend}/{choice.threads}"] == max(measured.values())  # never slower than torch
        stored = json.loads(kept.read_text())
        assert stored[machine_key(settings.model_id)]["backend"] == choice.backend
        # kept: the next build reads it (a changed file shows it is read, not measured again)
        stored[machine_key(settings.model_id)]["backend"] = "torch"
        kept.write_text(json.dumps(stored))
        assert chosen(auto, []).backend == "torch"
        # RAG_EMBED_BACKEND names one: no measurement, no file read
        assert chosen(replace(auto, embed_backend="onnx"), []).backend == "onnx"
    finally:
        if before is None:
            kept.unlink(missing_ok=True)
        else:
            kept.write_text(before)


def test_an_index_embeds_questions_with_the_backend_that_built_it(settings, tmp_path):
    built = build_index(replace(settings, index_dir=tmp_path / "index", embed_backend="onnx"), progress=False)
    assert built.manifest.embed_backend == "onnx"
    loaded = load_index(replace(settings, index_dir=tmp_path / "index", embed_backend=AUTO))
    assert loaded.settings.embed_backend == "onnx"
    assert float(loaded.embed(["光伏"])[0] @ embedder(settings.model, "onnx", str(settings.models_cache)).encode(["光伏"])[0]) > 0.9999
    with pytest.raises(IndexUnusable, match="RAG_EMBED_BACKEND=onnx"):
        load_index(replace(settings, index_dir=tmp_path / "index", embed_backend="torch"))


def test_an_export_made_from_nothing_gives_pytorch_vectors(index, settings, tmp_path):
    folder = PROJECT_ROOT.parent / "shared" / "models" / "m3e-small"
    if not folder.is_dir():
        pytest.skip("the shared model folder is not beside the checkout")
    path = exported_model(folder, tmp_path / "models", quantized=False)  # a fresh machine's first build
    assert path.is_file()
    texts = _texts(index)[:6]
    fresh = embedder(str(folder), "onnx", str(tmp_path / "models")).encode(texts)
    assert (fresh * embedder(str(folder), "torch").encode(texts)).sum(axis=1).min() > 0.9999
