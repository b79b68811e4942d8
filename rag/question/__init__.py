"""Understand a question once: what it asks about (places, plans, years, indicators, notice facts)
and what kind of answer it wants. Every answer starts from the `Question` this stage returns; the
chat and `/ask` resolve follow-ups here too, on the `Question`, not on strings.

- Places in any form: the plans' own places (全称、简称、上级+本级), the division table's names of
  places without a plan (so the answer can say "语料中没有X的方案"), English and pinyin names
  (Wuhan, Nanchang City) through pypinyin, the one-character province abbreviations (粤、湘) at
  the head of a question, and a plan place typed with one wrong character ("南畅" -> 南昌市,
  said back as "按南昌市理解").
- Plans: a place may have several; words of a plan's title in the question ("绿色金融",
  "应对气候变化规划") choose among them.
- Years and periods: 2030年, colloquial 25年, 十四五/十五五 (their end years), "2030年前".
- A bound on the values asked for: "20%以上", "超过50万千瓦" (`bound_asked`).
- Indicators: the vocabulary's names, then the wordings of the chosen plans' target rows (see
  `indicators_asked`).
- The answer type, from the shape of the question (`TYPES`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from ..config import RARE_TITLE_WORD
from ..errors import UserError, check_length
from ..indicators import MEASURE_WORDS, char_pairs, head_family, indicator_mentions, synonyms_of, thing_of
from ..lexical import lexical_tokens, unsplit_names
from ..normalize import to_simplified
from ..places import NATIONAL, divisions, short_name
from ..zh.units import counted_unit
from ..usertext import clip
from ..zh.asking import (ACROSS_WORDS, ACTUAL, AMOUNT_ASKED, ASKING_WORDS, COMPARE, CORPUS, DEFINITION, DEICTIC,
                         DIFFERENCE, DIVISION_ASKED, DOCUMENT_WORD, FACT_NAMES, FACT_WORDS, FACTS, FILLER, FOLLOW_UP_MARK, GENERIC_TITLE, GREETING,
                         DOCUMENT_NAMED, HIGHEST, INFORMAL_ASKED, LIST, LOWEST, NAMES_DOCUMENT, PROVINCES_ASKED, TARGET_WORDS, WAYS_ASKED, WHERE, YESNO,
                         asks_quantity, defined_term, listed_asked, order_asked, ordinal_asked, shapes_asked)
from .bounds import Bound, bound_asked
from .indicators import blanked, indicators_asked
from ..zh.periods import QUESTION_YEAR, question_year
from .place_names import NamedPlaces, find_places, inside, place_names, plans_naming, sounds

# The answer types: one answerer each (rag.answer). A target question whose plan states the
# indicator only in words is answered as a qualitative target by the target answerer.
TYPES = ("greeting", "corpus", "definition", "division", "fact", "list", "where", "yesno", "compare", "target", "open")

# Types about no plan's content: a place selector (the chat's, `rag ask --city`) does not apply to them.
SELECTOR_FREE = ("greeting", "corpus", "definition")

NO_CONTEXT = "这是一个追问，但当前对话里还没有可以接着问的问题。请把问题写完整，例如：“{example}”"
EXAMPLE_QUESTION = "江门2030年可再生能源装机目标是多少？"


@dataclass(frozen=True)
class Question:
    """A question as understood: the one input of every answerer."""

    asked: str  # what the user typed, simplified
    text: str  # the question in full (a follow-up rewritten with what it inherits)
    type: str  # one of TYPES
    places: tuple[str, ...] = ()  # labels of the plans' places it names, in order
    plan_ids: tuple[str, ...] = ()  # the plans meant: those places' plans, narrowed by title words
    missing: tuple[str, ...] = ()  # places it names that have no plan here (as resolved: 武汉市)
    suggestions: tuple[str, ...] = ()  # plan places close to a missing one ("您是不是要问…")
    readings: tuple[str, ...] = ()  # how names were read: "按南昌市理解“南畅”"
    years: tuple[int, ...] = ()
    actual: bool = False  # asks for the present figure ("现在多少", "目前", "现状")
    indicators: tuple[str, ...] = ()  # canonical names, in question order
    facts: tuple[str, ...] = ()  # notice facts asked (FACTS keys), in question order
    topic: str = ""  # the text without its place names: what to search for inside the plans
    subject: str = ""  # the topic without the words naming its document ("绿色建筑规划里"): what is asked of it
    below: str = ""  # a place with no document of its own that the chosen documents write about (凉山彝族自治州 in 四川's)
    extreme: str = ""  # "highest" / "lowest" when it asks which is most or least
    bound: Bound | None = None  # the values it asks for lie within this ("20%以上"): a comparison keeps those places
    parts: tuple[str, ...] = ()  # the amounts it asks of things no indicator names, joined ("绿氢产能和加氢站数量"): answered each
    other_parts: tuple[str, ...] = ()  # asked beside its indicators, the things none of them measures ("…和加氢站数量"): quoted each
    absent: tuple[str, ...] = ()  # documents it names that a named place lacks ("江门市的实施意见"): a fact of them is said missing, never another's
    measure: tuple[str, ...] = ()  # the measure family its words end on ("光伏发电量" -> 发电量): what an amount counts by
    counted: str = ""  # the unit it counts or measures in ("多少亿吨" -> 亿吨, "几座" -> 座): an answer's number is in its dimension
    # what it asks for beyond places, years and indicators (rag.zh.asking), read once from `text`
    amount: bool = False  # asks for a number ("多少", "几个", "数值")
    target_asked: bool = False  # asks what a plan sets ("目标", "要求", "达到")
    quantity: bool = False  # asks about an amount: for a number, or about a measured quantity ("比重", "规模")
    shapes: tuple[str, ...] = ()  # the kinds of thing it asks for: date / place / organ / number
    order: str = ""  # "earliest" / "latest": which document came first or last
    verdict: bool = False  # a yes/no question ("是否超过20%")
    difference: bool = False  # asks how far two values are apart ("相差多少")
    informal: bool = False  # about the collection: asks for the documents not formally issued
    by_province: bool = False  # about the collection: asks for its provinces
    term: str = ""  # the term it asks to define ("碳达峰")
    listed: str = ""  # the thing of a plan's list it asks for (行动, 工程, 任务 …)
    list_count: str = ""  # the count it names for that list ("两大体系")
    ordinal: int | None = None  # the item of a list it asks for ("第三个行动" -> 3)
    typed_places: tuple[str, ...] = ()  # the places the message itself names (not those a follow-up inherits), with or without a plan
    selector: str = ""  # the place a selector chose and that the question is restricted to
    selector_note: str = ""  # why a chosen selector was not applied ("问题中提到了江门市，本次未按…筛选。")
    follow_up: bool = False  # inherited context from the previous question
    names_document: bool = False  # names a document by its genre ("实施意见") or its title's words ("滚动方案"): its plans only, never the place's others
    needs_context: bool = False  # a follow-up that cannot stand alone ("那2030年呢？") asked with no previous question

    @property
    def below_word(self) -> str:
        """How passages name the place below (its short name, 凉山 for 凉山彝族自治州): every passage,
        sentence and row an answer about it gives holds this word."""
        short = short_name(self.below)
        return short if len(short) >= 2 else self.below

    # what its topic (the text without place names) says, read here so that no answerer reads the text

    @property
    def topic_words(self) -> list[str]:
        """The topic's words an answer should hold: not its asking words ("哪几个", "什么"), which no passage
        holds; single characters only when digits."""
        return _answer_words(self.topic)

    @property
    def figure_asked(self) -> bool:
        """Whether only a figure answers it: an amount, or a year's target."""
        return self.amount or bool(self.years and self.target_asked)

    @property
    def subject_words(self) -> list[str]:
        """The topic's words without those naming its document: what an answer is chosen by."""
        return _answer_words(self.subject or self.topic)

    @property
    def unsplit_words(self) -> tuple[str, ...]:
        """Names of its topic the tokenizer's dictionary lacks ("绿氢" of 绿氢产能): see `unsplit_names`."""
        return unsplit_names(self.topic)

    def wordings_of(self, canonical: str) -> list[tuple[str, bool]]:
        """How the question names one of its indicators, each wording with whether it is its own: its
        mentions of that one, else all of them, borrowed ("星级绿色建筑占比和装配式建筑占比": 星级's wording
        never names 装配式建筑占比; "煤电供电煤耗" may name a row 煤电机组供电煤耗 asked by its wording)."""
        mentions = indicator_mentions(self.topic)
        own = [(self.topic[s:e].lower(), True) for s, e, c in mentions if c == canonical]
        return own or [(self.topic[s:e].lower(), False) for s, e, _ in mentions]

    @property
    def wordings(self) -> list[str]:
        """How the question itself names its indicators ("光伏装机", "非化石能源比重")."""
        return [self.topic[s:e].lower() for s, e, _ in indicator_mentions(self.topic)]

    @property
    def qualifier(self) -> str:
        """The word written right against the first indicator's name ("海上风电装机" -> 海上): "" when none,
        or when a year or a joining word stands between ("蓉城2025年非化石能源")."""
        mentions = indicator_mentions(self.topic)
        if not mentions:
            return ""
        before = re.split(r"20\d{2}年?|十[四五]五|[的年到至在和与对里、,，：:？?\s]", self.topic[: mentions[0][0]].lower())[-1]
        word = (lexical_tokens(before)[-1:] or [""])[0] if before else ""
        # a word naming the document asked ("专项规划对非化石能源比重") narrows the documents, not the indicator
        return word if len(word) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", word) and not NAMES_DOCUMENT.search(word) else ""

    @property
    def mentioned(self) -> list[str]:
        """What "哪些城市提到了氢能" asks to be mentioned: the topic's words without the words of asking
        across places, longest first."""
        words = [t for t in lexical_tokens(COMPARE.sub(" ", self.topic)) if t not in ACROSS_WORDS and len(t) > 1]
        return sorted(dict.fromkeys(words), key=len, reverse=True)  # longest first, ties in question order


