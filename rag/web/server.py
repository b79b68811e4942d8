"""`rag serve`: the JSON API alone (no page), in N processes — the way to serve many programs and users.

    rag serve [--host 127.0.0.1] [--port 8000] [--workers N]

(`rag serve` runs `python -m rag.web.server` with its options and settings, so that the command line does
not import the web layer; see `main`.)

One process loads the index (building it when missing), the model and every cache an answer builds on
first use, opens the listening socket, and then forks N workers that all accept on it. The workers share
what was loaded before the fork: the vectors are memory-mapped from the build's file (one copy in the page
cache, however many workers) and the model's weights, the passages and the word statistics are pages the
workers read and do not copy. Each worker follows the index folder's `current` build like the app does
(rag.serving.ServedIndex): a `rag build` while it serves is picked up at the next request, without a
restart. A worker that dies is replaced; Ctrl-C or SIGTERM stops them all.
"""
from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
import time

log = logging.getLogger(__name__)

RESTART_AFTER_SECONDS = 5  # a worker that dies sooner than this after starting is not restarted (it would loop)


def port_problem(host: str, port: int) -> str | None:
    """Why the app cannot listen on (host, port), in one Chinese sentence, or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return f"无法解析监听地址 {host}。"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # what uvicorn sets too
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"端口 {port} 已被占用（可能已有一个问答网页在运行）。请换一个端口，例如：make run PORT=8000 或 python app.py --port 8000"
            if exc.errno == errno.EACCES:
                return f"没有权限使用端口 {port}。请用 1024 以上的端口，例如 --port 8000"
            return f"无法在 {host}:{port} 上监听（{exc.strerror}）。"
    return None


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket every worker accepts on (made before the fork, so that they share it)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def api_app(served):
    """The JSON API at /api (as on the app's server), / leading to its docs."""
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Mount, Route

    from .jsonapi import PREFIX, json_api

    async def home(request):
        return RedirectResponse(f"{PREFIX}/docs")

    return Starlette(routes=[Route("/", home), Mount(PREFIX, app=json_api(served))])


def run_worker(app, sock: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])


def serve(served, sock: socket.socket, workers: int) -> int:
    """Answer on `sock` from `served` (loaded and warmed) in `workers` processes until stopped."""
    app = api_app(served)
    if workers == 1:
        served.follow()
        run_worker(app, sock)
        return 0
    children: dict[int, float] = {}  # pid -> when it started
    import gc

    gc.collect()
    gc.freeze()  # what is loaded now is never scanned by the workers' collector: their pages stay shared, not copied

    def start():
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            served.follow()  # threads do not survive a fork: each worker watches `current` itself
            try:
                run_worker(app, sock)
            finally:
                os._exit(0)
        children[pid] = time.monotonic()

    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    for _ in range(workers):
        start()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = 0
    while children:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        started = children.pop(pid, None)
        if stopping or started is None:
            continue
        if time.monotonic() - started < RESTART_AFTER_SECONDS:
            print(f"错误：工作进程 {pid} 启动后立即退出（状态 {code}），停止服务。", file=sys.stderr, flush=True)
            stop(signal.SIGTERM, None)
            status = 3
            continue
        print(f"警告：工作进程 {pid} 意外退出（状态 {code}），已重新启动一个。", file=sys.stderr, flush=True)
        start()
    return status


def main(argv: list[str] | None = None) -> int:
    """`python -m rag.web.server [--host] [--port] [--workers] [--corpus] [--index] [--model]`, what
    `rag serve` runs, with the command line's exit statuses and messages (rag.usertext.run_command)."""
    from ..config import Settings
    from ..usertext import ChineseParser, run_command

    parser = ChineseParser(prog="rag serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    for name in ("--corpus", "--index", "--model"):
        parser.add_argument(name)
    args = parser.parse_args(argv)
    return run_command(lambda: _serve(args, Settings().given(args.corpus, args.index, args.model)))


def _serve(args, settings) -> int:
    """Validate, load and warm the index (building it when missing), listen, serve."""
    from ..errors import UserError
    from ..serving import EXAMPLE_QUESTIONS, ServedIndex

    if not 1 <= args.port <= 65535:
        raise UserError(f"端口应在 1 到 65535 之间，收到 {args.port}。")
    problem = port_problem(args.host, args.port)
    if problem:
        raise UserError(problem)
    sock = listening_socket(args.host, args.port)
    served = ServedIndex(settings, warm_questions=EXAMPLE_QUESTIONS)
    index = served.load()
    served.warm_up()
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"JSON 接口已可访问：http://{shown}:{args.port}/api/v1/ （{args.workers} 个工作进程；{len(index.plans)} 个方案，"
          f"{len(index.chunks)} 个段落；接口说明 http://{shown}:{args.port}/api/docs）", flush=True)
    return serve(served, sock, args.workers)


if __name__ == "__main__":
    # one thread per request in every runtime (as in app.py); read when numpy and tokenizers load
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
