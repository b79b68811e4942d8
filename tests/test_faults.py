"""Fault injection (#11): bad corpus files, bad plans.json, broken indexes, bad questions and arguments.

Every case asserts the documented exit code, a one-line Chinese message without a
traceback, and that the last good index still answers a known question. The good
index is the session index (conftest), copied once per module into a folder with its
own copy of the corpus; each destructive case works on a cheap copy of that folder.
The CLI runs in-process through `rag.cli.main` (the same code path as the `rag`
command, one model load); only killed builds and the concurrent reader need a real
`rag build` process.

Exit codes: 0 done (a bad corpus file is skipped and reported), 1 `--strict` build
with a skipped file, 2 refused (bad input, unusable corpus, plans.json or index).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fuzzing import docx_structure, sample_docx
from pdfmaker import paragraph, write_pdf

from rag.answer import ask
from rag.cli import main
from rag.config import Settings
from rag.index import build_index, load_index

QUESTION = "江门2030年可再生能源装机目标是多少？"
EXPECTED = "700万千瓦"
CJK = re.compile(r"[\u4e00-\u9fff]")
NOBODY = 65534


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Folder:
    """A corpus copy and an index copy that belong together."""

    root: Path

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def build(self) -> Path:
        return (self.index / "current").resolve()

    def rag(self, *args: str) -> Run:
        return cli(*args, "--corpus", str(self.corpus), "--index", str(self.index))

    def created(self) -> str:
        return json.loads((self.index / "current" / "manifest.json").read_text(encoding="utf-8"))["created"]


def cli(*args: str) -> Run:
    """`rag ARGS` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
    return Run(code, out.getvalue(), err.getvalue())


def assert_refused(run: Run, code: int, expect: str) -> None:
    """Exit code as documented; one plain Chinese line on stderr naming the problem."""
    assert run.code == code, (run.code, run.err[-500:])
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err[-1000:]
    assert CJK.search(lines[0]) and "Traceback" not in run.err and expect in lines[0], lines[0][:300]
    assert len(lines[0]) < 400, lines[0][:400]


def assert_answers(index_dir: Path, corpus: Path) -> None:
    """The index in `index_dir` loads and answers the known question correctly."""
    index = load_index(replace(Settings(), corpus_dir=corpus, index_dir=index_dir))
    assert EXPECTED in ask(index, QUESTION).answer


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> tuple[Path, Path]:
    """Where the good folder is kept, and the one path every destructive case works in.

    The good index is built for a corpus at the case path, so in a case `rag build` sees
    the corpus it was built from, as it would in place (a changed path alone forces a rebuild).
    """
    root = tmp_path_factory.mktemp("faults")
    return root / "good", root / "case"


@pytest.fixture(scope="module")
def good(index, settings, places) -> Folder:
    """The good index and its corpus (never modified); built from the session index, so only reuse of its vectors."""
    good_path, case_path = places
    work = Folder(case_path)
    shutil.copytree(settings.corpus_dir, work.corpus)
    shutil.copytree(settings.index_dir, work.index, symlinks=True)
    build_index(replace(settings, corpus_dir=work.corpus, index_dir=work.index), progress=False)
    shutil.move(case_path, good_path)
    return Folder(good_path)


@pytest.fixture
def case(good, places) -> Folder:
    """A fresh copy of the good folder, at the path its index was built for, for one destructive case."""
    case_path = places[1]
    if case_path.exists():
        for path in (case_path, *case_path.rglob("*")):  # a case may leave read-only folders behind
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(case_path)
    shutil.copytree(good.root, case_path, symlinks=True)
    return Folder(case_path)


@pytest.fixture(autouse=True)
def good_index_still_answers(request):
    """After every case, the module's good index answers as before."""
    yield
    if "good" in request.fixturenames:
        good = request.getfixturevalue("good")
        assert_answers(good.index, good.corpus)


