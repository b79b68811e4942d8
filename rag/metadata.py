"""Detect a plan's metadata from its own text: place, level, title, 文号, signing date, issuer, kind.

A plan page is usually a notice ("X人民政府关于印发《X碳达峰实施方案》的通知",
文号, addressees, issuer, signing date) followed by the plan, often behind a
news lead that also cites higher-level plans. Each fact is found by the shape
of the line that carries it, scored so that the plan's own notice beats
a citation of another plan:

- title: "…碳达峰…方案" standing on its own line or right after 印发/发布, not
  a plan cited after 根据/落实 or followed by its own 文号 in brackets;
- place: the chain of division names that opens the title (广州市天河区 ->
  天河区), resolved against the division table, with a zone suffix (经开区);
- 文号: "X〔2023〕9号" on its own line or after a 文号 label, not in brackets;
- signing date: "2023年5月11日" on its own line or right after an issuer,
  never a website's posting time ("发布时间：2023-02-07 17:20").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .places import ZONE_SUFFIX, Place, divisions

KINDS = ("实施方案", "征求意见稿", "政策解读", "新闻报道")

TITLE = re.compile(r"碳达峰[\u4e00-\u9fff、]{0,14}?方案(?:[(（]征求意见稿[)）])?")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}\s*[〔\[［【(（]\s*(20\d{2}|19\d{2})\s*[〕\]］】)）]\s*\d{1,4}\s*号")
DATE = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})?\s*日")
ORGAN = re.compile(r"人民政府办公室|人民政府办公厅|人民政府|管理委员会|管委会")
POSTED = re.compile(r"发布时间|发布日期|来源|浏览|时间[:：]|日期[:：]|生效日期")
CITING = re.compile(r"(根据|依据|按照|落实|结合|贯彻|参照|对照|衔接)")
ISSUING = re.compile(r"(印发|发布|出台|制定|公布|审议通过)")


@dataclass(frozen=True)
class Metadata:
    place: str = ""
    level: str = ""
    province: str = ""
    parent: str = ""
    title: str = ""
    doc_number: str = ""
    issued: str = ""  # YYYY-MM-DD
    issuer: str = ""
    kind: str = "实施方案"
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # where each fact stands in the text, so an answer can cite it: field -> (start, end)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)


def detect(text: str) -> Metadata:
    """Metadata of the plan in `text` (normalized simplified text); empty fields when not found."""
    warnings: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    mentioned = _mentioned_provinces_and_cities(text)
    title_match = _plan_title(text, mentioned)
    place: Place | None = None
    title = ""
    if title_match:
        start, end, place = title_match
        title = text[start:end]
        spans["title"] = (start, end)
    doc = _doc_number(text)
    if doc:
        spans["doc_number"] = doc[1]
    issued = _signing_date(text)
    if issued and issued[0].count("-") < 2:
        warnings.append(f"签发日期不完整：{text[issued[1][0]:issued[1][1]]}")
    if issued:
        spans["issued"] = issued[1]
    issuer = _issuer(text, issued[1] if issued else None, place, mentioned)
    if issuer:
        spans["issuer"] = issuer[1]
    return Metadata(
        place=place.name if place else "",
        level=place.level if place else "",
        province=place.province if place else "",
        parent=place.parent if place else "",
        title=title,
        doc_number=doc[0] if doc else "",
        issued=issued[0] if issued and issued[0].count("-") == 2 else "",
        issuer=issuer[0] if issuer else "",
        kind=_kind(text, title, spans.get("title")),
        warnings=tuple(warnings),
        spans=spans,
    )


# ---------------------------------------------------------------- title and place


def _plan_title(text: str, mentioned: set[str]) -> tuple[int, int, Place] | None:
    """(start, end, place) of the title of the plan this page issues."""
    best, best_score = None, None
    for match in TITLE.finditer(text):
        chain_start, place = _place_before(text, match.start(), mentioned)
        if place is None:
            continue
        start, end = chain_start, match.end()
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        before = text[max(line_start, start - 16) : start]
        after = text[end : end + 6]
        score = 0
        if line.strip(" 《》\"“”") == text[start:end]:
            score += 3  # the plan's own heading line
        if ISSUING.search(before):
            score += 2
        if CITING.search(before):
            score -= 3
        if re.match(r"[》>]?\s*[(（][^)）]{0,12}〔", after):
            score -= 3  # a cited plan with its 文号 in brackets
        if best_score is None or score > best_score:
            best, best_score = (start, end, place), score
    return best


def _place_before(text: str, end: int, mentioned: set[str]) -> tuple[int, Place | None]:
    """The jurisdiction named by the run of division names that ends at `end` (right before 碳达峰).

    "广州市天河区" -> 天河区 (the one under 广州市); "重庆市万盛经开区" -> the zone
    万盛经开区 in 重庆市: a zone's own name is the short run between the last
    division name and its suffix.
    """
    table = divisions()
    position, zone_name = end, ""
    suffix = ZONE_SUFFIX.search(text[max(0, end - 10) : end])
    if suffix:
        position = end - len(suffix.group())
        own = next((n for n in range(1, 5) if table.ending_at(text, position - n)), None)
        if own is None:
            return end, None
        position -= own
        zone_name = text[position:end]
    chain: list[tuple[Place, ...]] = []
    while position > 0:
        names = table.ending_at(text, position)
        if not names:
            break
        chain.insert(0, table.named(names[0]))
        position -= len(names[0])
    if not chain:
        return end, None
    # each link narrows the next: 广州市 then 天河区 means the 天河区 under 广州市
    place = None
    for candidates in chain:
        inside = tuple(p for p in candidates if place is None or place.name in (p.province, p.parent))
        place = _pick(inside or candidates, mentioned)
    if zone_name:
        return position, Place(zone_name, zone_name[: -len(suffix.group())], "zone", place.province, place.name)
    return position, place


def _pick(candidates: tuple[Place, ...], mentioned: set[str]) -> Place | None:
    """Among same-named places, the one whose province or prefecture the text mentions; else the highest level."""
    if not candidates:
        return None
    for place in candidates:
        if place.province in mentioned or place.parent in mentioned:
            return place
    return candidates[0]


def _mentioned_provinces_and_cities(text: str) -> set[str]:
    table = divisions()
    head = text[:3000]
    found = set()
    for name, places in table.by_name.items():
        if places[0].level in ("province", "city") and name in head:
            found.add(name)
    for short, places in table.by_short.items():
        if places[0].level == "province" and short in head:
            found.add(places[0].name)
    return found


# ---------------------------------------------------------------- 文号, date, issuer, kind


def _doc_number(text: str) -> tuple[str, tuple[int, int]] | None:
    best, best_score = None, None
    for match in DOC_NUMBER.finditer(text):
        start, end = match.span()
        before = text[max(0, start - 6) : start]
        score = 0
        line_start = text.rfind("\n", 0, start) + 1
        if re.search(r"(文号|字号)\s*[:：]?\s*$", before):
            score += 3
        if not text[line_start:start].strip():
            score += 2  # stands at the start of its line
        if before.rstrip().endswith(("(", "（", "《", "〈")) or text[end : end + 1] in (")", "）"):
            score -= 4  # a cited document
        if score < 0:
            continue
        if best_score is None or score > best_score:
            best, best_score = (re.sub(r"\s+", "", match.group()), (start, end)), score
    if best is None:
        return None
    # the prefix may have swallowed text before the issuing organ's abbreviation ("的通知潭政发")
    number, span = best
    cut = re.search(r"(?:通知|决定|意见|的|号|:|：)([^通知的号:：]*〔.*)$", number)
    if cut:
        span = (span[0] + cut.start(1), span[1])
        number = cut.group(1)
    return number, span


def _signing_date(text: str) -> tuple[str, tuple[int, int]] | None:
    """The date under the issuer: alone on its line or right after an issuer's name."""
    best, best_score = None, None
    for match in DATE.finditer(text):
        start, end = match.span()
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if POSTED.search(line):
            continue
        before = text[max(0, start - 30) : start]
        score = 0
        if line.strip() == match.group().strip():
            score += 2
        if re.search(r"(人民政府|办公室|办公厅|委员会|管委会)\s*$", before):
            score += 3
        if re.match(r"\s*[(（]此件", text[end : end + 6]):
            score += 2
        if score <= 0:
            continue
        if best_score is None or score > best_score:
            year, month, day = match.group(1), int(match.group(2)), match.group(3)
            value = f"{year}-{month:02d}-{int(day):02d}" if day else f"{year}-{month:02d}"
            best, best_score = (value, (start, end)), score
    return best


