"""Answer a question from the index: a target lookup, a comparison, or a quoted sentence.

Every answer is text from the corpus (a target row built from a plan sentence,
or a sentence quoted as it stands) with its citation; when nothing relevant
is found the answer says so rather than guessing.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .chunk import Chunk
from .config import MAX_PASSAGES
from .errors import UserError
from .index import Index, lexical_tokens
from .indicators import char_pairs, find_indicators_tolerant, indicator_mentions, synonyms_of
from .places import divisions
from .retrieve import QUESTION_YEAR, Passage, Query, place_names, parse_question, retrieve
from .sections import SEPARATOR, split_sections
from .targets import UNITS, VALUE, Target

COMPARE = re.compile(r"各城市|各市|各地|哪个城市|哪些城市|哪座城市|哪几个城市|所有城市|几个城市|五个城市|对比|比较|相比|排名|最高|最低|最多|最少|which cit|compare|all cities", re.I)
# "哪个园区", "哪几个地方": asks for a thing or place; "哪个高", "哪个降得多" compares values
ENTITY = re.compile(r"(?:哪个|哪些|哪几个?|哪家)(?![^，,。？?]{0,3}?[高低多少大小快慢早晚])|哪里|哪儿|在哪|什么地方|where", re.I)
HIGHEST = re.compile(r"最高|最多|最大|highest|most", re.I)
LOWEST = re.compile(r"最低|最少|最小|lowest|least", re.I)


@dataclass
class Answer:
    question: str
    answer: str
    found: bool
    passages: list[Passage]
    targets: list[Target] = field(default_factory=list)
    mode: str = "passage"  # passage | target | compare | mention | none
    highlight: list[tuple[str, int, int]] = field(default_factory=list)  # (plan_id, start, end) answering spans
    note: str = ""  # why nothing was found, for the user

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "mode": self.mode,
            "passages": [p.to_dict() for p in self.passages],
            "targets": [t.to_dict() for t in self.targets],
            "highlight": [{"plan_id": p, "char_start": s, "char_end": e} for p, s, e in self.highlight],
            "note": self.note,
        }


def ask(index: Index, question: str, city: str | None = None, k: int = 5) -> Answer:
    if not 1 <= k <= MAX_PASSAGES:
        raise UserError(f"--k 必须在 1 到 {MAX_PASSAGES} 之间。")
    if city and city.strip() not in ("", "全部", "all"):
        resolved = place_names(index).resolve(city)
        if not resolved:
            known = "、".join(p.label for p in index.plans.values())
            raise UserError(f"未知城市：{city}。语料中有这些城市的方案：{known}")
        city = resolved
    else:
        city = None
    query = parse_question(question, index, index.settings.max_question_chars)
    missing = [p for p in query.unknown_places if not query.cities or _inside(p, query.cities)]
    if missing and not city and not query.cities:
        cited = cited_doc_number(index, query, missing)
        if cited:
            return cited
    if missing and not city:
        return Answer(question, "", False, [], mode="none", note=f"语料中没有{'、'.join(missing)}的碳达峰方案。")
    cities = (city,) if city else query.cities
    fact = notice_fact(index, query, cities, k) or structure_answer(index, query, cities, k)
    if fact:
        return fact
    indicators = indicators_asked(index, query, cities)
    # a target question that names no place is asked of every plan that states the target
    comparing = bool(COMPARE.search(query.text)) or len(cities) > 1 or (bool(indicators) and not cities and bool(query.years))
    # "在哪个园区开展屋顶光伏试点" names an indicator but asks where, not how much
    asks_entity = bool(ENTITY.search(query.text)) and not QUANTITY.search(query.text) and not COMPARE.search(query.text)
    if indicators and (cities or comparing) and not asks_entity:
        return _target_answer(index, query, cities, indicators, comparing, k)
    if comparing and not cities and not QUANTITY.search(query.text):
        mention = _mention_answer(index, query, k)
        if mention:
            return mention
    return _passage_answer(index, query, city, k)


def indicators_asked(index: Index, query: Query, cities: tuple[str, ...]) -> list[str]:
    """The canonical indicators a question asks about.

    First the vocabulary's synonyms; then the indicators of these places' target rows, whatever
    their wording, that the rest of the question repeats in part: a common stretch of 4+
    characters ending on the row's head word ("新能源装机占比" -> 新能源和清洁能源装机占比;
    "…能耗下降多少？二氧化碳排放呢？" -> 单位地区生产总值二氧化碳排放).
    """
    named = find_indicators_tolerant(query.text)
    rest = query.topic.lower()
    for start, end in [m.span() for m in QUESTION_YEAR.finditer(rest)] + [m[:2] for m in indicator_mentions(rest)]:
        rest = rest[:start] + " " * (end - start) + rest[end:]
    wordings = set().union(*(index.wordings.get(city, ()) for city in cities)) if cities else index.all_wordings
    for phrase, canonical in sorted(wordings):
        common = SequenceMatcher(None, rest, phrase, autojunk=False).find_longest_match(0, len(rest), 0, len(phrase))
        # the words just before the shared stretch must not narrow it to something else:
        # "煤炭消费比重" shares 消费比重 with 非化石能源消费比重, but 煤炭 is not in it
        narrowing = re.search(r"[\u4e00-\u9fff]{0,2}$", rest[: common.a]).group()
        if (common.size >= 4 and common.b + common.size == len(phrase) and canonical not in named
                and all(ch in phrase for ch in narrowing)):
            named.append(canonical)
    if not named and wordings and QUANTITY_ASKED.search(query.text):
        named = _indicator_by_meaning(index, rest, wordings)
    return named


QUANTITY_ASKED = re.compile(r"多少|几|目标|要求|达到|比重|占比|比例|规模|how much|how many|target", re.I)
# What is left of a question once place, years and these words are gone is the indicator it asks about.
QUESTION_FILLER = re.compile(r"是多少|多少|目标|要求|达到|提高到|提升到|什么|怎样|如何|几|呢|吗|么|啥|的|到|计划|预计|方案|提出|规划|为|是|有|年|分别|[^\w]|\d")


def _indicator_by_meaning(index: Index, rest: str, wordings: set[tuple[str, str]]) -> list[str]:
    """The one row wording closest in meaning to what the question asks about, when it is close
    enough (cosine >= Settings.question_similarity) and shares a character pair with it:
    "风光装机总量" -> 风光发电装机量, "清洁能源装机比例" -> 新能源和清洁能源装机占比.

    Only when no name matched by text: m3e-small scores short indicator phrases of different
    measures up to 0.86 (煤炭消费比重 / 非化石能源消费比重), so the threshold sits above that.
    """
    asked = QUESTION_FILLER.sub("", rest)
    if len(asked) < 3:
        return []
    pairs = char_pairs(asked)
    candidates = sorted(w for w in wordings if any(p in w[0] for p in pairs))
    if not candidates:
        return []
    vectors = index.embed([asked] + [phrase for phrase, _ in candidates])
    scores = vectors[1:] @ vectors[0]
    best = int(scores.argmax())
    return [candidates[best][1]] if scores[best] >= index.settings.question_similarity else []


def _inside(place: str, labels: tuple[str, ...]) -> bool:
    """Whether a place with no plan lies inside one the question also names (广东省汕尾市)."""
    return any(p.province in labels or p.parent in labels for p in divisions().named(place))


# ---------------------------------------------------------------- notice facts

# What the question asks about the notice itself, and the plan metadata field that answers it.
NOTICE_FACTS = (
    ("doc_number", re.compile(r"文号|字号|发文号|文件号|document number", re.I)),
    ("issued", re.compile(r"(?:印发|发布|出台|签发)[^，。？?]{0,4}(?:最早|最晚|最先|最后)|(?:最早|最晚|最先|最后)[^，。？?]{0,4}(?:印发|发布|出台)|落款|签发|印发日期|印发时间|发布日期|发布时间|成文日期|哪天印发|何时印发|什么时候印发|几月几[号日]|哪一天|日期|when .*issued", re.I)),
    ("issuer", re.compile(r"发文机关|印发单位|发布单位|哪个部门|谁印发|谁发布|哪个机关|issuer", re.I)),
    ("kind", re.compile(r"征求意见稿[吗么]|是不是征求意见稿|草案[吗么]|政策解读|解读[吗么]|新闻|什么类型|什么文件|文件类型|正式(?:印发|文件|方案)|原文[吗么]|draft", re.I)),
    ("deadline", re.compile(r"截止|反馈|意见.{0,6}(?:什么时候|何时|哪天|之前|以前)|deadline", re.I)),
)
# A draft's comment deadline: "请于2023年2月9日前将书面意见……反馈", "征求意见截止日期为……"
COMMENT_DEADLINE = re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日)(?:前|之前|以前|止)[^。\n]{0,60}?(?:意见|建议|反馈)"
                              r"|(?:截止|截至)(?:日期|时间)?(?:为|到|至)?\s*(\d{4}年\d{1,2}月\d{1,2}日)")
KIND_WORDS = ("征求意见稿", "征求意见", "解读")
EARLIEST_LATEST = re.compile(r"最早|最先|最晚|最后|最新|earliest|latest", re.I)
FACT_NAMES = {"doc_number": "文号", "issued": "印发日期", "issuer": "发文机关", "kind": "文件类型", "deadline": "征求意见截止日期"}
CITED_NUMBER = r"\s*》?\s*[(（]\s*([\u4e00-\u9fff]{1,10}[〔\[［【]\d{4}[〕\]］】]\d{1,4}号)"
NEWS_DATE = re.compile(r"((?:20\d{2}年)?\d{1,2}月\d{1,2}日)[^。\n]{0,40}?(?:印发|发布|出台|公布)")


def notice_fact(index: Index, query: Query, cities: tuple[str, ...], k: int) -> Answer | None:
    """文号 / signing date / issuer of the named plans, cited to the span they come from."""
    wanted = [name for name, asks in NOTICE_FACTS if asks.search(query.text)]
    if "deadline" in wanted:  # "截止日期" asks for the comment deadline, not the signing date
        wanted = ["deadline"]
    if not wanted or not cities:
        return None
    plans = index.plans_of(cities)
    lines, spans = [], []
    for plan in plans:
        parts = []
        for name in wanted:
            found = _fact_span(index, plan, name)
            if found:
                plan_id, start, end = found
                source = index.plans[plan_id]
                where = "" if plan_id == plan.plan_id else f"，见《{source.title}》的引用"
                value = plan.kind + f"（原文：“{source.text[start:end]}”）" if name == "kind" else source.text[start:end]
                parts.append(f"{FACT_NAMES[name]}为{value}{where}")
                spans.append(found)
        if parts:
            lines.append(f"{plan.label}《{plan.title}》：" + "，".join(parts))
    if not spans:
        return None
    dated = sorted((p for p in plans if p.issued), key=lambda p: p.issued)
    if "issued" in wanted and len(dated) > 1 and EARLIEST_LATEST.search(query.text):
        latest = re.search(r"最晚|最后|最新|latest", query.text)
        first = dated[-1] if latest else dated[0]
        year, month, day = (int(part) for part in first.issued.split("-"))
        lines.insert(0, f"{'最晚' if latest else '最早'}印发的是{first.label}（{year}年{month}月{day}日）")
    passages = _passages_for_spans(index, spans, query, cities, k)
    return Answer(query.original, "；".join(lines) + "。", True, passages, [], "fact", spans)


# "有哪些行动", "几大工程", "包括多少项重点任务": the plan's own structure
STRUCTURE = re.compile(r"(?:几|多少|哪些|哪几|什么)[个项大条类]?[^，,。？?]{0,6}?(行动|工程|任务)|(行动|工程)[^，,。？?]{0,2}(?:有哪些|是什么|有几|包括|分别)")
COUNTED = re.compile(r"[“\"]?[^，,。；;“”\"]{0,12}?([一二三四五六七八九十]{1,3}|\d{1,2})(?:大|项|个)[^，,。；;“”\"]{0,8}?(?:行动|工程)[”\"]?")


def structure_answer(index: Index, query: Query, cities: tuple[str, ...], k: int) -> Answer | None:
    """How many 行动 / 工程 a plan sets out and their names, from its headings: the largest group
    of sibling headings naming the asked word. A page without such headings may still say it
    ("实施碳达峰十大行动"): then that sentence is quoted."""
    asked = STRUCTURE.search(query.text)
    if not asked or len(cities) != 1:
        return None
    word = asked.group(1) or asked.group(2)
    (plan,) = index.plans_of(cities[:1])
    sections = [s for s in split_sections(plan.text) if s.start != s.heading_end]
    parent_of = lambda s: s.path.rsplit(SEPARATOR, 1)[0] if SEPARATOR in s.path else ""
    groups: dict[str, list] = {}
    for section in sections:
        if word in section.title:
            same = groups.setdefault(parent_of(section), [])
            if all(s.title != section.title for s in same):
                same.append(section)
    heads = max(groups.values(), key=len, default=[])
    if len(heads) < 2:  # one heading names it ("二、重点任务"): its sub-headings are the list
        named = next((s.path for s in sections if word in s.title), None)
        heads = [s for s in sections if named and parent_of(s) == named]
    if len(heads) >= 2:
        spans = [(plan.plan_id, s.start, s.heading_end) for s in heads]
        parent = parent_of(heads[0])
        listed = "；".join(s.title for s in heads)
        answer = f"{plan.label}《{plan.title}》{('在“' + parent + '”下') if parent else ''}列出{len(heads)}项{word}：{listed}。"
        return Answer(query.original, answer, True, _passages_for_spans(index, spans, query, cities, k), [], "fact", spans)
    counted = next((m for m in COUNTED.finditer(plan.text) if word in m.group(0)), None)
    if counted:
        start, end = sentence_at(plan.text, counted.start())
        spans = [(plan.plan_id, start, end)]
        answer = f"{plan.label}：{plan.text[start:end].strip()}（《{plan.title}》）"
        return Answer(query.original, answer, True, _passages_for_spans(index, spans, query, cities, k), [], "fact", spans)
    return None


def cited_doc_number(index: Index, query: Query, places: list[str]) -> Answer | None:
    """The 文号 of a plan that is not in the corpus but that a plan here cites with its number:
    "《衡阳市人民政府关于印发〈衡阳市碳达峰实施方案〉的通知》(衡政发〔2023〕6号)"."""
    if not NOTICE_FACTS[0][1].search(query.text):
        return None
    lines, spans = [], []
    for place in places:
        pattern = re.compile(re.escape(place) + r"[^》。\n]{0,30}?碳达峰[^》。\n]{0,20}?方案[^》。\n]{0,12}" + CITED_NUMBER)
        for plan in index.plans.values():
            match = pattern.search(plan.text)
            if match:
                lines.append(f"语料中没有{place}的方案原文，但《{plan.title}》引用它时注明文号为{match.group(1)}")
                spans.append((plan.plan_id, match.start(1), match.end(1)))
                break
    if not spans:
        return None
    return Answer(query.original, "；".join(lines) + "。", True, _passages_for_spans(index, spans, query, (), 5), [], "fact", spans)


def _fact_span(index: Index, plan, name: str) -> tuple[str, int, int] | None:
    span = plan.span_of(name)
    if span:
        return plan.plan_id, span[0], span[1]
    if name == "doc_number":
        # another page may cite this plan with its 文号: 《湖南省碳达峰实施方案》(湘政发〔2022〕19号)
        pattern = re.compile(re.escape(plan.title) + CITED_NUMBER)
        for other in index.plans.values():
            match = pattern.search(other.text)
            if match:
                return other.plan_id, match.start(1), match.end(1)
    if name == "deadline":
        match = COMMENT_DEADLINE.search(plan.text)
        if match:
            group = 1 if match.group(1) else 2
            return plan.plan_id, match.start(group), match.end(group)
    if name == "kind":
        # the words that make it a draft or an interpretation, else the title it carries
        at = min((found for found in (plan.text.find(w) for w in KIND_WORDS) if found >= 0), default=-1)
        if plan.kind in ("征求意见稿", "政策解读") and at >= 0:
            word = next(w for w in KIND_WORDS if plan.text.startswith(w, at))
            return plan.plan_id, at, at + len(word)
        title = plan.span_of("title")
        return (plan.plan_id, title[0], title[1]) if title else None
    if name == "issued":
        # a news page dates the notice without a year: "12月13日,……印发《……》"
        match = NEWS_DATE.search(plan.text[:2000])
        if match:
            return plan.plan_id, match.start(1), match.end(1)
    return None


def _passages_for_spans(index: Index, spans, query: Query, cities, k: int) -> list[Passage]:
    return [Passage(r + 1, c, 1.0, 0.0, 0.0) for r, c in enumerate(_cited_chunks(index, spans)[:k])]


def _cited_chunks(index: Index, spans) -> list[Chunk]:
    """The chunk holding each cited (plan_id, start, …) span, once each, in citation order
    (compared by identity: comparing whole chunks is slow)."""
    chosen: dict[int, Chunk] = {}
    for plan_id, start, *_ in spans:
        chunk = chunk_at(index, plan_id, start)
        if chunk:
            chosen.setdefault(id(chunk), chunk)
    return list(chosen.values())


# ---------------------------------------------------------------- targets


def describe(target: Target, title: str) -> str:
    """南昌市：到2025年，非化石能源消费比重达到15%（《南昌市碳达峰实施方案》一、总体要求 > (三)主要目标）"""
    where = f"（《{title}》{target.section}）"
    if target.qualitative:
        return f"{target.city}：到{target.year}年，{target.canonical}未给出具体数值，方案表述为“{target.qualifier}”{where}"
    return f"{target.city}：到{target.year}年，{target.indicator}{target.value_text()}{where}"


def _target_answer(index, query: Query, cities, indicators, comparing, k) -> Answer:
    titles = index.titles
    modifiers = _modifiers(query, index)
    wanted = [t for t in index.targets_of(indicators, cities) if all(m in t.sentence for m in modifiers)]
    years = set(query.years)
    if comparing:
        return _compare_targets(index, query, cities, indicators, wanted, years, titles, k)
    rows: list[Target] = []
    lines: list[str] = []
    for city in cities:
        mine = [t for t in wanted if t.city == city]
        in_year = [t for t in mine if not years or t.year in years]
        label = "".join(modifiers) + "、".join(indicators)
        if in_year:
            rows.extend(in_year)
            lines.extend(describe(t, titles[t.plan_id]) for t in in_year)
        elif mine:
            other = "、".join(str(y) for y in sorted({t.year for t in mine}))
            lines.append(f"{city}方案中没有{'、'.join(map(str, sorted(years)))}年{label}的目标（该方案只给出了{other}年的相关目标）。")
        else:
            lines.append(f"{city}方案中未找到{label}的量化目标。")
    found = bool(rows)
    if not found and len(cities) == 1:
        # no row: a passage may still state the number (an indicator worded as no row has it,
        # a requirement without a deadline, "PUE不高于1.3") — "not found" only when none does
        quoted = _passage_answer(index, query, cities[0], k)
        if quoted.found and (not years or any(str(y) in quoted.answer for y in years)) and _states_value_of(quoted, index, query):
            return quoted
    passages = _passages_for(index, rows, query, cities, k)
    answer = "；".join(lines)
    return Answer(query.original, answer, found, passages, rows, "target" if found else "none", _spans(rows))


def _states_value_of(answer: Answer, index: Index, query: Query) -> bool:
    """Whether the quoted sentence gives a value (number + unit) in a clause that names the
    question's indicator: by a synonym, or by sharing most of its character pairs."""
    plan_id, start, end = answer.highlight[0]
    sentence = index.plans[plan_id].text[start:end]
    mentions = [query.topic[s:e].lower() for s, e, _ in indicator_mentions(query.topic)]
    names = set(mentions) | {syn.lower() for _, _, canonical in indicator_mentions(query.topic) for syn in synonyms_of(canonical)}
    for clause in re.split(r"[，,；;。]", sentence.lower()):
        if not VALUE.search(clause):
            continue
        if any(name in clause for name in names):
            return True
        pairs = char_pairs(clause)
        for mention in mentions:
            wanted = char_pairs(mention)
            # most of its pairs, or its head (the last pair: 装机, 比重, 消耗) and some of the rest
            share = len(wanted & pairs) / len(wanted) if wanted else 0
            if share >= 0.4 or (mention[-2:] in pairs and share >= 0.2):
                return True
    return False


