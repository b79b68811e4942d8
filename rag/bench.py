"""Benchmarks that print figures: cold build time, warm in-process `ask` latency, normalisation
throughput and a load check (asks during rebuilds).

    rag bench            # warm latency over 20 questions, 3 rounds, medians
    rag bench --build    # also a cold build into a temporary index folder
    rag bench --normalize  # MB/s of decode + normalize on 1, 4, 16 MB, and the 16/1 time ratio
    rag bench --load     # 200 asks from 4 processes while 3 forced rebuilds replace the index

The machine is noisy: read medians, not single runs.
"""
from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from .config import Settings

QUESTIONS = (
    "江门2030年可再生能源装机目标是多少？", "南昌2025年非化石能源消费比重", "津市2030年光伏装机规模",
    "江阴2025年单位GDP能耗下降多少", "共青城什么时候达峰", "各城市2025年非化石能源消费比重目标对比",
    "哪些城市提到了氢能", "江门如何发展海上风电", "南昌公交车新能源汽车占比", "江阴装配式建筑比例",
    "津市森林蓄积量目标", "江門2030年森林覆蓋率", "南昌的生活垃圾资源化利用率", "江阴散煤什么时候清零",
    "津市天然气消费量", "哪个城市2030年非化石能源消费比重目标最高？", "江门数据中心PUE要求",
    "南昌怎样推动钢铁行业碳达峰", "共青城重点任务有哪些", "深圳2030年光伏装机目标",
)


def run_bench(settings: Settings, build: bool, rounds: int) -> str:
    from .answer import ask
    from .index import load_index

    lines = build_ratios(settings) if build else []
    started = time.perf_counter()
    index = load_index(settings)
    ask(index, QUESTIONS[0])  # loads the model and the targets table
    lines.append(f"load index + first answer: {time.perf_counter() - started:.2f} s")
    per_round = []
    for _ in range(rounds):
        times = []
        for question in QUESTIONS:
            t0 = time.perf_counter()
            ask(index, question)
            times.append(time.perf_counter() - t0)
        per_round.append(times)
    medians = [statistics.median(times) * 1000 for times in per_round]
    everything = sorted(t * 1000 for times in per_round for t in times)
    p95 = everything[int(0.95 * (len(everything) - 1))]
    lines.append(
        f"warm ask over {len(QUESTIONS)} questions x {rounds} rounds: median {statistics.median(medians):.1f} ms "
        f"(round medians {', '.join(f'{m:.1f}' for m in medians)}), p95 {p95:.1f} ms"
    )
    return "\n".join(lines)


def build_ratios(settings: Settings) -> list[str]:
    """Cold build of a 20-plan corpus, a no-change rebuild, and adding one plan, as ratios of the cold build.

    The corpus is the shipped plans plus pages of ../shared/newplans when present (else copies of the
    shipped plans under other names), assembled in a temporary folder; the 20th plan is the one added.
    """
    from .config import PROJECT_ROOT
    from .index import add_plans, build_index

    with tempfile.TemporaryDirectory() as tmp:
        corpus, extra = Path(tmp) / "corpus", Path(tmp) / "extra"
        shutil.copytree(settings.corpus_dir, corpus)
        extra.mkdir()
        pages = sorted((PROJECT_ROOT.parent / "shared" / "newplans").glob("*.txt"))
        while len(pages) < 15:  # no dev set beside the checkout: reuse the shipped plans under new names
            pages += [p for p in sorted(corpus.glob("*.txt"))]
        for i, page in enumerate(pages[:15]):
            destination = (corpus if i < 14 else extra) / (page.name if page.parent != corpus else f"copy{i}-{page.name}")
            shutil.copy(page, destination)
        local = replace(settings, corpus_dir=corpus, index_dir=Path(tmp) / "index")
        timings = {}
        started = time.perf_counter()
        cold = build_index(local, progress=False)
        timings["cold"] = time.perf_counter() - started
        started = time.perf_counter()
        build_index(local, progress=False)
        timings["same"] = time.perf_counter() - started
        started = time.perf_counter()
        added = add_plans(local, list(extra.iterdir()), progress=False)
        timings["add"] = time.perf_counter() - started
    return [
        f"cold build, {cold.manifest.plans} plans ({cold.manifest.chunks} chunks): {timings['cold']:.1f} s",
        f"no-change rebuild: {timings['same']:.2f} s = {100 * timings['same'] / timings['cold']:.1f} % of cold (goal <= 5 %)",
        f"add one plan ({added.manifest.plans} plans, {added.embedded} chunks embedded): {timings['add']:.2f} s = "
        f"{100 * timings['add'] / timings['cold']:.1f} % of cold (goal <= 15 %)",
    ]


# ---------------------------------------------------------------- rag bench --normalize

NORMALIZE_SIZES_MB = (1, 4, 16)