@contextlib.contextmanager
def as_nobody():
    """Run the block without root's right to ignore file permissions (a no-op for other users)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def open_up(folder: Folder) -> None:
    """Let the unprivileged user reach and write the case folder (root-only temp parents included)."""
    path = folder.root
    while path != path.parent:
        if os.stat(path).st_uid == os.geteuid() and path.is_dir():
            path.chmod(path.stat().st_mode | 0o755)
        path = path.parent
    for dirpath, dirnames, filenames in os.walk(folder.root):
        os.chmod(dirpath, 0o777)
        for name in filenames:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(dirpath, name), 0o666)


# ---------------------------------------------------------------- corpus files

JIANGMEN = "jiangmen.txt"


def _text(folder: Folder) -> str:
    return (folder.corpus / JIANGMEN).read_text(encoding="utf-8")


def _huge(folder: Folder, monkeypatch) -> None:
    monkeypatch.setenv("RAG_MAX_FILE_MB", "1")
    (folder.corpus / "huge.txt").write_text(_text(folder) * 30, encoding="utf-8")


def _symlink_loop(folder: Folder, _mp) -> None:
    (folder.corpus / "loop-a.txt").symlink_to("loop-b.txt")
    (folder.corpus / "loop-b.txt").symlink_to("loop-a.txt")


def _dir_named_txt(folder: Folder, _mp) -> None:
    (folder.corpus / "x.txt").mkdir()
    (folder.corpus / "x.txt" / "inner.txt").write_text("不是方案", encoding="utf-8")


# (id, how to spoil the corpus copy, exit code of `rag build`, text the build report must show)
CORPUS_CASES = [
    ("gbk-encoding", lambda f, _: (f.corpus / "gbk.txt").write_bytes(_text(f).encode("gbk", "replace")), 0, "[收录] gbk.txt"),
    ("utf16-encoding", lambda f, _: (f.corpus / "utf16.txt").write_bytes(_text(f).encode("utf-16")), 0, "[收录] utf16.txt"),
    ("big5-encoding", lambda f, _: (f.corpus / "big5.txt").write_bytes("江門市碳達峰實施方案。到2030年，風電裝機達到100萬千瓦，全面推進綠色低碳發展。".encode("big5")), 0, "big5.txt"),
    ("empty-file", lambda f, _: (f.corpus / "empty.txt").write_bytes(b""), 0, "[跳过] empty.txt：文件为空"),
    ("whitespace-file", lambda f, _: (f.corpus / "blank.txt").write_text(" \n\t\n" * 100, encoding="utf-8"), 0, "[跳过] blank.txt"),
    ("binary-file", lambda f, _: (f.corpus / "binary.txt").write_bytes(bytes(range(256)) * 400), 0, "[跳过] binary.txt"),
    ("png-named-txt", lambda f, _: (f.corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4000)), 0, "[跳过] image.txt"),
    ("fake-pdf", lambda f, _: (f.corpus / "fake.pdf").write_text("这不是 PDF", encoding="utf-8"), 0, "[跳过] fake.pdf"),
    ("fake-docx", lambda f, _: (f.corpus / "fake.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 100), 0, "[跳过] fake.docx"),
    ("huge-file", _huge, 0, "上限为 1 MB"),
    ("duplicate-content", lambda f, _: shutil.copy(f.corpus / JIANGMEN, f.corpus / "jiangmen copy.txt"), 0,
     "[跳过] jiangmen copy.txt：与 jiangmen.txt 的正文相同"),
    ("name-with-spaces", lambda f, _: shutil.copy(f.corpus / "jinshi.txt", f.corpus / "津市 方案 副本.txt"), 0, "津市 方案 副本.txt"),
    ("unicode-name", lambda f, _: shutil.copy(f.corpus / "jinshi.txt", f.corpus / "津市碳达峰—方案①.txt"), 0, "津市碳达峰—方案①.txt"),
    ("leading-dash-name", lambda f, _: shutil.copy(f.corpus / "jinshi.txt", f.corpus / "-jinshi.txt"), 0, "-jinshi.txt"),
    ("dir-named-x.txt", _dir_named_txt, 0, "[跳过] x.txt：是一个子目录"),
    ("symlink-loop", _symlink_loop, 0, "[跳过] loop-a.txt：符号链接无法打开（符号链接循环）"),
    ("dangling-symlink", lambda f, _: (f.corpus / "gone.txt").symlink_to("nowhere.txt"), 0, "[跳过] gone.txt：符号链接无法打开（不存在）"),
]


@pytest.mark.parametrize("spoil,code,expect", [c[1:] for c in CORPUS_CASES], ids=[c[0] for c in CORPUS_CASES])
def test_bad_corpus_file_is_reported_and_the_rest_indexed(case, monkeypatch, spoil, code, expect):
    spoil(case, monkeypatch)
    run = case.rag("build")
    assert run.code == code and "Traceback" not in run.err, run.err[-2000:]
    assert expect in run.out, run.out[-2000:]
    assert all(CJK.search(line) for line in run.out.strip().splitlines())
    assert_answers(case.index, case.corpus)


def test_strict_build_exits_1_on_a_skipped_file(case):
    (case.corpus / "empty.txt").write_bytes(b"")
    run = case.rag("build", "--strict")
    assert run.code == 1 and "[跳过] empty.txt：文件为空" in run.out
    assert_answers(case.index, case.corpus)


def test_corpus_without_plans_is_refused(case):
    before = case.created()
    for path in case.corpus.iterdir():
        path.unlink()
    (case.corpus / "empty.txt").write_bytes(b"")
    assert_refused(case.rag("build", "--json"), 2, "没有可以收录的方案文件")
    assert case.created() == before
    assert_answers(case.index, case.corpus)


def test_unreadable_file_is_skipped(case):
    (case.corpus / "secret.txt").write_text(_text(case), encoding="utf-8")
    open_up(case)
    (case.corpus / "secret.txt").chmod(0)
    with as_nobody():
        run = case.rag("build")
    assert run.code == 0 and "Traceback" not in run.err, run.err[-2000:]
    assert "[跳过] secret.txt" in run.out, run.out
    assert_answers(case.index, case.corpus)


# ---------------------------------------------------------------- plans.json

# (id, plans.json content, text the one-line refusal must contain)
PLANS_JSON_CASES = [
    ("syntax-error", '{"jiangmen.txt": {"place": "江门市",}', "不是有效的 JSON"),
    ("empty-file", "", "不是有效的 JSON"),
    ("top-level-list", '[{"file": "jiangmen.txt"}]', "顶层应是对象"),
    ("entry-is-string", '{"jiangmen.txt": "江门市"}', "条目应是对象"),
    ("place-is-number", '{"jiangmen.txt": {"place": 123}}', "应是字符串"),
    ("unknown-key", '{"jiangmen.txt": {"population": "480万"}}', "未知字段"),
    ("bad-level", '{"jiangmen.txt": {"level": "galaxy"}}', "level"),
    ("bad-date", '{"jiangmen.txt": {"issued": "2022年3月"}}', "YYYY-MM-DD"),
    ("bad-plan-id", '{"jiangmen.txt": {"plan_id": "../x"}}', "plan_id"),
]


@pytest.mark.parametrize("content,expect", [c[1:] for c in PLANS_JSON_CASES], ids=[c[0] for c in PLANS_JSON_CASES])
def test_invalid_plans_json_refused_before_building(case, content, expect):
    before = case.created()
    (case.corpus / "plans.json").write_text(content, encoding="utf-8")
    assert_refused(case.rag("build", "--force"), 2, expect)
    assert case.created() == before
    assert_answers(case.index, case.corpus)


def test_plans_json_not_utf8_refused(case):
    before = case.created()
    (case.corpus / "plans.json").write_bytes('{"jiangmen.txt": {"place": "江门市"}}'.encode("gbk"))
    assert_refused(case.rag("build"), 2, "不是有效的 JSON")
    assert case.created() == before


def test_plans_json_entry_for_missing_file_is_reported(case):
    (case.corpus / "plans.json").write_text('{"nowhere.txt": {"place": "江门市"}}', encoding="utf-8")
    run = case.rag("build")
    assert run.code == 0 and "[跳过] nowhere.txt：plans.json 中有 nowhere.txt 的条目" in run.out, run.out
    assert_answers(case.index, case.corpus)


# ---------------------------------------------------------------- index


def _truncate(name: str):
    def spoil(folder: Folder) -> None:
        path = folder.build / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return spoil


def _garble(name: str):
    def spoil(folder: Folder) -> None:
        path = folder.build / name
        path.write_bytes(os.urandom(path.stat().st_size or 100))
    return spoil


def _remove(name: str):
    def spoil(folder: Folder) -> None:
        path = folder.build / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return spoil


def _bm25_file(spoil_file):
    def spoil(folder: Folder) -> None:
        for path in sorted((folder.build / "bm25").iterdir()):
            spoil_file(path)
    return spoil


def _current_nowhere(folder: Folder) -> None:
    (folder.index / "current").unlink()
    (folder.index / "current").symlink_to("builds/vanished")


def _current_is_file(folder: Folder) -> None:
    (folder.index / "current").unlink()
    (folder.index / "current").write_text("builds/x", encoding="utf-8")


def _manifest_other_format(folder: Folder) -> None:
    path = folder.build / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), "format_version": 99}), encoding="utf-8")


def _manifest_wrong_counts(folder: Folder) -> None:
    path = folder.build / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), "chunks": 3}), encoding="utf-8")


# (id, how to break the build folder, text the one-line refusal of `rag ask` must contain); exit code 2
INDEX_CASES = [
    ("manifest-truncated", _truncate("manifest.json"), "rag build"),
    ("manifest-missing", _remove("manifest.json"), "rag build"),
    ("manifest-not-json", _garble("manifest.json"), "rag build"),
    ("manifest-other-format", _manifest_other_format, "格式版本"),
    ("manifest-wrong-counts", _manifest_wrong_counts, "不一致"),
    ("vectors-truncated", _truncate("vectors.npy"), "损坏"),
    ("vectors-missing", _remove("vectors.npy"), "损坏"),
    ("vectors-garbage", _garble("vectors.npy"), "损坏"),
    ("chunks-truncated", _truncate("chunks.jsonl"), "rag build"),
    ("chunks-missing", _remove("chunks.jsonl"), "损坏"),
    ("plans-truncated", _truncate("plans.jsonl"), "rag build"),
    ("plans-missing", _remove("plans.jsonl"), "损坏"),
    ("bm25-missing", _remove("bm25"), "损坏"),
    ("bm25-truncated", _bm25_file(lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])), "损坏"),
    ("targets-garbage", _garble("targets.sqlite"), "损坏"),
    ("targets-truncated", _truncate("targets.sqlite"), "损坏"),
    ("targets-missing", _remove("targets.sqlite"), "损坏"),
    ("current-missing", lambda f: (f.index / "current").unlink(), "rag build"),
    ("current-points-nowhere", _current_nowhere, "rag build"),
    ("current-is-a-file", _current_is_file, "rag build"),
]


@pytest.mark.parametrize("spoil,expect", [c[1:] for c in INDEX_CASES], ids=[c[0] for c in INDEX_CASES])
def test_broken_index_refused_then_rebuilt(case, spoil, expect):
    spoil(case)
    assert_refused(case.rag("ask", QUESTION), 2, expect)
    assert_refused(case.rag("targets", "--city", "江门"), 2, expect)
    run = case.rag("build", "--json")  # a broken index is never taken for an up-to-date one
    assert run.code == 0, run.err[-2000:]
    assert EXPECTED in case.rag("ask", QUESTION).out


def test_read_only_index_dir_still_answers_but_refuses_a_build(case):
    before = case.created()
    open_up(case)
    case.index.chmod(0o555)
    try:
        with as_nobody():
            assert_refused(case.rag("build", "--force"), 2, "不可写")
            run = case.rag("ask", QUESTION)
        assert run.code == 0 and EXPECTED in run.out, run.err
    finally:
        case.index.chmod(0o755)
    assert case.created() == before


def test_index_path_that_is_a_file(case):
    target = case.root / "index-file"
    target.write_text("x", encoding="utf-8")
    run = cli("build", "--corpus", str(case.corpus), "--index", str(target))
    assert_refused(run, 2, "不是目录")
    assert_refused(cli("ask", QUESTION, "--index", str(target)), 2, "rag build")
    assert target.read_text(encoding="utf-8") == "x"


def _rag_process(folder: Folder, *args: str) -> subprocess.Popen:
    env = dict(os.environ, RAG_INDEX=str(folder.index), RAG_CORPUS=str(folder.corpus))
    return subprocess.Popen([sys.executable, "-m", "rag.cli", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


# (id, seconds after start, drop the embedding cache first so the kill lands while embedding)
KILL_CASES = [("kill-while-starting", 0.2, False), ("kill-while-reading", 2.5, False),
              ("kill-while-writing", 4.0, False), ("kill-while-embedding", 12.0, True)]


@pytest.mark.parametrize("delay,cold", [c[1:] for c in KILL_CASES], ids=[c[0] for c in KILL_CASES])
def test_killed_build_leaves_the_last_good_index(case, delay, cold):
    before = case.created()
    if cold:
        shutil.rmtree(case.index / "cache")
    proc = _rag_process(case, "build", "--force", "--json")
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    if case.created() != before:  # the build switched before the kill landed (a forced build from the caches
        assert_answers(case.index, case.corpus)  # can be that quick): the index it switched to is whole
    run = case.rag("ask", QUESTION)
    assert run.code == 0 and EXPECTED in run.out, run.err[-2000:]
    if not cold:
        run = case.rag("build", "--force", "--json")
        assert run.code == 0, run.err[-2000:]
        assert not list((case.index / "builds").glob(".tmp-*")), "a killed build's half-written folder is cleaned up"
        assert_answers(case.index, case.corpus)


def test_asks_during_rebuilds_always_answer(case):
    """Readers load and answer while two forced rebuilds replace `current` (and delete old builds)."""
    builds = [_rag_process(case, "build", "--force", "--json") for _ in range(2)]
    answered = 0
    while any(p.poll() is None for p in builds) or answered < 3:
        run = case.rag("ask", QUESTION)
        assert run.code == 0 and EXPECTED in run.out, run.err[-2000:]
        answered += 1
    for proc in builds:
        _, err = proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
    assert len([b for b in (case.index / "builds").iterdir() if not b.name.startswith(".")]) <= 3  # 2 + one being read


# ---------------------------------------------------------------- questions and arguments

# (id, argv after `rag`, exit code, text the one-line message must contain); run against the good index
ARG_CASES = [
    ("empty-question", ["ask", ""], 2, "问题为空"),
    ("whitespace-question", ["ask", " \t\u3000 "], 2, "问题为空"),
    ("punctuation-only", ["ask", "？？！。，、…"], 2, "只有标点"),
    ("100k-question", ["ask", "光伏" * 50_000], 2, "问题过长"),
    ("nul-and-controls", ["ask", "江门\x00\x07\x1b[31m光伏\x7f"], 0, ""),
    ("bidi-controls", ["ask", "\u202e江门2030年可再生能源装机目标是多少？\u202c"], 0, EXPECTED),
    ("stopwords-only", ["ask", "的了是什么"], 0, ""),
    ("k-zero", ["ask", QUESTION, "--k", "0"], 2, "--k"),
    ("k-negative", ["ask", QUESTION, "--k", "-1"], 2, "--k"),
    ("k-not-a-number", ["ask", QUESTION, "--k", "abc"], 2, "--k"),
    ("k-huge", ["ask", QUESTION, "--k", "99999999999999999999"], 2, "--k"),
    ("unknown-city", ["ask", "光伏目标", "--city", "火星市"], 2, "未知城市"),
    ("huge-city", ["ask", "光伏目标", "--city", "深" * 100_000], 2, "RAG_MAX_FIELD_CHARS"),
    ("city-with-newline", ["ask", "光伏目标", "--city", "火星\n市"], 2, "未知城市"),
    ("targets-unknown-city", ["targets", "--city", "火星市"], 2, "未知城市"),
    ("targets-year-not-a-number", ["targets", "--year", "明年"], 2, "--year"),
    ("no-question-no-batch", ["ask"], 2, "请给出一个问题"),
    ("no-command", [], 2, "rag"),
    ("unknown-command", ["frobnicate"], 2, "frobnicate"),
    ("unknown-option", ["ask", QUESTION, "--bogus"], 2, "--bogus"),
    ("remove-unknown-plan", ["remove", "no-such-plan"], 2, "没有编号为"),
    ("add-missing-file", ["add", "/nonexistent/plan.txt"], 2, "文件不存在"),
]


@pytest.mark.parametrize("argv,code,expect", [c[1:] for c in ARG_CASES], ids=[c[0] for c in ARG_CASES])
def test_bad_question_or_argument(good, argv, code, expect):
    run = good.rag(*argv)
    if code:
        assert_refused(run, code, expect)
    else:
        assert run.code == 0 and "Traceback" not in run.err, run.err[-1000:]
        assert run.out.startswith("问：") and "答：" in run.out and expect in run.out, run.out[:500]
        assert "\x00" not in run.out and "\u202e" not in run.out


def _batch(tmp_path: Path, content: bytes | None) -> str:
    path = tmp_path / "questions.txt"
    if content is not None:
        path.write_bytes(content)
    return str(path)


# (id, file content or None for a missing file, exit code, text the one-line message must contain)
BATCH_CASES = [
    ("batch-missing", None, 2, "问题文件不存在"),
    ("batch-binary", bytes(range(256)) * 20, 2, "不是 UTF-8"),
    ("batch-empty", b"", 2, "没有问题"),
    ("batch-blank-lines", b"\n  \n\t\n", 2, "没有问题"),
    ("batch-is-a-directory", b"dir", 2, "问题文件"),
]


@pytest.mark.parametrize("content,code,expect", [c[1:] for c in BATCH_CASES], ids=[c[0] for c in BATCH_CASES])
def test_bad_batch_file(good, tmp_path, content, code, expect):
    path = _batch(tmp_path, None if content in (None, b"dir") else content)
    if content == b"dir":
        Path(path).mkdir()
    assert_refused(good.rag("ask", "--batch", path), code, expect)


def test_batch_with_a_bad_line_answers_the_good_ones(good, tmp_path):
    lines = [QUESTION, "光伏" * 1000, "？？？", "南昌2025年非化石能源消费比重"]
    path = _batch(tmp_path, "\n".join(lines).encode("utf-8"))
    run = good.rag("ask", "--batch", path, "--json")
    assert run.code == 0 and "Traceback" not in run.err
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert [r["question"][:10] for r in rows] == [q[:10] for q in lines]
    assert EXPECTED in rows[0]["answer"] and rows[3]["found"]
    assert "问题过长" in rows[1]["error"] and "标点" in rows[2]["error"]


# ---------------------------------------------------------------- the web app's /ask and /targets

WEB_QUESTIONS = [
    ("empty", ""), ("whitespace", " \t "), ("punctuation", "？？！。"), ("stopwords", "的了是什么"),
    ("100k", "光伏" * 50_000), ("nul-controls", "江门\x00\x07光伏\x7f"), ("bidi", "\u202e江门光伏\u202c"),
    ("html", "<script>alert(1)</script>"), ("none", None),
]
INTERNALS = ("Traceback", "gradio", "Exception", "Error:", "File \"")


@pytest.fixture(scope="module")
def served(good, tmp_path_factory) -> Folder:
    """The folder the app serves: a copy of the good one, so a rebuild under the app touches nothing else."""
    folder = Folder(tmp_path_factory.mktemp("served") / "app")
    shutil.copytree(good.root, folder.root, symlinks=True)
    return folder


@pytest.fixture(scope="module")
def web(served):
    gradio_client = pytest.importorskip("gradio_client")
    from apphelpers import running_app

    env = {"RAG_INDEX": str(served.index), "RAG_CORPUS": str(served.corpus)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with running_app() as url:
            yield gradio_client.Client(url, verbose=False)
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


def _short_chinese(result: dict) -> None:
    text = result.get("error") or result.get("answer") or result.get("note") or ""
    assert CJK.search(text) and len(text) < 300, result
    assert not any(marker in json.dumps(result, ensure_ascii=False) for marker in INTERNALS), str(result)[:500]


@pytest.mark.parametrize("question", [q for _, q in WEB_QUESTIONS], ids=[i for i, _ in WEB_QUESTIONS])
def test_web_endpoints_refuse_bad_questions_in_chinese(web, question):
    _short_chinese(web.predict(question, "", api_name="/ask"))
    _short_chinese(web.predict(QUESTION, question, api_name="/ask") if question else {"error": "城市为空（不限城市）"})
    result = web.predict(question, "", question, api_name="/targets")
    if "error" in result:
        _short_chinese(result)
    assert EXPECTED in web.predict(QUESTION, "", api_name="/ask")["answer"]


NEW_PLAN = """韶关市碳达峰实施方案
为深入贯彻落实党中央、国务院关于碳达峰碳中和的重大战略决策，结合我市实际，制定本方案。
一、主要目标
到2030年，全市光伏发电装机容量达到135万千瓦，非化石能源消费比重达到35%左右。
"""


def test_web_app_serves_a_new_build_without_restart(web, served):
    question = "韶关2030年光伏装机目标是多少？"
    assert "135万千瓦" not in json.dumps(web.predict(question, "", api_name="/ask"), ensure_ascii=False)
    (served.corpus / "shaoguan.txt").write_text(NEW_PLAN, encoding="utf-8")
    assert served.rag("build", "--json").code == 0
    assert "135万千瓦" in web.predict(question, "", api_name="/ask")["answer"]
    assert web.predict("韶关", "2030", "光伏", api_name="/targets")["targets"]
    assert EXPECTED in web.predict(QUESTION, "", api_name="/ask")["answer"]


# ---------------------------------------------------------------- round two (#18): one bad file never takes the system down

REALPDFS = Path(__file__).resolve().parent.parent.parent / "shared" / "realpdfs"
SMALL_PDF = REALPDFS / "zhejiang-sci-tech-action.pdf"


def _shaoguan_docx(extra_member_count: int = 0) -> bytes:
    """韶关's plan as a Word file written by python-docx, optionally with many extra zip members."""
    import zipfile

    data = sample_docx(NEW_PLAN)
    if not extra_member_count:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        for n in range(extra_member_count):
            target.writestr(f"customXml/item{n}.xml", "<a/>")
    return out.getvalue()


