"""Benchmarks that print figures: cold build time, warm in-process `ask` latency, normalisation
throughput and a load check (asks during rebuilds).

    rag bench            # warm latency over 20 questions, 3 rounds, medians
    rag bench --build    # also a cold build into a temporary index folder, and passages/s + tokens/s per embedding
                         # backend beside the floor (sentence-transformers' own encode), the CPU flags, the auto choice
    rag bench --backends # per backend: cold build of the shipped plans + ../shared/realpdfs, hit@5 on three sets
    rag bench --web      # (rag/webbench.py) 16 concurrent users of the running web app's /ask
    rag bench --start    # (rag/webbench.py) seconds from starting the app to its first page and first answer
    rag bench --scale N  # ask latency and memory on the real index and on a synthetic one N times its size
    rag bench --normalize  # MB/s of decode + normalize on 1, 4, 16 MB, and the 16/1 time ratio
    rag bench --resume   # a cold build killed at 25/50/75 % of its time, then resumed: seconds, files, passages
    rag bench --load     # 200 asks from 4 processes while 3 forced rebuilds replace the index

The machine is noisy: read medians, not single runs.
"""
from __future__ import annotations

import gc
import os
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

    lines = build_ratios(settings) + ingestion_speed() + backend_throughput(settings) if build else []
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
    from .catalog import add_plans
    from .config import SHARED_DIR
    from .index import build_index

    with tempfile.TemporaryDirectory() as tmp:
        corpus, extra = Path(tmp) / "corpus", Path(tmp) / "extra"
        shutil.copytree(settings.corpus_dir, corpus)
        extra.mkdir()
        pages = sorted((SHARED_DIR / "newplans").glob("*.txt"))
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


def backend_throughput(settings: Settings, rounds: int = 2, passages: int = 300) -> list[str]:
    """Passages/s and tokens/s of each embedding backend (token-length batches, the thread count the
    machine's measurement chose) on `passages` of the index's passages spread over all its plans, nothing
    cached, beside the floor: sentence-transformers' own `encode` of the same texts with the same model
    (batch_size 32, its default), measured in the same run, the backends taking turns (the machine is
    shared: read the runs side by side). Then what RAG_EMBED_BACKEND=auto picked here, and why."""
    from sentence_transformers import SentenceTransformer

    from .embed import AUTO, BACKENDS, chosen, cpu_flags, embedder, limit_threads
    from .index import load_index

    chunks = load_index(settings).chunks
    texts = [chunks[i].search_text() for i in np.linspace(0, len(chunks) - 1, num=min(passages, len(chunks)), dtype=int)]
    choice = chosen(replace(settings, embed_backend=AUTO), texts)
    limit_threads(choice.threads or (os.cpu_count() or 1))
    models = {b: embedder(settings.model, b, str(settings.models_cache)) for b in BACKENDS}
    tokens = sum(models["onnx"].token_counts(texts))
    floor = SentenceTransformer(str(settings.model), device="cpu")
    runs = {"sentence-transformers encode (floor)": lambda: floor.encode(texts, batch_size=32, normalize_embeddings=True),
            **{backend: (lambda model=model: model.encode(texts)) for backend, model in models.items()}}
    for model in models.values():
        model.encode(texts[:8])  # load (and export) outside the clock
    floor.encode(texts[:8])
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - started)
    floor_speed = len(texts) / statistics.median(seconds["sentence-transformers encode (floor)"])
    lines = [f"embedding {len(texts)} passages ({tokens} tokens, {tokens / len(texts):.0f} a passage) on {cpu_flags()}, "
             f"{choice.threads or 'default'} threads:"]
    for name, times in seconds.items():
        speed = len(texts) / statistics.median(times)
        lines.append(f"  {name}: {speed:.1f} passages/s, {tokens / statistics.median(times):.0f} tokens/s "
                     f"({speed / floor_speed:.2f}x the floor; runs {', '.join(f'{len(texts) / t:.1f}' for t in times)})")
    measured = ", ".join(f"{key} {value} tokens/s" for key, value in choice.tokens_per_second.items())
    lines.append(f"  RAG_EMBED_BACKEND=auto builds with {choice.backend}, {choice.threads} threads here"
                 + (f" (measured once: {measured})" if measured else ""))
    return lines


