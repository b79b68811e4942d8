"""Answers quoted from a passage: open questions, definitions, "where", yes/no about a topic, and
"which places mention X". The sentence quoted is the one that best covers the question, judged
with its neighbours; what kind of sentence answers (a date, a place, a number) weighs in."""
from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from ..config import MAX_PLACES_LISTED
from ..index import Index, lexical_tokens
from ..indicators import MEASURE_FAMILIES, MEASURE_WORDS, counts_by, find_indicators
from ..retrieve import retrieve, with_each_document
from ..sections import heading_of
from ..zh.asking import SENTENCE_SHAPES
from ..zh.headings import REVIEW, TOC_LINE
from ..zh.periods import BASELINE, STATED_YEAR, states_year
from ..zh.units import UNITS, states_amount_in
from .citing import passages_for, quote, sentence_at, split_sentences
from .result import Answer


def best_sentence(index: Index, question, plan_ids=None, k: int = 5, require=None) -> tuple[str, int, int] | None:
    """(plan_id, start, end) of the sentence that best covers the question among the top-k passages
    of these plans, or None when no sentence covers enough of it (or passes `require`)."""
    found = _best(index, question, with_each_document(index, question, retrieve(index, question, k, plan_ids), plan_ids=plan_ids), require)
    return found[0] if found else None


def _best(index: Index, question, passages, require=None):
    weights = index.idf
    # words of the chosen plans' titles chose the plan: they cannot be the word an answer must hold
    titled = {w for p in question.plan_ids for w in lexical_tokens(index.plans[p].title)}
    # the words an answer should hold: not the question's own asking words ("哪几个", "什么"), which no
    # passage holds and which would weigh most, more so the larger the corpus; nor the place below, which
    # every candidate holds
    # every candidate of a named document holds its name's words ("绿色低碳循环发展规划里……"): an answer is
    # chosen by the words of what is asked of it (its preface restates the title), and judged by them all
    def own_words(words: list[str]) -> list[str]:
        return [w for w in words if not (question.below and question.below_word in w)]

    words, judged = own_words(question.subject_words), own_words(question.topic_words)
    most = math.log(1 + len(index.chunks))

    totals = {id(ws): sum(weights.get(w, most) for w in ws) or 1.0 for ws in (words, judged)}

    def coverage(text: str, words: list[str] = words) -> float:
        text = text.lower()  # words are lower case: "pue" is in "电能利用效率（PUE）"
        return sum(weights.get(w, most) for w in words if w in text) / totals[id(words)]

    wanted = [SENTENCE_SHAPES[name] for name in question.shapes]
    # a number answers a "how much" question only next to the question's most specific known word
    known = [w for w in words if w in weights and w not in UNITS and w not in titled and not re.search(r"\d", w)]
    # ... and a year's target no row states is about the question's most specific thing, not its measure
    # ("氢能汽车保有量" is not answered by a sentence on 新能源汽车's 保有量)
    things = [w for w in known if w not in MEASURE_WORDS and not any(w in m for family in MEASURE_FAMILIES for m in family)]
    # a name the dictionary lacks ("绿氢" of 绿氢产能) is the most specific thing a question names
    unsplit = question.unsplit_words[0] if question.unsplit_words else None
    if question.amount:
        needed = unsplit or max(known, key=weights.get, default=None)
    elif question.years and not question.indicators:
        needed = unsplit or (None if question.below else max(things, key=weights.get, default=None))
    else:
        needed = None
    # a word of an asked indicator's name may be written otherwise (国内生产总值 for GDP) where a `require`
    # checks the indicator by its synonyms
    synonymous = needed is not None and require is not None and needed in "".join(question.wordings)
    best = None
    for passage in passages:
        text = passage.chunk.text
        spans = split_sentences(text)
        for i, (start, end) in enumerate(spans):
            sentence = text[start:end]
            if len(sentence.strip()) < 6 or TOC_LINE.search(sentence) or (require and not require(sentence)) or (question.counted and not states_amount_in(sentence, question.counted)):
                continue
            if question.below and question.below_word not in sentence + passage.chunk.section:
                continue  # about the place above, not the one asked
            if counted_otherwise(question, sentence):
                continue  # "光伏装机达到42万千瓦" does not answer 光伏发电量
            window = text[spans[max(0, i - 2)][0] : spans[min(len(spans) - 1, i + 1)][1]] + passage.chunk.section
            # a number counted in a unit, or a thing a year's target is about, stands in its own sentence
            # (3000亿元 of 绿色保险 does not answer 绿色贷款余额 said a sentence earlier)
            if question.figure_asked and not re.search(r"\d", sentence):
                continue  # an amount, or a year's target, is a figure
            # ... of the thing asked: said in its sentence, or in the one before when this one names no
            # indicator of its own ("到2030年,可再生能源发电装机容量达到700万千瓦" is not 海上风电's scale)
            if needed and needed not in (sentence + passage.chunk.section if question.counted or not question.amount or find_indicators(sentence) else window).lower() and not synonymous:
                continue
            own, near = coverage(sentence + passage.chunk.section), coverage(window)
            score = 0.6 * own + 0.4 * near
            score += 0.3 if any(states_year(sentence, y) for y in question.years) else 0.0
            score += 0.25 if any(shape.search(sentence) for shape in wanted) else 0.0
            score += 0.05 / passage.rank
            if best is None or score > best[0]:
                if (len(sentence.strip()) < 16 or heading_of(sentence.strip())) and i + 1 < len(spans):
                    end = spans[i + 1][1]  # a heading or short lead-in says little: add what it introduces
                offset = passage.chunk.char_start
                covered = max(coverage(sentence + passage.chunk.section, judged), coverage(window, judged))
                best = (score, covered, (passage.chunk.plan_id, offset + start, offset + end))
    if best is None or best[1] < index.settings.min_coverage:
        return None
    return best[2], best[1]


