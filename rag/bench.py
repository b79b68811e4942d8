"""Benchmarks that print figures: cold build time, warm in-process `ask` latency, normalisation
throughput and a load check (asks during rebuilds).

    rag bench            # warm latency over 20 questions, 3 rounds, medians
    rag bench --build    # also a cold build into a temporary index folder
    rag bench --web      # (rag/webbench.py) 16 concurrent users of the running web app's /ask
    rag bench --start    # (rag/webbench.py) seconds from starting the app to its first page and first answer
    rag bench --scale N  # ask latency and memory on the real index and on a synthetic one N times its size
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

import numpy as np

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

    lines = build_ratios(settings) + ingestion_speed() if build else []
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
    p95 = percentile([t * 1000 for times in per_round for t in times], 0.95)
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
    from .catalog import add_plans
    from .index import build_index

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


def ingestion_speed(ocr_pages: int = 3) -> list[str]:
    """Pages/s of reading the real PDFs of ../shared/realpdfs (text layer, layout, tables), and seconds per
    page of OCR on the first pages of a few of them, rendered and read as if they were scans."""
    import pypdfium2 as pdfium

    from .config import PROJECT_ROOT
    from .ingest import Limits, read_document
    from .ingest.ocr import ocr_page

    pdfs = sorted((PROJECT_ROOT.parent / "shared" / "realpdfs").glob("*.pdf"))
    if not pdfs:
        return ["PDF reading: ../shared/realpdfs not found, not measured"]
    started, pages = time.perf_counter(), 0
    for pdf in pdfs:
        pages += read_document(pdf, Limits()).pages
    seconds = time.perf_counter() - started
    ocr_times = []
    for pdf in pdfs[:ocr_pages]:
        document = pdfium.PdfDocument(pdf)
        started = time.perf_counter()
        ocr_page(document[0], 1)
        ocr_times.append(time.perf_counter() - started)
        document.close()
    return [f"PDF text layer: {len(pdfs)} files, {pages} pages in {seconds:.1f} s = {pages / seconds:.1f} pages/s",
            f"OCR: median {statistics.median(ocr_times):.1f} s/page over {len(ocr_times)} pages "
            f"(the first run includes loading the OCR models)"]


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_scale_bench(settings: Settings, copies: int, rounds: int = 3) -> str:
    """`ask` latency and resident memory on the real index, then on a corpus `copies` times its size, in one run.

    The large corpus is synthetic (`scaled_index`): what it measures is how retrieval and answering grow
    with the number of chunks and plans, not answer quality.
    """
    from .answer import ask
    from .index import load_index
    from .question import parse as parse_question
    from .retrieve import retrieve
    from .serving import shared_index

    def latencies(index) -> tuple[list[float], list[float], list[float]]:
        """(ask, parse_question, retrieve): how much of `ask` is reading the question (place and indicator
        names), how much the search (embedding, dense and BM25 over every chunk, fusion), the rest answering."""
        for question in QUESTIONS:  # model, per-index caches, and a warm CPU before the clock starts
            ask(index, question)
        asked, parsed, searched = [], [], []
        for _ in range(rounds):
            for question in QUESTIONS:
                started = time.perf_counter()
                ask(index, question)
                asked.append(time.perf_counter() - started)
                started = time.perf_counter()
                query = parse_question(question, index)
                parsed.append(time.perf_counter() - started)
                started = time.perf_counter()
                retrieve(index, query)
                searched.append(time.perf_counter() - started)
        return asked, parsed, searched

    def figures(times: list[float]) -> str:
        return f"p50 {percentile(times, 0.5) * 1000:.1f} ms, p95 {percentile(times, 0.95) * 1000:.1f} ms"

    def ratio(large: list[float], small: list[float], share: float) -> float:
        return percentile(large, share) / percentile(small, share)

    base = shared_index(load_index(settings))  # one torch thread, as in the app
    small, small_parse, small_search = latencies(base)
    small_rss = resident_mb()
    started = time.perf_counter()
    big = scaled_index(base, copies)
    made = time.perf_counter() - started
    large, large_parse, large_search = latencies(big)
    large_rss = resident_mb()
    return "\n".join([
        f"ask over {len(QUESTIONS)} questions x {rounds} rounds, one torch thread; dense search: FAISS {type(big.vectors).__name__}",
        f"  x1   ({len(base.plans)} plans, {len(base.chunks)} chunks): ask {figures(small)}; RSS {small_rss:.0f} MB",
        f"       of which parse_question {figures(small_parse)}, retrieve {figures(small_search)}",
        f"  x{copies} ({len(big.plans)} plans, {len(big.chunks)} chunks, made in {made:.1f} s): ask {figures(large)}; "
        f"RSS {large_rss:.0f} MB (both indexes loaded, +{large_rss - small_rss:.0f} MB)",
        f"       of which parse_question {figures(large_parse)}, retrieve {figures(large_search)}",
        f"  ratio x{copies}/x1: ask p50 {ratio(large, small, 0.5):.2f}, p95 {ratio(large, small, 0.95):.2f}; "
        f"retrieve p95 {ratio(large_search, small_search, 0.95):.2f} (goal: ask p95 <= 100 ms and <= 3x)",
    ])


def scaled_index(index, copies: int):
    """The loaded `index` with its plans, chunks and targets repeated `copies` times under distinct plan ids.

    Copy 0 is the original; copy i's plans are `<plan_id>~i`, with their own copies of the text (so memory
    grows as a real corpus would). Embeddings are reused, not recomputed; BM25 is indexed over the repeated
    chunks. Places stay as they are, so a question naming a place searches all copies of its plan.
    IDF is unchanged by repetition (every count grows by the same factor), so the original's is reused.
    """
    import bm25s
    import faiss

    from .index import lexical_tokens

    plans, chunks, targets = {}, [], []
    for copy in range(copies):
        rename = (lambda plan_id: plan_id) if copy == 0 else (lambda plan_id, c=copy: f"{plan_id}~{c}")
        for plan in index.plans.values():
            text = plan.text if copy == 0 else (plan.text + " ")[:-1]  # a string of its own
            plans[rename(plan.plan_id)] = replace(plan, plan_id=rename(plan.plan_id), text=text)
        for chunk in index.chunks:
            text = chunk.text if copy == 0 else (chunk.text + " ")[:-1]
            chunks.append(replace(chunk, chunk_id=len(chunks), plan_id=rename(chunk.plan_id), text=text))
        targets += [replace(t, plan_id=rename(t.plan_id)) for t in index.targets]
    vectors = faiss.IndexFlatIP(index.vectors.d)
    vectors.add(np.tile(index.matrix, (copies, 1)))
    tokens = [lexical_tokens(c.search_text()) for c in index.chunks]
    bm25 = bm25s.BM25()
    bm25.index(tokens * copies, show_progress=False)
    manifest = replace(index.manifest, plans=len(plans), chunks=len(chunks), targets=len(targets))
    scaled = type(index)(manifest, plans, chunks, vectors, bm25, targets, index.path, index.settings)
    scaled.__dict__.update({k: v for k, v in index.__dict__.items() if k.startswith("_")})  # a SharedIndex's lock
    scaled.__dict__["idf"] = index.idf
    return scaled


def resident_mb() -> float:
    """This process's resident memory (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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
    latencies = [ms for ms, _, _ in rows]
    errors = [outcome for _, outcome, _ in rows if outcome not in ("ok", "wrong")]
    return [
        f"load: {len(rows)} asks from {workers} processes during {rebuilds} forced rebuilds of the same index folder",
        f"errors {len(errors)}, wrong answers {sum(o == 'wrong' for _, o, _ in rows)}, rebuilds completed {completed}/{rebuilds}, "
        f"builds answered from {len({build for _, _, build in rows})}",
        f"latency (load current index + answer): p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {percentile(latencies, 0.95):.0f} ms",
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
