"""Dense search over the passage vectors: exact below `Settings.approximate_from` passages, approximate above.

Files in a build folder:

    vectors.npy     one unit vector per passage (float32), memory-mapped when loaded: exact scores of
                    any rows (the passages of the plans a question names) without reading the others
    vectors.faiss   only above the threshold: a FAISS IVF index (8-bit scalar-quantised copies of the
                    vectors, a quarter of their size) that proposes the nearest passages for a
                    question naming no place; the proposals are scored exactly from vectors.npy

The parameters are chosen by measurement when the index is built: nlist = 4·√N lists, then the
smallest nprobe whose recall@5 against exact search reaches `Settings.ann_recall` on query phrases
taken from the corpus itself (section titles, target indicators). The recall is recorded in the
manifest and printed by `rag build`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MATRIX = "vectors.npy"
APPROXIMATE = "vectors.faiss"
K = 5  # recall@K is what the measurement reports
NPROBES = (4, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class Search:
    """How a build searches its vectors (recorded in the manifest)."""

    kind: str  # "flat", or the FAISS factory string of the approximate index with its nprobe
    recall_at_5: float  # against exact search; 1.0 for flat
    queries: int = 0  # how many query phrases the recall was measured on


def build_search(matrix: np.ndarray, queries: np.ndarray, approximate_from: int, target_recall: float,
                 depth: int) -> tuple[object | None, Search]:
    """The approximate index for `matrix` (None when exact search is used) and how it measured."""
    if len(matrix) < approximate_from:
        return None, Search("flat", 1.0)
    import faiss

    nlist = max(16, int(4 * math.sqrt(len(matrix))))
    index = faiss.index_factory(matrix.shape[1], f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = matrix[np.sort(rng.choice(len(matrix), min(len(matrix), 40 * nlist), replace=False))]
    index.train(np.ascontiguousarray(sample, dtype="float32"))
    for start in range(0, len(matrix), 65536):
        index.add(np.ascontiguousarray(matrix[start : start + 65536], dtype="float32"))
    recall = 0.0
    for nprobe in NPROBES:
        index.nprobe = nprobe
        recall = recall_at_k(index, matrix, queries, depth)
        if recall >= target_recall:
            break
    return index, Search(f"IVF{nlist},SQ8 nprobe={index.nprobe}", round(recall, 4), len(queries))


def nearest(index, matrix: np.ndarray, vector: np.ndarray, depth: int) -> np.ndarray:
    """Rows the approximate index proposes for `vector` (`depth` of them, best first)."""
    _, rows = index.search(np.ascontiguousarray(vector[None], dtype="float32"), min(depth, len(matrix)))
    return rows[0][rows[0] >= 0]


def recall_at_k(index, matrix: np.ndarray, queries: np.ndarray, depth: int, k: int = K) -> float:
    """Share of exact search's top k that the approximate index's `depth` proposals, scored exactly,
    put in their top k. A proposal scoring as high as exact search's k-th counts (ties: the
    synthetic benchmark index repeats passages)."""
    if not len(queries):
        return 1.0
    found = 0.0
    for query in queries:
        scores = matrix @ query
        kth = np.partition(scores, len(scores) - k)[len(scores) - k] if len(scores) > k else scores.min()
        proposed = nearest(index, matrix, query, depth)
        best = np.sort(scores[proposed])[::-1][:k]
        found += float((best >= kth - 1e-6).sum()) / min(k, len(scores))
    return found / len(queries)


def save(folder: Path, matrix: np.ndarray, index) -> None:
    np.save(folder / MATRIX, np.ascontiguousarray(matrix, dtype="float32"))
    if index is not None:
        import faiss

        faiss.write_index(index, str(folder / APPROXIMATE))


def load(folder: Path, kind: str) -> tuple[np.ndarray, object | None]:
    """The memory-mapped vectors and, for an approximate build, its index with the recorded nprobe."""
    matrix = np.load(folder / MATRIX, mmap_mode="r")
    if kind == "flat":
        return matrix, None
    import faiss

    index = faiss.read_index(str(folder / APPROXIMATE))
    index.nprobe = int(kind.rsplit("nprobe=", 1)[1])
    return matrix, index