# ---------------------------------------------------------------- plans of a place

def _answer_words(text: str) -> list[str]:
    # the asking words are cut out before the text is split: glued to a neighbour they make words no
    # passage holds ("建多大规模" -> 建多, 大规模)
    return [w for w in dict.fromkeys(lexical_tokens(ASKING_WORDS.sub(" ", text))) if len(w) > 1 or w.isdigit()]


def choose_plans(text: str, labels: tuple[str, ...], index) -> tuple[str, ...]:
    """The plans of the named places the question means: when a place has several, those whose
    title holds the longest stretch of the question's own words ("广东绿色金融方案" -> the green
    finance plan, "湖南碳达峰实施方案" -> that plan, not the 实施意见 that also names 碳达峰); all of
    them when the question writes none. Place names, years and indicators are not title words:
    "非化石能源" asks for an indicator, not for the plan with 能源 in its title."""
    asked = _title_stretch(text, labels)
    name = _document_name(asked)
    # the word ending the document's name tells tied titles apart ("能源结构方案": the 行动方案, not the 决定)
    kinds = [m.group(1) for m in DOCUMENT_WORD.finditer(text)]
    chosen: list[str] = []
    for label in labels:
        plans = index.plans_of((label,))
        titles = [_title_stretch(plan.title, (label,)) for plan in plans]
        scores = [_longest_shared(asked, title) for title in titles] if len(plans) > 1 else [0]
        if len(plans) > 1 and not max(scores):  # a rare two-character word only one of them has ("滚动方案")
            rare = _rare_words(asked, index)
            scores = [int(any(w in title and sum(w in t for t in titles) == 1 for w in rare)) for title in titles]
        best = max(scores)
        tied = [p for p, s in zip(plans, scores) if s == best] if best else plans
        of_kind = [p for p in tied if any(k in p.title[-6:] or k in p.kind for k in kinds)]
        tied = of_kind if best and 0 < len(of_kind) < len(tied) else tied
        chosen += [p.plan_id for p in (_written_closest(name, tied) if best else tied)]
    return tuple(chosen)


