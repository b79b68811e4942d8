"""One chat turn as data: the question as the user typed it, its follow-up rewriting, the city
selector, the reply's HTML, and the citation picker beside the chat."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import UserError
from ..usertext import INTERNAL_ERROR, clip, question_text
from .render import Citation, Reply, error_html, format_answer, user_html

log = logging.getLogger(__name__)

EMPTY_HINT = "请输入一个问题，例如：江门2030年可再生能源装机目标是多少？"
CITES_LABEL = "上一回答的引用"
UNRELATED_LABEL = "检索到的段落（不能回答上一个问题）"


@dataclass
class Picker:
    """The citation picker beside the chat: choices (label, "plan_id:char_start"), the one it opens on, its label."""

    choices: list[tuple[str, str]]
    value: str | None
    label: str


def citation_picker(answer) -> Picker:
    """Opens on the passage the answer cites; after 未找到 the passages are listed as not answering."""
    if answer is None:
        return Picker([], None, CITES_LABEL)
    reply = Reply.of(answer)

    def choice(c: Citation, prefix: str = "") -> tuple[str, str]:
        p = c.passage
        return f"{prefix}[{c.number}] 《{p['title']}》{p['section']}", f"{p['plan_id']}:{p['char_start']}"

    if reply.cited:
        choices = [choice(c) for c in reply.cited] + [choice(c, "（未引用）") for c in reply.others]
        return Picker(choices, choices[0][1], CITES_LABEL)
    return Picker([choice(c, "（不回答问题）") for c in reply.others], None, UNRELATED_LABEL)


@dataclass
class ChatTurn:
    """What one question changes on the chat page."""

    history: list[dict]
    context: str | None  # the last answered question, in full: what the next follow-up builds on
    answer: dict | None  # Answer.to_dict() of this reply, for the section reader
    picker: Picker
    hint: str = ""  # a short line under the question box (empty input)
    cleared_input: bool = True


def chat_turn(served, message: str | None, history: list | None, selected_city: str | None,
              context: str | None) -> ChatTurn:
    """Answer one chat message from the index served now: follow-ups, the city selector, errors; the whole turn as data.

    `context` is the previous question as it was understood (a full question); the question stage
    (`rag.question.parse`) reads it back into a `Question` that this message's follow-up builds on."""
    from ..answer import ask
    from ..question import parse

    history = list(history or [])
    message = question_text(message)
    if not message:
        return ChatTurn(history, context, None, citation_picker(None), EMPTY_HINT, cleared_input=False)
    answer = None
    try:
        index = served.current
        previous = parse(context, index) if context else None
        answer = ask(index, message, city=selected_city, previous=previous)  # the one answer path: the chat only formats
        notice = "；".join(filter(None, (answer.notice, answer.index_notice))) or None
        reply = format_answer(answer, understood_as=answer.understood or None, notice=notice)
        context = (answer.understood or message) if answer.mode != "help" else context
    except UserError as problem:
        reply = error_html(clip(str(problem), 200))
    except Exception:  # a bug must not take the page down; the log has the details
        log.exception("chat question failed: %r", clip(message, 200))
        reply = error_html(INTERNAL_ERROR)
    history += [{"role": "user", "content": user_html(message)}, {"role": "assistant", "content": reply}]
    return ChatTurn(history, context, answer.to_dict() if answer else None, citation_picker(answer))
