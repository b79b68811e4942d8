"""Hybrid retrieval: dense (FAISS) and lexical (BM25) scores fused into one ranking.

A city named in the question (江门 / 江門 / 江门市 / Jiangmen) restricts the
search to that plan; a city-like place with no plan in the corpus is
reported so the answer can say so instead of quoting another city.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .chunk import Chunk
from .corpus import Plan, short_city_name
from .errors import UserError
from .index import Index, _jieba, lexical_tokens
from .indicators import longest_matches
from .normalize import to_simplified
from .targets import FIVE_YEAR_END

# a year in a question: 2030 / 2030年 / 2025年底 / “十四五”末 (a five-year plan stands for its final year)
QUESTION_YEAR = re.compile(r"(20\d{2})\s*年?(?:底|前|末)?|“?(十四五|十五五)”?(?:期间|末|时期)?")


@dataclass(frozen=True)
class Query:
    original: str
    text: str  # simplified, stripped
    topic: str  # the text without the city names: what to search for inside the chosen plans
    cities: tuple[str, ...]  # full names of plan cities the question names
    unknown_places: tuple[str, ...]  # cities named that have no plan here
    local_plans: tuple[str, ...]  # plans whose text names a district or town the question mentions (台山)
    years: tuple[int, ...]


@dataclass(frozen=True)
class Passage:
    rank: int
    chunk: Chunk
    score: float  # fused score
    dense: float  # cosine similarity
    lexical: float  # BM25 score

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank,
            "plan_id": c.plan_id,
            "city": c.city,
            "title": c.title,
            "section": c.section,
            "text": c.text,
            "score": round(self.score, 6),
            "char_start": c.char_start,
            "char_end": c.char_end,
        }


@dataclass(frozen=True)
class CityNames:
    """Every way a question may name each plan's city."""

    aliases: dict[str, str] = field(default_factory=dict)  # alias -> full city name

    @classmethod
    def of(cls, plans: list[Plan]) -> "CityNames":
        aliases: dict[str, str] = {}
        for plan in plans:
            for alias in (plan.city, short_city_name(plan.city), plan.plan_id.lower()):
                aliases[alias] = plan.city
        return cls(aliases)

    def resolve(self, name: str) -> str | None:
        """Full city name for a user-supplied name (any alias, simplified or traditional)."""
        name = to_simplified(name.strip()).lower()
        return self.aliases.get(name) or self.aliases.get(name + "市")

    def find(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(city for _, _, city in self.spans(text)))

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, full city name) of every city mention, in order."""
        lowered = text.lower()

        def accept(start: int, end: int, alias: str) -> bool:
            if alias.isascii() and not _word_bounded(lowered, (start, end)):
                return False  # "jiangmen" inside a longer word
            return not (alias.startswith("津市") and "天津市" in lowered[max(0, start - 1) : end + 1])

        return [(s, e, self.aliases[alias]) for s, e, alias in longest_matches(lowered, self.aliases, accept)]


def _word_bounded(text: str, span: tuple[int, int]) -> bool:
    before = text[span[0] - 1] if span[0] else " "
    after = text[span[1]] if span[1] < len(text) else " "
    return not (before.isascii() and before.isalpha()) and not (after.isascii() and after.isalpha())


def parse_question(question: str, index: Index, max_chars: int = 500) -> Query:
    if not question or not question.strip():
        raise UserError("问题为空，请输入要查询的问题。")
    if len(question) > max_chars:
        raise UserError(f"问题过长（{len(question)} 字），请精简到 {max_chars} 字以内。")
    text = to_simplified(question.strip())
    names = city_names(index)
    spans = names.spans(text)
    cities = tuple(dict.fromkeys(city for _, _, city in spans))
    topic = text
    for start, end, _ in reversed(spans):
        topic = topic[:start] + " " + topic[end:]
    unknown, local = [], []
    for place in _places(text):
        if names.resolve(place):
            continue
        naming = _plans_naming(place, index)
        local += [p for p in naming if p not in local]
        if not naming:
            unknown.append(place)
    years = [int(m.group(1)) if m.group(1) else FIVE_YEAR_END[m.group(2)] for m in QUESTION_YEAR.finditer(text)]
    return Query(question, text, topic.strip() or text, cities, tuple(unknown), tuple(local), tuple(dict.fromkeys(years)))


def city_names(index: Index) -> CityNames:
    return _city_names(tuple(index.plans.values()))


@lru_cache(maxsize=8)
def _city_names(plans: tuple[Plan, ...]) -> CityNames:
    return CityNames.of(list(plans))


def _places(text: str) -> list[str]:
    """City-like place names (jieba tags them `ns`): 深圳, 杭州市, not 长江 or 江西省."""
    import jieba.posseg

    _jieba()
    freq = jieba.dt.FREQ
    places = []
    for word, flag in jieba.posseg.cut(text):
        if flag != "ns" or len(word) < 2:
            continue
        if word.endswith(("市", "县")) or (not word.endswith(("省", "区")) and freq.get(word + "市")):
            places.append(word)
    return places


def _plans_naming(place: str, index: Index) -> list[str]:
    """Plans that talk about a district or town (台山, 新会): they name it twice or more."""
    name = place[:-1] if place.endswith(("市", "县")) else place
    return [plan.plan_id for plan in index.plans.values() if plan.text.count(name) >= 2]


def plan_ids_for(index: Index, cities: tuple[str, ...]) -> set[str]:
    return {p.plan_id for p in index.plans.values() if p.city in cities}


def retrieve(index: Index, query: Query, k: int = 5, city: str | None = None) -> list[Passage]:
    """Top-k passages for the query, restricted to the named (or given) cities."""
    cities = (city,) if city else query.cities
    allowed = plan_ids_for(index, cities) if cities else set(query.local_plans)
    mask = np.array([not allowed or c.plan_id in allowed for c in index.chunks])
    n = len(index.chunks)

    search = query.topic if allowed else query.text
    vector = index.embed([search])
    dense_scores, dense_ids = index.vectors.search(vector, n)
    dense = np.zeros(n, dtype="float32")
    dense[dense_ids[0]] = dense_scores[0]
    lexical = np.asarray(index.bm25.get_scores(lexical_tokens(search)), dtype="float32")

    fused = fuse(dense, lexical, mask, index.settings.lexical_weight)
    order = [i for i in np.argsort(-fused, kind="stable") if mask[i] and fused[i] > 0][:k]
    return [Passage(r + 1, index.chunks[i], float(fused[i]), float(dense[i]), float(lexical[i])) for r, i in enumerate(order)]


def fuse(dense: np.ndarray, lexical: np.ndarray, mask: np.ndarray, lexical_weight: float) -> np.ndarray:
    """Weighted sum of both scores, each scaled to [0, 1] over the allowed chunks.

    Unlike reciprocal-rank fusion this keeps the margin of a strong lexical
    match ("安义县再生铝……产业基地") that the dense model ranks low; measured on
    both question sets it lifts hit@1 from 0.84 to 0.91 (see the README).
    Disallowed chunks score 0; allowed ones score above 0.
    """
    if not mask.any():
        return np.zeros(len(mask))
    d, l = dense[mask], lexical[mask]
    dense_scaled = (dense - d.min()) / (d.max() - d.min() + 1e-9)
    lexical_scaled = lexical / (l.max() + 1e-9)
    fused = (1 - lexical_weight) * dense_scaled + lexical_weight * lexical_scaled + 1e-6
    return np.where(mask, fused, 0.0)