def counted_otherwise(question, sentence: str) -> bool:
    """Whether a sentence cannot give the amount a question asks of a thing no indicator names: the
    question ends on a measure ("光伏发电量", "产业规模") and asks a number or a year's figure, and the
    sentence counts by none of that measure's words."""
    asks = question.measure and not question.indicators and (question.amount or question.years)
    return bool(asks) and not counts_by(sentence, question.measure)


def passage(index: Index, question, k: int, require=None) -> Answer:
    """Quote the sentence that best answers the question, with its place and where it stands; one for
    each thing a question asks the amounts of together ("绿氢产能和加氢站数量")."""
    if len(question.parts) > 1:
        return _each_part(index, question, k)
    passages = retrieve(index, question, k)
    found = _best(index, question, with_each_document(index, question, passages), require)
    # the refusal says where and for when it was looked for ("江门市方案中没有找到2025年的相关具体数值")
    where, when = "、".join(question.places), "、".join(f"{y}年" for y in question.years)
    if found is None:
        if question.counted:
            said = f"{where}方案中没有找到以“{question.counted}”计的相关数值。"
        elif question.figure_asked:
            # a year's target is a figure or a deadline: "制定……氢能……发展规划" sets none for 2025
            said = f"{where}方案中没有找到{when}相关的具体数值。"
        else:
            said = f"在{where}方案中没有找到与问题相关的内容。"
        return Answer(question.asked, said, False, passages, mode="none", note=said)
    (plan_id, start, end), _ = found
    sentence = index.plans[plan_id].text[start:end]
    stated = {int(year) for year in STATED_YEAR.findall(BASELINE.sub("", sentence))}
    chunk = index.chunk_at(plan_id, start)
    reviewing = bool(chunk and REVIEW.search(chunk.section)) and not question.actual \
        and not any(states_year(sentence, y) for y in question.years)
    if question.years and ((question.amount or question.quantity or question.target_asked) and stated and not stated & set(question.years) or reviewing):
        # a number of another year does not answer this one (2025年 15万个 for a 2030 question, a 2020
        # figure for a 2025 target), nor does a section reviewing the past ("“十三五”主要成就"); a baseline
        # year ("比2020年下降") is not the year a number is for
        text = f"{where}方案中没有{when}的相应数值；相近的表述（{'以往情况，并非目标' if reviewing else '其他年份'}）：{quote(index, plan_id, start, end)}"
        return Answer(question.asked, text, False, passages, mode="none", note=f"{where}方案中没有{when}的相应数值。")
    return Answer(question.asked, quote(index, plan_id, start, end), True, passages, [], "passage", [(plan_id, start, end)])