def normalize_throughput(settings: Settings) -> list[str]:
    """MB/s of decode + normalize on 1, 4 and 16 MB of repeated corpus text, and time(16 MB)/time(1 MB).

    Two inputs: every shipped plan, and only the lines of the plans that hold mojibake
    (the costly repair path). A ratio near 16 means the path is linear in input size.
    """
    from .ingest import decode
    from .normalize import normalize

    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(settings.corpus_dir).glob("*.txt"))]
    inputs = {
        "plans": "".join(texts),
        "mojibake-heavy": "\n".join(line for text in texts for line in text.splitlines() if "?" in line) + "\n",
    }
    normalize("预热?地?zé)崮?")  # dictionaries and converters load outside the timings
    lines = []
    for name, text in inputs.items():
        seconds = {}
        for mb in NORMALIZE_SIZES_MB:
            data = _repeated(text, mb * 1_000_000)
            started = time.perf_counter()
            normalize(decode(data)[0])
            seconds[mb] = time.perf_counter() - started
            lines.append(f"normalize {name} {mb} MB: {seconds[mb]:.2f} s = {len(data) / 1e6 / seconds[mb]:.2f} MB/s")
        first, last = NORMALIZE_SIZES_MB[0], NORMALIZE_SIZES_MB[-1]
        lines.append(f"normalize {name} time({last} MB)/time({first} MB) = {seconds[last] / seconds[first]:.1f} "
                     f"(linear = {last // first})")
    return lines


def _repeated(text: str, size: int) -> bytes:
    """`text` repeated to `size` UTF-8 bytes, cut at a line end."""
    data = (text * (size // max(1, len(text.encode("utf-8"))) + 1)).encode("utf-8")[:size]
    return data[: data.rfind(b"\n") + 1]


# ---------------------------------------------------------------- rag bench --load

# (question, text its answer must contain); asked round-robin by every worker
LOAD_QUESTIONS = (
    ("江门2030年可再生能源装机目标是多少？", "700万千瓦"), ("南昌2025年非化石能源消费比重目标是多少？", "15%"),
    ("津市2030年光伏装机目标是多少？", "42万千瓦"), ("江阴2025年非化石能源消费比重是多少？", "10%"),
    ("南昌市2025年光伏装机容量要达到多少？", "300万千瓦"), ("江门2025年非化石能源消费比重目标是多少？", "32%"),
    ("津市2025年非化石能源消费比重目标是多少？", "23%"),
)


def load_check(settings: Settings, asks: int = 200, workers: int = 4, rebuilds: int = 3) -> list[str]:
    """`asks` asks from `workers` processes, each loading the current index afresh, while `rebuilds`
    forced builds replace it in the same folder (a copy of the index, so the real one is untouched)."""
    import multiprocessing
    import subprocess
    import sys

    from .index import CURRENT, build_index

    with tempfile.TemporaryDirectory() as tmp:
        local = replace(settings, corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index")
        shutil.copytree(settings.corpus_dir, local.corpus_dir)
        if (Path(settings.index_dir) / CURRENT).is_dir():
            shutil.copytree(settings.index_dir, local.index_dir, symlinks=True)
        build_index(local, progress=False)
        context = multiprocessing.get_context("spawn")
        results, start = context.Queue(), context.Event()
        share = [asks // workers + (i < asks % workers) for i in range(workers)]
        procs = [context.Process(target=_load_worker, args=(local, i, n, start, results)) for i, n in enumerate(share)]
        for proc in procs:
            proc.start()
        for _ in procs:
            results.get()  # "ready": model loaded, first answer given
        command = [sys.executable, "-m", "rag.cli", "build", "--force", "--json",
                   "--corpus", str(local.corpus_dir), "--index", str(local.index_dir)]
        builds = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(rebuilds)]
        start.set()
        rows = [row for _ in procs for row in results.get()]
        for proc in procs:
            proc.join()
        failures = [err.decode("utf-8", "replace").strip()[-300:] for _, err in (b.communicate() for b in builds)]
        completed = sum(build.returncode == 0 for build in builds)
    latencies = sorted(ms for ms, _, _ in rows)
    errors = [outcome for _, outcome, _ in rows if outcome not in ("ok", "wrong")]
    return [
        f"load: {len(rows)} asks from {workers} processes during {rebuilds} forced rebuilds of the same index folder",
        f"errors {len(errors)}, wrong answers {sum(o == 'wrong' for _, o, _ in rows)}, rebuilds completed {completed}/{rebuilds}, "
        f"builds answered from {len({build for _, _, build in rows})}",
        f"latency (load current index + answer): p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms",
        *sorted(set(errors))[:5],
        *(failure for build, failure in zip(builds, failures) if build.returncode),
    ]


def _load_worker(settings: Settings, worker: int, count: int, start, results) -> None:
    """One asking process: warm up, say ready, then `count` asks, each on a freshly loaded `current`;
    rows of (milliseconds, ok / wrong / the error, the build that answered)."""
    from .answer import ask
    from .index import load_index

    ask(load_index(settings), LOAD_QUESTIONS[0][0])
    results.put("ready")
    start.wait()
    rows = []
    for n in range(count):
        question, expected = LOAD_QUESTIONS[(worker + n) % len(LOAD_QUESTIONS)]
        started, build = time.perf_counter(), ""
        try:
            index = load_index(settings)
            build = index.path.name
            outcome = "ok" if expected in ask(index, question).answer else "wrong"
        except Exception as error:  # counted and shown, never hidden: the check is for zero
            outcome = f"{error.__class__.__name__}: {error}"
        rows.append(((time.perf_counter() - started) * 1000, outcome, build))
    results.put(rows)
