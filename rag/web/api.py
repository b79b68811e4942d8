"""The API endpoints as plain dicts: /ask (the record `rag ask --json` prints), /targets ({"targets": [...]}),
/plans ({"plans": [...]}, the rows of `rag plans --json`). Each reads the index served at the moment it
is called, and waits for it while the app is still loading. What answers is imported when first asked:
the page is served before it is needed."""
from __future__ import annotations

import logging

from ..errors import UserError, check_length
from ..usertext import INTERNAL_ERROR, answer_record, clip, question_text, refusal_record
from .choices import parse_year

log = logging.getLogger(__name__)


def ask_dict(served, question, city) -> dict:
    """/ask: the record of `rag ask --json` (the user-facing sentence always in `answer`); a question refused
    before the search gets the same shape with `error` set."""
    from ..answer import ask

    asked = question_text("" if question is None else str(question))
    try:
        index = served.current
        record = answer_record(ask(index, asked, city=city))
        notice = index.stale_notice()
        return record | ({"index_notice": notice} if notice else {})
    except UserError as error:
        return refusal_record(asked, clip(str(error), 200))
    except Exception:
        log.exception("/ask failed")
        return refusal_record(asked, INTERNAL_ERROR)


def targets_dict(served, city=None, year=None, indicator=None) -> dict:
    """/targets: {"targets": [...]} filtered like `rag targets`, or {"error": "..."}."""
    from ..question import selected_place
    from ..targets import filter_targets

    try:
        index = served.current
        rows = filter_targets(
            index.targets,
            city=selected_place(index, city),
            year=parse_year(year),
            indicator=check_length(str(indicator or "").strip(), index.settings.max_field_chars, "指标名称",
                                   "RAG_MAX_FIELD_CHARS") or None,
        )
    except UserError as error:
        return {"error": clip(str(error), 200)}
    except Exception:
        log.exception("/targets failed")
        return {"error": INTERNAL_ERROR}
    return {"targets": [t.to_dict() for t in rows]}


def plans_dict(served) -> dict:
    """/plans: {"plans": [...]}, the same rows as `rag plans --json`, or {"error": "..."}."""
    from ..catalog import plan_rows

    try:
        return {"plans": plan_rows(served.current)}
    except UserError as error:
        return {"error": clip(str(error), 200)}
