"""Index manifest, stale/mismatch detection and atomic builds."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from rag.config import ChunkSettings
from rag.index import IndexUnusable, load_index


def test_manifest_records_what_built_it(index):
    m = index.manifest
    assert m.model == "moka-ai/m3e-small" and m.dims == 512
    assert m.chunks == len(index.chunks) and m.plans == 5 and m.targets > 100
    assert m.chunk_size == ChunkSettings().size and len(m.corpus_fingerprint) == 64


def test_missing_index_says_how_to_build(settings, tmp_path):
    with pytest.raises(IndexUnusable, match="rag build"):
        load_index(replace(settings, index_dir=tmp_path / "nothing"))


def test_stale_index_answers_and_names_the_changed_file(index, settings, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    with open(corpus / "jinshi.txt", "a", encoding="utf-8") as f:
        f.write("\n新增一段内容。\n")
    stale = load_index(replace(settings, corpus_dir=corpus))  # a warning, not an outage (#18)
    assert any("jinshi.txt" in name for name in stale.not_indexed())
    assert "jinshi.txt" in stale.stale_notice() and "rag build" in stale.stale_notice()


def test_other_model_or_settings_detected(index, settings):
    with pytest.raises(IndexUnusable, match="不一致"):
        load_index(replace(settings, chunks=ChunkSettings(size=200)))
    with pytest.raises(IndexUnusable, match="不一致"):
        load_index(replace(settings, model="BAAI/bge-small-zh-v1.5"))


def test_corrupt_index_detected(index, settings, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy, symlinks=True)
    (copy / "current" / "chunks.jsonl").write_text("{broken", encoding="utf-8")
    with pytest.raises(IndexUnusable, match="损坏"):
        load_index(replace(settings, index_dir=copy))


def test_interrupted_build_leaves_previous_index_loadable(index, settings):
    before = json.loads((settings.index_dir / "current" / "manifest.json").read_text())
    env = dict(os.environ, RAG_INDEX=str(settings.index_dir), RAG_CORPUS=str(settings.corpus_dir))
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "build"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(8)  # mid-build: the model is embedding
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    reloaded = load_index(settings)
    assert reloaded.manifest.created == before["created"]
    assert len(reloaded.chunks) == before["chunks"]


def test_a_build_made_by_other_code_is_rebuilt_not_reused(index, settings, tmp_path):
    """The corpus alone being unchanged is not enough: new extraction code must reach the index."""
    from rag.index import build_index, pipeline_version

    local = replace(settings, index_dir=tmp_path / "index")
    shutil.copytree(settings.index_dir, local.index_dir, symlinks=True)
    assert build_index(local, progress=False).unchanged  # same corpus, same code: nothing to do
    manifest_path = local.index_dir / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["pipeline"] == pipeline_version()
    manifest["pipeline"] = "made-by-older-code"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = build_index(local, progress=False)
    assert not result.unchanged and result.embedded == 0  # rebuilt, every vector from the cache
    assert load_index(local).manifest.pipeline == pipeline_version()
