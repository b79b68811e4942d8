"""Sentence embeddings of passages and questions, by one of three backends, and their cache.

    torch      sentence-transformers on PyTorch: the reference
    onnx       the same model exported once to ONNX and run by onnxruntime
    onnx-int8  that export with its weights quantised to 8-bit integers (dynamic quantisation)

`RAG_EMBED_BACKEND` picks one (`Settings.embed_backend`); its default, `auto`, builds with the backend and
thread count a short measurement on this machine found fastest (`chosen`: measured once, kept in the models
cache under the processor's model and flags), and a loaded index embeds questions with the backend that
built it. Passages are embedded in batches of about the same token length (`token_batches`). README
"Embedding backends" has the measurements. The ONNX files are exported here, from the local model folder
(no hub), into the models cache (`Settings.models_cache`), under a key made of the model's files
and the exporter's versions; never into git. sentence-transformers' own ONNX backend needs
optimum-onnx, whose pin (transformers < 4.58) cannot be installed beside sentence-transformers 6
(transformers >= 5); onnxruntime, the runtime optimum wraps, is used directly instead.

Every vector is unit length (inner product = cosine). Vectors of different backends differ
slightly (int8: cosine 0.997 on average to PyTorch's), so the embedding cache keys each vector
by model *and* backend, and an index records the backend that built it.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import platform
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import UserError, os_reason

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")
AUTO = "auto"  # the backend and thread count a short measurement on this machine found fastest (`chosen`)
BATCH_TOKENS = 2048  # tokens per forward pass, padding included (measured: 1024-2048 fastest for every backend here)
MOST_PER_BATCH = 128  # and never more texts than this in one pass (short questions)
EXPORT_VERSION = "1"  # bump when the export or quantisation recipe changes: the cache key changes with it

_threads: int | None = None  # None: the runtime's default (all cores)


class CacheUnusable(UserError):
    """The embedding cache cannot be opened (`rag.index` reports it as `IndexUnusable`)."""


def cache_reason(exc: BaseException) -> str:
    """A file system or database error in Chinese where there is one (磁盘空间不足, 没有权限 …)."""
    if isinstance(exc, OSError) and exc.errno:
        return os_reason(exc)
    text = str(exc).lower()
    if "disk is full" in text or "no space" in text:
        return "磁盘空间不足"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return "没有写入权限"
    if "unable to open" in text or "is a directory" in text:
        return "无法打开，可能是一个目录"
    return exc.__class__.__name__


class ModelUnavailable(UserError):
    """The embedding model cannot be loaded or exported; the message says what to set."""


def limit_threads(count: int) -> None:
    """Embed with `count` threads from now on: the web app answers many one-question requests at
    once, and a runtime's own thread pool would only spin against them for the same cores."""
    global _threads
    _threads = count
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(count)


def prefer_threads(count: int) -> None:
    """Embed with `count` threads (a measured choice) unless a limit was set already: a server's one thread
    per request stays."""
    if count and _threads is None:
        limit_threads(count)


def check_backend(backend: str) -> str:
    if backend not in (*BACKENDS, AUTO):
        raise UserError(f"RAG_EMBED_BACKEND 应是 {' / '.join((AUTO, *BACKENDS))} 之一，收到 {backend[:40]}")
    return backend