def _compare_targets(index, query, cities, indicators, wanted, years, titles, k) -> Answer:
    cities = cities or tuple(p.label for p in index.plans.values())
    within = set(cities)  # membership in a set: a tuple of every place made this quadratic
    if not years:
        present = sorted({t.year for t in wanted if t.city in within})
        years = {present[0]} if len(present) == 1 else set(present)
    rows = [t for t in wanted if t.city in within and t.year in years]
    numeric = sorted((t for t in rows if not t.qualitative), key=lambda t: -(t.value or 0))
    if LOWEST.search(query.text):
        numeric.reverse()
    lines = []
    for year in sorted(years):
        parts = []
        year_rows = [t for t in numeric if t.year == year] + [t for t in rows if t.qualitative and t.year == year]
        for t in year_rows:
            text = f"{t.city}{t.value_text()}" if not t.qualitative else f"{t.city}未给出具体数值（“{t.qualifier}”）"
            parts.append(text + f"（《{titles[t.plan_id]}》{t.section}）")
        stated = {t.city for t in year_rows}
        missing = [c for c in cities if c not in stated]
        if missing:
            parts.append("、".join(missing) + "的方案中未找到该目标")
        lines.append(f"{year}年{'、'.join(indicators)}：" + "；".join(parts))
    ranked = numeric if len({r.unit for r in numeric}) == 1 else []
    if ranked and (HIGHEST.search(query.text) or LOWEST.search(query.text)):
        word = "最低" if LOWEST.search(query.text) else "最高"
        lines.insert(0, f"{word}的是{ranked[0].city}（{ranked[0].year}年{ranked[0].value_text()}）。")
    found = bool(rows)
    passages = _passages_for(index, rows, query, (), k)
    return Answer(query.original, "\n".join(lines) if found else "", found, passages, rows, "compare" if found else "none", _spans(rows))


