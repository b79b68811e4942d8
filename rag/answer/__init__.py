"""Answer a question from the index: the question stage (`rag.question`) reads it once into a
`Question`; one answerer per answer type turns it into an `Answer` whose every statement is text
from the corpus with its citation. The honesty rules (`honesty.py`) hold for all of them."""
from __future__ import annotations

from ..config import MAX_PASSAGES
from ..errors import UserError
from ..index import Index, one_answer
from ..question import EXAMPLE_QUESTION, NO_CONTEXT, Question, asked_above, parse, selected_place, with_selector
from . import facts, passages, structure, targets
from .honesty import about_below, missing_places, screened, states_asked
from .result import Answer

ANSWERERS = {
    "greeting": facts.greeting,
    "corpus": facts.collection,
    "definition": passages.definition,
    "division": facts.division,
    "fact": facts.facts,
    "list": structure.listing,
    "where": passages.where,
    "yesno": None,  # about an indicator (targets.yes_no) or a topic (passages.yes_no)
    "compare": targets.compare,
    "target": targets.target,
    "open": passages.passage,
}


def understand(index: Index, question: str, city: str | None = None, previous: Question | None = None) -> Question:
    """The question as it will be answered: parsed (bad input refused first), a follow-up built on
    `previous`, and the place selector `city` applied by its rule (`rag.question.with_selector`)."""
    place = selected_place(index, city)  # an unknown city is refused, not ignored
    return with_selector(parse(question, index, previous, index.settings.max_question_chars), place, index)


def ask(index: Index, question: str, city: str | None = None, k: int = 5, previous: Question | None = None) -> Answer:
    """The one answer path of every face (the chat, /ask, the JSON API, `rag ask`): the message read
    once (a follow-up built on `previous`, the last question of a conversation), the selector `city`
    applied by its rule, answered, screened, and told when the index is older than the corpus. The
    faces only format what this returns."""
    if not 1 <= k <= MAX_PASSAGES:
        raise UserError(f"--k 必须在 1 到 {MAX_PASSAGES} 之间。")
    result = answer(index, understand(index, question, city, previous), k)
    result.index_notice = index.stale_notice() or ""
    return result


def answer(index: Index, question: Question, k: int = 5) -> Answer:
    """The answer to an understood question: a follow-up with nothing to follow gets help, places the
    corpus lacks are refused first."""
    if question.needs_context:
        text = NO_CONTEXT.format(example=EXAMPLE_QUESTION)
        return Answer(question.asked, text, False, [], mode="help", note=text)
    with one_answer():
        result = _answer(index, question, k)
        above = asked_above(question, index) if not result.found else None
        if above is not None:  # its own documents do not answer: what those of the places around it say about it
            from_above = _answer(index, above, k)
            result = about_below(above, from_above, index) if from_above.found else result
    if question.below and question.type != "division":  # where it belongs is the table's, not its city's documents'
        if not result.found and question.type == "target":
            # no row of the documents above is about it: what their passages say of it ("凉山州风电基地
            # 建设……新增投产装机约510万千瓦" names the place in one clause and the amount in another),
            # a sentence stating the asked indicator (honesty rule 1): "加快台山核电后续项目" names 台山
            # but sets no 可再生能源装机, "新建厂房屋顶光伏覆盖率" is no 光伏装机
            result = passages.passage(index, question, k, require=states_asked(question, index))
        result = about_below(question, result, index)
    result.question = question.asked
    result.type = question.type
    result.understood = question.text if question.text != question.asked else ""
    if question.readings:
        result.answer = f"（{'；'.join(question.readings)}）" + result.answer
    result = screened(result)
    result.notice = question.selector_note
    return result


def _answer(index: Index, question: Question, k: int) -> Answer:
    if question.missing and question.type not in ("corpus", "division") and (not question.places or question.type != "compare"):
        return facts.cited_facts(index, question) or missing_places(question, index)
    if question.type == "yesno":
        return (targets.yes_no if question.indicators else passages.yes_no)(index, question, k)
    if question.type in ("target", "fact", "list") and not question.plan_ids:
        if question.type == "target" and question.indicators:
            return targets.compare(index, question, k)  # a target question naming no place: every plan's value
        if question.type != "fact":
            return passages.passage(index, question, k)
    return ANSWERERS[question.type](index, question, k)