def token_batches(lengths: list[int], budget: int = BATCH_TOKENS, most: int = MOST_PER_BATCH) -> list[list[int]]:
    """The positions of texts of `lengths` tokens grouped into forward passes: longest first, each pass
    padded only to its own longest text (dynamic padding), as many texts as fit in `budget` tokens
    counted with that padding — so a pass of short texts holds many, a pass of long ones few."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < most and lengths[batches[-1][0]] * (len(batches[-1]) + 1) <= budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def cached_model(method):
    """A lazily computed attribute of an embedder (model, folder, tokenizer): computed once, kept."""
    name = "_" + method.__name__

    def get(self):
        if name not in self.__dict__:
            self.__dict__[name] = method(self)
        return self.__dict__[name]

    return property(get, doc=method.__doc__)


class Embedder:
    """One model on one backend, loaded on first use."""

    backend = ""

    def __init__(self, model: str):
        self.model_name = model

    @property
    def cache_tag(self) -> str:
        """What the embedding cache keys vectors by besides model and text: the backend, and for an
        export the recipe's version (a new recipe gives other vectors)."""
        return self.backend if self.backend == "torch" else f"{self.backend}/{EXPORT_VERSION}"

    @property
    def dims(self) -> int:
        raise NotImplementedError

    def encode(self, texts: list[str]) -> np.ndarray:
        """A (len(texts) x dims) float32 array of unit vectors, embedded in token-length batches."""
        if not texts:
            return np.zeros((0, self.dims), dtype="float32")
        vectors = None
        for batch in token_batches(self.token_counts(texts)):
            part = self.forward([texts[i] for i in batch])
            if vectors is None:
                vectors = np.empty((len(texts), part.shape[1]), dtype="float32")
            vectors[batch] = part
        return vectors

    def token_counts(self, texts: list[str]) -> list[int]:
        """How many tokens the model reads of each text (special tokens included, truncated as it truncates)."""
        raise NotImplementedError

    def forward(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of one batch, padded to its longest text."""
        raise NotImplementedError


class TorchEmbedder(Embedder):
    """sentence-transformers on PyTorch; m3e takes no query prefix. `device` "cuda" embeds on the GPU when
    there is one (else on the CPU, said once in the log)."""

    backend = "torch"

    def __init__(self, model: str, device: str = "cpu"):
        super().__init__(model)
        self.device = device

    @cached_model
    def model(self):
        _quiet_hub(self.model_name)
        from sentence_transformers import SentenceTransformer

        device = self.device
        if device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                log.warning("RAG_EMBED_DEVICE=%s but no GPU is present here: embedding on the CPU", device)
                device = "cpu"
        try:
            model = SentenceTransformer(self.model_name, device=device)
        except Exception as exc:  # hub unreachable, folder incomplete, ...
            raise _unavailable(self.model_name, exc) from exc
        if _threads:
            limit_threads(_threads)
        return model

    @property
    def dims(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def token_counts(self, texts: list[str]) -> list[int]:
        tokens = self.model.tokenizer(texts, truncation=True, max_length=self.model.max_seq_length)["input_ids"]
        return [len(t) for t in tokens]

    def forward(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=len(texts), normalize_embeddings=True, show_progress_bar=False,
                                    convert_to_numpy=True)
        return np.asarray(vectors, dtype="float32").reshape(len(texts), -1)


class OnnxEmbedder(Embedder):
    """The model exported to ONNX (optionally int8), run by onnxruntime with the model's own
    tokenizer (tokenizer.json) and pooling (mean or CLS, as its 1_Pooling config says)."""

    def __init__(self, model: str, quantized: bool, cache_dir: Path):
        super().__init__(model)
        self.backend = "onnx-int8" if quantized else "onnx"
        self.quantized, self.cache_dir = quantized, Path(cache_dir)
        self._session, self._session_threads = None, None

    @cached_model
    def folder(self) -> Path:
        return _model_folder(self.model_name)

    @cached_model
    def layout(self) -> dict:
        """What the model folder says about tokens and pooling (sentence-transformers' own files)."""
        folder = self.folder
        config = _read_json(folder / "sentence_bert_config.json", {})
        modules = _read_json(folder / "modules.json", [])
        pooling_dir = next((m.get("path", "") for m in modules if m.get("type", "").endswith("Pooling")), "1_Pooling")
        pooling = _read_json(folder / pooling_dir / "config.json", {"pooling_mode_mean_tokens": True})
        if pooling.get("pooling_mode_mean_tokens"):
            mode = "mean"
        elif pooling.get("pooling_mode_cls_token"):
            mode = "cls"
        else:
            raise ModelUnavailable(f"模型 {self.model_name} 的池化方式不是均值或 CLS，ONNX 后端不支持；请设置 RAG_EMBED_BACKEND=torch")
        if not (folder / "tokenizer.json").is_file():
            raise ModelUnavailable(f"模型目录 {folder} 中没有 tokenizer.json，ONNX 后端无法分词；请设置 RAG_EMBED_BACKEND=torch")
        return {"max_length": int(config.get("max_seq_length") or 512), "pooling": mode,
                "dims": int(pooling.get("word_embedding_dimension") or 0)}

    @cached_model
    def tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        special = _read_json(self.folder / "tokenizer_config.json", {})
        pad = special.get("pad_token") or "[PAD]"
        pad = pad.get("content", "[PAD]") if isinstance(pad, dict) else pad
        tokenizer.enable_truncation(self.layout["max_length"])
        tokenizer.no_padding()  # each batch is padded to its own longest text (`forward`)
        self.pad_id = tokenizer.token_to_id(pad) or 0
        return tokenizer

    @property
    def session(self):
        """The onnxruntime session; made again when the thread limit changed since."""
        if self._session is None or self._session_threads != _threads:
            import onnxruntime

            path = exported_model(self.folder, self.cache_dir, self.quantized)
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            if _threads:
                options.intra_op_num_threads = _threads
                options.inter_op_num_threads = 1
            self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            self._session_threads = _threads
        return self._session

    @property
    def dims(self) -> int:
        return self.layout["dims"] or int(self.encode(["维度"]).shape[1])

    def token_counts(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts)]

    def feed(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The model's inputs for one batch: token ids, attention mask and token types, padded to its longest text."""
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        feed = {"input_ids": np.full((len(texts), width), self.pad_id, dtype="int64"),
                "attention_mask": np.zeros((len(texts), width), dtype="int64"),
                "token_type_ids": np.zeros((len(texts), width), dtype="int64")}
        for row, e in enumerate(encodings):
            feed["input_ids"][row, : len(e.ids)] = e.ids
            feed["attention_mask"][row, : len(e.ids)] = 1
            feed["token_type_ids"][row, : len(e.ids)] = e.type_ids
        return feed

    def forward(self, texts: list[str]) -> np.ndarray:
        session = self.session
        wanted = {i.name for i in session.get_inputs()}
        feed = self.feed(texts)
        hidden = session.run(None, {name: value for name, value in feed.items() if name in wanted})[0]
        if self.layout["pooling"] == "cls":
            pooled = hidden[:, 0]
        else:
            mask = feed["attention_mask"][..., None].astype("float32")
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype("float32")


@lru_cache(maxsize=8)
def embedder(model: str, backend: str = "torch", cache_dir: str = "", device: str = "cpu") -> Embedder:
    """One embedder per (model, backend, models cache, device) in a process: the model loads once."""
    check_backend(backend)
    if backend == "torch":
        return TorchEmbedder(model, device)
    return OnnxEmbedder(model, backend == "onnx-int8", Path(cache_dir))


def embedder_for(settings) -> Embedder:
    """The embedder `settings` ask for (model, backend, models cache)."""
    return embedder(settings.model, settings.embed_backend, str(settings.models_cache), settings.embed_device)


# ---------------------------------------------------------------- the backend this machine runs fastest

CHOICE_FILE = "backend-choice.json"  # in the models cache: one measurement per machine (CPU, runtimes, model)
SAMPLE_TEXTS = 24  # passages measured per backend and thread count (a few seconds each)


@dataclass(frozen=True)
class Choice:
    """What `RAG_EMBED_BACKEND=auto` (the default) builds with on this machine, and what was measured."""

    backend: str
    threads: int  # 0: the runtime's default
    tokens_per_second: dict = field(default_factory=dict)  # "backend/threads" -> measured


def machine_key(model_id: str) -> str:
    """The processor (model name and flags: avx512_vnni, amx … decide int8's speed), the core count, the
    runtimes' versions and the model: when any of them changes, the measurement is made again."""
    from importlib import metadata

    info = _read_text(Path("/proc/cpuinfo"))
    cpu = next((line for line in info.splitlines() if line.startswith("model name")), platform.processor())
    flags = next((line for line in info.splitlines() if line.startswith(("flags", "Features"))), platform.machine())
    versions = []
    for package in ("torch", "onnxruntime", "sentence-transformers"):
        try:
            versions.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}=-")
    text = f"{cpu}|{flags}|{os.cpu_count()}|{' '.join(versions)}|{EXPORT_VERSION}|{model_id}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cpu_flags() -> str:
    """The processor and the flags that matter to embedding speed, for reports."""
    info = _read_text(Path("/proc/cpuinfo"))
    cpu = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
               platform.processor())
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    shown = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    return f"{cpu}, {os.cpu_count()} cores, {' '.join(shown) or 'no avx2'}" + ("" if "avx512_vnni" in flags else " (no avx512_vnni)")


