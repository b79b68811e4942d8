"""The indicators a question asks about, in question order.

First the vocabulary's names and synonyms (one wrong character allowed in a long synonym); then
the wordings of the chosen plans' own target rows, whatever their wording, that the rest of the
question repeats in part; then, when neither matched and the question asks for an amount, the row
wording closest in meaning (m3e) above `Settings.question_similarity`.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from ..index import lexical_tokens
from ..indicators import (INCREMENT, MEASURE_WORDS, SHARE, TOTAL, char_pairs, find_indicators_tolerant, head_family, in_family_units,
                          indicator_mentions, measure_families, thing_of)
from ..zh.units import in_base
from ..zh.asking import INDICATOR_FILLER, TARGET_WORDS, asks_quantity
from ..zh.periods import QUESTION_YEAR


def indicators_asked(index, text: str, topic: str, plan_ids: tuple[str, ...], counted: str = "") -> list[str]:
    """Canonical indicator names `text` asks about; `topic` is the text without its place names,
    `plan_ids` the plans it means (all plans when empty) and `counted` the unit it counts in
    (`Question.counted`): an indicator measured in another dimension is not asked.

    A row's own wording counts when the question repeats a stretch of 4+ characters that ends on the
    row's head word ("新能源装机占比" -> 新能源和清洁能源装机占比), unless the words just before the
    shared stretch narrow it to something else ("煤炭消费比重" is not 非化石能源消费比重)."""
    named = list(dict.fromkeys(coordinated(text) + find_indicators_tolerant(text)))
    asked = set(lexical_tokens(topic))
    rest = topic.lower()
    rest = blanked(rest, [m.span() for m in QUESTION_YEAR.finditer(rest)] + [m[:2] for m in indicator_mentions(rest)])
    wordings = index.wordings_of(plan_ids)
    stretches = _stretches(rest)
    for phrase, canonical in sorted(wordings):
        if canonical in named or any(word in phrase and word not in topic for word in INCREMENT):
            continue  # what is added is not the level asked ("新增水电装机" for "水电装机要到多少")
        if not stretches.isdisjoint(_wording_stretches(phrase)) and _repeats_head(rest, phrase):
            named.append(canonical)
        elif _says_all_of(phrase, asked, topic, _units(index, canonical)):
            named.append(canonical)
    stated = {canonical for _, canonical in wordings}
    if wordings and (asks_quantity(text) or TARGET_WORDS.search(text)) and not any(c in stated for c in named):
        # the names found have no row in these plans (or none was found): the plans may word it
        # otherwise ("风电光伏装机" -> 风光发电装机量), judged by meaning
        named = _by_meaning(index, rest, wordings) or named
    return [c for c in named if not counted or _measured_in(index, c, counted)]


def blanked(text: str, spans) -> str:
    """The text with these (start, end) spans turned to spaces, every other character where it was."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _measured_in(index, canonical: str, unit: str) -> bool:
    """Whether an indicator can be the one a question counting in `unit` asks about: its rows in the
    library give numbers in that unit's dimension, or none at all. "二氧化碳排放总量多少亿吨" is not
    单位GDP二氧化碳排放, whose rows are percentages."""
    dimensions = {in_base(1.0, u)[1] for u in _units(index, canonical)}
    return not dimensions or in_base(1.0, unit)[1] in dimensions


def _repeats_head(rest: str, phrase: str) -> bool:
    """Whether the longest stretch `rest` shares with a row wording is 4+ characters ending on the row's
    head word, with nothing narrowing it just before ("煤炭消费比重" is not 非化石能源消费比重)."""
    common = SequenceMatcher(None, rest, phrase, autojunk=False).find_longest_match(0, len(rest), 0, len(phrase))
    # the words right before it, across a gap where title words were blanked ("既有[建筑节能]改造面积" is
    # not 公共建筑能效提升改造面积); a conjunction between places narrows nothing
    narrowing = re.search(r"[\u4e00-\u9fff]{0,2}$", re.sub(r"[\s和与及、]+$", "", rest[: common.a])).group()
    return common.size >= 4 and common.b + common.size == len(phrase) and all(ch in phrase for ch in narrowing)


def _stretches(text: str) -> frozenset[str]:
    """The 4-character stretches of `text`: a wording sharing none with the question cannot repeat its
    head (`_repeats_head`), so the longest-match search runs only for the few that do."""
    return frozenset(text[i : i + 4] for i in range(len(text) - 3))


_wording_stretches = lru_cache(maxsize=100_000)(_stretches)  # every question reads every wording again


