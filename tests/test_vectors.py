"""The search structures on Index against the straightforward computations they replace, on the real
index: BM25 of a subset, place matching by substrings, and an approximate
vector index built past its threshold, with its recall measured."""
from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np

from rag import vectors as dense
from rag.answer.citing import sentence_at
from rag.bench import scaled_index
from rag.evaluate import EVALS, load_questions
from rag.index import build_index, load_index
from rag.indicators import _CANONICAL, longest_matches
from rag.lexical import lexical_tokens
from rag.question import parse as parse_question
from rag.question.place_names import place_names
from rag.retrieve import retrieve


def test_lexical_scores_are_bm25s_scores_for_all_rows_and_any_subset(index):
    rng = np.random.default_rng(1)
    for question in ("海上风电装机", "新能源汽车 占比 公交", "共青城 达峰", "不存在的词语组合"):
        tokens = lexical_tokens(question)
        expected = np.asarray(index.bm25.get_scores(tokens), dtype="float32") if tokens else np.zeros(len(index.chunks))
        assert np.allclose(index.lexical_scores(tokens), expected, atol=1e-5)
        rows = np.sort(rng.choice(len(index.chunks), 40, replace=False))
        assert np.allclose(index.lexical_scores(tokens, rows), expected[rows], atol=1e-5)
        assert np.allclose(index.lexical_scores(tokens, index.plan_rows["jiangmen"]), expected[index.plan_rows["jiangmen"]], atol=1e-5)


def test_place_matching_by_substrings_finds_what_a_scan_of_every_alias_finds(index):
    names = place_names(scaled_index(index, 30))  # 150 plans: enough aliases for the substring lookup
    questions = [q["question"] for q in load_questions(EVALS / "questions.jsonl")]
    for words in (names.aliases, _CANONICAL):
        for question in questions:
            text = question.lower()
            expected = []
            for word in sorted(words, key=len, reverse=True):  # the scan longest_matches used to do
                at = text.find(word)
                while word and at >= 0:
                    if not any(s < at + len(word) and at < e for s, e, _ in expected):
                        expected.append((at, at + len(word), word))
                    at = text.find(word, at + len(word))
            assert longest_matches(text, words) == sorted(expected), question


def test_recall_measures_the_approximate_index_against_exact_search(index):
    import faiss

    matrix = np.ascontiguousarray(index.matrix, dtype="float32")
    queries = index.embed(["江门可再生能源装机", "氢能产业", "公共机构节能", "森林覆盖率"])
    ivf = faiss.index_factory(matrix.shape[1], "IVF16,Flat", faiss.METRIC_INNER_PRODUCT)
    ivf.train(matrix)
    ivf.add(matrix)
    ivf.nprobe = 16  # every list: exact
    assert dense.recall_at_k(ivf, matrix, queries, depth=5) == 1.0
    ivf.nprobe = 1
    assert dense.recall_at_k(ivf, matrix, queries, depth=5) < 1.0  # one list of 16 misses some


def test_past_the_threshold_the_index_is_approximate_and_answers_like_the_exact_one(index, settings, tmp_path):
    local = replace(settings, index_dir=tmp_path / "index", approximate_from=100, search_depth=20)
    shutil.copytree(settings.index_dir / "cache", local.index_dir / "cache")  # no re-embedding
    result = build_index(local, progress=False)
    manifest = result.manifest
    assert manifest.vector_index.startswith("IVF") and "nprobe=" in manifest.vector_index
    assert manifest.recall_at_5 >= local.ann_recall and result.embedded == 0
    approximate = load_index(local)
    assert approximate.approximate is not None and approximate.approximate.ntotal == len(approximate.chunks)
    assert np.array_equal(np.asarray(approximate.matrix), np.asarray(index.matrix))
    for question in [q["question"] for q in load_questions(EVALS / "questions.jsonl")][:40]:
        exact = [p.chunk.chunk_id for p in retrieve(index, parse_question(question, index))]
        assert [p.chunk.chunk_id for p in retrieve(approximate, parse_question(question, approximate))] == exact, question


def test_sentence_at_finds_what_a_scan_of_the_whole_text_finds(index):
    rng = np.random.default_rng(2)
    for text in [p.text for p in index.plans.values()] + ["没有句号的一行文字" * 200, "a!b?c" * 3, ""]:
        for position in rng.integers(0, len(text) + 1, 200):
            position = int(position)
            start = max(text.rfind(mark, 0, position) for mark in "。！？!?\n") + 1
            ends = [at for at in (text.find(mark, position) for mark in "。！？!?\n") if at >= 0]
            assert sentence_at(text, position) == (start, min(ends) + 1 if ends else len(text))
