"""Start `python app.py` in a subprocess on a free localhost port (rag.bench.running_app), and always stop it.

Used by the browser and API tests (kept out of conftest.py on purpose).
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from rag import bench

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Building the index when it is missing takes ~30 s; loading the model a few more.
STARTUP_TIMEOUT = float(os.environ.get("RAG_APP_STARTUP_TIMEOUT", "240"))


@contextlib.contextmanager
def running_app(timeout: float = STARTUP_TIMEOUT, **env_vars: str):
    """Yield the base URL of a freshly started app; terminate it (and only it) afterwards.

    `env_vars` (RAG_CORPUS=..., RAG_INDEX=...) point an app at its own corpus and index."""
    with bench.running_app(timeout, **env_vars) as (url, _process):
        yield url
