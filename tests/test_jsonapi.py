"""The JSON API (/api/v1) on the shipped plans' real index: the same answers as `rag ask --json` and the Gradio
names, refusals as HTTP statuses with one Chinese sentence, paging of the targets, health while loading and
after; then `rag serve --workers 2` as a process: answers from both workers, and a new build picked up
without a restart.

Latency and memory are measured by `rag bench --web`, not asserted here."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from apphelpers import CORPUS, ROOT, own_corpus
from rag import webbench
from rag.serving import ServedIndex
from rag.usertext import answer_record
from rag.web.api import ask_dict
from rag.web.jsonapi import PREFIX, json_api

httpx = pytest.importorskip("httpx")

QUESTIONS = [
    ("江门2030年可再生能源装机目标是多少？", ""),
    ("各城市2025年非化石能源消费比重对比", ""),
    ("2030年光伏装机目标是多少？", "津市"),
    ("深圳2030年光伏装机目标是多少？", ""),  # a place without a plan: an answer that says so, not an error
    ("哪些城市提到了氢能？", "全部"),
]


@pytest.fixture(scope="module")
def served(settings, index):
    return ServedIndex(settings, index=index)


@pytest.fixture(scope="module")
def client(served):
    return TestClient(Starlette(routes=[Mount(PREFIX, app=json_api(served))]))


def test_ask_is_the_record_of_rag_ask_json_and_of_the_gradio_name(client, served, settings):
    for question, city in QUESTIONS:
        reply = client.post("/api/v1/ask", json={"question": question, "city": city, "k": 3})
        assert reply.status_code == 200, reply.text
        record = reply.json()
        cli = subprocess.run([sys.executable, "-m", "rag", "ask", question, "--k", "3", "--json",
                              *(["--city", city] if city else [])], capture_output=True, text=True, timeout=300,
                             env={**os.environ, "RAG_CORPUS": str(settings.corpus_dir),
                                  "RAG_INDEX": str(settings.index_dir)}, cwd=ROOT)
        assert cli.returncode == 0, cli.stderr
        assert record == json.loads(cli.stdout), question
        gradio = ask_dict(served, question, city)
        assert {key: gradio[key] for key in ("answer", "found", "mode", "type")} == \
               {key: record[key] for key in ("answer", "found", "mode", "type")}


def test_refusals_are_http_statuses_with_one_chinese_sentence(client, settings):
    cases = [
        ({"question": ""}, 400, "问题为空"),
        ({"question": "光伏" * settings.max_question_chars}, 413, "RAG_MAX_QUESTION_CHARS"),
        ({"question": "光伏装机目标？", "city": "火星"}, 400, "未知城市"),
        ({"question": "光伏装机目标？", "city": "深" * 1000}, 413, "RAG_MAX_FIELD_CHARS"),
        ({"q": "江门"}, 400, "缺少问题"),
        ({"question": 3}, 400, "应是字符串"),
        ({"question": "江门", "k": 0}, 400, "段落数"),
        ({"question": "江门", "k": "五"}, 400, "应是整数"),
    ]
    for body, status, words in cases:
        reply = client.post("/api/v1/ask", json=body)
        assert reply.status_code == status, (body, reply.text)
        assert set(reply.json()) == {"error"} and words in reply.json()["error"], reply.text
        assert len(reply.json()["error"]) < 310  # a huge input is not echoed back
    for raw in (b"{not json", b"[1, 2]", b"x" * 100_000):
        reply = client.post("/api/v1/ask", content=raw, headers={"content-type": "application/json"})
        assert reply.status_code == (413 if len(raw) > 70_000 else 400)
        assert "请求体" in reply.json()["error"]
    assert client.get("/api/v1/nothing").status_code == 404
    assert "/api/docs" in client.get("/api/v1/nothing").json()["error"]
    assert client.get("/api/v1/ask").status_code == 405
    # after all that, it answers
    assert "700万千瓦" in client.post("/api/v1/ask", json={"question": QUESTIONS[0][0]}).json()["answer"]


def test_targets_are_filtered_like_rag_targets_and_paged(client, index):
    everything = client.get("/api/v1/targets", params={"limit": 1000}).json()
    assert everything["total"] == len(index.targets) == len(everything["targets"])
    nanchang = client.get("/api/v1/targets", params={"city": "南昌", "year": "2025", "indicator": "非化石能源"}).json()
    assert nanchang["total"] >= 1 and all(r["city"] == "南昌市" and r["year"] == 2025 for r in nanchang["targets"])
    assert 15.0 in [r["value"] for r in nanchang["targets"]]
    pages = [client.get("/api/v1/targets", params={"limit": 7, "offset": start}).json()["targets"]
             for start in range(0, everything["total"], 7)]
    assert [row for page in pages for row in page] == everything["targets"]
    for params, words in (({"year": "明年"}, "年份无效"), ({"city": "深圳"}, "未知城市"), ({"limit": 0}, "条数"),
                          ({"offset": -1}, "起始位置")):
        reply = client.get("/api/v1/targets", params=params)
        assert reply.status_code == 400 and words in reply.json()["error"], reply.text


def test_plans_and_health_describe_the_index_served(client, index):
    plans = client.get("/api/v1/plans").json()["plans"]
    assert [p["plan_id"] for p in plans] and {p["plan_id"] for p in plans} == set(index.plans)
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["index_loaded"] is True
    assert (health["documents"], health["passages"], health["targets"]) == (len(index.plans), len(index.chunks), len(index.targets))
    assert health["build"] == index.path.name and health["built"] == index.manifest.created


def test_before_the_index_is_loaded_every_endpoint_says_503_and_when_to_retry(settings):
    waiting = TestClient(Starlette(routes=[Mount(PREFIX, app=json_api(ServedIndex(settings)))]))
    for reply in (waiting.get("/api/v1/health"), waiting.post("/api/v1/ask", json={"question": "江门光伏"}),
                  waiting.get("/api/v1/targets"), waiting.get("/api/v1/plans")):
        assert reply.status_code == 503 and "索引" in reply.json()["error"]
        assert int(reply.headers["retry-after"]) > 0
    assert waiting.get("/api/v1/health").json()["index_loaded"] is False


def test_the_docs_page_is_served_without_the_internet(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and "https://" not in page.text.split("<body>")[0]
    assert client.get("/api/docs-assets/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert {"/v1/ask", "/v1/targets", "/v1/plans", "/v1/health"} <= set(schema["paths"])


def test_rag_serve_with_two_workers_answers_and_follows_a_new_build(tmp_path):
    env = own_corpus(tmp_path)  # four plans, without 津市
    subprocess.run([sys.executable, "-m", "rag", "build", "--json"], env={**os.environ, **env}, cwd=ROOT,
                   check=True, capture_output=True, timeout=600)
    with webbench.running_app(300, serve_workers=2, **env) as (url, server):
        assert len(webbench.process_tree(server.pid)) == 3  # the supervisor and two workers

        def ask(question):
            with httpx.Client(timeout=120) as http:
                return http.post(f"{url}api/v1/ask", json={"question": question}).json()

        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(ask, [QUESTIONS[0][0]] * 16))
        assert all("700万千瓦" in r["answer"] for r in replies)
        assert ask("津市2030年光伏装机目标是多少？")["found"] is False
        shutil.copy(CORPUS / "jinshi.txt", tmp_path / "corpus" / "jinshi.txt")
        subprocess.run([sys.executable, "-m", "rag", "build", "--json"], env={**os.environ, **env}, cwd=ROOT,
                       check=True, capture_output=True, timeout=600)
        # each worker loads the new build on the first request that notices it; requests meanwhile are answered
        # from the build it holds, so the switch is seen within a few requests, without a restart
        deadline, switched = time.monotonic() + 180, set()
        while len(switched) < 2 and time.monotonic() < deadline:  # a new connection each time: any worker may answer
            health = httpx.get(f"{url}api/v1/health", timeout=120).json()
            switched |= {health["process"]} if health["documents"] == 5 else set()
        assert len(switched) == 2, "the new build was not picked up by both workers"
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(ask, ["津市2030年光伏装机目标是多少？"] * 12))
        assert all("42万千瓦" in r["answer"] for r in replies), [r["answer"] for r in replies]
        with httpx.Client() as http:
            assert http.get(url, follow_redirects=True).url.path == "/api/docs"
        assert server.poll() is None