def part_answer(index: Index, question, part: str, k: int) -> Answer:
    """The quoted sentence that gives one of the amounts a question asks together: one naming the part's thing."""
    return passage(index, replace(question, topic=part, subject=part, parts=(), other_parts=(), counted="", indicators=()), k, _naming(part))


def _each_part(index: Index, question, k: int) -> Answer:
    """One quoted sentence per part asked, each said apart when not found; found when any is."""
    answers = [part_answer(index, question, part, k) for part in question.parts]
    lines: list[str] = []
    for part, answer in zip(question.parts, answers):
        line = answer.answer if answer.found else f"{part}：{answer.answer}"
        if line not in lines:
            lines.append(line)
    found = [a for a in answers if a.found]
    highlight = list(dict.fromkeys(span for a in found for span in a.highlight))
    unique: dict = {}  # each passage once, in the order the parts cite them
    for answer in answers:
        for cited in answer.passages:
            unique.setdefault((cited.chunk.plan_id, cited.chunk.char_start), cited)
    passages = list(unique.values())[:k]
    note = "；".join(f"{part}：{a.note}" for part, a in zip(question.parts, answers) if not a.found)
    return Answer(question.asked, "；".join(lines), bool(found), passages, [], "passage" if found else "none", highlight, note)


def _naming(part: str):
    """A sentence answers a part when it names the part's thing: its first word with the single
    characters that complete it ("加氢站" of 加氢站规划, "绿氢年" of 绿氢年产能) — the head word after it
    (规划, 数量) plans word otherwise."""
    tokens = lexical_tokens(part)
    first = next((i for i, t in enumerate(tokens) if len(t) > 1), None)
    if first is None:
        return None
    name = tokens[first]
    for token in tokens[first + 1 :]:
        if len(token) > 1:
            break
        name += token
    return lambda sentence: name in sentence.lower()


def yes_no(index: Index, question, k: int) -> Answer:
    """"共青城是不是首批试点城市": the plan's own sentence on it, quoted for the reader to judge —
    a yes or a no read into a sentence would be the product's words, not the plan's."""
    answer = passage(index, question, k)
    if not answer.found:
        what = "、".join(question.mentioned[:2]) or "相关内容"
        place = "、".join(question.places) or "各"
        answer.answer = answer.note = f"{place}方案中没有找到关于{what}的表述。"
    return answer


# ---------------------------------------------------------------- definitions


DEFINED = r"(?:是指|指的是|系指|即|是)"


def definition(index: Index, question, k: int) -> Answer:
    """"碳达峰是什么": the sentence of a plan that defines the term ("碳达峰指……", "X是指……")."""
    term = question.term
    if term:
        pattern = re.compile(re.escape(term) + r"[”\"]?(?:（[^）]{0,20}）)?\s*" + f"(?:{DEFINED}|指)")
        plans = [index.plans[p] for p in question.plan_ids] if question.plan_ids else list(index.plans.values())
        for plan in plans:  # the first plan that defines it (a question naming no place reads them in turn)
            match = pattern.search(plan.text)
            if match:
                start, end = sentence_at(plan.text, match.start())
                spans = [(plan.plan_id, start, end)]
                return Answer(question.asked, quote(index, plan.plan_id, start, end), True,
                              passages_for(index, spans, question, k), [], "passage", spans)
    found = passage(index, question, k)
    if term and found.found:  # no plan defines it: what they say about it, labelled as not a definition
        text = f"收录的方案没有给出“{term}”的定义；相关的表述：{found.answer}"
        return Answer(question.asked, text, False, found.passages, mode="none", note=f"方案中没有“{term}”的定义。")
    return found


