"""Detect a document's metadata from its own text: place, level, title, 文号, signing date, issuer, kind.

A policy document is a notice ("X人民政府关于印发《Y》的通知", 文号, addressees, issuer, date)
followed by the plan, or the plan's own title on its first page ("中共X委 X人民政府关于……的实施
意见", "X“十四五”应对气候变化规划"), often behind a news lead that also cites higher-level
plans. Each fact is found by the shape of the line that carries it, scored so that the document's
own words beat a citation of another document:

- title: a line near the top that ends in a document genre (方案、规划、意见、决定、办法……, with
  "（试行）" or "（征求意见稿）"), the object of a notice's 印发, or a carbon-peak plan named
  after 印发/发布 — never one cited after 根据/落实 or followed by its own 文号 in brackets;
- place: the division names that open the title (中共成都市委 -> 成都市, 广州市天河区 -> 天河区,
  "试点（某市）" too), resolved against the division table, with a zone suffix (经开区, 试验区);
  a title without a place takes the issuer's;
- issuer: the organs before 关于 in the notice or title line (co-issuers kept), else the
  signature line right above the date;
- 文号: "X〔2023〕9号" on its own line or after a 文号 label, not in brackets;
- signing date: the date under the signature, or in brackets under the title
  ("（2022年3月13日）"), never a website's posting time ("发布时间：2023-02-07 17:20");
- kind: the genre the title ends with (实施意见, 工作方案（试行）, 专项规划), or 征求意见稿,
  政策解读, 新闻报道 for pages that are not the document itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .places import NATIONAL, Place, divisions
from .zh.placenames import CENTRAL_ORGAN, ZONE_SUFFIX
from .zh.notices import CITING, DATE, DOC_NUMBER, GENRE_END, HEAD, ISSUING, NOTICE, ORGAN_END, PEAK_PLAN, PERIOD, POSTED

# the kinds a page may be besides a document's own genre word
PAGE_KINDS = ("征求意见稿", "政策解读", "新闻报道")
# the genres offered when staff set a kind by hand (any genre word up to 20 characters is accepted)
KINDS = ("实施方案", "工作方案", "行动方案", "实施意见", "规划", "专项规划", "意见", "决定", *PAGE_KINDS)

ORGAN = re.compile(ORGAN_END)


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
    # where each fact was found, for `rag inspect`: field -> how
    sources: dict[str, str] = field(default_factory=dict)


def detect(text: str) -> Metadata:
    """Metadata of the document in `text` (normalized simplified text); empty fields when not found."""
    warnings: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    sources: dict[str, str] = {}
    mentioned = _mentioned_provinces_and_cities(text)
    found = _title(text, mentioned)
    place: Place | None = None
    title = ""
    if found:
        start, end, place, how = found
        title = text[start:end].replace("\n", "")
        status = re.match(rf"\n\s*([(（](?:试行|暂行|征求意见稿|{PERIOD})[)）])\s*(?:\n|$)", text[end:])
        if status:  # "（试行）" or "（2022-2025年）" set on the line under the title belongs to it
            title += status.group(1)
            end += status.end(1)
        spans["title"] = (start, end)
        sources["title"] = how
        if place:
            sources["place"] = "标题中的地名"
    doc = _doc_number(text)
    if doc:
        spans["doc_number"] = doc[1]
        sources["doc_number"] = "独立成行或“文号”之后的发文字号"
    issued = _signing_date(text, spans.get("title"))
    if issued and issued[0].count("-") < 2:
        warnings.append(f"签发日期不完整：{text[issued[1][0]:issued[1][1]]}")
    if issued:
        spans["issued"] = issued[1]
        sources["issued"] = issued[2]
    issuer = _issuer(text, spans.get("title"), issued[1] if issued else None, place, mentioned)
    if issuer:
        spans["issuer"] = issuer[1]
        sources["issuer"] = issuer[2]
        if place is None:
            place = _place_in(issuer[0], mentioned)
            if place:
                sources["place"] = "发文机关中的地名"
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
        sources=sources,
    )


# ---------------------------------------------------------------- title and place


def _title(text: str, mentioned: set[str]) -> tuple[int, int, Place | None, str] | None:
    """(start, end, place, how found) of the title of the document this page is."""
    candidates: list[tuple[int, int, int, str]] = []  # (score, start, end, how)
    position = 0
    lines = text[:HEAD].split("\n")
    for number, line in enumerate(lines):
        start, position = position, position + len(line) + 1
        stripped = _title_words(line)
        lead = start + line.find(stripped) if stripped else start
        notice = NOTICE.match(line)
        if not notice and number + 1 < len(lines) and re.match(r".{0,60}?关于(?:印发|发布|转发)", line):
            notice = NOTICE.match(line + lines[number + 1])  # the notice's name wrapped onto a second line
        if notice:
            quoted = re.search(r"《([^《》]+)》", notice.group("title"))
            inner = (quoted.group(1) if quoted else notice.group("title")).strip(" 《》\"“”")
            at = re.compile("\n?".join(map(re.escape, inner))).search(text, start) if inner else None
            if at:
                candidates.append((4 - number // 10, at.start(), at.end(), "通知标题中印发的文件名"))
        elif GENRE_END.search(stripped) and 6 <= len(stripped) <= 120 and not re.search(r"[。；！？]", stripped) \
                and not CITING.match(stripped):
            candidates.append((3 + (2 if number < 6 else 0) - number // 10, lead, lead + len(stripped), "文首独立成行的标题"))
    for match in PEAK_PLAN.finditer(text):
        candidates.append((_title_score(text, match.start(), match.end()), match.start(), match.end(), "正文中的方案名称"))
    for match in re.finditer(r"《([^《》\n]{4,80})》", text[:HEAD]):
        if GENRE_END.search(match.group(1)) and ISSUING.search(text[max(0, match.start() - 12) : match.start()]):
            candidates.append((_title_score(text, match.start(1), match.end(1)), match.start(1), match.end(1), "“印发《……》”中的文件名"))
    best = None
    for score, start, end, how in candidates:
        if score < 0:
            continue
        start, end = _widen_to_place(text, start, end)
        place = _place_in(text[start:end], mentioned)
        score += 1 if place else 0
        if best is None or score > best[0] or (score == best[0] and start < best[1]):
            best = (score, start, end, place, how)
    return best[1:] if best else None


def _title_words(line: str) -> str:
    """A line as a title candidate: without quotes, a signing date or 文号 glued before it
    ("2021年12月21日某市……方案"), or a table of contents' "目录" glued after it."""
    stripped = line.strip(" 《》\"“”")
    lead = re.match(rf"\s*(?:{DATE.pattern}|{DOC_NUMBER.pattern})\s*", stripped)
    if lead and lead.end() < len(stripped):
        stripped = stripped[lead.end():].strip(" 《》\"“”")
    return re.sub(r"\s*目\s*录$", "", stripped).strip(" 《》\"“”")


