"""Start `python app.py` in a subprocess on a free localhost port (rag.webbench.running_app), and always stop it;
give an app a corpus of its own; drive Debian's Chromium.

Used by the browser and API tests (kept out of conftest.py on purpose).
"""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from rag import webbench

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Building the index when it is missing takes ~30 s; loading the model a few more.
STARTUP_TIMEOUT = float(os.environ.get("RAG_APP_STARTUP_TIMEOUT", "240"))
# The shipped plans but 津市, which the tests add.
FOUR_PLANS = ("gongqingcheng.txt", "jiangmen.txt", "jiangyin.txt", "nanchang.txt")


@contextlib.contextmanager
def running_app(timeout: float = STARTUP_TIMEOUT, **env_vars: str):
    """Yield the base URL of a freshly started app; terminate it (and only it) afterwards.

    `env_vars` (RAG_CORPUS=..., RAG_INDEX=...) point an app at its own corpus and index."""
    with webbench.running_app(timeout, **env_vars) as (url, _process):
        yield url


def own_corpus(root: Path, names=FOUR_PLANS) -> dict[str, str]:
    """A corpus folder of these shipped plans and an index folder under `root`, as RAG_CORPUS / RAG_INDEX.
    The repository index's embedding cache comes along when there is one, so nothing is embedded again."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for name in names:
        shutil.copy(CORPUS / name, corpus / name)
    cache = ROOT / "index" / "cache" / "embeddings.sqlite"
    if cache.is_file():
        (root / "index" / "cache").mkdir(parents=True)
        shutil.copy(cache, root / "index" / "cache" / "embeddings.sqlite")
    return {"RAG_CORPUS": str(corpus), "RAG_INDEX": str(root / "index")}


@contextlib.contextmanager
def chromium():
    """Headless Debian Chromium through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def ask(page, question: str, timeout: float = 120_000):
    """Type `question` in the chat, send it, and return the new reply once it is shown."""
    from playwright.sync_api import expect

    replies = page.locator("#chat .rag-reply")
    before = replies.count()
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()
    expect(replies).to_have_count(before + 1, timeout=timeout)
    return replies.last