GENERIC = frozenset("全市 我市 全县 城市 目标 规模 计划 方案 要求 总体 主要 整体 全部 所有 预计 期间".split())


def _modifiers(query: Query, index: Index) -> list[str]:
    """Words narrowing the indicator ("海上风电装机" -> 海上) that a matching target sentence must contain."""
    mentions = indicator_mentions(query.topic)
    if not mentions:
        return []
    before = re.sub(r"20\d{2}年?|十[四五]五|[的年到至在和与、,，：:？?\s]", " ", query.topic[: mentions[0][0]].lower()).split()
    word = lexical_tokens(before[-1])[-1:] if before else []
    # a narrowing word is one plans use ("海上"); chat filler ("以后") is not
    return [w for w in word if len(w) >= 2 and w not in GENERIC and re.fullmatch(r"[\u4e00-\u9fff]+", w)
            and index.has_word(w)]


def _spans(rows: list[Target]) -> list[tuple[str, int, int]]:
    return [(t.plan_id, t.char_start, t.char_end) for t in rows]


def _passages_for(index, rows: list[Target], query: Query, cities, k: int) -> list[Passage]:
    """The chunks holding the cited sentences first, then retrieval fills up to k."""
    chosen = _cited_chunks(index, _spans(rows))
    seen = {id(c) for c in chosen}
    k = max(k, len(chosen)) if len(cities) != 1 else k
    retrieved = retrieve(index, query, k + len(chosen), city=cities[0] if len(cities) == 1 else None)
    passages = [Passage(0, c, 1.0, 0.0, 0.0) for c in chosen[:k]]
    for p in retrieved:
        if len(passages) >= k:
            break
        if id(p.chunk) not in seen:
            passages.append(p)
    return [Passage(r + 1, p.chunk, p.score, p.dense, p.lexical) for r, p in enumerate(passages)]