def _document_name(asked: str) -> str:
    """The question's name of a document, its title words up to the word ending it ("碳达峰方案")."""
    match = DOCUMENT_WORD.search(asked)
    return asked[: match.end()].rsplit("|", 1)[-1] if match else ""


def _written_closest(name: str, plans: list) -> list:
    """Of documents whose titles share the question's words alike, those writing its name of the
    document most closely, its characters in order with the fewest others between them ("碳达峰方案":
    黑龙江省碳达峰实施方案, not 推动碳达峰、碳中和工作滚动实施方案)."""
    def gap(title: str) -> float:
        widths = []
        for start in (i for i, c in enumerate(title) if c == name[0]):
            at = start
            for char in name[1:]:
                at = title.find(char, at + 1)
                if at < 0:
                    break
            else:
                widths.append(at + 1 - start - len(name))
        return min(widths, default=math.inf)
    if len(name) < 3 or len(plans) < 2:
        return plans
    gaps = [gap(p.title) for p in plans]
    return [p for p, g in zip(plans, gaps) if g == min(gaps)] if min(gaps) < math.inf else plans


def without_document_name(topic: str, plan_ids: tuple[str, ...], index) -> str:
    """The topic without the words that name one of its documents: each run of characters of a chosen
    title that ends on a document word ("绿色低碳循环发展规划里交通体系…" -> "里交通体系…"); they chose the
    document, they are not what is asked of it."""
    titles = "".join(index.plans[p].title for p in plan_ids)
    out = topic
    for match in DOCUMENT_WORD.finditer(topic):
        start = match.start()
        while start > 0 and topic[start - 1] in titles:
            start -= 1
        out = out[:start] + " " * (match.end() - start) + out[match.end():]
    return out


