"""Benchmarks of the web app, run against `python app.py` started in a subprocess (`running_app`, which the
browser and API tests use too):

    rag bench --web     # 16 concurrent gradio_client users x 5 questions through /ask: p50/p95/errors
    rag bench --start   # seconds from starting app.py to its first page and to its first answer

Both accept --corpus DIR --index DIR to run on any built index. The machine is shared: read medians, and
the load average printed beside them.
"""
from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from .bench import QUESTIONS, percentile
from .config import Settings
from .errors import UserError


def run_web_bench(settings: Settings, users: int = 16, questions_per_user: int = 5, startup_timeout: float = 600) -> str:
    """`users` concurrent gradio_client users each asking `questions_per_user` questions through /ask of
    app.py (started on a free localhost port, stopped afterwards), and the in-process `ask` p50 of the
    same run for comparison: the difference is what the web layer and the concurrency cost.

    Clients connect, and every question is answered once (the app listens before its index is loaded and
    warmed; `rag bench --start` measures that part), before the clock starts; a failed request is counted, not fatal. gradio_client builds a certificate-verifying
    TLS context (loading the CA bundle, ~80 ms of CPU) for every request unless ssl_verify=False; the app
    is plain HTTP on 127.0.0.1, so no TLS is involved either way, and on 2 shared cores that context would
    measure the client rather than the app.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    Client = _gradio_client()

    from .answer import ask
    from .index import load_index
    from .serving import shared_index

    index = shared_index(load_index(settings))  # in-process first, set up like the app, before it competes for the cores
    plans, chunks = len(index.plans), len(index.chunks)
    ask(index, QUESTIONS[0])
    local = []
    for question in QUESTIONS * 3:
        started = time.perf_counter()
        ask(index, question)
        local.append(time.perf_counter() - started)
    del index

    timings: list[float] = []
    errors: list[str] = []
    with running_app(startup_timeout, **app_env(settings)) as (url, server):
        clients = [Client(url, verbose=False, ssl_verify=False) for _ in range(users)]  # handshakes not timed
        for question in QUESTIONS:  # waits for the index and its warm-up: the steady state is what is measured
            clients[0].predict(question, "", api_name="/ask")
        start = threading.Barrier(users)
        record = threading.Lock()

        def user(number: int) -> None:
            start.wait(timeout=120)
            for turn in range(questions_per_user):
                question = QUESTIONS[(number * questions_per_user + turn) % len(QUESTIONS)]
                began = time.perf_counter()
                try:
                    result = clients[number].predict(question, "", api_name="/ask")
                    problem = result.get("error") if isinstance(result, dict) else f"unexpected reply {result!r:.80}"
                except Exception as exc:  # a failed request is counted, not fatal
                    problem = f"{exc.__class__.__name__}: {exc}"
                with record:
                    timings.append(time.perf_counter() - began)
                    if problem:
                        errors.append(f"{question}: {problem}")

        wall, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(server.pid), time.process_time()
        with ThreadPoolExecutor(max_workers=users) as pool:
            list(pool.map(user, range(users)))
        wall = time.perf_counter() - wall
        server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
    total = users * questions_per_user
    lines = [
        f"web /ask on {plans} plans ({chunks} chunks): {users} concurrent gradio_client users x {questions_per_user} "
        f"questions = {total} requests in {wall:.1f} s ({total / wall:.1f} req/s); load average {load_average()}",
        f"  latency p50 {percentile(timings, 0.5) * 1000:.0f} ms, p95 {percentile(timings, 0.95) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms (goal p95 <= 1500 ms); errors {len(errors)}/{total}",
        f"  CPU per request: app {server_cpu / total * 1000:.0f} ms, clients {client_cpu / total * 1000:.0f} ms "
        f"(both on this machine's {os.cpu_count()} cores)",
        f"in-process ask, same run ({len(local)} calls): p50 {percentile(local, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(local, 0.95) * 1000:.1f} ms",
    ]
    return "\n".join(lines + [f"  error: {e[:200]}" for e in errors[:5]])


def _gradio_client():
    """The web benchmarks' client, from the `bench` extra (pip install -e '.[bench]')."""
    try:
        from gradio_client import Client
    except ImportError:
        raise UserError("网页基准需要 gradio_client：pip install -e '.[bench]'") from None
    return Client


def run_start_bench(settings: Settings, rounds: int = 3, startup_timeout: float = 600) -> str:
    """Start app.py `rounds` times on the built index: seconds to its first page (GET / answered), the CPU
    the app had used by then (what a quiet machine would take, near enough: start-up is one thread), and
    seconds to the answer of a question sent the moment the page is up (it waits for the index)."""
    Client = _gradio_client()

    from .index import CURRENT, read_jsonl

    plans = len(read_jsonl(Path(settings.index_dir) / CURRENT / "plans.jsonl"))
    page, cpu, answer = [], [], []
    for _ in range(rounds):
        started = time.monotonic()
        with running_app(startup_timeout, poll=0.05, **app_env(settings)) as (url, server):
            page.append(time.monotonic() - started)
            cpu.append(cpu_seconds(server.pid))
            reply = Client(url, verbose=False, ssl_verify=False).predict(QUESTIONS[0], "", api_name="/ask")
            answer.append(time.monotonic() - started)
            if not reply.get("found"):
                raise RuntimeError(f"the first question was not answered: {reply.get('answer')}")

    def runs(values: list[float]) -> str:
        return f"median {statistics.median(values):.1f} s (runs {', '.join(f'{v:.1f}' for v in values)})"

    return "\n".join([
        f"app start on {plans} plans, {rounds} runs, load average {load_average()}:",
        f"  first page {runs(page)}; app CPU by then {runs(cpu)} (goal: first page <= 5 s)",
        f"  first answer (asked as the page came up) {runs(answer)}",
    ])


def app_env(settings: Settings) -> dict[str, str]:
    return dict(RAG_INDEX=str(settings.index_dir), RAG_CORPUS=str(settings.corpus_dir), RAG_MODEL=settings.model)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


@contextlib.contextmanager
def running_app(timeout: float = 600, poll: float = 0.5, **env_vars: str):
    """Yield (url, process) of `python app.py` started on a free localhost port, once its page is served;
    always stop it.

    `env_vars` (RAG_CORPUS=..., RAG_INDEX=...) point the app at its own corpus and index. The app listens
    before its index is loaded: a question asked at once waits for it. The benchmarks and the browser tests
    start the app through this one function.
    """
    import socket
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from .config import PROJECT_ROOT

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", **env_vars)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=5):
                        break
                except (urllib.error.URLError, OSError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        tail = log.read().decode("utf-8", errors="replace")[-3000:]
                        raise RuntimeError(f"app.py did not start on {url}:\n{tail}") from None
                    time.sleep(poll)
            yield url, process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)
