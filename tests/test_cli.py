"""The `rag` command-line contract, run as a user runs it."""
import json
import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def run(index, settings):
    env = dict(os.environ, RAG_INDEX=str(settings.index_dir), RAG_CORPUS=str(settings.corpus_dir))

    def call(*args, **kw):
        return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True, **kw)

    return call


def test_ask_json_contract(run):
    out = run("ask", "江门2030年可再生能源装机目标是多少？", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"question", "answer", "found", "passages", "targets"} <= data.keys()
    assert data["found"] and "700万千瓦" in data["answer"]
    first = data["passages"][0]
    assert {"rank", "plan_id", "city", "title", "section", "text", "score", "char_start", "char_end"} <= first.keys()
    assert first["rank"] == 1 and data["targets"][0]["canonical"] == "可再生能源发电装机容量"


def test_ask_text_output(run):
    out = run("ask", "津市2030年光伏装机规模", "--k", "2")
    assert out.returncode == 0
    assert "答：津市市：到2030年，光伏装机达到42万千瓦" in out.stdout and "[1] 《津市市碳达峰实施方案》" in out.stdout


def test_batch_json_lines_in_order(run, tmp_path):
    questions = ["南昌2025年非化石能源消费比重", "深圳2030年光伏目标", "江阴2030年风电装机"]
    batch = tmp_path / "q.txt"
    batch.write_text("\n".join(questions), encoding="utf-8")
    out = run("ask", "--batch", str(batch), "--json")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    assert [r["found"] for r in rows] == [True, False, True]


@pytest.mark.parametrize("args,message", [
    (["ask", ""], "问题为空"),
    (["ask", "光伏目标", "--city", "火星市"], "未知城市"),
    (["targets", "--city", "火星市"], "未知城市"),
])
def test_user_errors_are_one_sentence_on_stderr(run, args, message):
    out = run(*args)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


def test_missing_index_error(tmp_path):
    env = dict(os.environ, RAG_INDEX=str(tmp_path / "none"))
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "光伏"], env=env, capture_output=True, text=True)
    assert out.returncode == 2 and "rag build" in out.stderr and "Traceback" not in out.stderr


def test_targets_json_and_csv(run):
    out = run("targets", "--city", "南昌", "--year", "2025", "--indicator", "光伏装机规模", "--json")
    rows = json.loads(out.stdout)["targets"]
    assert [(r["city"], r["year"], r["value"], r["unit"]) for r in rows] == [("南昌市", 2025, 300.0, "万千瓦")]
    csv_out = run("targets", "--city", "津市", "--csv")
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("city,year,canonical") and len(lines) > 20


def test_ask_json_says_a_refusal_in_answer_like_the_web_api(run):
    out = run("ask", "深圳2030年光伏装机目标是多少？", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert not data["found"] and data["answer"].startswith("语料中没有深圳市的方案") and "深圳" in data["note"]


def test_restore_lists_nothing_when_nothing_was_removed(run):
    out = run("restore")
    assert out.returncode == 0 and out.stdout == "" and "共 0 个已移除的方案" in out.stderr


def test_build_report_written_to_a_file_starts_each_line_apart_from_the_bars(settings, tmp_path):
    """`rag build > build.log 2>&1`: the progress bars' last state ends its line, so every report line
    ("[收录] …") starts a line of its own in the file."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gongqingcheng.txt").write_bytes((settings.corpus_dir / "gongqingcheng.txt").read_bytes())
    log = tmp_path / "build.log"
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run([sys.executable, "-m", "rag.cli", "build", "--corpus", str(corpus), "--index", str(tmp_path / "index")],
                              stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ), timeout=600)
    assert done.returncode == 0
    lines = log.read_bytes().decode("utf-8").split("\n")  # bytes: read_text would turn a bar's \r into a line end
    assert any(line.startswith("[收录] gongqingcheng.txt") for line in lines)
    assert not [line for line in lines if "[收录]" in line and not line.startswith("[收录]")]