def _vmerge_docx(folder: Folder, _mp) -> None:
    mutated = dict(docx_structure(_shaoguan_docx(), random.Random(0)))["vmerge-first-row"]
    (folder.corpus / "shaoguan.docx").write_bytes(mutated)


def _zip_bomb(path: Path, unpacked_mb: int = 512) -> Path:
    """A valid Word file whose document part is `unpacked_mb` MB of whitespace (~1 KB per MB packed)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(_shaoguan_docx())) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != "word/document.xml":
                out.writestr(item, data)
                continue
            head, tail = data.split(b"</w:body>")
            with out.open(item.filename, "w", force_zip64=True) as member:
                member.write(head)
                for _ in range(unpacked_mb):
                    member.write(b" " * 1_000_000)
                member.write(b"</w:body>" + tail)
    return path


def _pdf_bomb(path: Path, unpacked_mb: int = 300) -> Path:
    """A one-page PDF whose content stream inflates to `unpacked_mb` MB (1 MB on disk per GB)."""
    import zlib

    packer = zlib.compressobj(9)
    stream = packer.compress(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET\n")
    stream += b"".join(packer.compress(b" " * 1_000_000) for _ in range(unpacked_mb)) + packer.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def _two_page_pdf(path: Path) -> Path:
    return write_pdf(path, [paragraph(line, 100)[0] for line in NEW_PLAN.splitlines()[:2]])


def _plan_pdf(path: Path, text: str) -> Path:
    runs, top = [], 100.0
    for line in text.splitlines():
        found, top = paragraph(line, top)
        runs += found
    return write_pdf(path, [runs])


def _env(name: str, value: str, make):
    def spoil(folder: Folder, monkeypatch) -> None:
        monkeypatch.setenv(name, value)
        make(folder)
    return spoil


# (id, how to spoil the corpus copy, exit code of `rag build`, text the build report must show)
FILE_CASES_2 = [
    ("docx-vmerge-in-first-row", _vmerge_docx, 0, "[收录] shaoguan.docx → 韶关市"),
    ("pdf-truncated", lambda f, _: (f.corpus / "cut.pdf").write_bytes(SMALL_PDF.read_bytes()[:60_000]), 0,
     "[跳过] cut.pdf：PDF 文件已损坏"),
    ("docx-zip-bomb", lambda f, _: _zip_bomb(f.corpus / "bomb.docx"), 0,
     "MB，超过上限 100 MB（可用 RAG_MAX_UNPACKED_MB 调整）"),
    ("docx-too-many-members", _env("RAG_MAX_ZIP_MEMBERS", "50", lambda f: (f.corpus / "many.docx").write_bytes(_shaoguan_docx(100))),
     0, "[跳过] many.docx：DOCX 压缩包有 1"),
    ("pdf-stream-bomb", lambda f, _: _pdf_bomb(f.corpus / "bomb.pdf"), 0,
     "[跳过] bomb.pdf：PDF 各数据流解压后超过 100 MB 上限（可用 RAG_MAX_UNPACKED_MB 调整）"),
    ("pdf-too-many-pages", _env("RAG_MAX_PDF_PAGES", "1", lambda f: _two_page_pdf(f.corpus / "two.pdf")), 0,
     "[跳过] two.pdf：PDF 共 2 页，超过上限 1 页（可用 RAG_MAX_PDF_PAGES 调整）"),
    ("pdf-page-too-slow", _env("RAG_PDF_PAGE_SECONDS", "0.000001", lambda f: shutil.copy(SMALL_PDF, f.corpus / "slow.pdf")), 0,
     "[跳过] slow.pdf：PDF 第 1 页读取超过 1e-06 秒（每页上限，可用 RAG_PDF_PAGE_SECONDS 调整）"),
    ("non-utf8-name", lambda f, _: (f.corpus.joinpath(os.fsdecode("韶关".encode("gbk") + b".txt"))).write_text(NEW_PLAN, encoding="utf-8"),
     0, "文件名不是 UTF-8 编码"),
]


@pytest.mark.parametrize("spoil,code,expect", [c[1:] for c in FILE_CASES_2], ids=[c[0] for c in FILE_CASES_2])
def test_a_damaged_or_oversized_file_is_skipped_with_its_reason(case, monkeypatch, spoil, code, expect):
    test_bad_corpus_file_is_reported_and_the_rest_indexed(case, monkeypatch, spoil, code, expect)
    assert case.rag("build", "--strict").code == (0 if expect.startswith("[收录]") else 1)


def test_a_zip_bomb_is_refused_within_150_mb(tmp_path):
    """Reading the 560 KB -> 512 MB zip bomb costs the reading process less than 150 MB more than it had."""
    bomb = _zip_bomb(tmp_path / "bomb.docx")
    assert bomb.stat().st_size < 1_000_000
    probe = ("import resource, sys; from pathlib import Path; from rag.corpus import read_file; from rag.config import Settings\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "report, plan = read_file(Path(sys.argv[1]), {}, Settings().limits)\n"
             "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024, report.error)")
    run = subprocess.run([sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, timeout=300)
    extra_mb, reason = run.stdout.split(" ", 1)
    assert "RAG_MAX_UNPACKED_MB" in reason and int(extra_mb) < 150, run.stdout + run.stderr[-2000:]


def test_every_entry_of_the_corpus_folder_is_accounted_for(case):
    """Files of other types and sub-folders are listed as skipped, with what is supported; --strict exits 1."""
    for name in ("方案.doc", "方案.wps", "方案.rtf", "指标.xlsx", "方案.ofd", "附件.zip", "README"):
        (case.corpus / name).write_bytes(b"x" * 100)
    (case.corpus / "2023年").mkdir()
    (case.corpus / "2023年" / "inner.txt").write_text(NEW_PLAN, encoding="utf-8")
    run = case.rag("build")
    assert run.code == 0 and "Traceback" not in run.err, run.err[-2000:]
    supported = "支持 .txt、.md、.html、.htm、.pdf、.docx"
    for name, hint in (("方案.doc", "请另存为 .docx"), ("方案.wps", "请另存为 .docx"), ("方案.rtf", "请另存为 .docx"),
                       ("指标.xlsx", "表格文件"), ("方案.ofd", "请导出为 PDF"), ("附件.zip", "请解压后放入"), ("README", "（无扩展名）")):
        line = next(line for line in run.out.splitlines() if line.startswith(f"[跳过] {name}："))
        assert "不支持的文件类型" in line and hint in line and supported in line, line
    assert "[跳过] 2023年：是一个子目录" in run.out
    assert "跳过 8 个文件" in run.out
    assert case.rag("build", "--strict").code == 1
    assert_answers(case.index, case.corpus)


def _plan_ids(folder: Folder) -> dict[str, str]:
    run = folder.rag("plans", "--json")
    assert run.code == 0, run.err
    return {row["file"]: row["plan_id"] for row in json.loads(run.out)["plans"]}


def test_plan_identity_is_by_file_exactly(case):
    """Files sharing a stem or differing by punctuation get ids of their own, from their own names; removing
    one id moves exactly that file, and the others keep their ids."""
    texts = [NEW_PLAN.replace("韶关", place).replace("135", value) for place, value in
             (("韶关", "135"), ("梅州", "88"), ("河源", "71"), ("清远", "96"))]
    _plan_pdf(case.corpus / "x.pdf", texts[0])
    (case.corpus / "x.docx").write_bytes(sample_docx(texts[1]))
    (case.corpus / "韶关 方案.txt").write_text(texts[2], encoding="utf-8")
    (case.corpus / "韶关_方案.txt").write_text(texts[3], encoding="utf-8")
    assert case.rag("build").code == 0
    ids = _plan_ids(case)
    new = {f: ids[f] for f in ("x.pdf", "x.docx", "韶关 方案.txt", "韶关_方案.txt")}
    assert len(set(ids.values())) == len(ids) == 9, ids
    assert new["x.pdf"] == "x.pdf" and new["x.docx"] == "x.docx" and new["韶关_方案.txt"] == "韶关_方案"
    assert case.rag("build", "--force").code == 0 and _plan_ids(case) == ids  # the same ids build after build

    for file in ("x.docx", "韶关_方案.txt"):
        run = case.rag("remove", new[file])
        assert run.code == 0, run.err
        assert not (case.corpus / file).exists() and any(p.name == file for p in (case.index / "removed").rglob("*"))
    left = _plan_ids(case)
    assert left == {f: i for f, i in ids.items() if f not in ("x.docx", "韶关_方案.txt")}  # nobody else's id moved
    assert (case.corpus / "x.pdf").exists() and (case.corpus / "韶关 方案.txt").exists()


def test_a_file_name_near_the_255_byte_limit_is_added_and_removed(case, tmp_path):
    name = "韶关市碳达峰实施方案" * 7 + "韶关市（征求意见稿）.txt"  # 244 bytes of UTF-8
    assert 240 <= len(name.encode("utf-8")) <= 255
    source = tmp_path / name
    source.write_text(NEW_PLAN, encoding="utf-8")
    run = case.rag("add", str(source))
    assert run.code == 0 and f"[收录] {name}" in run.out, run.err[-2000:]
    plan_id = _plan_ids(case)[name]
    run = case.rag("remove", plan_id)
    assert run.code == 0, run.err[-2000:]
    kept = [p for p in (case.index / "removed").rglob("*.txt") if p.read_text(encoding="utf-8") == NEW_PLAN]
    assert len(kept) == 1 and len(kept[0].name.encode("utf-8")) <= 255 and kept[0].suffix == ".txt"
    assert not (case.corpus / name).exists()
    assert_answers(case.index, case.corpus)


# (id, environment variable, value, text the one-line refusal must contain); `rag build` and `rag ask` exit 2
SETTING_CASES = [
    ("file-mb-with-unit", "RAG_MAX_FILE_MB", "20MB", "RAG_MAX_FILE_MB"),
    ("file-mb-negative", "RAG_MAX_FILE_MB", "-1", "RAG_MAX_FILE_MB"),
    ("pdf-pages-float", "RAG_MAX_PDF_PAGES", "12.5", "RAG_MAX_PDF_PAGES"),
    ("ocr-pages-word", "RAG_MAX_OCR_PAGES", "many", "RAG_MAX_OCR_PAGES"),
    ("page-seconds-nan", "RAG_PDF_PAGE_SECONDS", "nan", "RAG_PDF_PAGE_SECONDS"),
    ("unpacked-zero", "RAG_MAX_UNPACKED_MB", "0", "RAG_MAX_UNPACKED_MB"),
    ("question-chars-huge", "RAG_MAX_QUESTION_CHARS", "1e99", "RAG_MAX_QUESTION_CHARS"),
]


@pytest.mark.parametrize("name,value,expect", [c[1:] for c in SETTING_CASES], ids=[c[0] for c in SETTING_CASES])
def test_a_bad_setting_is_one_chinese_line(case, monkeypatch, name, value, expect):
    before = case.created()
    monkeypatch.setenv(name, value)
    assert_refused(case.rag("build", "--force"), 2, expect)
    assert_refused(case.rag("ask", QUESTION), 2, expect)
    assert case.created() == before


def _cache_is_a_file(folder: Folder) -> None:
    shutil.rmtree(folder.index / "cache")
    (folder.index / "cache").write_text("x", encoding="utf-8")


def _cache_db_is_a_folder(folder: Folder) -> None:
    (folder.index / "cache" / "embeddings.sqlite").unlink()
    (folder.index / "cache" / "embeddings.sqlite").mkdir()


@pytest.mark.parametrize("spoil,expect", [(_cache_is_a_file, "cache 应是一个目录"), (_cache_db_is_a_folder, "embeddings.sqlite 应是一个文件")],
                         ids=["cache-is-a-file", "embeddings-db-is-a-folder"])
def test_cache_path_of_the_wrong_kind_is_one_chinese_line(case, spoil, expect):
    before = case.created()
    spoil(case)
    (case.corpus / "shaoguan.txt").write_text(NEW_PLAN, encoding="utf-8")
    assert_refused(case.rag("build"), 2, expect)
    assert_refused(case.rag("add", str(case.corpus / "shaoguan.txt")), 2, expect)
    assert case.created() == before
    run = case.rag("ask", QUESTION)  # the last good index still answers
    assert run.code == 0 and EXPECTED in run.out


def test_read_only_corpus_refuses_add_and_remove_in_one_line(case, tmp_path):
    source = tmp_path / "shaoguan.txt"
    source.write_text(NEW_PLAN, encoding="utf-8")
    open_up(case)
    source.chmod(0o644)
    tmp_path.chmod(0o755)
    before = sorted(p.name for p in case.corpus.iterdir())
    case.corpus.chmod(0o555)
    try:
        with as_nobody():
            assert_refused(case.rag("add", str(source)), 2, "没有权限")
            assert_refused(case.rag("remove", "jinshi"), 2, "没有权限")
    finally:
        case.corpus.chmod(0o755)
    assert sorted(p.name for p in case.corpus.iterdir()) == before
    assert_answers(case.index, case.corpus)


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    """A tmpfs of `size` mounted at `path` (root only); skipped where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                           capture_output=True).returncode:
        pytest.skip("needs root and mount to make a small disk")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_disk_that_fills_during_add_leaves_the_corpus_as_it_was(case, tmp_path):
    big = tmp_path / "shaoguan.txt"
    big.write_text(NEW_PLAN * 6000, encoding="utf-8")  # ~1.5 MB, under the 20 MB limit
    with small_disk(tmp_path / "disk", "1m") as disk:
        corpus = disk / "corpus"
        shutil.copytree(case.corpus, corpus)
        before = sorted(p.name for p in corpus.iterdir())
        run = cli("add", str(big), "--corpus", str(corpus), "--index", str(case.index))
        assert_refused(run, 2, "磁盘空间不足")
        assert sorted(p.name for p in corpus.iterdir()) == before  # no partial copy, hidden or not
    assert_answers(case.index, case.corpus)