def _issuer(text: str, date_span: tuple[int, int] | None, place: Place | None, mentioned: set[str]) -> tuple[str, tuple[int, int]] | None:
    """The issuing organ: a division name + 人民政府/办公室/管委会, signed right above the date
    or naming the plan's own place — not a higher government whose notice the page cites."""
    best, best_score = None, 0
    for organ in ORGAN.finditer(text):
        start, named = _place_before(text, organ.start(), mentioned)
        if named is None:
            continue
        score = 0
        if date_span and 0 <= date_span[0] - organ.end() <= 3:
            score += 3
        if place and named.name == place.name:
            score += 2
        if text[max(0, start - 1) : start] in ("《", "〈"):
            score -= 3
        if score > best_score:
            best, best_score = (text[start : organ.end()], (start, organ.end())), score
    return best


def _kind(text: str, title: str, title_span: tuple[int, int] | None) -> str:
    if "征求意见" in title or "征求意见稿" in text[:3000]:
        return "征求意见稿"
    if "解读" in title or "解读" in text[:300]:
        return "政策解读"
    # the plan itself: its title as a heading line followed by numbered sections
    body_start = title_span[1] if title_span else 0
    for match in TITLE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)].strip()
        if line.endswith(match.group()) and len(line) <= len(match.group()) + 14 and "一、" in text[match.end() :]:
            return "实施方案"
    if re.search(r"^\s*一、", text[body_start:], flags=re.M):
        return "实施方案"
    return "新闻报道"