def absent_documents(topic: str, labels: tuple[str, ...], index) -> tuple[str, ...]:
    """"江门市的实施意见" where 江门市's documents hold none by kind or title: "江门市的实施意见", for the
    answer to say so instead of answering from the place's other documents. A title holds a kind written
    apart ("引领行动促进碳达峰实施方案" is a 行动方案)."""
    named = dict.fromkeys(m.group(1) for m in DOCUMENT_NAMED.finditer(topic))

    def holds_kind(plan, word: str) -> bool:
        core = word.removeprefix("实施") if word.endswith("意见") else word
        return core in plan.title or core in plan.kind or (len(core) == 4 and core[:2] in plan.title and core[2:] in plan.title)

    return tuple(f"{label}的{word}" for label in labels for word in named
                 if not any(holds_kind(plan, word) for plan in index.plans_of((label,))))


def names_one_document(plan_ids: tuple[str, ...], labels: tuple[str, ...], index) -> bool:
    """Whether the question's title words chose one document among several of a place ("黑龙江滚动方案",
    "湖南碳达峰实施方案"): then it asks about that document, not the place's others."""
    return any(len(index.plans_of((label,))) > 1 and sum(index.plans[p].label == label for p in plan_ids) == 1 for label in labels)


def _rare_words(asked: str, index) -> set[str]:
    """The two-character stretches of the question's title words that few passages of the library hold
    (滚动, not 目标 or 达峰): only such a word can name one document."""
    most = math.log(1 + len(index.chunks))
    pairs = {asked[i : i + 2] for i in range(len(asked) - 1)}
    return {w for w in pairs if "|" not in w and not GENERIC_TITLE.search(w) and not ASKING_WORDS.search(w)
            and index.idf.get(w, 0.0) >= RARE_TITLE_WORD * most}


def _title_stretch(text: str, labels: tuple[str, ...]) -> str:
    """Text with the places, years, indicators and punctuation cut out ("|" where they stood)."""
    cuts = [m.span() for m in QUESTION_YEAR.finditer(text)] + [m[:2] for m in indicator_mentions(text)]
    for label in labels:
        for name in {label, short_name(label)}:
            cuts += [(m.start(), m.end()) for m in re.finditer(re.escape(name), text)]
    # cuts overlap (广东省 and 广东): each run of cut characters is one "|"
    cut = set().union(*(range(start, end) for start, end in cuts))
    text = "".join("|" if i in cut and i - 1 not in cut else "" if i in cut else c for i, c in enumerate(text))
    return re.sub(r"[“”\"'《》〈〉（）()、，,。？?\s]+", "", text)


def without_titles(topic: str, plan_ids: tuple[str, ...], index) -> str:
    """The topic with every stretch of 4+ characters that a chosen document's title writes blanked out:
    words naming the document ("重点领域企业节能降碳工作方案") are not the wording of an indicator."""
    titles = [index.plans[p].title for p in plan_ids]
    out, i = list(topic), 0
    while i < len(topic):
        j = i + 4
        while j <= len(topic) and any(topic[i:j] in t for t in titles):
            j += 1
        if j - 1 - i >= 4:
            out[i : j - 1] = " " * (j - 1 - i)
            i = j - 1
        else:
            i += 1
    return "".join(out)


def _longest_shared(asked: str, title: str) -> int:
    """Length of the longest stretch of `asked` written in `title` that is more than generic words."""
    best = 0
    for i in range(len(asked)):
        j = i + best + 1
        while j <= len(asked) and "|" not in asked[i:j] and asked[i:j] in title:
            if j - i >= 3 and len(GENERIC_TITLE.sub("", asked[i:j])) >= 2:
                best = j - i
            j += 1
    return best


# ---------------------------------------------------------------- notice facts

def facts_asked(text: str) -> tuple[str, ...]:
    """The notice facts a question asks, in the order it asks them."""
    found = [(m.start(), m.end(), name) for name, pattern in FACTS.items() for m in [pattern.search(text)] if m]
    found += [(start, start + len(word), name) for name, words in FACT_WORDS.items() if not any(n == name for *_, n in found)
              for word in words for start in [_sounds_at(text, word)] if start >= 0]
    deadline = next(((s, e) for s, e, n in found if n == "deadline"), None)
    if deadline:  # "截止日期" asks for the comment deadline, not the signing date
        found = [(s, e, n) for s, e, n in found if not (n == "issued" and s < deadline[1] + 2 and e > deadline[0] - 2)]
    return tuple(dict.fromkeys(name for _, _, name in sorted(found)))


