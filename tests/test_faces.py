"""One answer for every face: 100 questions of the evaluation sets, each asked through the library
(`rag.answer.ask`), the JSON API (/api/v1/ask), the Gradio name (/ask), the chat turn and `rag ask
--json --batch`, with and without a place selector, give the same record. The faces only format the
one answer path's `Answer`; a selector that is not applied says so on every face."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from apphelpers import ROOT
from rag.answer import ask
from rag.evaluate import load_questions
from rag.serving import ServedIndex
from rag.usertext import answer_record
from rag.web.api import ask_dict
from rag.web.chat import chat_turn
from rag.web.jsonapi import PREFIX, json_api

# a selector beside some questions: none, one the questions often name, one they often do not
SELECTORS = ("", "江门", "南昌市")


def _questions() -> list[tuple[str, str]]:
    asked = [q["question"] for q in load_questions(ROOT / "evals" / "questions.jsonl") if not q.get("context")]
    asked += [q["question"] for q in load_questions(ROOT / "evals" / "questions_types.jsonl") if not q.get("context")]
    unique = list(dict.fromkeys(asked))[:100]
    assert len(unique) == 100
    return [(question, SELECTORS[i % len(SELECTORS)]) for i, question in enumerate(unique)]


QUESTIONS = _questions()


@pytest.fixture(scope="module")
def served(settings, index):
    return ServedIndex(settings, index=index)


@pytest.fixture(scope="module")
def cli_records(settings, tmp_path_factory) -> dict[tuple[str, str], dict]:
    """`rag ask --json --batch` once per selector, read back by (question, selector)."""
    folder = tmp_path_factory.mktemp("faces")
    records = {}
    for city in SELECTORS:
        asked = [q for q, c in QUESTIONS if c == city]
        batch = folder / f"batch-{city or 'all'}.txt"
        batch.write_text("\n".join(asked) + "\n", encoding="utf-8")
        run = subprocess.run([sys.executable, "-m", "rag", "ask", "--batch", str(batch), "--json", *(["--city", city] if city else [])],
                             capture_output=True, text=True, timeout=1200, cwd=ROOT,
                             env={**os.environ, "RAG_CORPUS": str(settings.corpus_dir), "RAG_INDEX": str(settings.index_dir)})
        assert run.returncode == 0, run.stderr
        lines = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
        assert len(lines) == len(asked)
        records.update({(q, city): record for q, record in zip(asked, lines)})
    return records


def test_every_face_gives_the_same_answer(index, served, cli_records):
    client = TestClient(Starlette(routes=[Mount(PREFIX, app=json_api(served))]))
    differing, notices = [], 0
    for question, city in QUESTIONS:
        library = answer_record(ask(index, question, city=city or None))
        reply = client.post("/api/v1/ask", json={"question": question, "city": city})
        assert reply.status_code == 200, reply.text
        turn = chat_turn(served, question, [], city or "全部", None)
        chat = turn.answer | {key: library[key] for key in ("notice", "index_notice") if key in library}
        if not library["answer"]:
            chat["answer"] = chat["note"]  # the chat shows the note where the record repeats it in `answer`
        faces = {"json-api": reply.json(), "gradio": ask_dict(served, question, city), "chat": chat,
                 "cli": cli_records[(question, city)]}
        differing += [(question, city, face) for face, record in faces.items() if record != library]
        if library.get("notice"):
            notices += 1
            assert library["notice"] in html_text(turn.history[-1]["content"]), question  # the chat tells it too
    assert differing == []
    assert notices > 0  # some selectors were not applied, and said so on every face


def html_text(fragment: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", fragment))
