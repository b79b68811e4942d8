"""Follow-up questions and questions about several places, read from the wording alone.

The chat keeps the last full question; a short follow-up ("那2030年呢？", "江门呢？", "光伏呢？") is
rewritten into a full question from it. This module is the chat's whole dialogue logic, isolated
from the web code so that the question stage (issue #16) can replace it behind the same interface:

    resolve_follow_up(question, previous, place_names) -> str   the full question to answer
    is_follow_up(question, place_names) -> bool                  a follow-up needing a previous question
    asks_across_places(question) -> bool                         a question about several places at once
    with_place(question, place, place_names) -> str             the question about another place

`place_names` is a rag.retrieve.PlaceNames or a plain list of place names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .indicators import indicator_mentions
from .normalize import to_simplified
from .retrieve import QUESTION_YEAR, PlaceNames, question_year
from .usertext import clean_input

FILLER = re.compile(
    r"那么|那|呢|吗|嘛|呀|啊|吧|又|再|也|还有|的|是|有|多少|几|怎么样|怎样|如何|情况|目标|要求|换成|改成|换|"
    r"如果是|看看|看|对于|关于|请问|方面|年份|年|中|里|"
    r"[\s，,。．.？?！!、：:；;“”\"'‘’（）()]"
)
# Words that mark a question as a follow-up to the previous one: "…呢？", "那…", "还有…".
FOLLOW_UP_MARK = re.compile(r"呢|^(?:那么?|还有|换成|改成|如果是)")
# Short words staff use for an indicator in a follow-up ("光伏呢？"), and the indicator they stand for.
SHORT_INDICATORS = {
    "光伏": "光伏装机容量", "太阳能": "光伏装机容量", "风电": "风电装机容量", "风能": "风电装机容量",
    "生物质": "生物质发电装机容量", "可再生能源": "可再生能源发电装机容量",
}


@dataclass(frozen=True)
class _Slot:
    start: int
    end: int
    text: str  # what to write in its place when substituting into another question


def _aliases(place_names) -> dict[str, str]:
    """alias -> full name, from a rag.retrieve.PlaceNames or a plain list of city names."""
    if hasattr(place_names, "aliases"):
        return dict(place_names.aliases)
    from .places import short_name as short_city_name

    aliases = {}
    for name in place_names or ():
        aliases[name] = name
        aliases[short_city_name(name)] = name
    return aliases


def _city_slots(text: str, aliases: dict[str, str]) -> list[_Slot]:
    return [_Slot(s, e, text[s:e]) for s, e, _ in PlaceNames(aliases).spans(text)]


def _year_slots(text: str) -> list[_Slot]:
    slots = []
    for match in QUESTION_YEAR.finditer(text):
        slots.append(_Slot(match.start(), match.end(), f"{question_year(match)}年"))
    return slots


def _indicator_slots(text: str) -> list[_Slot]:
    slots = [_Slot(s, e, text[s:e]) for s, e, _ in indicator_mentions(text)]
    for word in sorted(SHORT_INDICATORS, key=len, reverse=True):
        for match in re.finditer(re.escape(word), text):
            s, e = match.span()
            if not any(x.start < e and s < x.end for x in slots):
                slots.append(_Slot(s, e, SHORT_INDICATORS[word]))
    return sorted(slots, key=lambda slot: slot.start)


def _substitute(question: str, old: list[_Slot], new: list[_Slot], insert_at: int) -> str:
    """Put the `new` slot values where the first `old` slot was (or at `insert_at`), dropping the other old ones."""
    if not new:
        return question
    value = "和".join(dict.fromkeys(slot.text for slot in new))
    if not old:
        return question[:insert_at] + value + question[insert_at:]
    out = question
    for slot in sorted(old[1:], key=lambda s: -s.start):  # later duplicates go, with a joining 和/、 before them
        start = slot.start - 1 if slot.start and out[slot.start - 1] in "和、与及,，" else slot.start
        out = out[:start] + out[slot.end :]
    first = old[0]
    return out[: first.start] + value + out[first.end :]


def _elliptical_slots(text: str, aliases: dict[str, str]) -> dict[str, list[_Slot]] | None:
    """The city/year/indicator slots of a question that says nothing else, or None for any other question."""
    slots = {"city": _city_slots(text, aliases), "year": _year_slots(text), "indicator": _indicator_slots(text)}
    if not any(slots.values()):
        return None
    rest = text
    for slot in sorted((s for group in slots.values() for s in group), key=lambda s: -s.start):
        rest = rest[: slot.start] + " " + rest[slot.end :]
    return None if FILLER.sub("", rest) else slots


def is_follow_up(question: str, place_names) -> bool:
    """True for a short follow-up ("那2030年呢？", "光伏呢？", "津市呢？"): it needs a previous question."""
    text = to_simplified(clean_input(question))
    if not text:
        return False
    if _elliptical_slots(text, _aliases(place_names)) is None:
        return bool(re.fullmatch(r"(?:那么?|还有)?呢[？?]?", text))  # "那呢？"
    return bool(FOLLOW_UP_MARK.search(text))  # "光伏装机目标是多少？" alone is a question of its own


def resolve_follow_up(question: str, previous_question: str | None, place_names) -> str:
    """Rewrite an elliptical follow-up into a full question, using the previous (already full) question.

    A follow-up is a question that, once its city, year and indicator words are
    taken out, says nothing else ("那2030年呢？", "江门呢？", "光伏呢？").
    Each of those slots it names replaces the same slot in the previous question;
    the slots it leaves out are inherited. A question naming both a city and an
    indicator is a full question unless it says "呢"/"那". Any other question is
    returned as is. `place_names` is a rag.retrieve.PlaceNames or a list of city names.
    """
    if not question or not question.strip() or not previous_question or not previous_question.strip():
        return question
    text = to_simplified(clean_input(question))
    previous = to_simplified(previous_question.strip())
    aliases = _aliases(place_names)
    slots = _elliptical_slots(text, aliases)
    if slots is None:
        return question  # it says more than a slot change: a question of its own
    if slots["city"] and slots["indicator"] and not FOLLOW_UP_MARK.search(text):
        return question  # "南昌光伏装机目标是多少？": a full question
    rewritten = previous
    # substitute right to left by kind, re-finding the slots each time since offsets move
    for kind, finder in (("indicator", _indicator_slots), ("year", _year_slots), ("city", lambda t: _city_slots(t, aliases))):
        new = slots[kind]
        if not new:
            continue
        old = finder(rewritten)
        if kind == "indicator" and not old:
            # the previous question named no indicator: ask about this one for its city and year
            context = "".join(s.text for s in _city_slots(rewritten, aliases)[:1] + _year_slots(rewritten)[:1])
            rewritten = f"{context}{'和'.join(s.text for s in new)}目标是多少？"
            continue
        if kind == "year" and not old:
            cities = _city_slots(rewritten, aliases)
            insert_at = cities[0].end if cities else 0
        else:
            insert_at = 0
        rewritten = _substitute(rewritten, old, new, insert_at)
    return rewritten


# A question about several cities at once: the city selector must not narrow it to one.
CROSS_CITY = re.compile(r"各城市|各市|各地|哪个城市|哪些城市|哪座城市|哪几个城市|所有城市|几个城市|五个城市|对比|比较|排名|最高|最低|which cit|compare|all cities", re.I)


def asks_across_places(question: str) -> bool:
    """True for a question about several places at once ("哪些城市提到了氢能？", "各城市…对比")."""
    return bool(CROSS_CITY.search(to_simplified(question or "")))


def with_place(question: str, city: str, place_names) -> str:
    """`question` about `city` instead of the cities it names (a city it inherited from context)."""
    from .places import short_name as short_city_name

    text = to_simplified(question)
    old = _city_slots(text, _aliases(place_names))
    if not old:
        return question
    return _substitute(text, old, [_Slot(0, 0, short_city_name(city))], 0)
