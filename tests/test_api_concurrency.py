"""The /ask and /targets API against the running app: 8 concurrent gradio_client users, bad input, limits;
the JSON API (/api/v1) on the same server, answering as the Gradio names do.

Latency is measured by `rag bench --web`, not asserted here."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from apphelpers import running_app
from rag.config import Settings

gradio_client = pytest.importorskip("gradio_client")
httpx = pytest.importorskip("httpx")

JIANGMEN_Q = "江门2030年可再生能源装机目标是多少？"

# (question, city, text the answer must contain)
CASES = [
    ("江门2030年可再生能源装机目标是多少？", "", "700万千瓦"),
    ("南昌2025年非化石能源消费比重目标是多少？", "", "15%"),
    ("津市2030年光伏装机目标是多少？", "全部", "42万千瓦"),
    ("江阴2025年非化石能源消费比重是多少？", "", "10%"),
    ("南昌市2025年光伏装机容量要达到多少？", "", "300万千瓦"),
    ("江门2025年非化石能源消费比重目标是多少？", "", "32%"),
    ("津市2025年非化石能源消费比重目标是多少？", "", "23%"),
    ("2030年光伏装机目标是多少？", "津市", "42万千瓦"),
]


@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


def test_eight_concurrent_users_get_their_own_answers(app_url):
    start = threading.Barrier(len(CASES))

    def user(case):
        question, city, expected = case
        client = gradio_client.Client(app_url, verbose=False)
        start.wait(timeout=60)
        return case, client.predict(question, city, api_name="/ask")

    with ThreadPoolExecutor(max_workers=len(CASES)) as pool:
        results = list(pool.map(user, CASES))

    assert len(results) == len(CASES)
    for (question, city, expected), result in results:
        assert "error" not in result, result
        assert result["question"] == question
        assert result["found"] is True
        assert expected in result["answer"], (question, result["answer"])
        assert result["passages"] and result["highlight"]
        assert set(result) == {"question", "answer", "found", "mode", "type", "understood", "passages", "targets", "highlight", "note"}


def test_targets_endpoint_filters_by_city_and_year(app_url):
    client = gradio_client.Client(app_url, verbose=False)
    rows = client.predict("南昌", "2025", "", api_name="/targets")["targets"]
    assert rows
    assert all(r["city"] == "南昌市" and r["year"] == 2025 for r in rows)
    numeric_year = client.predict("南昌", 2025, "", api_name="/targets")["targets"]
    assert numeric_year == rows
    fossil = client.predict("南昌", 2025, "非化石能源", api_name="/targets")["targets"]
    assert [r["value"] for r in fossil if not r["qualitative"]] == [15.0]


def test_bad_input_returns_an_error_message(app_url):
    client = gradio_client.Client(app_url, verbose=False)
    assert "问题为空" in client.predict("", "", api_name="/ask")["error"]
    assert "未知城市" in client.predict("光伏装机目标？", "深圳", api_name="/ask")["error"]
    assert "未知城市" in client.predict("深圳", "", "", api_name="/targets")["error"]
    assert "年份无效" in client.predict("", "明年", "", api_name="/targets")["error"]
    # the app still answers after bad input
    assert "700万千瓦" in client.predict("江门2030年可再生能源装机目标是多少？", "", api_name="/ask")["answer"]


def test_long_input_is_not_echoed_back(app_url):
    client = gradio_client.Client(app_url, verbose=False)
    huge = "深" * 100_000
    for error in (client.predict(JIANGMEN_Q, huge, api_name="/ask")["error"],
                  client.predict(huge, "", "", api_name="/targets")["error"]):
        assert "过长" in error and "RAG_MAX_FIELD_CHARS" in error and len(error) < 300
    assert "问题过长" in client.predict("光伏" * 400, "", api_name="/ask")["error"]


def test_uploads_are_size_limited(app_url):
    """The upload route takes plan files up to the plan size limit (Settings.max_file_bytes), nothing bigger."""
    limit = Settings().max_file_bytes
    small = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("small.txt", b"x" * 1000)}, timeout=30)
    assert small.status_code == 200
    big = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("big.txt", b"x" * (limit + 1))}, timeout=60)
    assert big.status_code == 413


def test_the_json_api_is_served_beside_the_chat_with_the_same_answers(app_url):
    client = gradio_client.Client(app_url, verbose=False)
    for question, city, expected in CASES[:4]:
        reply = httpx.post(f"{app_url}api/v1/ask", json={"question": question, "city": city}, timeout=120)
        assert reply.status_code == 200 and expected in reply.json()["answer"]
        assert reply.json() == client.predict(question, city, api_name="/ask")
    assert httpx.post(f"{app_url}api/v1/ask", json={"question": ""}, timeout=60).status_code == 400
    assert httpx.get(f"{app_url}api/v1/health", timeout=60).json()["index_loaded"] is True
    assert httpx.get(f"{app_url}api/docs", timeout=60).status_code == 200
    targets = httpx.get(f"{app_url}api/v1/targets", params={"city": "南昌", "year": 2025}, timeout=60).json()
    assert targets["targets"] == client.predict("南昌", "2025", "", api_name="/targets")["targets"]