def backend_builds(settings: Settings, as_json: bool = False) -> list[str]:
    """Per embedding backend: a cold build of the shipped plans + ../shared/realpdfs (nothing cached
    but the model's ONNX export), its stages and passages/s, then hit@5 and answer accuracy on the
    real-PDF questions, the shipped questions and the new-plans questions (their corpora built with
    the same backend). The dev sets are read in place through links in a temporary folder."""
    import json

    from .config import SHARED_DIR as shared
    from .embed import BACKENDS
    from .evaluate import EVALS, evaluate_full, load_questions
    from .index import build_index, load_index

    sets = {"realpdfs": (sorted((shared / "realpdfs").glob("*.pdf")), shared / "realpdfs" / "questions.jsonl"),
            "shipped": ([], EVALS / "questions.jsonl"),
            "newplans": (sorted((shared / "newplans").glob("*.txt")), shared / "newplans" / "questions.jsonl")}
    sets = {name: (files, questions) for name, (files, questions) in sets.items() if questions.is_file()}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in BACKENDS:
            cache = Path(tmp) / backend / "cache"
            cache.mkdir(parents=True)
            row = {"backend": backend}
            for name, (files, questions) in sets.items():
                corpus, index_dir = Path(tmp) / backend / name / "corpus", Path(tmp) / backend / name / "index"
                linked_corpus(corpus, [*Path(settings.corpus_dir).iterdir(), *files])
                index_dir.mkdir()
                (index_dir / "cache").symlink_to(cache)  # one embedding and parse cache per backend
                local = replace(settings, corpus_dir=corpus, index_dir=index_dir, embed_backend=backend,
                                model_cache=str(settings.models_cache))
                started = time.perf_counter()
                built = build_index(local, progress=False)
                seconds = time.perf_counter() - started
                if name == next(iter(sets)):  # the first corpus of each backend is built cold
                    row.update(cold_build_seconds=round(seconds, 1), passages=built.manifest.chunks, stages=built.stages,
                               passages_per_second=round(built.embedded / max(built.stages["embed"], 1e-9), 1))
                metrics = evaluate_full(load_index(local), load_questions(questions))
                row[name] = {"hit@5": metrics["hit@5"], "answer_accuracy": metrics["answer_accuracy"]}
            rows.append(row)
    if as_json:
        return [json.dumps(rows, ensure_ascii=False)]
    torch_row = next(r for r in rows if r["backend"] == "torch")
    return [f"{r['backend']}: cold build ({r['passages']} passages, {next(iter(sets))}) {r['cold_build_seconds']} s "
            f"({torch_row['cold_build_seconds'] / r['cold_build_seconds']:.2f}x faster than torch), embedding "
            f"{r['passages_per_second']} passages/s; stages {r['stages']}; "
            + "; ".join(f"{name} hit@5 {r[name]['hit@5']}, accuracy {r[name]['answer_accuracy']}" for name in sets)
            for r in rows]