def test_a_missing_model_folder_is_one_chinese_line_and_never_the_hub(case, monkeypatch, tmp_path):
    missing = tmp_path / "models" / "m3e-small"
    for argv in (("ask", QUESTION, "--model", str(missing)), ("build", "--force", "--model", str(missing))):
        run = case.rag(*argv)
        assert_refused(run, 2, "找不到嵌入模型")
        assert str(missing) in run.err and "rag build" not in run.err
    # the shared folder is there but its model is not: reported, not downloaded instead
    import rag.config

    monkeypatch.delenv("RAG_MODEL", raising=False)
    monkeypatch.setattr(rag.config, "SHARED_DIR", tmp_path)
    monkeypatch.setattr(rag.config, "SHARED_MODEL_DIR", missing)
    assert_refused(case.rag("ask", QUESTION), 2, "共享模型目录")


def test_an_index_older_than_its_corpus_answers_and_says_what_is_not_indexed(case):
    (case.corpus / "shaoguan.txt").write_text(NEW_PLAN, encoding="utf-8")
    (case.corpus / "jinshi.txt").unlink()
    run = case.rag("ask", QUESTION)
    assert run.code == 0 and EXPECTED in run.out, run.err[-2000:]
    notice = run.err.strip().splitlines()
    assert len(notice) == 1 and notice[0].startswith("提示：") and "rag build" in notice[0]
    assert "shaoguan.txt（新增）" in notice[0] and "jinshi.txt（已从语料中删除" in notice[0]
    answer = json.loads(case.rag("ask", QUESTION, "--json").out)
    assert EXPECTED in answer["answer"] and "shaoguan.txt" in answer["index_notice"]
    assert case.rag("targets", "--city", "江门").code == 0
    assert case.rag("build").code == 0
    run = case.rag("ask", "韶关2030年光伏装机目标是多少？")
    assert run.code == 0 and "135万千瓦" in run.out and not run.err.strip()


