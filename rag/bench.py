"""Benchmarks that print figures: cold build time and warm in-process `ask` latency.

    rag bench            # warm latency over 20 questions, 3 rounds, medians
    rag bench --build    # also a cold build into a temporary index folder

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