def first_line_title(text: str) -> str:
    """The title when none is found: the first line that is not a 文号, a date or a website's posting line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines[:8]:
        if not (DOC_NUMBER.fullmatch(line) or DATE.fullmatch(line) or POSTED.search(line) or len(line) < 4):
            return line[:60]
    return lines[0][:60] if lines else ""


def _title_score(text: str, start: int, end: int) -> int:
    """How much a name in running text looks like this page's own document rather than a cited one."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    before = text[max(line_start, start - 16) : start]
    after = text[end : end + 6]
    score = 0
    if line.strip(" 《》\"“”") == text[start:end]:
        score += 3  # the document's own heading line
    if ISSUING.search(before):
        score += 2
    if CITING.search(before):
        score -= 3
    if re.match(r"[》>]?\s*[(（][^)）]{0,12}〔", after):
        score -= 3  # a cited document with its 文号 in brackets
    return score


def _widen_to_place(text: str, start: int, end: int) -> tuple[int, int]:
    """A name found from its 碳达峰 part widened to the division names right before it."""
    position = start
    while position > 0:
        names = divisions().ending_at(text, position)
        if not names:
            break
        position -= len(names[0])
    return position, end


def _place_in(title: str, mentioned: set[str]) -> Place | None:
    """The jurisdiction a title or organ name belongs to: its first run of division names
    ("广州市天河区" -> 天河区 under 广州市; "中共成都市委" -> 成都市; "万盛经开区" -> the zone);
    the country when it opens with a central organ ("国务院关于……", "国家发展改革委 国家能源局")."""
    if CENTRAL_ORGAN.match(title.lstrip("《“\" ")):
        return NATIONAL
    table = divisions()
    mentions = table.mentions(title, ("province", "city"))
    opening = table.mentions(title[:12])  # a title opening with a county's bare name ("耒阳关于……")
    if opening and opening[0][0] == 0 and (not mentions or mentions[0][0] > 0):
        mentions = [opening[0], *(m for m in mentions if m[0] >= opening[0][1])]
    if not mentions:
        return None
    start, end, _ = mentions[0]
    i = 0
    while i + 1 < len(mentions) and mentions[i + 1][0] == mentions[i][1]:
        i += 1
        end = mentions[i][1]
    zone = re.match(rf"[\u4e00-\u9fff]{{1,4}}?{ZONE_SUFFIX.pattern.rstrip('$')}", title[end:])
    if zone:
        end += zone.end()
    return _place_before(title, end, mentioned)[1]


