"""The figures behind #18's goals, printed (nothing is asserted: tests/test_faults.py and test_html.py assert).

    python tests/reliability_figures.py [--fuzz-seeds N] [--index DIR]

- fuzzing: damaged real PDFs and DOCX files (tests/fuzzing.py) read one by one in child processes:
  files tried, indexed, skipped, crashed;
- memory: extra peak RSS of a process reading the 560 KB -> 512 MB DOCX zip bomb and a 1 MB ->
  1 GB PDF stream bomb (each in a fresh process, after imports);
- saved web pages: the 18 plans of ../shared/newplans in 5 portal templates (tests/htmlpages.py):
  share of the plan's lines read, furniture lines leaked, sidebar numbers taken for targets;
- filters: the /targets answer to a 200,000-character indicator filter, and the time filter_targets
  takes on 50k / 100k / 200k characters (linear: double the text, double the time).

PYTHONPATH picks the code measured (a checkout of another commit gives the "before" column).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MEMORY_PROBE = """
import resource, sys
from pathlib import Path
from rag import corpus
from rag.config import Settings
import rag.ingest.docx, rag.ingest.pdf, docx, pypdfium2
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    if hasattr(corpus, "read_file"):
        report, plan = corpus.read_file(Path(sys.argv[1]), {}, Settings().limits)
        outcome = report.error or "indexed"
    else:
        corpus.load_plan(Path(sys.argv[1]), {}, Settings().limits)
        outcome = "indexed"
except BaseException as exc:
    outcome = f"{type(exc).__name__}: {exc}"
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024, outcome[:120])
"""


def memory() -> None:
    from test_faults import _pdf_bomb, _zip_bomb

    with tempfile.TemporaryDirectory() as folder:
        for path in (_zip_bomb(Path(folder) / "bomb.docx"), _pdf_bomb(Path(folder) / "bomb.pdf", 1000)):
            started = time.time()
            run = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path)], capture_output=True, text=True)
            extra, _, outcome = run.stdout.strip().partition(" ")
            print(f"memory: {path.name} ({path.stat().st_size / 1e3:.0f} KB): +{extra} MB peak RSS, "
                  f"{time.time() - started:.1f} s, {outcome or run.stderr.strip().splitlines()[-1]}")


def web_pages() -> None:
    from htmlpages import FURNITURE, TEMPLATES
    from test_html import NEWPLANS, SIDEBAR_NUMBERS, TABLE, plan_lines, squash

    from rag.corpus import read_plan
    from rag.ingest import Limits
    from rag.targets import extract_targets

    lines_total = lines_read = leaked = sidebar_targets = unreadable = pages = 0
    seconds = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for source in sorted(NEWPLANS.glob("*.txt")):
            title, lines = plan_lines(source)
            for name, template in TEMPLATES.items():
                path = Path(folder) / f"{source.stem}-{name}.html"
                path.write_text(template(title, lines, TABLE), encoding="utf-8")
                pages += 1
                lines_total += len(lines)
                started = time.time()
                try:
                    plan = read_plan(path, {}, Limits()).plan
                except Exception:
                    unreadable += 1
                    continue
                finally:
                    seconds += time.time() - started
                text = squash(plan.text)
                lines_read += sum(squash(line) in text for line in lines)
                own = squash("".join(lines))
                leaked += sum(squash(item) in text and squash(item) not in own for item in FURNITURE)
                sidebar_targets += sum(t.value in SIDEBAR_NUMBERS for t in extract_targets(plan))
    print(f"web pages: {pages} pages, plan lines read {lines_read}/{lines_total} ({lines_read / max(lines_total, 1):.1%}), "
          f"furniture texts leaked {leaked}, sidebar numbers taken for targets {sidebar_targets}, "
          f"pages refused {unreadable}, {seconds / max(pages, 1) * 1000:.0f} ms a page")


def filters(index_dir: str | None) -> None:
    from dataclasses import replace

    from rag.config import Settings
    from rag.index import load_index
    from rag.targets import filter_targets
    from rag.serving import ServedIndex
    from rag.web.api import targets_dict

    settings = Settings() if not index_dir else replace(Settings(), index_dir=Path(index_dir))
    index = load_index(settings)
    for size in (50_000, 100_000, 200_000):
        text = ("光伏装机容量" * size)[:size]
        started = time.time()
        filter_targets(index.targets, indicator=text)
        print(f"filter_targets, {size:,} characters: {time.time() - started:.3f} s")
    started = time.time()
    served = ServedIndex(settings)
    served.load()
    result = targets_dict(served, "", "", "光伏装机容量" * 33_334)
    answer = result.get("error") or f"{len(result.get('targets', []))} rows"
    print(f"/targets with a 200,000-character indicator: {time.time() - started:.3f} s -> {answer[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fuzz-seeds", type=int, default=1)
    parser.add_argument("--index")
    parser.add_argument("--only", choices=("fuzz", "memory", "web", "filters"))
    args = parser.parse_args()
    if args.only in (None, "memory"):
        memory()
    if args.only in (None, "web"):
        web_pages()
    if args.only in (None, "filters"):
        filters(args.index)
    if args.only in (None, "fuzz"):
        import fuzzing

        fuzzing.main(args.fuzz_seeds)


if __name__ == "__main__":
    main()