def chunk_at(index: Index, plan_id: str, position: int) -> Chunk | None:
    return index.chunk_at(plan_id, position)


# ---------------------------------------------------------------- mentions ("哪些城市提到了氢能")

COMPARE_WORDS = frozenset("城市 各 哪些 哪个 哪座 提到 提及 涉及 包括 包含 对比 比较 相比 所有 几个 五个 各地 各市 都 了 有".split())


def _mention_answer(index: Index, query: Query, k: int) -> Answer | None:
    topic = [t for t in lexical_tokens(COMPARE.sub(" ", query.text)) if t not in COMPARE_WORDS and len(t) > 1]
    if not topic:
        return None
    topic = sorted(set(topic), key=len, reverse=True)[:2]
    hits: list[tuple[str, int, int]] = []
    cities: list[str] = []
    for plan in index.plans.values():
        lowered = index.lowered_text(plan.plan_id)
        at = lowered.find(topic[0])
        while at >= 0:  # the first sentence around an occurrence of the main word that has every word
            start, end = sentence_at(plan.text, at)
            if all(word in lowered[start:end] for word in topic):
                hits.append((plan.plan_id, start, end))
                cities.append(plan.label)
                break
            at = lowered.find(topic[0], end)
    topic_text = "、".join(topic)
    if not hits:
        return Answer(query.original, "", False, [], mode="none", note=f"没有方案提到{topic_text}。")
    passages = []
    for plan_id, start, _ in hits:
        chunk = chunk_at(index, plan_id, start)
        if chunk:
            passages.append(Passage(len(passages) + 1, chunk, 1.0, 0.0, 0.0))
    named = set(cities)
    absent = [p.label for p in index.plans.values() if p.label not in named]
    quotes = [f"{city}（“{_excerpt(index.plans[plan_id].text[start:end], topic[0])}”）" for city, (plan_id, start, end) in zip(cities, hits)]
    answer = f"提到{topic_text}的城市：{'；'.join(quotes)}。" + (f"未提到的：{'、'.join(absent)}。" if absent else "")
    return Answer(query.original, answer, True, passages[: max(k, len(passages))], [], "mention", hits)