# ---------------------------------------------------------------- which places mention X

def mention(index: Index, question, k: int) -> Answer:
    """Which places' plans mention a topic ("哪些城市提到了氢能"), each with the sentence that does: the
    first sentence around an occurrence of the main word, in the passages holding it, that has every word.
    A main word no passage holds is mentioned by no plan; one never said with the others is left to
    the passage that covers the question best."""
    topic = question.mentioned[:2]
    if not topic:
        return passage(index, question, k)
    plans = [index.plans[p] for p in question.plan_ids] if question.plan_ids else list(index.plans.values())
    rows = index.chunks_with_word(topic[0])
    if question.plan_ids:
        rows = np.intersect1d(rows, index.rows_of(question.plan_ids))
    if not len(rows):  # the main word is in no passage: no sentence elsewhere can say a plan mentions it
        what = topic[0]
        return Answer(question.asked, f"没有方案提到{what}。", False, [], mode="none", note=f"没有方案提到{what}。")
    first: dict[str, tuple[str, int, int]] = {}  # plan -> its sentence, for the first MAX_PLACES_LISTED plans
    order = index.plan_order
    for chunk in sorted((index.chunks[r] for r in rows), key=lambda c: (order[c.plan_id], c.char_start)):
        if chunk.plan_id in first:
            continue
        if len(first) == MAX_PLACES_LISTED:
            break
        text = index.plans[chunk.plan_id].text
        piece = text[chunk.char_start : chunk.char_end].lower()  # words are lower case: "pue"
        at = piece.find(topic[0]) if len(piece) == chunk.char_end - chunk.char_start else -1
        while at >= 0:
            start, end = sentence_at(text, chunk.char_start + at)
            if all(word in text[start:end].lower() for word in topic):
                first[chunk.plan_id] = (chunk.plan_id, start, end)
                break
            at = piece.find(topic[0], end - chunk.char_start)
    hits = list(first.values())
    if not hits:  # the main word is there, never with the others: the passage that covers the question best
        return passage(index, question, k)
    what = "、".join(topic)
    # past the listed plans, the rest holding the main word are counted, not quoted
    others = {index.chunks[r].plan_id for r in rows} - set(first) if len(first) == MAX_PLACES_LISTED else set()
    named = {index.plans[p].label for p in [*first, *others]}
    absent = sorted({p.label for p in plans} - named)
    quotes = [f"{index.plans[p].label}（“{_excerpt(index.plans[p].text[s:e], topic[0])}”）" for p, s, e in hits]
    more = f"；另有{len(others)}个方案中出现“{topic[0]}”" if others else ""
    text = f"提到{what}的：{'；'.join(quotes)}{more}。"
    if absent:
        text += f"未提到的：{'、'.join(absent)}。" if len(absent) <= MAX_PLACES_LISTED else f"另有{len(absent)}个地方的方案未提到。"
    return Answer(question.asked, text, True, passages_for(index, hits, None, k), [], "mention", hits)


def _excerpt(sentence: str, word: str, width: int = 30) -> str:
    """A short stretch of the sentence around the topic word."""
    sentence = sentence.strip()
    at = max(0, sentence.lower().find(word))
    start = max(0, at - width // 2)
    piece = sentence[start : start + width + len(word)]
    return ("……" if start else "") + piece + ("……" if start + width + len(word) < len(sentence) else "")


def where(index: Index, question, k: int) -> Answer:
    """"在哪里建抽水蓄能": the sentence naming the places or projects of a measure."""
    return passage(index, question, k)

