"""A library of plans written by a test (no dev-set string), built with the real model and index."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rag.config import Settings
from rag.index import Index, build_index, load_index


def written_library(root: Path, plans: dict[str, str]) -> tuple[Settings, Index]:
    """Write `plans` (file name -> text) into root/corpus, build root/index, and load it."""
    (root / "corpus").mkdir()
    for name, text in plans.items():
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    settings = replace(Settings(), corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, progress=False)
    return settings, load_index(settings)