def _place_before(text: str, end: int, mentioned: set[str]) -> tuple[int, Place | None]:
    """The jurisdiction named by the run of division names that ends at `end`.

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
    head = text[:HEAD]
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


def _signing_date(text: str, title: tuple[int, int] | None) -> tuple[str, tuple[int, int], str] | None:
    """The date under the issuer (alone on its line or right after an issuer's name), or the date
    in brackets that opens the line under the title ("（2022年3月13日）", "（2021年12月28日……通过）")."""
    best, best_score = None, None
    after_title = text.find("\n", title[1]) + 1 if title else -1
    for match in DATE.finditer(text):
        start, end = match.span()
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if POSTED.search(line):
            continue
        before = text[max(0, start - 30) : start]
        score, how = 0, "落款日期"
        if line.strip() == match.group().strip():
            score += 2
        if re.search(rf"{ORGAN_END}\s*$", before):
            score += 3
        if re.match(r"\s*[(（]此件", text[end : end + 6]):
            score += 2
        if line_start == after_title and re.match(r"\s*[(（]\s*$", text[line_start:start]):
            score, how = 5, "标题下括号中的日期"
        if score <= 0:
            continue
        if best_score is None or score > best_score:
            year, month, day = match.group(1), int(match.group(2)), match.group(3)
            value = f"{year}-{month:02d}-{int(day):02d}" if day else f"{year}-{month:02d}"
            best, best_score = (value, (start, end if day else end), how), score
    return best


def _issuer(text: str, title: tuple[int, int] | None, date_span: tuple[int, int] | None,
            place: Place | None, mentioned: set[str]) -> tuple[str, tuple[int, int], str] | None:
    """The issuing organ(s): the signature right above the date when it names its place
    ("岳阳县人民政府办公室"), else the organs that open the notice or title line before 关于
    ("中共湖南省委湖南省人民政府关于……", co-issuers kept), else a shortened signature."""
    signature = _signature(text, date_span)
    if signature and _place_in(signature[0], mentioned):
        return signature
    # the organs may stand on a line of their own above the "关于……" title ("中共X省委 X省人民政府")
    for match in re.finditer(r"^(?P<organs>[^\n。，]{2,60}?)\n?关于", text[:HEAD], flags=re.M):
        organs = match.group("organs")
        if title and not (match.start() <= title[0] <= match.end() + 80 or match.end() <= title[1] <= match.end() + 140):
            continue
        if re.fullmatch(rf"(?:(?:中共)?[\u4e00-\u9fff]{{0,30}}?{ORGAN_END}[、，\s]*)+", organs) and _place_in(organs, mentioned):
            start = match.start("organs")
            return _spaced(organs), (start, start + len(organs)), "标题或通知中“关于”之前的发文机关"
    if signature:
        return signature
    best, best_score = None, 0
    for organ in ORGAN.finditer(text):
        start, named = _place_before(text, organ.start(), mentioned)
        if named is None or not re.match(r"人民政府|管理委员会|管委会", organ.group()):
            continue
        score = 0
        if date_span and 0 <= date_span[0] - organ.end() <= 3:
            score += 3
        if place and named.name == place.name:
            score += 2
        if _in_title_quote(text, start):
            continue  # an organ in a cited document's title ("《中共X省委X省人民政府关于……》") issued that one
        if score > best_score:
            best, best_score = (text[start : organ.end()], (start, organ.end()), "方案所在地的人民政府"), score
    return best


def _in_title_quote(text: str, at: int) -> bool:
    """Whether `at` lies inside 《……》 (or 〈……〉): the title of another document the text cites."""
    opened = max(text.rfind("《", max(0, at - 120), at), text.rfind("〈", max(0, at - 120), at))
    return opened >= 0 and not re.search(r"[》〉\n]", text[opened:at])


def _signature(text: str, date_span: tuple[int, int] | None) -> tuple[str, tuple[int, int], str] | None:
    """The organ signed on the line above the date (or just before it on the same line); co-issuers
    signed on several lines above it ("X省住房和城乡建设厅 X省发展和改革委员会" / "X省财政厅 …") all
    of them, top to bottom, one space apart."""
    if not date_span:
        return None
    line_start = text.rfind("\n", 0, date_span[0]) + 1
    same_line = text[line_start : date_span[0]].strip()
    if same_line and len(same_line) <= 40 and re.search(rf"{ORGAN_END}$", same_line):
        start = date_span[0] - len(same_line)
        return _spaced(same_line), (start, start + len(same_line)), "日期上方的落款"
    lines: list[tuple[str, int]] = []  # the organ lines right above the date, bottom up
    end = line_start - 1
    while end > 0 and len(lines) < MAX_SIGNATURE_LINES:
        start = text.rfind("\n", 0, end) + 1
        raw = text[start:end]
        line = raw.strip()
        organs_only = re.fullmatch(rf"(?:(?:中共)?[\u4e00-\u9fff]{{2,30}}?{ORGAN_END}[、，\s]*)+", line)
        if not line or len(line) > 60 or not (organs_only or (not lines and len(line) <= 40 and re.search(rf"{ORGAN_END}$", line))):
            break
        lines.append((line, start + len(raw) - len(raw.lstrip())))  # where the organs themselves start
        if not organs_only:
            break
        end = start - 1
    if not lines:
        return None
    lines.reverse()
    (_, start), (last, last_start) = lines[0], lines[-1]
    return " ".join(_spaced(line) for line, _ in lines), (start, last_start + len(last)), "日期上方的落款"


MAX_SIGNATURE_LINES = 6  # co-issuers sign on a few lines; more is a list in the text, not a signature


def _spaced(organs: str) -> str:
    """Co-issuing organs written back to back ("中共湖南省委湖南省人民政府") separated by a space."""
    organs = re.sub(r"\s+", " ", organs.strip("、， "))
    if "、" in organs or " " in organs:
        return organs
    parts: list[str] = []
    for part in re.findall(rf"(?:中共)?[\u4e00-\u9fff]*?{ORGAN_END}", organs):
        if parts and re.fullmatch(ORGAN_END, part):  # "厅" + "办公室": one organ's office, not a second organ
            parts[-1] += part
        else:
            parts.append(part)
    return " ".join(parts) if "".join(parts) == organs else organs


def _kind(text: str, title: str, title_span: tuple[int, int] | None) -> str:
    if "征求意见" in title or "征求意见稿" in text[:HEAD]:
        return "征求意见稿"
    if "解读" in title or "解读" in text[:300]:
        return "政策解读"
    genre = GENRE_END.search(title)
    # a page that quotes the document: its title stands as a line, and the document's sections follow
    body_start = title_span[1] if title_span else 0
    own = False
    if title_span:  # the title is a line of its own
        line_end = text.find("\n", title_span[1])
        line = text[text.rfind("\n", 0, title_span[0]) + 1 : line_end if line_end >= 0 else len(text)]
        own = line.strip(" 《》“”\"").replace("\n", "") == title
    if not own and title:  # the notice that issues it prints the document after it, under its own title line
        own = any(line.strip(" 《》“”\"") == title for line in text[:HEAD].splitlines())
    if not own:
        for match in PEAK_PLAN.finditer(text):
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            line = text[line_start : line_end if line_end >= 0 else len(text)].strip()
            if line.endswith(match.group()) and len(line) <= len(match.group()) + 14 and "一、" in text[match.end() :]:
                own = True
                break
    if own or re.search(r"^\s*(?:一、|第一章)", text[body_start:], flags=re.M):
        # the genre with its status ("工作方案（试行）"), not the years it covers ("（2022-2025年）")
        return re.sub(rf"[（(]{PERIOD}[)）]", "", genre.group(1)) if genre else "实施方案"
    return "新闻报道"
