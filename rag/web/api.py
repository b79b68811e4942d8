"""The API endpoints as plain dicts: /ask (the same dict as `rag ask --json`), /targets."""
from __future__ import annotations

import logging

from ..errors import UserError
from ..usertext import INTERNAL_ERROR, clip
from .choices import parse_year, resolve_city

log = logging.getLogger(__name__)


def ask_dict(index, question, city) -> dict:
    """The /ask endpoint: the same dict as `rag ask --json`, or {"error": "..."} for bad input."""
    from ..answer import ask

    try:
        city_name = resolve_city(index, city)
        return ask(index, "" if question is None else str(question), city=city_name).to_dict()
    except UserError as error:
        return {"error": clip(str(error), 200)}
    except Exception:
        log.exception("/ask failed")
        return {"error": INTERNAL_ERROR}


def targets_dict(index, city=None, year=None, indicator=None) -> dict:
    """The /targets endpoint: {"targets": [...]} filtered like `rag targets`, or {"error": "..."}."""
    from ..targets import filter_targets

    try:
        rows = filter_targets(
            index.targets,
            city=resolve_city(index, city),
            year=parse_year(year),
            indicator=(str(indicator).strip() or None) if indicator is not None else None,
        )
    except UserError as error:
        return {"error": clip(str(error), 200)}
    except Exception:
        log.exception("/targets failed")
        return {"error": INTERNAL_ERROR}
    return {"targets": [t.to_dict() for t in rows]}