def _sounds_at(text: str, word: str) -> int:
    """Where `word` is written in `text`, or a word that sounds the same (one character differing)."""
    n = len(word)
    wanted = sounds(word)
    for start in range(len(text) - n + 1):
        window = text[start : start + n]
        if sum(a != b for a, b in zip(window, word)) <= 1 and sounds(window) == wanted:
            return start
    return -1


# ---------------------------------------------------------------- the answer type

def answer_type(text: str, facts: tuple[str, ...], indicators: tuple[str, ...], places: tuple[str, ...],
                years: tuple[int, ...]) -> str:
    """The kind of answer the question wants; the first rule that fits decides."""
    if GREETING.search(text.strip()) and not places and not indicators and not facts:
        return "greeting"
    if CORPUS.search(text) and not indicators:
        return "corpus"
    if DIVISION_ASKED.search(text) and places and not indicators:
        return "division"
    if facts and not indicators:
        return "fact"
    if DEFINITION.match(text.strip()) and not places and not years and not asks_quantity(text) \
            and not COMPARE.search(text) and not re.search(r"目标|任务|措施|要求|举措|路径|重点", text):  # a term, not a plan's content
        return "definition"
    if LIST.search(text) and not indicators:
        return "list"
    comparing = bool(COMPARE.search(text)) or len(places) > 1 or (bool(indicators) and not places and bool(years))
    if indicators and comparing:
        return "compare"
    if WHERE.search(text) and not asks_quantity(text):
        return "where"
    if indicators and places and not years and WAYS_ASKED.search(text) and not asks_quantity(text) and not TARGET_WORDS.search(text):
        return "open"  # what is done about a measured thing, not its number
    if indicators and (places or years):
        return "yesno" if YESNO.search(text) and not asks_quantity(text) else "target"
    if comparing and not places:
        return "compare"
    if YESNO.search(text):
        return "yesno"
    return "open"


# ---------------------------------------------------------------- follow-ups

# Short words staff use for an indicator in a follow-up ("光伏呢？"), and the indicator they stand for.
SHORT_INDICATORS = {
    "光伏": "光伏装机容量", "太阳能": "光伏装机容量", "风电": "风电装机容量", "风能": "风电装机容量",
    "生物质": "生物质发电装机容量", "可再生能源": "可再生能源发电装机容量",
}


def _elliptical(text: str, spans: list[tuple[int, int]]) -> bool:
    """Whether the question says nothing but places, years and indicators ("那2030年呢？", "江门呢？", "光伏呢？")."""
    rest = text
    for start, end in sorted(spans, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    return not FILLER.sub("", rest)


def _slot_spans(text: str, places: NamedPlaces, wordings=frozenset()) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int, str]]]:
    """Where a follow-up names places, years and indicators; `wordings` are the previous question's plans'
    row wordings, whose last words name their indicator ("蓄积量呢" -> 森林蓄积量)."""
    years = [m.span() for m in QUESTION_YEAR.finditer(text)]
    indicators = [(s, e, c) for s, e, c in indicator_mentions(text)]
    for word, canonical in sorted(SHORT_INDICATORS.items(), key=lambda wc: -len(wc[0])):
        for m in re.finditer(re.escape(word), text):
            if not any(s < m.end() and m.start() < e for s, e, _ in indicators):
                indicators.append((m.start(), m.end(), canonical))
    if not indicators and wordings:
        rest = blanked(text, list(places.spans) + years)
        said = max(re.findall(r"[\u4e00-\u9fff]{3,}", FILLER.sub(lambda m: " " * len(m.group()), rest)), key=len, default="")
        named = sorted({canonical for phrase, canonical in wordings if phrase.endswith(said)}) if said else []
        if 0 < len(named) <= 3:  # a few rows end so; more is a word, not an indicator's name
            start = text.find(said)
            indicators = [(start, start + len(said), canonical) for canonical in named]
    return list(places.spans), years, sorted(indicators)


def _bare(text: str, places: NamedPlaces) -> bool:
    """A follow-up that cannot stand alone ("那2030年呢？", "光伏呢？"): it needs a previous question."""
    place_spans, years, indicators = _slot_spans(text, places)
    spans = place_spans + years + [(s, e) for s, e, _ in indicators]
    if not spans:
        return bool(re.fullmatch(r"(?:那么?|还有)?呢[？?]?", text))
    return _elliptical(text, spans) and bool(FOLLOW_UP_MARK.search(text)) and not (places.labels and indicators)