CONJUNCTION = "和与及、"


def coordinated(text: str) -> list[str]:
    """Indicators named by conjuncts that share the last one's head word: "风电和光伏装机" asks for
    风电装机 too, "风电、光伏和储能装机" for all three. A conjunct counts when, completed with an
    ending of the indicator after it, it is itself a whole indicator name."""
    found: list[str] = []
    for start, end, _ in indicator_mentions(text):
        position = start
        while position > 0 and text[position - 1] in CONJUNCTION:
            before = re.search(r"[\u4e00-\u9fff]{1,6}$", text[: position - 1])
            hit = before and next(((mention[0][2], before.start() + cut)
                                   for cut in range(len(before.group()))
                                   for k in range(1, end - start)
                                   for mention in [indicator_mentions(before.group()[cut:] + text[start + k : end])]
                                   if len(mention) == 1 and mention[0][:2] == (0, len(before.group()) - cut + end - start - k)),
                                  None)
            if not hit:
                break
            found.insert(0, hit[0])
            position = hit[1]
    return list(dict.fromkeys(found))


def _says_all_of(phrase: str, asked: set[str], topic: str, units: frozenset[str]) -> bool:
    """Whether the question names every distinctive word of a row's wording and its measure word
    ("公交车、出租车清洁能源和新能源占比" names 出租车 and 占比 of the row "出租车占比")."""
    distinctive = _distinctive_words(phrase)
    head = phrase[-2:]
    if not (distinctive and head in topic and all(w in asked for w in distinctive)):
        return False
    if set(measure_families(phrase)) - set(measure_families(topic)):
        return False  # the row counts by a measure the question never names ("非化石能源装机比重" for 非化石能源比重)
    # what the question measures of those words is the measure written after them, up to the next
    # conjunct: "水库电站占水电装机比例" asks a share, not the row "新增水电装机"
    lowered = topic.lower()
    end = max(lowered.rfind(w) + len(w) for w in distinctive)
    return _same_measure(re.split(r"[和与及、，,？?；;]", lowered[end:], maxsplit=1)[0], phrase, units)


def _same_measure(asked: str, phrase: str, units: frozenset[str]) -> bool:
    """Whether a row wording measures what the question asks, when both name a measure (`head_family`);
    a wording naming none measures what its rows' units say: a share is asked of rows in %
    ("水电装机比例" is not the row "水电", in 万千瓦)."""
    families = head_family(asked), head_family(phrase)
    if families[0] is not None and families[1] is None and units:
        return in_family_units(families[0], units)
    if TOTAL in families:  # a total of what is measured ("风光装机总量"), never a share of it
        return SHARE not in families
    return None in families or families[0] == families[1]


def _units(index, canonical: str) -> frozenset[str]:
    """The units an indicator's rows in the library give their numbers in."""
    return index.units_by_indicator.get(canonical, frozenset())


@lru_cache(maxsize=100_000)
def _distinctive_words(phrase: str) -> tuple[str, ...]:
    """A row wording's words that are not measure words (kept: every question reads every wording)."""
    return tuple(w for w in lexical_tokens(phrase) if w not in MEASURE_WORDS and len(w) >= 2)


def _by_meaning(index, rest: str, wordings) -> list[str]:
    """The one row wording closest in meaning to what the question asks about, when it is close
    enough (cosine >= Settings.question_similarity), shares a character pair with it and measures the same
    (`head_family`): "风光装机总量" -> 风光发电装机量, "清洁能源装机比例" -> 新能源和清洁能源装机占比, never
    "水库电站占水电装机比例" -> 新增水电装机.

    Only when no name matched by text: m3e-small scores short indicator phrases of different
    measures up to 0.86 (煤炭消费比重 / 非化石能源消费比重), so the threshold sits above that.
    """
    asked = INDICATOR_FILLER.sub("", rest)
    if len(asked) < 3:
        return []
    # they share a pair of characters of what is measured, not only measure words ("天然气消费比重" and
    # 非化石能源消费比重 share 消费 and 比重)
    pairs = {p for p in char_pairs(thing_of(asked)) if "|" not in p}
    candidates = sorted(w for w in wordings if any(p in w[0] for p in pairs) and _same_measure(asked, w[0], _units(index, w[1])))
    if not candidates:
        return []
    vectors = index.embed([asked] + [phrase for phrase, _ in candidates])
    scores = vectors[1:] @ vectors[0]
    best = int(scores.argmax())
    return [candidates[best][1]] if scores[best] >= index.settings.question_similarity else []