def test_a_killed_add_leaves_an_index_that_still_answers(case, tmp_path):
    source = tmp_path / "shaoguan.txt"
    source.write_text(NEW_PLAN, encoding="utf-8")
    proc = _rag_process(case, "add", str(source), "--json")
    deadline = time.time() + 120
    while not (case.corpus / "shaoguan.txt").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    run = case.rag("ask", QUESTION)
    assert run.code == 0 and EXPECTED in run.out, run.err[-2000:]
    if proc.returncode != 0:  # killed after the copy, before its build switched `current`
        assert "shaoguan.txt（新增）" in run.err
    assert case.rag("build").code == 0
    assert "135万千瓦" in case.rag("ask", "韶关2030年光伏装机目标是多少？").out


def test_long_text_fields_are_refused_naming_their_setting(good):
    huge = "光伏" * 100_000
    assert_refused(good.rag("targets", "--indicator", huge), 2, "RAG_MAX_FIELD_CHARS")
    assert_refused(good.rag("targets", "--city", huge), 2, "RAG_MAX_FIELD_CHARS")
    assert_refused(good.rag("ask", "光伏目标", "--city", huge), 2, "RAG_MAX_FIELD_CHARS")
    assert_refused(good.rag("ask", huge), 2, "RAG_MAX_QUESTION_CHARS")


def test_web_targets_refuse_a_200k_filter_and_ask_says_what_is_not_indexed(web, served):
    result = web.predict("", "", "光伏" * 100_000, api_name="/targets")
    assert "RAG_MAX_FIELD_CHARS" in result["error"], result
    assert "RAG_MAX_FIELD_CHARS" in web.predict(QUESTION, "江" * 1000, api_name="/ask")["error"]
    extra = served.corpus / "meizhou.txt"
    extra.write_text(NEW_PLAN.replace("韶关", "梅州"), encoding="utf-8")
    try:
        answer = web.predict(QUESTION, "", api_name="/ask")
        assert EXPECTED in answer["answer"] and "meizhou.txt（新增）" in answer["index_notice"]
    finally:
        extra.unlink()
    assert "index_notice" not in web.predict(QUESTION, "", api_name="/ask")