def _follow(text: str, previous: Question, places: NamedPlaces, index) -> str | None:
    """The full question a follow-up stands for, built from the previous Question: each slot the
    follow-up names (place, year, indicator) replaces the previous one; the rest is inherited.
    None when `text` is a question of its own."""
    place_spans, years, indicators = _slot_spans(text, places, index.wordings_of(previous.plan_ids) if previous.plan_ids else frozenset())
    spans = place_spans + years + [(s, e) for s, e, _ in indicators]
    facts = facts_asked(text)
    new_places = places.labels or (() if places.missing else previous.places)
    missing = places.missing
    where = "".join(short_name(p) for p in new_places) + "".join(short_name(p) for p in missing)
    if facts and not places.labels and not places.missing and len(text) <= 12:
        # "发文机关呢？" after a question about a plan's notice: the same plan
        return f"{where}方案的{'和'.join(FACT_NAMES[f] for f in facts)}是什么？"
    if previous.type == "corpus" and (places.labels or places.missing) and len(text) <= 12:
        return f"收录了{where}的方案吗？"  # "有湖南的吗？" after "收录了哪些城市的方案"
    if not spans and not places.labels and not places.missing and len(text) <= 15 and previous.places \
            and not GREETING.search(text) and not CORPUS.search(text):
        if DEICTIC.search(text):  # "排第一的是哪个？" after "江阴有哪七大行动？": about the same things
            return f"{previous.text.rstrip('？?。')}，{text}"
        return f"{where}{text}"  # "那核电项目在哪？": a new topic, the same place
    if not spans or not _elliptical(text, spans):
        return None
    if places.labels and indicators and not FOLLOW_UP_MARK.search(text):
        return None  # "南昌光伏装机目标是多少？": a full question
    new_years = tuple(question_year(m) for m in QUESTION_YEAR.finditer(text)) or previous.years
    new_indicators = tuple(dict.fromkeys(c for _, _, c in indicators)) or previous.indicators
    when = "".join(f"{y}年" for y in new_years)
    if previous.type in ("target", "compare", "yesno") or (indicators and not previous.indicators):
        several = len(new_places) + len(missing) > 1 or (previous.type == "compare" and not places.labels and not missing)
        what = "、".join(new_indicators)
        bound = previous.bound if not indicators else None  # "20%以上" holds for another place or year
        if bound:
            tail = f"分别是否{bound.said}？" if several and len(new_places) > 1 else (f"目标{bound.said}的对比" if several else f"目标是否{bound.said}？")
        else:
            tail = "分别是多少？" if several and len(new_places) > 1 else ("目标对比" if several else "目标是多少？")
        return f"{where}{when}{what}{tail}"
    # an open question about another place or year: the same topic there
    topic = previous.topic
    for m in reversed(list(QUESTION_YEAR.finditer(topic))):
        topic = topic[: m.start()] + topic[m.end() :]
    return f"{where}{when}{topic.strip()}"


# ---------------------------------------------------------------- the question stage


def parse(question: str, index, previous: Question | None = None, max_chars: int = 500) -> Question:
    """The question as understood. `previous` is the last question of a conversation: a follow-up
    ("那2030年呢？", "江阴呢？") inherits what it does not say from it."""
    if not question or not question.strip():
        raise UserError("问题为空，请输入要查询的问题。")
    check_length(question, max_chars, "问题", "RAG_MAX_QUESTION_CHARS")
    asked = to_simplified(question.strip())
    if not re.search(r"[0-9A-Za-z\u3400-\u9fff]", asked):
        raise UserError("问题中没有可检索的文字（只有标点或符号），请换个问法。")
    places = find_places(asked, index)
    typed = places.labels + places.missing  # the places the message names itself
    text, follow_up = asked, False
    if previous is not None:
        full = _follow(asked, previous, places, index)
        if full is not None:
            text, follow_up = full, True
            places = find_places(text, index)
    question = replace(_understand(asked, text, places, index, follow_up), typed_places=typed)
    return replace(question, needs_context=True) if previous is None and _bare(asked, places) else question


def selected_place(index, city: str | None) -> str | None:
    """A place selector's pick as a plan place's full name; None for empty/全部/all; an unknown name is refused."""
    name = check_length(str(city or "").strip(), index.settings.max_field_chars, "城市名称", "RAG_MAX_FIELD_CHARS")
    if name in ("", "全部", "all"):
        return None
    resolved = place_names(index).resolve(name)
    if not resolved:
        known = "、".join(dict.fromkeys(p.label for p in index.plans.values()))
        raise UserError(f"未知城市：{clip(name)}。语料中有这些城市的方案：{known}")
    return resolved


