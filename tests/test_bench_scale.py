"""The synthetic corpus of `rag bench --scale N`, at small N, on the real index and model.

Latency is printed by the benchmark, never asserted here.
"""
from __future__ import annotations

import numpy as np

from rag.answer import ask
from rag.bench import percentile, scaled_index
from rag.lexical import lexical_tokens

COPIES = 3


def test_scaled_index_repeats_plans_chunks_targets_and_vectors(index):
    big = scaled_index(index, COPIES)
    assert len(big.plans) == COPIES * len(index.plans) == big.manifest.plans
    assert len(big.chunks) == COPIES * len(index.chunks) == big.manifest.chunks == len(big.matrix)
    assert len(big.targets) == COPIES * len(index.targets) == big.manifest.targets
    assert {"jiangmen", "jiangmen~1", "jiangmen~2"} <= set(big.plans)
    assert [c.chunk_id for c in big.chunks] == list(range(len(big.chunks)))
    assert {c.plan_id for c in big.chunks} == set(big.plans) == {t.plan_id for t in big.targets}
    # every copy is a place of its own, as every plan in China would be
    assert big.plans["jiangmen~2"].place == "江门市~2" and big.plans["jiangmen"].place == "江门市"
    assert {c.city for c in big.chunks if c.plan_id == "jiangmen~1"} == {"江门市~1"}
    # copy 0 keeps the original vectors; the others are those moved a little (distinct points to index)
    n = len(index.chunks)
    assert np.array_equal(big.matrix[:n], index.matrix)
    for copy in range(1, COPIES):
        block = big.matrix[copy * n : (copy + 1) * n]
        assert not np.array_equal(block, index.matrix)
        assert np.allclose(np.linalg.norm(block, axis=1), 1, atol=1e-5)
        assert 0.9 < float(np.mean(np.sum(block * index.matrix, axis=1))) < 0.99
    # each copy has text of its own (memory grows like a real corpus), equal to the original's
    copy = big.plans["jiangmen~2"]
    assert copy.text == index.plans["jiangmen"].text and copy.text is not index.plans["jiangmen"].text
    # BM25 over the repeated chunks: every copy of a chunk scores the same
    scores = np.asarray(big.bm25.get_scores(lexical_tokens("海上风电")))
    assert scores.max() > 0 and np.allclose(scores[:n], scores[n : 2 * n]) and np.allclose(scores[:n], scores[2 * n :])


def test_scaled_index_answers_with_the_real_functions(index):
    big = scaled_index(index, COPIES)
    answer = ask(big, "江门2030年可再生能源装机目标是多少？")
    assert answer.found and "700万千瓦" in answer.answer
    assert all(p.chunk.plan_id == "jiangmen" for p in answer.passages)  # the one plan of 江门, not its copies
    mentions = ask(big, "哪些城市提到了氢能？")
    assert mentions.found and len({plan_id for plan_id, _, _ in mentions.highlight}) >= COPIES


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 51.0 and percentile(values, 0.95) == 95.0 and percentile([7.0], 0.95) == 7.0


def test_answers_across_more_places_than_are_listed_count_the_rest(index):
    from rag.config import MAX_PLACES_LISTED

    copies = MAX_PLACES_LISTED // 2 + 2  # more places than an answer lists, and two plans' copies more than that
    big = scaled_index(index, copies)
    compared = ask(big, "各城市2025年非化石能源消费比重目标对比")
    stating = {t.city for t in big.targets if t.canonical == "非化石能源消费比重" and t.year == 2025}
    assert len(stating) > MAX_PLACES_LISTED
    assert compared.found and len(compared.targets) == MAX_PLACES_LISTED
    assert f"另有{len(stating) - MAX_PLACES_LISTED}条目标未在此列出（共{len(stating)}条）" in compared.answer
    assert "rag targets --indicator 非化石能源消费比重" in compared.answer
    bounded = ask(big, "哪些城市2025年非化石能源消费比重在30%以上")  # every copy of 江门 (32%) only
    rows = [t for t in big.targets if t.canonical == "非化石能源消费比重" and t.year == 2025 and not t.qualitative]
    above = {t.city for t in rows if t.value >= 30}
    below = {t.city for t in rows if t.value < 30 and not t.qualifier.endswith("以上")}  # 津市 23%左右, 南昌 15%
    assert {t.city for t in bounded.targets} == above and len(below) > MAX_PLACES_LISTED
    assert "目标不在30%以上的：" in bounded.answer and f"等{len(below)}个地方" in bounded.answer
    highest = ask(big, "哪个城市2025年非化石能源消费比重目标最高？")
    assert highest.answer.startswith("最高的是")  # ranked over every place, not only those listed
    mentions = ask(big, "哪些城市提到了氢能？")
    mentioning = {c.plan_id for c in big.chunks if "氢能" in c.text}
    assert len(mentions.highlight) == MAX_PLACES_LISTED
    assert f"另有{len(mentioning) - MAX_PLACES_LISTED}个方案中出现“氢能”" in mentions.answer
