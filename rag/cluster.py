"""Bulk builds on a Ray cluster: `rag build --cluster ADDRESS` (a running cluster: head:6379, ray://head:10001,
or `auto` for the one started on this machine with `ray start`) or `rag build --cluster local` (a cluster of
this machine's cores, started and stopped by the build).

The two slow stages of a build run on the cluster, everything else on the machine running `rag build`
(the driver), which writes the index exactly as a local build does:

    reading and parsing   one Ray task per file; the file's bytes travel with the task (a worker node
                          need not see the corpus folder) and the parse comes back to the driver
    embedding             embedding actors, each holding the model once; the passages go in the same
                          steps of `Settings.embed_step` texts, in the same order, as a local build's, so
                          the same batches give the same vectors

Resumable like a local build: the driver keeps every parse (rag.parsing.ParseCache) and every step of
vectors (rag.embed.EmbeddingCache) the moment it arrives, so a killed cluster build, run again, sends only
what was not finished. Ray core tasks and actors rather than Ray Data: the driver must commit each result
as it arrives and keep the steps' composition (README "Bulk builds on a cluster" has the measurements).

Every node needs the project's dependencies installed (the `rag` package itself is shipped by Ray) and
the model at the same RAG_MODEL path (or a hub id in its cache). With RAG_EMBED_DEVICE=cuda and GPUs in
the cluster, one embedding actor per GPU embeds with PyTorch on it.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from .errors import UserError

LOCAL = "local"
CONNECT_SECONDS = 10  # a cluster address that does not answer within this is refused (Ray itself waits minutes)
CPUS_PER_ACTOR = 4  # on a real cluster: threads of one embedding actor (one model copy per this many cores)
IN_FLIGHT_PER_ACTOR = 2  # steps queued at each actor, so that none waits for the driver


@contextlib.contextmanager
def connected(settings):
    """A Cluster for one build: connects to `settings.cluster` (starting a local one for `local`) and
    disconnects (stopping the local one) afterwards, whatever happens."""
    try:
        import ray
    except ImportError:
        raise UserError("集群构建需要 Ray：pip install -e '.[cluster]'（或 pip install 'ray>=2.9'）") from None
    package = str(Path(__file__).resolve().parent)
    env = {key: value for key, value in os.environ.items() if key.startswith(("RAG_", "HF_"))}
    options = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                   runtime_env={"env_vars": {**env, "TOKENIZERS_PARALLELISM": "false"}})
    if settings.cluster not in (LOCAL, "auto"):
        reachable(settings.cluster)
    try:
        if settings.cluster == LOCAL:
            ray.init(num_cpus=os.cpu_count() or 1, **options)
        else:  # the package travels to the cluster; its dependencies are installed on every node
            options["runtime_env"]["py_modules"] = [package]
            ray.init(address=settings.cluster, **options)
    except Exception as exc:  # unreachable address, version mismatch, a token missing …
        hint = ("；集群启用了令牌认证：请设置 RAY_AUTH_MODE=token，并用 RAY_AUTH_TOKEN 或 ~/.ray/auth_token 提供集群的令牌"
                if "auth" in str(exc).lower() or "token" in str(exc).lower() else "")
        raise UserError(f"无法连接 Ray 集群 {settings.cluster}（{exc.__class__.__name__}：{str(exc)[:200]}）{hint}") from None
    try:
        yield Cluster(settings)
    finally:
        ray.shutdown()


def reachable(address: str) -> None:
    """Refuse, in one sentence, an address (host:port or ray://host:port) nothing listens on."""
    import socket

    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"集群地址应是 主机:端口（如 10.0.0.5:6379）、ray://主机:端口，或 local，收到 {address[:80]}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS):
            pass
    except OSError as exc:
        raise UserError(f"无法连接 Ray 集群 {address[:80]}（{exc.__class__.__name__}，等待上限 {CONNECT_SECONDS} 秒）。"
                        "请检查地址，并确认集群已用 ray start --head 启动") from None


class Cluster:
    """The parse and the embedding of one build, on the connected cluster."""

    def __init__(self, settings):
        import ray

        self.settings, self.threads = settings, 0
        self.resources = ray.cluster_resources()
        self._actors = None

    def embed_with(self, settings, threads: int) -> None:
        """Embed with the backend the build chose (`settings.embed_backend`), the local actor with `threads`
        as this machine's build would."""
        self.settings, self.threads = settings, threads

    def parse(self, todo: list, chunk_settings):
        """(key, Parsed) of each (FileJob, key) of `todo` as it is ready, parsed on the cluster."""
        import ray

        from .parsing import parse_file

        remote = ray.remote(parse_shipped)
        pending = {}
        for job, key in todo:
            try:
                data = job.path.read_bytes()
            except OSError:  # unreadable here: the local parse reports why, as a local build does
                yield key, parse_file(job, chunk_settings)
                continue
            pending[remote.remote(job.path.name, data, job, chunk_settings)] = key
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            yield pending.pop(ready[0]), ray.get(ready[0])

    def encode(self, steps: list[list[str]]):
        """(step number, vectors) of each step of texts as it is ready, embedded by the cluster's actors."""
        import ray

        actors = self.actors()
        queue = list(enumerate(steps))
        pending = {}

        def send(actor):
            if queue:
                number, texts = queue.pop(0)
                pending[actor.encode.remote(number, texts)] = actor

        for actor in actors:
            for _ in range(IN_FLIGHT_PER_ACTOR):
                send(actor)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            actor = pending.pop(ready[0])
            send(actor)
            yield ray.get(ready[0])

    def actors(self) -> list:
        """The embedding actors, made on first use: one per GPU when RAG_EMBED_DEVICE=cuda finds GPUs, else
        one for a local cluster (all of this machine's cores, as a local build) or one per CPUS_PER_ACTOR
        cores of a real one."""
        if self._actors is None:
            import ray

            settings = self.settings
            cpus, gpus = int(self.resources.get("CPU", 1)), int(self.resources.get("GPU", 0))
            if settings.embed_device.startswith("cuda") and gpus:
                count, each = gpus, {"num_gpus": 1, "num_cpus": 1}
                threads = 1
            elif settings.cluster == LOCAL:
                count, each, threads = 1, {"num_cpus": cpus}, self.threads
            else:
                per = min(CPUS_PER_ACTOR, cpus)
                count, each, threads = max(1, cpus // per), {"num_cpus": per}, per
            worker = ray.remote(EmbeddingActor).options(**each)
            self._actors = [worker.remote(settings.model, settings.embed_backend, str(settings.models_cache),
                                          settings.embed_device, threads) for _ in range(count)]
        return self._actors


def parse_shipped(name: str, data: bytes, job, chunk_settings):
    """`parse_file` of a file sent as bytes (runs on a cluster worker): written under its own name in a
    temporary folder, read from there, the folder removed."""
    from .parsing import parse_file

    with tempfile.TemporaryDirectory(prefix="rag-parse-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return parse_file(replace(job, path=path), chunk_settings)


class EmbeddingActor:
    """One model on one cluster worker (a Ray actor): steps of texts in, unit vectors out."""

    def __init__(self, model: str, backend: str, models_cache: str, device: str, threads: int):
        from .embed import embedder, prefer_threads

        prefer_threads(threads)
        self.model = embedder(model, backend, models_cache, device)

    def encode(self, number: int, texts: list[str]):
        return number, self.model.encode(texts)
