"""Bulk builds on real files: parallel parsing, per-stage report, and a build killed mid-way that its
successor resumes without reading or embedding again what was finished.

The corpus is the shipped plans plus three of the real PDFs, read in place from ../shared/realpdfs
(never copied into the repository): enough bytes that the parse runs in a process pool.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.config import PROJECT_ROOT
from rag.embed import chosen
from rag.index import build_index, load_index
from rag.parsing import PARALLEL_FROM_BYTES

REAL_PDFS = PROJECT_ROOT.parent / "shared" / "realpdfs"
PDFS = ("fujian-datacenter-5g.pdf", "guizhou-public-institutions.pdf", "dazhou-1n-workplan.pdf")


@pytest.fixture
def corpus(settings, tmp_path) -> Path:
    if not all((REAL_PDFS / name).is_file() for name in PDFS):
        pytest.skip("../shared/realpdfs is not beside the checkout")
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in [*Path(settings.corpus_dir).iterdir(), *(REAL_PDFS / name for name in PDFS)]:
        (folder / path.name).symlink_to(path)  # read in place
    assert sum(p.stat().st_size for p in folder.iterdir()) >= PARALLEL_FROM_BYTES
    return folder


def _seed_caches(settings, index_dir: Path) -> None:
    """The session index's embedding cache, so only the PDFs' passages are embedded here."""
    (index_dir / "cache").mkdir(parents=True)
    source = Path(settings.index_dir) / "cache" / "embeddings.sqlite"
    (index_dir / "cache" / "embeddings.sqlite").write_bytes(source.read_bytes())


def _embedded_rows(index_dir: Path) -> int:
    try:
        with sqlite3.connect(index_dir / "cache" / "embeddings.sqlite", timeout=30) as db:
            return db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_build_json_reports_stages_pages_and_the_parse_cache(index, settings, corpus, tmp_path):
    index_dir = tmp_path / "index"
    _seed_caches(settings, index_dir)
    env = dict(os.environ, RAG_CORPUS=str(corpus), RAG_INDEX=str(index_dir))
    run = subprocess.run([sys.executable, "-m", "rag.cli", "build", "--json"], env=env, capture_output=True, text=True,
                         timeout=1800)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert list(report["stages"]) == ["parse", "embed", "lexical", "targets", "vectors", "write"]
    assert all(seconds >= 0 for seconds in report["stages"].values())
    pages = {f["file"]: f["pages"] for f in report["files"]}
    assert pages["fujian-datacenter-5g.pdf"] == 4 and pages["dazhou-1n-workplan.pdf"] == 5 and pages["jiangmen.txt"] == 0  # a text file has no pages
    assert report["reused_files"] == 0 and report["manifest"]["embed_backend"] == chosen(settings, []).backend
    assert report["manifest"]["vector_index"] == "flat" and report["manifest"]["recall_at_5"] == 1.0
    # a forced rebuild reads no file again and embeds nothing
    again = build_index(replace(settings, corpus_dir=corpus, index_dir=index_dir), progress=False, force=True)
    assert again.reused_files == len(PDFS) + 5 and again.embedded == 0


def test_a_killed_build_resumes_without_reading_or_embedding_again(index, settings, corpus, tmp_path):
    index_dir = tmp_path / "index"
    _seed_caches(settings, index_dir)
    seeded = _embedded_rows(index_dir)
    local = replace(settings, corpus_dir=corpus, index_dir=index_dir)
    _kill_build_mid_embedding(corpus, index_dir, seeded)
    kept = _embedded_rows(index_dir)
    assert not (index_dir / "current").exists()  # nothing half-built was switched in

    resumed = build_index(local, progress=False)
    assert resumed.reused_files == len(PDFS) + 5  # no file read again
    after = _embedded_rows(index_dir)
    # exactly the passages the killed build had not committed were embedded: none twice
    assert kept - seeded >= 16 and resumed.embedded == after - kept < after - seeded
    answer = load_index(local)
    assert {c.plan_id for c in answer.chunks} >= {"fujian-datacenter-5g.pdf", "jiangmen"}  # ids by exact file


def _workers(pid: int) -> set[int]:
    """The parse workers among a process's children."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            try:
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.add(child)
            except OSError:
                pass
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_parse_workers_end_with_a_killed_build_and_the_files_they_finished_are_kept(index, settings, corpus, tmp_path):
    index_dir = tmp_path / "index"
    env = dict(os.environ, RAG_CORPUS=str(corpus), RAG_INDEX=str(index_dir))
    build = subprocess.Popen([sys.executable, "-m", "rag.cli", "build", "--json"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    workers: set[int] = set()
    while not workers:
        assert build.poll() is None and time.monotonic() < deadline
        workers = _workers(build.pid)
        time.sleep(0.05)
    os.kill(build.pid, signal.SIGKILL)  # the build alone: its workers must not live on
    build.wait()
    deadline = time.monotonic() + 30
    while any(_alive(w) for w in workers):
        assert time.monotonic() < deadline, "parse workers outlived their build"
        time.sleep(0.2)
    kept = len(list((index_dir / "cache" / "parsed").glob("*.pickle")))
    resumed = build_index(replace(settings, corpus_dir=corpus, index_dir=index_dir), progress=False)
    assert resumed.reused_files == kept and resumed.manifest.plans == len(PDFS) + 5


# ---------------------------------------------------------------- rag build --cluster (a local Ray cluster)

def _index_files(index_dir: Path) -> dict:
    current = index_dir / "current"
    with sqlite3.connect(current / "targets.sqlite") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        targets = {t: sorted(map(repr, db.execute(f"SELECT * FROM {t}"))) for t in tables}
    return {"chunks": (current / "chunks.jsonl").read_text(encoding="utf-8"),
            "plans": (current / "plans.jsonl").read_text(encoding="utf-8"), "targets": targets,
            "vectors": np.load(current / "vectors.npy")}


def test_a_cluster_build_writes_the_index_a_local_build_writes(index, settings, corpus, tmp_path):
    pytest.importorskip("ray")
    built = {}
    for name, extra in (("local", []), ("cluster", ["--cluster", "local"])):
        index_dir = tmp_path / name
        _seed_caches(settings, index_dir)  # the shipped plans' vectors: the PDFs' passages are embedded by each
        env = dict(os.environ, RAG_CORPUS=str(corpus), RAG_INDEX=str(index_dir))
        run = subprocess.run([sys.executable, "-m", "rag", "build", "--json", *extra], env=env, capture_output=True,
                             text=True, timeout=1800)
        assert run.returncode == 0, run.stderr[-2000:]
        report = json.loads(run.stdout)
        assert report["embedded"] > 0 and report["reused_files"] == 0
        built[name] = _index_files(index_dir)
    local, cluster = built["local"], built["cluster"]
    assert cluster["chunks"] == local["chunks"] and cluster["plans"] == local["plans"]
    assert cluster["targets"] == local["targets"]
    assert cluster["vectors"].shape == local["vectors"].shape
    assert (cluster["vectors"] * local["vectors"]).sum(axis=1).min() >= 0.9999


def test_a_killed_cluster_build_resumes_without_reading_or_embedding_again(index, settings, corpus, tmp_path):
    pytest.importorskip("ray")
    index_dir = tmp_path / "index"
    _seed_caches(settings, index_dir)
    seeded = _embedded_rows(index_dir)
    _kill_build_mid_embedding(corpus, index_dir, seeded, cluster="local")  # the driver and its local cluster
    kept = _embedded_rows(index_dir)
    assert not (index_dir / "current").exists()

    resumed = build_index(replace(settings, corpus_dir=corpus, index_dir=index_dir, cluster="local"), progress=False)
    assert resumed.reused_files == len(PDFS) + 5  # no file parsed again
    after = _embedded_rows(index_dir)
    assert kept - seeded >= 16 and resumed.embedded == after - kept < after - seeded  # nothing embedded twice
    assert len(load_index(replace(settings, corpus_dir=corpus, index_dir=index_dir)).chunks) == resumed.manifest.chunks


def test_a_cluster_that_does_not_answer_is_one_chinese_sentence_and_changes_nothing(settings, tmp_path):
    pytest.importorskip("ray")
    env = dict(os.environ, RAG_CORPUS=str(settings.corpus_dir), RAG_INDEX=str(tmp_path / "index"))
    for address, words in (("127.0.0.1:1", "无法连接 Ray 集群"), ("nonsense", "集群地址应是")):
        run = subprocess.run([sys.executable, "-m", "rag", "build", "--cluster", address], env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 2 and run.stderr.startswith("错误：") and words in run.stderr, run.stderr
        assert run.stderr.count("\n") == 1
        assert not (tmp_path / "index" / "current").exists()


def _kill_build_mid_embedding(corpus: Path, index_dir: Path, seeded: int, cluster: str = "") -> None:
    """Start a build of `corpus` into `index_dir` in its own process group (small embedding steps, so the kill
    lands between committed steps) and SIGKILL the group — the build, its parse workers or the local cluster
    it started — once every file is parsed and 16 passages more than `seeded` are embedded."""
    code = ("import sys; from dataclasses import replace; from pathlib import Path; from rag.config import Settings; "
            "from rag.index import build_index; "
            "build_index(replace(Settings(), corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), embed_step=8, "
            "cluster=sys.argv[3]), progress=False)")
    build = subprocess.Popen([sys.executable, "-c", code, str(corpus), str(index_dir), cluster], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 900
    parsed = index_dir / "cache" / "parsed"
    while _embedded_rows(index_dir) < seeded + 16 or len(list(parsed.glob("*.pickle"))) < len(PDFS) + 5:
        assert build.poll() is None, build.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    build.stderr.close()