def chosen(settings, texts: list[str], say=None) -> Choice:
    """The backend (and threads) to build with: `RAG_EMBED_BACKEND` when it names one, else the fastest on
    this machine — measured once on `texts` (a sample of the passages to embed) and kept in the models
    cache under `machine_key`. `say(message)` is told when a measurement starts."""
    if settings.embed_backend != AUTO:
        return Choice(check_backend(settings.embed_backend), 0)
    if settings.embed_device.startswith("cuda"):  # a GPU runs PyTorch (onnxruntime here is the CPU build)
        return Choice("torch", 0)
    path = Path(settings.models_cache) / CHOICE_FILE
    key = machine_key(settings.model_id)
    known = _read_json(path, {})
    if isinstance(known.get(key), dict):
        try:
            return Choice(**known[key])
        except TypeError:
            pass
    if say:
        say("正在测量本机最快的嵌入后端（每台机器只测一次）……")
    choice = measure(settings, texts)
    known[key] = asdict(choice)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{CHOICE_FILE}.{os.getpid()}")
        partial.write_text(json.dumps(known, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        log.warning("could not keep the embedding backend measurement in %s", path)
    return choice


def measure(settings, texts: list[str]) -> Choice:
    """Tokens/s of every backend at 1 thread and at every core on a sample of `texts`, the fastest kept.
    A backend that cannot run here (no ONNX export for this model) is left out; torch always runs."""
    global _threads
    if not texts:
        texts = ["到2025年，非化石能源消费比重达到20%左右，单位地区生产总值能耗比2020年下降14%。"]
    sample = [texts[i] for i in np.linspace(0, len(texts) - 1, num=min(SAMPLE_TEXTS, len(texts)), dtype=int)]
    sample = (sample * (1 + SAMPLE_TEXTS // len(sample)))[:SAMPLE_TEXTS]
    cores = os.cpu_count() or 1
    before, speeds = _threads, {}
    try:
        for backend in BACKENDS:
            model = embedder(settings.model, backend, str(settings.models_cache))
            try:
                tokens = sum(model.token_counts(sample))
                for threads in sorted({1, cores}):
                    limit_threads(threads)
                    model.encode(sample[:2])  # load, export, first-call costs outside the clock
                    started = time.perf_counter()
                    model.encode(sample)
                    speeds[f"{backend}/{threads}"] = round(tokens / (time.perf_counter() - started))
            except ModelUnavailable as problem:
                if backend == "torch":
                    raise
                log.warning("embedding backend %s left out: %s", backend, problem)
    finally:
        _threads = before
        if before is not None:
            limit_threads(before)
    best = max(speeds, key=speeds.get)
    backend, threads = best.rsplit("/", 1)
    return Choice(backend, int(threads), speeds)


# ---------------------------------------------------------------- ONNX export


def exported_model(folder: Path, cache_dir: Path, quantized: bool) -> Path:
    """The ONNX file of the model in `folder` (fp32 or int8), exported and checked on first use.

    Exports take turns (a lock per key) and land by rename, so concurrent builds and a killed
    export never leave a half-written model behind.
    """
    target = cache_dir / f"{folder.name}-{_export_key(folder)}"
    name = "model-int8.onnx" if quantized else "model.onnx"
    if (target / name).is_file():
        return target / name
    try:
        target.mkdir(parents=True, exist_ok=True)
        lock = open(target / ".export.lock", "a")
    except OSError as exc:
        raise ModelUnavailable(f"无法写入模型缓存目录 {cache_dir}（{exc.strerror}）；请用 RAG_MODEL_CACHE 指定可写目录") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "model.onnx").is_file():
            _export(folder, target / "model.onnx")
        if quantized and not (target / name).is_file():
            _quantize(target / "model.onnx", target / name)
    return target / name


def _export_key(folder: Path) -> str:
    """Changes with the model's files (name, size, mtime) and with the exporter and runtime versions."""
    import onnxruntime

    digest = hashlib.sha256(f"{EXPORT_VERSION} {onnxruntime.__version__}".encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _export(folder: Path, path: Path) -> None:
    """Trace the transformer (token ids -> last hidden state) to ONNX with dynamic batch and length,
    then check it against PyTorch on texts of different lengths before keeping it."""
    _quiet_hub(str(folder))
    import torch
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    try:
        model = LastHiddenState(AutoModel.from_pretrained(str(folder)).eval())
    except Exception as exc:
        raise _unavailable(str(folder), exc) from exc
    probe = OnnxEmbedder(str(folder), False, path.parent)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    feed = probe.feed(["碳达峰", "到2030年，可再生能源发电装机容量达到700万千瓦以上。"])
    inputs = tuple(torch.from_numpy(feed[name]) for name in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in names + ["last_hidden_state"]}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, inputs, str(tmp), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    _check_export(folder, tmp)
    os.replace(tmp, path)


def _check_export(folder: Path, candidate: Path) -> None:
    """The export must give PyTorch's vectors (cosine >= 0.9999) on a batch it was not traced with."""
    probe = OnnxEmbedder(str(folder), False, candidate.parent)
    import onnxruntime

    probe._session = onnxruntime.InferenceSession(str(candidate), providers=["CPUExecutionProvider"])
    probe._session_threads = _threads
    texts = ["江门市", "到2025年，非化石能源消费比重达到15%左右，单位地区生产总值能耗比2020年下降14%。",
             "一、总体要求\n（一）指导思想", "光伏"]
    got = probe.encode(texts)
    want = TorchEmbedder(str(folder)).encode(texts)
    if float((got * want).sum(axis=1).min()) < 0.9999:
        candidate.unlink(missing_ok=True)
        raise ModelUnavailable(f"模型 {folder.name} 导出的 ONNX 与 PyTorch 结果不一致；请设置 RAG_EMBED_BACKEND=torch")


def _quantize(source: Path, path: Path) -> None:
    """Dynamic int8 quantisation of the weights. Unsigned per-channel weights, measured on this
    machine's AVX2 (no VNNI): mean cosine 0.9974 (min 0.996) to the fp32 vectors, while signed
    per-channel weights without reduced range saturate (0.74) and per-tensor ones give 0.990."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    root = logging.getLogger()  # the quantiser logs an English advice on the root logger, which would also
    handlers, level = root.handlers[:], root.level  # configure it and let every library's DEBUG lines through
    root.handlers[:] = [logging.NullHandler()]
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QUInt8, per_channel=True)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    os.replace(tmp, path)


# ---------------------------------------------------------------- helpers


def _model_folder(model: str) -> Path:
    """The local folder of `model`: itself, or its copy in the Hugging Face cache (never a download)."""
    _quiet_hub(model)
    if Path(model).expanduser().is_dir():
        return Path(model).expanduser()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=True))
    except Exception as exc:
        raise _unavailable(model, exc) from exc


def _quiet_hub(model: str) -> None:
    """Refuse a local model folder that is missing (never try the hub instead); keep a local model offline."""
    from .config import SettingError, is_local_model, model_problem

    problem = model_problem(model)
    if problem:
        raise SettingError(problem)
    if is_local_model(model):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _unavailable(model: str, exc: Exception) -> ModelUnavailable:
    return ModelUnavailable(f"无法加载嵌入模型 {model}：{exc.__class__.__name__}。请用 RAG_MODEL 指定本地模型目录或可访问的模型名。")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


# ---------------------------------------------------------------- embedding cache


class EmbeddingCache:
    """Vectors keyed by (model, backend, hash of the passage's search text), kept beside the builds.

    A rebuild embeds only passages whose text is new; `put` commits at once, so a killed build
    keeps every batch it finished. A corrupt cache is discarded and rebuilt rather than trusted.
    """

    def __init__(self, path: Path, model: str, backend: str):
        self.path, self.model, self.backend = path, model, backend
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.db = self._open()
            except sqlite3.DatabaseError:
                if path.is_file():  # a damaged cache file is discarded, anything else is not ours to delete
                    path.unlink()
                self.db = self._open()
        except (OSError, sqlite3.Error) as exc:
            raise CacheUnusable(f"嵌入缓存 {path} 无法打开（{cache_reason(exc)}）。请检查该路径，或删除它后重试") from None

    def _open(self):
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("CREATE TABLE IF NOT EXISTS embeddings (model TEXT, backend TEXT, key TEXT, vector BLOB, "
                   "PRIMARY KEY (model, backend, key))")
        db.execute("DROP TABLE IF EXISTS vectors")  # the cache before backends: vectors of unknown backend
        return db

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, keys: list[str], dims: int | None) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            rows = self.db.execute(
                f"SELECT key, vector FROM embeddings WHERE model = ? AND backend = ? AND key IN ({','.join('?' * len(batch))})",
                [self.model, self.backend, *batch],
            ).fetchall()
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype="float32")
                if dims is None or len(vector) == dims:
                    found[key] = vector
        return found

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                [(self.model, self.backend, k, np.asarray(v, dtype="float32").tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        self.db.close()


def embed_texts(settings, texts: list[str], step: int = 256, progress=None, cluster=None) -> tuple[np.ndarray, int]:
    """One vector per text, from the cache where possible, the rest embedded and committed `step`
    texts at a time (a killed build loses at most the steps in flight); `progress(n, total)` after each
    step of n texts, total being how many are embedded in all. With `cluster` (rag.cluster.Cluster) the
    steps are embedded on it, the same steps as here.
    Returns (vectors, how many were embedded)."""
    model = embedder_for(settings)
    cache = EmbeddingCache(Path(settings.index_dir) / "cache" / "embeddings.sqlite", settings.model_id, model.cache_tag)
    try:
        keys = [cache.key(t) for t in texts]
        known = cache.get(list(dict.fromkeys(keys)), None)
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        text_of = dict(zip(keys, texts))
        steps = [[text_of[k] for k in missing[start : start + step]] for start in range(0, len(missing), step)]
        encoded = cluster.encode(steps) if cluster and steps else ((n, model.encode(batch)) for n, batch in enumerate(steps))
        for number, vectors in encoded:
            batch = missing[number * step : (number + 1) * step]
            fresh = dict(zip(batch, vectors))
            cache.put(fresh)
            known.update(fresh)
            if progress:
                progress(len(batch), len(missing))
        if not texts:
            return np.zeros((0, model.dims), dtype="float32"), 0
        return np.stack([known[k] for k in keys]).astype("float32"), len(missing)
    finally:
        cache.close()
