"""Answer a question from the index: the question stage (`rag.question`) reads it once into a
`Question`; one answerer per answer type turns it into an `Answer` whose every statement is text
from the corpus with its citation. The honesty rules (`honesty.py`) hold for all of them."""
from __future__ import annotations

from dataclasses import replace

from ..config import MAX_PASSAGES
from ..errors import UserError
from ..index import Index
from ..question import EXAMPLE_QUESTION, NO_CONTEXT, Question, answer_type, choose_plans, is_bare_follow_up, parse, place_names
from . import facts, passages, structure, targets
from .honesty import missing_places
from .result import Answer

ANSWERERS = {
    "greeting": facts.greeting,
    "corpus": facts.collection,
    "definition": passages.definition,
    "fact": facts.facts,
    "list": structure.listing,
    "where": passages.where,
    "yesno": None,  # about an indicator (targets.yes_no) or a topic (passages.yes_no)
    "compare": targets.compare,
    "target": targets.target,
    "open": passages.passage,
}


def ask(index: Index, question: str, city: str | None = None, k: int = 5, previous: Question | None = None) -> Answer:
    """Answer one question; `city` (a selector) restricts it to one place, `previous` is the last
    question of a conversation (a follow-up inherits from it)."""
    if not 1 <= k <= MAX_PASSAGES:
        raise UserError(f"--k 必须在 1 到 {MAX_PASSAGES} 之间。")
    if city and city.strip() not in ("", "全部", "all"):
        resolved = place_names(index).resolve(city)
        if not resolved:
            known = "、".join(dict.fromkeys(p.label for p in index.plans.values()))
            raise UserError(f"未知城市：{city}。语料中有这些城市的方案：{known}")
        city = resolved
    else:
        city = None
    understood = parse(question, index, previous, index.settings.max_question_chars)  # refuses bad input first
    if previous is None and is_bare_follow_up(question, index):
        text = NO_CONTEXT.format(example=EXAMPLE_QUESTION)
        return Answer(question, text, False, [], mode="help", note=text)
    if city and understood.places != (city,):  # the selector's place: the question is about it alone
        kind = understood.type if understood.type != "compare" else \
            answer_type(understood.text, understood.facts, understood.indicators, (city,), understood.years)
        understood = replace(understood, places=(city,), plan_ids=choose_plans(understood.text, (city,), index), missing=(),
                             type=kind)
    return answer(index, understood, k)


def answer(index: Index, question: Question, k: int = 5) -> Answer:
    """The answer to an understood question: places the corpus lacks are refused first."""
    result = _answer(index, question, k)
    result.question = question.asked
    result.type = question.type
    result.understood = question.text if question.text != question.asked else ""
    if question.readings:
        result.answer = f"（{'；'.join(question.readings)}）" + result.answer
    return result


def _answer(index: Index, question: Question, k: int) -> Answer:
    if question.missing and question.type != "corpus" and (not question.places or question.type != "compare"):
        return facts.cited_facts(index, question) or missing_places(question, index)
    if question.type == "yesno":
        return (targets.yes_no if question.indicators else passages.yes_no)(index, question, k)
    if question.type in ("target", "fact", "list") and not question.plan_ids:
        if question.type == "target" and question.indicators:
            return targets.compare(index, question, k)  # a target question naming no place: every plan's value
        if question.type != "fact":
            return passages.passage(index, question, k)
    return ANSWERERS[question.type](index, question, k)