def _excerpt(sentence: str, word: str, width: int = 30) -> str:
    """A short stretch of the sentence around the topic word."""
    sentence = sentence.strip()
    at = max(0, sentence.lower().find(word))
    start = max(0, at - width // 2)
    piece = sentence[start : start + width + len(word)]
    return ("……" if start else "") + piece + ("……" if start + width + len(word) < len(sentence) else "")


# ---------------------------------------------------------------- quoted sentence


# What kind of thing the question asks for, and how a sentence that gives it looks.
ANSWER_TYPES = (
    (re.compile(r"哪天|哪一天|日期|什么时间|何时|截止|几月几日|when", re.I), re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}-\d{2}-\d{2}")),
    (re.compile(r"文号|字号|发文号"), re.compile(r"〔\d{4}〕\d+号")),
    (re.compile(r"哪个县|哪个区|哪个镇|哪里|什么地方|哪个地方|where", re.I), re.compile(r"[\u4e00-\u9fff]{1,4}(?:县|区|镇|港|园)")),
    (re.compile(r"多少|几|数量|how much|how many", re.I), re.compile(r"\d")),
)
QUANTITY = re.compile(r"多少|(?<!哪)几[个项家座处万]?|数值|how much|how many", re.I)


SENTENCE_MARK = re.compile(r"[。！？!?\n]")


def sentence_at(text: str, position: int) -> tuple[int, int]:
    """The span of the sentence holding `position` (。！？ or a line end close it), found locally: in
    windows growing from the position, so a mark the text lacks (an ASCII "!") does not send the
    search to both ends of a long plan (a question naming no place looks at every plan)."""
    width, start = 256, None
    while start is None:
        low = max(0, position - width)
        marks = [m.start() for m in SENTENCE_MARK.finditer(text, low, position)]
        if marks or low == 0:
            start = marks[-1] + 1 if marks else 0
        width *= 4
    width, end = 256, None
    while end is None:
        high = min(len(text), position + width)
        mark = SENTENCE_MARK.search(text, position, high)
        if mark or high == len(text):
            end = mark.start() + 1 if mark else len(text)
        width *= 4
    return start, end


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans; a ；inside parentheses ("(三山:……;两江:……)") does not end a sentence."""
    spans, start, depth = [], 0, 0
    for i, char in enumerate(text):
        if char in "(（":
            depth += 1
        elif char in ")）":
            depth = max(0, depth - 1)
        if char in "。！？!?\n" or (char in "；;" and depth == 0):
            if text[start : i + 1].strip():
                spans.append((start, i + 1))
            start = i + 1
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _passage_answer(index: Index, query: Query, city: str | None, k: int) -> Answer:
    """Quote the sentence that best covers the question, judged with its neighbours."""
    passages = retrieve(index, query, k, city=city)
    weights = index.idf
    words = [w for w in dict.fromkeys(lexical_tokens(query.topic)) if len(w) > 1 or w.isdigit()]
    total = sum(weights.get(w, _max_idf(index)) for w in words) or 1.0

    def coverage(text: str) -> float:
        return sum(weights.get(w, _max_idf(index)) for w in words if w in text) / total

    wanted = [shape for asks, shape in ANSWER_TYPES if asks.search(query.text)]
    # a number answers a "how much" question only next to the question's most specific known word
    known = [w for w in words if w in weights and w not in UNITS and not re.search(r"\d", w)]
    required = max(known, key=weights.get) if QUANTITY.search(query.text) and known else None
    best = (0.0, 0.0, None, (0, 0), 0)
    for passage in passages:
        text = passage.chunk.text
        spans = split_sentences(text)
        for i, (start, end) in enumerate(spans):
            sentence = text[start:end]
            if len(sentence.strip()) < 6:
                continue
            window = text[spans[max(0, i - 2)][0] : spans[min(len(spans) - 1, i + 1)][1]] + passage.chunk.section
            if required and required not in window:
                continue
            own, near = coverage(sentence + passage.chunk.section), coverage(window)
            score = 0.6 * own + 0.4 * near
            score += 0.3 if any(str(y) in sentence for y in query.years) else 0.0
            score += 0.25 if any(shape.search(sentence) for shape in wanted) else 0.0
            score += 0.05 / passage.rank
            if score > best[0]:
                following = spans[i + 1][1] if i + 1 < len(spans) else end
                best = (score, max(own, near), passage, (start, end), following)
    _, covered, passage, (start, end), following = best
    if passage is None or covered < index.settings.min_coverage:
        return Answer(query.original, "", False, passages, mode="none", note="在方案中没有找到与问题相关的内容。")
    if len(passage.chunk.text[start:end].strip()) < 16:
        # a short lead-in ("推进大宗固体废物综合利用。") says little: quote the sentence it introduces too
        end = following
    sentence = passage.chunk.text[start:end]
    if QUANTITY.search(query.text) and not re.search(r"\d", sentence):
        return Answer(query.original, "", False, passages, mode="none", note="方案中没有找到相关的具体数值。")
    offset = passage.chunk.char_start + start
    plan = index.plans[passage.chunk.plan_id]
    text = f"{plan.label}：{sentence.strip()}（《{plan.title}》{passage.chunk.section}）"
    return Answer(query.original, text, True, passages, [], "passage", [(passage.chunk.plan_id, offset, offset + len(sentence))])


def _max_idf(index: Index) -> float:
    return math.log(1 + len(index.chunks))

