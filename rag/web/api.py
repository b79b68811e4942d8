"""What the programs calling the server get, as plain dicts: an answer (the record `rag ask --json` prints),
the targets table ({"targets": [...]}), the plans ({"plans": [...]}, the rows of `rag plans --json`).

Each reads the index served at the moment it is called. Two faces share them: the Gradio API names
(/ask, /targets, /plans — a refusal is a dict with `error`, the queue has no status codes) and the JSON
API (rag.web.jsonapi — a refusal is an HTTP status). What answers is imported when first asked: the page
is served before it is needed."""
from __future__ import annotations

import logging

from ..errors import UserError, check_length
from ..usertext import INTERNAL_ERROR, answer_record, clip, question_text, refusal_record
from .choices import parse_year

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the answers (UserError when refused)

def answer_of(index, question: str, city, k: int = 5) -> dict:
    """The record of `rag ask --json` for `question` (already cleaned by `question_text`)."""
    from ..answer import ask

    return answer_record(ask(index, question, city=city, k=k))


def targets_of(index, city=None, year=None, indicator=None) -> list:
    """The targets filtered like `rag targets` (a place selector, a year, words of the indicator)."""
    from ..question import selected_place
    from ..targets import filter_targets

    return filter_targets(
        index.targets,
        city=selected_place(index, city),
        year=parse_year(year),
        indicator=check_length(str(indicator or "").strip(), index.settings.max_field_chars, "指标名称",
                               "RAG_MAX_FIELD_CHARS") or None,
    )


def plans_of(index) -> list[dict]:
    from ..catalog import plan_rows

    return plan_rows(index)


# ---------------------------------------------------------------- the Gradio API names

def ask_dict(served, question, city) -> dict:
    """/ask: the record of `rag ask --json` (the user-facing sentence always in `answer`); a question refused
    before the search gets the same shape with `error` set."""
    asked = question_text("" if question is None else str(question))
    try:
        return answer_of(served.current, asked, city)
    except UserError as error:
        return refusal_record(asked, clip(str(error), 200))
    except Exception:
        log.exception("/ask failed")
        return refusal_record(asked, INTERNAL_ERROR)


def targets_dict(served, city=None, year=None, indicator=None) -> dict:
    """/targets: {"targets": [...]} filtered like `rag targets`, or {"error": "..."}."""
    try:
        rows = targets_of(served.current, city, year, indicator)
    except UserError as error:
        return {"error": clip(str(error), 200)}
    except Exception:
        log.exception("/targets failed")
        return {"error": INTERNAL_ERROR}
    return {"targets": [t.to_dict() for t in rows]}


def plans_dict(served) -> dict:
    """/plans: {"plans": [...]}, the same rows as `rag plans --json`, or {"error": "..."}."""
    try:
        return {"plans": plans_of(served.current)}
    except UserError as error:
        return {"error": clip(str(error), 200)}
