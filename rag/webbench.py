"""Benchmarks of the web app, run against `python app.py` started in a subprocess (`running_app`, which the
browser and API tests use too):

    rag bench --web     # 16 concurrent gradio_client users x 5 questions through /ask: p50/p95/errors; then the
                        # JSON API of `rag serve --workers 1` and `--workers 2`: 16 and 64 clients x 20 questions, memory
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

    with running_app(startup_timeout, **app_env(settings)) as (url, server):
        clients = [Client(url, verbose=False, ssl_verify=False) for _ in range(users)]  # handshakes not timed
        for question in QUESTIONS:  # waits for the index and its warm-up: the steady state is what is measured
            clients[0].predict(question, "", api_name="/ask")

        def ask_as(number: int, question: str) -> str:
            result = clients[number].predict(question, "", api_name="/ask")
            return result.get("error") if isinstance(result, dict) else f"unexpected reply {result!r:.80}"

        server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
        timings, errors, wall = concurrent_users(users, questions_per_user, ask_as)
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


def run_json_bench(settings: Settings, users=(16, 64), questions_per_user: int = 20, workers=(1, 2),
                   startup_timeout: float = 600) -> str:
    """The JSON API (POST /api/v1/ask) of `rag serve --workers N` for each N in `workers`: `users` concurrent
    HTTP clients (one keep-alive connection each) asking `questions_per_user` questions each, p50/p95/errors,
    and the memory of all the server's processes — RSS summed (pages shared by the workers counted in each)
    and PSS summed (each shared page divided among the processes sharing it: what the machine really gives).
    Every question is answered once before the clock starts (the steady state is measured)."""
    import httpx

    lines = []
    for count in workers:
        with running_app(startup_timeout, serve_workers=count, **app_env(settings)) as (url, server):
            ask_url = f"{url}api/v1/ask"
            with httpx.Client(timeout=120) as warm:
                for question in QUESTIONS:
                    warm.post(ask_url, json={"question": question}).raise_for_status()
            rss, pss = tree_memory(server.pid)
            lines.append(f"JSON API, rag serve --workers {count}: memory after load RSS {rss:.0f} MB summed over "
                         f"{len(process_tree(server.pid))} processes, PSS {pss:.0f} MB")
            for clients in users:
                timings, errors, wall = _json_clients(ask_url, clients, questions_per_user)
                total = clients * questions_per_user
                lines.append(
                    f"  {clients} clients x {questions_per_user} questions = {total} requests in {wall:.1f} s "
                    f"({total / wall:.1f} req/s): p50 {percentile(timings, 0.5) * 1000:.0f} ms, p95 "
                    f"{percentile(timings, 0.95) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms; errors {len(errors)}/{total}"
                    + "".join(f"\n    error: {e[:200]}" for e in errors[:3]))
            rss, pss = tree_memory(server.pid)
            lines.append(f"  memory after the clients: RSS {rss:.0f} MB summed, PSS {pss:.0f} MB; load average {load_average()}")
    return "\n".join(lines)


def _json_clients(url: str, clients: int, questions_per_user: int) -> tuple[list[float], list[str], float]:
    import httpx

    connections = [httpx.Client(timeout=300) for _ in range(clients)]
    try:
        for connection in connections:  # the connections are made before the clock starts
            connection.get(url.replace("/ask", "/health"))

        def ask_as(number: int, question: str) -> str:
            reply = connections[number].post(url, json={"question": question})
            return "" if reply.status_code == 200 else f"HTTP {reply.status_code} {reply.text[:120]}"

        return concurrent_users(clients, questions_per_user, ask_as)
    finally:
        for connection in connections:
            connection.close()


def concurrent_users(users: int, questions_per_user: int, ask_as) -> tuple[list[float], list[str], float]:
    """`users` threads started together, each asking `questions_per_user` of QUESTIONS through
    `ask_as(user, question)` (which returns "" or what went wrong): (latencies, errors, wall seconds).
    A failed request is counted, not fatal."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    timings: list[float] = []
    errors: list[str] = []
    start, record = threading.Barrier(users), threading.Lock()

    def user(number: int) -> None:
        start.wait(timeout=120)
        for turn in range(questions_per_user):
            question = QUESTIONS[(number * questions_per_user + turn) % len(QUESTIONS)]
            began = time.perf_counter()
            try:
                problem = ask_as(number, question)
            except Exception as exc:
                problem = f"{exc.__class__.__name__}: {exc}"
            with record:
                timings.append(time.perf_counter() - began)
                if problem:
                    errors.append(f"{question}: {problem}")

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user, range(users)))
    return timings, errors, time.perf_counter() - wall


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo.extend(int(child) for child in task.read_text().split())
    return found


def tree_memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB summed over `pid` and its descendants."""
    rss = pss = 0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
            name, _, value = line.partition(":")
            if name == "Rss":
                rss += int(value.split()[0])
            elif name == "Pss":
                pss += int(value.split()[0])
    return rss / 1024, pss / 1024


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
def running_app(timeout: float = 600, poll: float = 0.5, serve_workers: int | None = None, **env_vars: str):
    """Yield (url, process) of `python app.py` started on a free localhost port, once its page is served —
    or, with `serve_workers`, of `rag serve --workers N` once /api/v1/health says its index is loaded;
    always stop it.

    `env_vars` (RAG_CORPUS=..., RAG_INDEX=...) point the server at its own corpus and index. The app listens
    before its index is loaded: a question asked at once waits for it. The benchmarks and the browser tests
    start the servers through this one function.
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
    if serve_workers:
        command, ready = [sys.executable, "-m", "rag", "serve", "--workers", str(serve_workers)], f"{url}api/v1/health"
    else:
        command, ready = [sys.executable, str(PROJECT_ROOT / "app.py")], url
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", **env_vars)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], cwd=PROJECT_ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(ready, timeout=5):
                        break
                except (urllib.error.URLError, OSError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        tail = log.read().decode("utf-8", errors="replace")[-3000:]
                        raise RuntimeError(f"{' '.join(command[1:3])} did not start on {url}:\n{tail}") from None
                    time.sleep(poll)
            yield url, process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait(timeout=15)