def with_selector(question: Question, place: str | None, index) -> Question:
    """The question as a place selector (the chat's, `/ask`'s and `rag ask --city`'s `city`) leaves it;
    `place` is `selected_place`'s pick. The selector restricts the question to its place, except when
    the message names other places ("江门呢？" while 南昌市 is selected: the places named win, all of
    them when it names the selector's too) or asks across places in so many words ("哪些城市…", "各地…",
    "最高") or about the collection: then it is not applied and `selector_note` says so. Questions about
    no plan's content ignore it silently."""
    if not place:
        return question
    if any(named != place for named in question.typed_places):
        return replace(question, selector_note=f"问题中提到了{'、'.join(question.typed_places)}，本次未按“限定城市：{place}”筛选。")
    if not question.typed_places and not question.places and (question.type == "corpus" or COMPARE.search(question.text)):
        return replace(question, selector_note=f"这是关于多个城市的问题，本次在全部城市中查找，未按“限定城市：{place}”筛选。")
    if question.type in SELECTOR_FREE:
        return question
    return _for_place(question, place, index)


def _for_place(question: Question, place: str, index) -> Question:
    """The question about one place chosen beside it, understood as if it had named it: that place's
    plans, the indicators their rows word, and the answer type a named place gives."""
    if question.places == (place,):
        return replace(question, selector=place)
    plan_ids = choose_plans(question.text, (place,), index)
    indicators = tuple(indicators_asked(index, question.text, question.topic, plan_ids, question.counted))
    kind = answer_type(question.text, question.facts, indicators, (place,), question.years)
    return replace(question, places=(place,), plan_ids=plan_ids, missing=(), indicators=indicators, type=kind, selector=place)


def asked_above(question: Question, index) -> Question | None:
    """The question about one place asked instead of what the documents of the places around it (its
    city, its province) say about it — for when its own documents do not answer (青岛港 is in
    山东's plans, not 青岛's): None when no such document names it."""
    if question.below or len(question.places) != 1 or question.type not in ("open", "target"):
        return None
    place = question.places[0]
    writing = tuple(p for p in plans_naming(place, index, ()) if index.plans[p].label != place)
    if not writing:
        return None
    labels, plan_ids = _writing(question.text, (), writing, index)
    indicators = tuple(indicators_asked(index, question.text, question.topic, plan_ids, question.counted))
    return replace(question, places=labels, plan_ids=plan_ids, below=place, indicators=indicators or question.indicators,
                   topic=question.text, subject=question.text)  # its name is part of what is asked ("青岛港")


