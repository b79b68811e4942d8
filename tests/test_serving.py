"""The index as the app serves it: listening before it is loaded, waiting rather than failing (real index and model)."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from rag.errors import UserError
from rag.serving import ServedIndex
from rag.web.api import ask_dict, plans_dict

JIANGMEN_Q = "江门2030年可再生能源装机目标是多少？"


def test_a_question_before_the_index_is_loaded_waits_for_it(settings, index):
    served = ServedIndex(settings)
    assert not served.ready
    answers = []
    asker = threading.Thread(target=lambda: answers.append(ask_dict(served, JIANGMEN_Q, "")))
    asker.start()
    while served.waiting == 0 and asker.is_alive():
        time.sleep(0.01)
    assert served.waiting == 1 and not answers  # asked, and waiting
    served.load(build=False)
    asker.join()
    assert "700万千瓦" in answers[0]["answer"] and "error" not in answers[0]
    assert len(plans_dict(served)["plans"]) == 5


def test_an_index_that_cannot_be_loaded_is_told_to_every_request(settings, tmp_path):
    served = ServedIndex(replace(settings, index_dir=tmp_path / "no-index"))
    with pytest.raises(UserError):
        served.load(build=False)
    reply = ask_dict(served, JIANGMEN_Q, "")
    assert "rag build" in reply["answer"] and reply["error"] == reply["answer"]
    assert "rag build" in plans_dict(served)["error"]