def resume_timings(settings: Settings, fractions: tuple[float, ...] = (0.25, 0.5, 0.75)) -> list[str]:
    """A cold build of the shipped plans + ../shared/realpdfs run to its end, then the same build from
    nothing killed (SIGKILL to it and its parse workers) at each fraction of that time and run again:
    the seconds the second run takes, the files it read again and the passages it embedded again.
    Each build is `rag build --json` in its own process with empty caches but the model's ONNX export."""
    import json
    import signal
    import subprocess
    import sys

    from .config import PROJECT_ROOT, SHARED_DIR

    def build(env: dict, kill_after: float | None = None) -> tuple[float, dict | None]:
        started = time.perf_counter()
        run = subprocess.Popen([sys.executable, "-m", "rag.cli", "build", "--json"], env=env, cwd=PROJECT_ROOT,
                               start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            out, _ = run.communicate(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.communicate()
            return time.perf_counter() - started, None
        if run.returncode != 0:
            raise RuntimeError(f"rag build exited with {run.returncode}")
        return time.perf_counter() - started, json.loads(out)

    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = linked_corpus(Path(tmp) / "corpus",
                               [*Path(settings.corpus_dir).iterdir(), *sorted((SHARED_DIR / "realpdfs").glob("*.pdf"))])

        def env_for(name: str) -> dict:
            return dict(os.environ, RAG_CORPUS=str(corpus), RAG_INDEX=str(Path(tmp) / name),
                        RAG_MODEL=str(settings.model), RAG_EMBED_BACKEND=settings.embed_backend,
                        RAG_MODEL_CACHE=str(settings.models_cache))

        cold, report = build(env_for("cold"))
        files, passages = len(report["files"]), report["manifest"]["chunks"]
        lines.append(f"cold build, {files} files, {passages} passages ({settings.embed_backend}): {cold:.1f} s; "
                     f"stages {report['stages']}")
        for fraction in fractions:
            killed, _ = build(env_for(f"kill{fraction}"), kill_after=cold * fraction)
            resumed, again = build(env_for(f"kill{fraction}"))
            lines.append(f"killed at {100 * fraction:.0f} % ({killed:.1f} s), run again: {resumed:.1f} s, "
                         f"{files - again['reused_files']}/{files} files read again, "
                         f"{again['embedded']}/{passages} passages embedded by it; killed + resumed "
                         f"{killed + resumed:.1f} s = {(killed + resumed) / cold:.2f}x the uninterrupted build")
    return lines


def ingestion_speed(ocr_pages: int = 3) -> list[str]:
    """Pages/s of reading the real PDFs of ../shared/realpdfs (text layer, layout, tables), and seconds per
    page of OCR on the first pages of a few of them, rendered and read as if they were scans."""
    import pypdfium2 as pdfium

    from .config import SHARED_DIR
    from .ingest import Limits, read_document
    from .ingest.ocr import ocr_page

    pdfs = sorted((SHARED_DIR / "realpdfs").glob("*.pdf"))
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


def linked_corpus(folder: Path, files: list[Path]) -> Path:
    """A corpus folder of links to `files` (the dev sets are read in place, never copied)."""
    folder.mkdir(parents=True)
    for path in files:
        (folder / path.name).symlink_to(path.resolve())
    return folder


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_scale_bench(settings: Settings, copies: int, rounds: int = 3, as_json: bool = False) -> str:
    """`ask` latency and resident memory on the real index, then on a corpus `copies` times its size, in one run.

    The large corpus is synthetic (`scaled_index`): what it measures is how retrieval and answering grow
    with the number of chunks and plans, not answer quality. Beside `ask`, the same questions' bare
    query embedding (the floor any answer pays) and `retrieve` alone; recall@5 is the vector index's
    against exact search (1.0 for an exact index).
    """
    import json

    from .index import load_index
    from .serving import shared_index

    base = shared_index(load_index(settings))  # one embedding thread, as in the app
    rows = [_scale_row(base, 1, rounds)]
    started = time.perf_counter()
    big = scaled_index(base, copies)
    made = time.perf_counter() - started
    rows.append(_scale_row(big, copies, rounds) | {"made_seconds": round(made, 1)})
    if as_json:
        return json.dumps(rows, ensure_ascii=False)
    small, large = rows
    lines = [f"ask over {len(QUESTIONS)} questions x {rounds} rounds, one embedding thread ({settings.embed_backend})"]
    for row in rows:
        lines += [
            f"  x{row['copies']:<5} {row['plans']} plans, {row['passages']} passages, vectors {row['vector_index']} "
            f"(recall@5 {row['recall_at_5']:.4f}): ask p50 {row['ask_p50_ms']} ms, p95 {row['ask_p95_ms']} ms; "
            f"RSS {row['rss_mb']} MB",
            f"         questions naming a place: ask p95 {row['ask_named_p95_ms']} ms; "
            f"bare query embedding p50 {row['embed_p50_ms']} ms (ask p50 = {row['ask_p50_ms'] / row['embed_p50_ms']:.2f}x); "
            f"parse_question p95 {row['parse_p95_ms']} ms; retrieve p50 {row['retrieve_p50_ms']} ms, p95 {row['retrieve_p95_ms']} ms",
            "         slowest questions (median ask): " + "; ".join(f"{q} {t} ms" for q, t in row["slowest"].items()),
        ]
    lines.append(f"  x{copies} made in {made:.1f} s; ratio x{copies}/x1: ask p50 {large['ask_p50_ms'] / small['ask_p50_ms']:.2f}, "
                 f"p95 {large['ask_p95_ms'] / small['ask_p95_ms']:.2f} (goals: ask p95 <= 100 ms, recall@5 >= 0.99, RSS <= 3 GB)")
    return "\n".join(lines)


def _scale_row(index, copies: int, rounds: int) -> dict:
    """Latencies of `ask`, `parse_question`, `retrieve` and the bare query embedding over QUESTIONS."""
    from .answer import ask
    from .question import parse as parse_question
    from .retrieve import retrieve

    for question in QUESTIONS:  # model, per-index caches, and a warm CPU before the clock starts
        ask(index, question)
    times: dict[str, list[float]] = {"ask": [], "parse": [], "retrieve": [], "embed": [], "ask_named": []}
    per_question: dict[str, list[float]] = {q: [] for q in QUESTIONS}
    named = set()
    for question in QUESTIONS:
        query = parse_question(question, index)
        if query.places or query.missing:
            named.add(question)
    for _ in range(rounds):
        for question in QUESTIONS:
            for name, run in (("ask", lambda: ask(index, question)), ("embed", lambda: index.embed([question])),
                              ("parse", lambda: parse_question(question, index)),
                              ("retrieve", lambda: retrieve(index, parse_question(question, index)))):
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
                if name == "ask":
                    per_question[question].append(times[name][-1])
                    if question in named:
                        times["ask_named"].append(times[name][-1])
    ms = lambda name, share: round(percentile(times[name], share) * 1000, 1)
    return {
        "copies": copies, "plans": len(index.plans), "passages": len(index.chunks),
        "ask_p50_ms": ms("ask", 0.5), "ask_p95_ms": ms("ask", 0.95),
        # the questions naming a place (the rest are asked of every plan, and their answers list every plan)
        "ask_named_p95_ms": ms("ask_named", 0.95), "retrieve_p50_ms": ms("retrieve", 0.5),
        "retrieve_p95_ms": ms("retrieve", 0.95), "parse_p95_ms": ms("parse", 0.95), "embed_p50_ms": ms("embed", 0.5),
        "recall_at_5": index.manifest.recall_at_5, "vector_index": index.manifest.vector_index, "rss_mb": round(resident_mb()),
        "slowest": {q: round(statistics.median(t) * 1000, 1)
                    for q, t in sorted(per_question.items(), key=lambda item: -statistics.median(item[1]))[:3]},
    }


def scaled_index(index, copies: int, noise: float = 0.3):
    """The loaded `index` with its plans, chunks and targets repeated `copies` times, as a corpus of
    every place's plan would be.

    Copy 0 is the original. Copy i's plans are `<plan_id>~i` for a place of their own (`江门市~i`), with
    their own copies of the text (so memory grows as a real corpus would): a question naming 江门 names
    one plan among copies x 5, as one naming a place does among every plan in China. Their vectors are
    the original's moved by random noise (cosine ~0.96 to it) and normalised, so the vector index holds
    distinct points to cluster and search, built as `rag build` builds it (approximate past
    `Settings.approximate_from`, its recall measured on the benchmark questions and corpus phrases).
    BM25 is indexed over the repeated chunks. IDF is unchanged by repetition, so the original's is reused.
    """
    import bm25s

    from . import vectors as dense
    from .index import recall_queries
    from .lexical import lexical_tokens

    plans, chunks, targets = {}, [], []
    for copy in range(copies):
        rename = (lambda name: name) if copy == 0 else (lambda name, c=copy: f"{name}~{c}" if name else name)
        for plan in index.plans.values():
            text = plan.text if copy == 0 else (plan.text + " ")[:-1]  # a string of its own
            plans[rename(plan.plan_id)] = replace(plan, plan_id=rename(plan.plan_id), place=rename(plan.place),
                                                  title=rename(plan.title), text=text)
        for chunk in index.chunks:
            text = chunk.text if copy == 0 else (chunk.text + " ")[:-1]
            chunks.append(replace(chunk, chunk_id=len(chunks), plan_id=rename(chunk.plan_id), city=rename(chunk.city),
                                  title=rename(chunk.title), text=text))
        targets += [replace(t, plan_id=rename(t.plan_id), city=rename(t.city)) for t in index.targets]
    rng = np.random.default_rng(0)
    matrix = np.empty((len(chunks), index.matrix.shape[1]), dtype="float32")
    n = len(index.chunks)
    for copy in range(copies):
        block = np.array(index.matrix, dtype="float32")
        if copy:
            block += rng.standard_normal(block.shape, dtype="float32") * (noise / np.sqrt(block.shape[1]))
            block /= np.linalg.norm(block, axis=1, keepdims=True)
        matrix[copy * n : (copy + 1) * n] = block
    settings = index.settings
    queries = np.concatenate([index.embed(list(QUESTIONS)), recall_queries(settings, index.chunks, index.targets)])
    approximate, search = dense.build_search(matrix, queries, settings.approximate_from, settings.ann_recall,
                                             settings.search_depth)
    tokens = [lexical_tokens(c.search_text()) for c in index.chunks]
    bm25 = bm25s.BM25()
    bm25.index(tokens * copies, show_progress=False)
    manifest = replace(index.manifest, plans=len(plans), chunks=len(chunks), targets=len(targets),
                       vector_index=search.kind, recall_at_5=search.recall_at_5)
    scaled = type(index)(manifest, plans, chunks, matrix, approximate, bm25, targets, index.path, settings)
    if hasattr(index, "_embed_lock"):  # a SharedIndex answers like the original
        scaled._embed_lock = index._embed_lock
    scaled.__dict__["idf"] = index.idf
    gc.freeze()  # as load_index does: the collector need not scan the synthetic corpus again and again
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