def _writing(text: str, labels: tuple[str, ...], writing, index) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The places and documents a question about a place below is asked of: the question's places (else
    those of the documents writing about it), and among those documents the ones its title words choose."""
    labels = labels or tuple(dict.fromkeys(index.plans[p].label for p in writing))
    return labels, tuple(p for p in choose_plans(text, labels, index) if p in writing) or tuple(writing)


def _understand(asked: str, text: str, places: NamedPlaces, index, follow_up: bool) -> Question:
    topic = text
    for start, end in sorted(places.spans, reverse=True):
        topic = topic[:start] + " " + topic[end:]
    topic = re.sub(r"\s+", " ", topic).strip() or text
    missing: list[str] = []
    below, writing = "", []  # the first place below that documents of a place above write about, and those documents
    facts = facts_asked(text)
    for place in places.missing:
        # "佛山的规划" asks for its own document; "佛山在广东绿色建筑规划里" for what 广东's says of it
        own = re.search(re.escape(short_name(place)) + r"[^，。？?]{0,8}?(?:方案|规划|意见)", text)
        own_document = facts or (own and not any(own.start() < start < own.end() for start, _ in places.spans))
        # the country is above every place: its documents are national ones, never a province's passages on it
        naming = [] if own_document or place == NATIONAL.name else plans_naming(place, index, places.labels)
        if naming:  # 台山 in 江门's plan, 凉山州 in 四川's: answered from what those documents say about it
            if not below:  # a second one ("哈尔滨、绥化") is asked too: the first one's passages name it or not
                below, writing = place, naming
        elif (not places.labels or inside(place, places.labels) or _listed_with_known(text, place, places) or own_document):
            missing.append(place)  # the question is about it (or its plan); otherwise a topic ("南昌提到深圳了吗")
    years = tuple(dict.fromkeys(question_year(m) for m in QUESTION_YEAR.finditer(text)))
    readings = places.readings
    if below:
        labels, plan_ids = _writing(text, places.labels, writing, index)
    else:
        labels = places.labels
        plan_ids = choose_plans(text, labels, index) if labels else ()
    absent = () if below else absent_documents(topic, labels, index)
    counted = counted_unit(text)
    indicators = tuple(indicators_asked(index, text, without_titles(topic, plan_ids, index), plan_ids, counted))
    kind = answer_type(text, facts, indicators, labels + tuple(missing), years)
    if below and not places.labels:
        topic = text  # searched with its name: part of what is asked ("凉山州风电基地"); never an indicator
    extreme = "lowest" if LOWEST.search(text) else ("highest" if HIGHEST.search(text) else "")
    subject = without_document_name(topic, plan_ids, index) if plan_ids else topic
    parts = amounts_asked(subject)  # "滚动方案里、…多少燃煤": the document's name is no amount asked
    # a part shares no two characters in a row with any asked indicator's names, measure words aside
    # (规模, 数量 …): none of them measures it
    named = set().union(*(char_pairs(thing_of(name)) for c in indicators for name in (c, *synonyms_of(c)))) if indicators else set()
    other_parts = tuple(p for p in parts if not char_pairs(thing_of(p)) & named and not NAMES_DOCUMENT.search(p)) \
        if indicators else ()  # a part naming a document ("实施方案里") is where, not what
    if len(other_parts) == len(parts):  # no part is one of its indicators: not amounts asked beside them
        other_parts = ()
    return Question(
        asked=asked, text=text, type=kind, places=labels, plan_ids=plan_ids, missing=tuple(missing),
        suggestions=suggest(missing, index), readings=readings, years=years,
        actual=bool(ACTUAL.search(text)), indicators=indicators, facts=facts, topic=topic, below=below,
        subject=subject,
        extreme=extreme, bound=bound_asked(text), parts=() if indicators else parts,
        other_parts=other_parts, counted=counted, measure=head_family(topic) or (), absent=absent,
        **reading(text), follow_up=follow_up, names_document=bool(NAMES_DOCUMENT.search(topic)) or names_one_document(plan_ids, labels, index),
    )


def reading(text: str) -> dict:
    """The fields of `Question` that say what `text` asks for beyond places, years and indicators."""
    listed, list_count = listed_asked(text)
    return dict(amount=bool(AMOUNT_ASKED.search(text)), target_asked=bool(TARGET_WORDS.search(text)), quantity=asks_quantity(text), shapes=shapes_asked(text),
                order=order_asked(text), verdict=bool(YESNO.search(text)), difference=bool(DIFFERENCE.search(text)),
                informal=bool(INFORMAL_ASKED.search(text)), by_province=bool(PROVINCES_ASKED.search(text)),
                term=defined_term(text), listed=listed, list_count=list_count, ordinal=ordinal_asked(text))


# two things asked at once: "A和B各是多少", "A及B目标"; a conjunction inside a name (绿色低碳) is no split
JOINED = re.compile(r"(?:以及|和|及(?!以上|以下)|与|、)")  # "季及以上调节能力" is one thing


def amounts_asked(topic: str) -> tuple[str, ...]:
    """The things a question asks the amounts of when it joins two or more ("绿氢年产能和加氢站规划各是多少"
    -> 绿氢年产能, 加氢站规划): each side keeps three or more characters of its own once years and asking
    words are gone; () when it asks one amount, or no amount."""
    if not asks_quantity(topic) and "目标" not in topic:
        return ()
    bare = ASKING_WORDS.sub(" ", QUESTION_YEAR.sub(" ", topic))
    parts = [re.sub(r"(?:[\s？?，,。]|是|要|到|达|定|目标|的)+$", "", re.sub(r"^[\s，,的到至在于]+", "", re.split(r"各|分别", p)[0]))
             for p in JOINED.split(bare)]
    return tuple(parts) if len(parts) > 1 and all(len(re.findall(r"[\u4e00-\u9fff]", p)) >= 3 for p in parts) else ()


def _listed_with_known(text: str, place: str, places: NamedPlaces) -> bool:
    """A place without a plan listed beside a plan's place ("江门和武汉", "武汉、南昌"): asked about too."""
    at = text.find(place)
    if at < 0:
        return False
    return any(re.fullmatch(r"\s*[和、与及,，]\s*", text[end:at]) or re.fullmatch(r"\s*[和、与及,，]\s*", text[at + len(place) : start])
               for start, end in places.spans)


def suggest(missing: list[str], index) -> tuple[str, ...]:
    """Plan places close to places the corpus lacks: in the same province, or a name sharing two
    characters in a row ("湘潭" for "湘谭市"); in corpus order."""
    names = place_names(index)
    found = []
    for name in missing:
        place = next(iter(divisions().named(name)), None)
        near = names.by_province.get(place.province, []) if place is not None and place.level != "province" and place.province else []
        near = near + [hit for pair in char_pairs(short_name(name)) for hit in names.by_pair.get(pair, [])]
        found += [label for _, plan_place, label in sorted(set(near)) if plan_place != name]
    return tuple(dict.fromkeys(found))[:3]
