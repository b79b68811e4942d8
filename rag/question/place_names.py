"""Place names in questions: the plans' own places in any form, and places that have no plan.

- the plans' places: full and short names, a parent with its child (广州市天河区), 内蒙 for 内蒙古;
- English and pinyin names (Wuhan, Nanchang City, nan chang) through pypinyin and the division
  table, with the few province names whose English is not their pinyin (Inner Mongolia);
- a province's one-character abbreviation (粤、湘) opening a question;
- a plan's place typed with one wrong character ("南畅" -> 南昌市), said back to the user;
- any other division (or a city-like name jieba tags) is a place without a plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from ..indicators import char_pairs, longest_matches
from ..normalize import to_simplified
from ..places import divisions, short_name
from ..zh.periods import QUESTION_YEAR
from ..zh.placenames import LEVEL_WORDS

# The one-character abbreviations (简称) of province-level units, at the head of a question ("粤绿色金融方案"):
# only those that seldom open an ordinary word.
ABBREVIATIONS = {"粤": "广东省", "湘": "湖南省", "豫": "河南省", "冀": "河北省", "皖": "安徽省", "赣": "江西省", "鄂": "湖北省",
                 "闽": "福建省", "浙": "浙江省", "沪": "上海市", "渝": "重庆市", "琼": "海南省", "黔": "贵州省", "滇": "云南省",
                 "陇": "甘肃省", "桂": "广西壮族自治区", "蒙": "内蒙古自治区", "辽": "辽宁省", "鲁": "山东省", "晋": "山西省",
                 "陕": "陕西省", "藏": "西藏自治区", "川": "四川省", "蜀": "四川省"}
# Every province-level unit's abbreviation; used only where it is written with 省 ("川省", "苏省").
PROVINCE_ABBREVIATIONS = {**ABBREVIATIONS, "京": "北京市", "津": "天津市", "黑": "黑龙江省", "吉": "吉林省", "苏": "江苏省",
                          "贵": "贵州省", "云": "云南省", "甘": "甘肃省", "青": "青海省",
                          "宁": "宁夏回族自治区", "新": "新疆维吾尔自治区", "台": "台湾省"}
# Province-level names whose English form is not their pinyin.
ENGLISH_NAMES = {"inner mongolia": "内蒙古自治区", "tibet": "西藏自治区", "shaanxi": "陕西省", "hong kong": "香港特别行政区",
                 "macau": "澳门特别行政区", "macao": "澳门特别行政区"}
# how a question names the country (the place of national documents: 国务院's, 国家发展改革委's …); the
# weak words name it only when the question names no other place ("国家碳达峰试点城市")
STRONG_COUNTRY_WORDS = ("全国", "我国")
WEAK_COUNTRY_WORDS = ("国家", "中国", "国务院", "中央")
COUNTRY_WORDS = STRONG_COUNTRY_WORDS + WEAK_COUNTRY_WORDS


@dataclass(frozen=True)
class PlaceNames:
    """Every way a question may name each plan's place, and which places lie inside which."""

    aliases: dict[str, str] = field(default_factory=dict)  # alias -> plan label (湖南 -> 湖南省)
    ancestors: dict[str, frozenset[str]] = field(default_factory=dict)  # label -> names of the places around it
    # plan places (order in the corpus, place, label) by province and by the character pairs of their
    # short names: the places to suggest for one the corpus lacks, looked up rather than searched for
    by_province: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    by_pair: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, plans) -> "PlaceNames":
        aliases: dict[str, str] = {}
        ancestors: dict[str, frozenset[str]] = {}
        by_province: dict[str, list[tuple[int, str, str]]] = {}
        by_pair: dict[str, list[tuple[int, str, str]]] = {}
        for order, plan in enumerate(plans):
            if plan.place:
                by_province.setdefault(plan.province, []).append((order, plan.place, plan.label))
                for pair in char_pairs(short_name(plan.place)):
                    by_pair.setdefault(pair, []).append((order, plan.place, plan.label))
            label = plan.label
            names = [label, plan.plan_id.lower()]
            if plan.place:
                short = short_name(plan.place)
                names += [short] if len(short) >= 2 else []
                if plan.level == "province" and len(short) == 3:
                    names.append(short[:2])  # 内蒙 for 内蒙古
                for parent in {plan.parent, plan.province} - {"", plan.place}:
                    names += [parent + plan.place, short_name(parent) + plan.place]
                ancestors[label] = frozenset(n for p in {plan.parent, plan.province} - {"", plan.place} for n in (p, short_name(p)))
            if plan.level == "national":
                names += list(COUNTRY_WORDS)
            for alias in names:
                aliases.setdefault(alias, label)
        return cls(aliases, ancestors, by_province, by_pair)

    @cached_property
    def short_names(self) -> dict[tuple[str, int], list[tuple[str, str]]]:
        """(alias, label) of the places' short Chinese names (2-4 characters) by (first character, length):
        a typo is looked up by how the typed stretch begins, not compared with every place."""
        found: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for alias, label in self.aliases.items():
            if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", alias) and alias == short_name(label):
                found.setdefault((alias[0], len(alias)), []).append((alias, label))
        return found

    def resolve(self, name: str) -> str | None:
        """The plan label for a user-supplied name (any alias, simplified or traditional, pinyin or English)."""
        name = to_simplified(name.strip()).lower()
        if name in self.aliases:
            return self.aliases[name]
        place = latin_place(name)
        return self.aliases.get(place) if place else None

    def find(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label for _, _, label in self.spans(text)))

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, label) of every plan place the text names, in order; a place named
        together with a place inside it (广州 … 天河区) yields to the inner one."""
        lowered = text.lower()

        def accept(start: int, end: int, alias: str) -> bool:
            if alias.isascii() and not _word_bounded(lowered, (start, end)):
                return False  # "jiangmen" inside a longer word
            # "津市" inside "天津市": a longer division name around the alias wins
            return not any(s <= start and end <= e and e - s > end - start and name not in self.aliases
                           for s, e, name in divisions().mentions(lowered[max(0, start - 3) : end + 3]) for s, e in [(s + max(0, start - 3), e + max(0, start - 3))])

        matched = longest_matches(lowered, self.aliases, accept)
        if any(self.aliases[alias] != "全国" for _, _, alias in matched):
            # beside another place, a country word is a place only standing as one ("四川和全国2025年"),
            # not as a word's first part ("成都国家碳达峰试点", "建成全国领先的")
            matched = [(s, e, a) for s, e, a in matched if self.aliases[a] != "全国"
                       or (a not in WEAK_COUNTRY_WORDS and re.match(r"$|[和与及、，,的\s\d]", lowered[e : e + 1]))]
        found = [(s, e, self.aliases[alias]) for s, e, alias in matched]

        def qualifies(start: int, end: int, label: str) -> bool:
            """`label` only says where the next place lies: "湖南岳阳", "广州市天河区" (not "湖南、岳阳")."""
            return any(label in self.ancestors.get(other, ()) and other != label and s == end
                       for s, _, other in found)

        return [(s, e, label) for s, e, label in found if not qualifies(s, e, label)]


def _word_bounded(text: str, span: tuple[int, int]) -> bool:
    before = text[span[0] - 1] if span[0] else " "
    after = text[span[1]] if span[1] < len(text) else " "
    return not (before.isascii() and before.isalpha()) and not (after.isascii() and after.isalpha())


@lru_cache(maxsize=1)
def _latin_names() -> dict[str, str]:
    """Division names in pinyin without tones ("nanchang", "hunan", "neimenggu"): name -> full name;
    provinces and prefectures win a spelling they share with a county."""
    from pypinyin import lazy_pinyin

    table = divisions()
    found: dict[str, str] = {}
    for level in ("province", "city", "county", "district"):
        for name, places in {**table.by_short, **table.by_name}.items():
            place = places[0]
            if place.level != level or len(name) < 2:
                continue
            spelled = "".join(lazy_pinyin(short_name(place.name)))
            found.setdefault(spelled, place.name)
    return {**found, **{k.replace(" ", ""): v for k, v in ENGLISH_NAMES.items()}}


def latin_place(text: str) -> str | None:
    """The division an English or pinyin name means ("Nanchang City", "nan chang", "Inner Mongolia")."""
    key = LEVEL_WORDS.sub("", text.lower()).replace(" ", "").replace("-", "").replace("'", "")
    return _latin_names().get(key)


def _latin_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, full name) of English or pinyin place names: one to three Latin words."""
    words = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z]+", text)]
    found, i = [], 0
    while i < len(words):
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            start, end = words[i][0], words[i + n - 1][1]
            if n > 1 and not re.fullmatch(r"[A-Za-z\s'-]+", text[start:end]):
                continue
            name = latin_place(text[start:end])
            if name:
                tail = LEVEL_WORDS.match(text, end)
                found.append((start, tail.end() if tail else end, name))
                i += n
                break
        else:
            i += 1
    return found


def place_names(index) -> PlaceNames:
    """Made once per loaded index (hashing every plan per question grew with the corpus)."""
    return index.memo("place_names", lambda: PlaceNames.of(list(index.plans.values())))


@dataclass(frozen=True)
class NamedPlaces:
    """The places one question names."""

    labels: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # where the question names places (plan places and others)
    missing: tuple[str, ...]
    readings: tuple[str, ...]


def find_places(text: str, index) -> NamedPlaces:
    names = place_names(index)
    spans = [(s, e, label) for s, e, label in names.spans(text)]
    readings: list[str] = []
    taken = lambda s, e: any(a < e and s < b for a, b, _ in spans)
    # English and pinyin names: a plan's place, or a place without one
    missing: list[str] = []
    for start, end, full in _latin_spans(text):
        if taken(start, end):
            continue
        label = names.aliases.get(full) or names.aliases.get(short_name(full))
        readings.append(f"“{text[start:end].strip()}”按{full}理解")
        if label:
            spans.append((start, end, label))
        else:
            missing.append(full)
            spans.append((start, end, ""))
    # a province's one-character abbreviation opening the question ("粤绿色金融方案文号"), or any
    # province's abbreviation written with 省 ("川省")
    for match in re.finditer(r"([\u4e00-\u9fff])省", text):
        full = PROVINCE_ABBREVIATIONS.get(match.group(1))
        if full and not taken(*match.span()) and not divisions().ending_at(text, match.end()):
            label = names.aliases.get(full)
            readings.append(f"“{match.group()}”按{full}理解")
            spans.append((*match.span(), label or ""))
            if not label:
                missing.append(full)
    head = re.match(r"\s*([\u4e00-\u9fff])", text)
    if head and head.group(1) in ABBREVIATIONS and not taken(*head.span(1)) and not word_frequency(text[head.start(1) : head.start(1) + 2]) \
            and not any(start == head.start(1) for start, _, _ in divisions().mentions(text)):  # 鄂尔多斯 is not 鄂
        full = ABBREVIATIONS[head.group(1)]
        label = names.aliases.get(full)
        readings.append(f"“{head.group(1)}”按{full}理解")
        spans.append((*head.span(1), label or ""))
        if not label:
            missing.append(full)
    # divisions in Chinese that have no plan here
    named_at: dict[int, str] = {}  # start of a place without a plan -> its full name
    for place in places_without_plans(text, [(s, e) for s, e, _ in spans]):
        start = text.find(place)
        full = divisions().named(place)
        missing.append(full[0].name if full else place)  # 深圳 -> 深圳市
        named_at[start] = missing[-1]
        spans.append((start, start + len(place), ""))
    # the country, asked about when the corpus holds no national document ("全国2025年……")
    if not spans and "全国" not in names.aliases:
        # a weak word only where it stands as the place, opening the question before a year ("国家2025年")
        country = re.search("|".join(STRONG_COUNTRY_WORDS), text) or \
            re.match(rf"(?:{'|'.join(WEAK_COUNTRY_WORDS)})(?=\s*(?:{QUESTION_YEAR.pattern}|的|层面|整体))", text)
        if country:
            missing.append("全国")
            spans.append((*country.span(), ""))
    # a plan place typed with one wrong character
    if not any(label for _, _, label in spans):
        for start, end, label, typed in _typos(text, names):
            if not taken(start, end):
                spans.append((start, end, label))
                readings.append(f"“{typed}”按{label}理解")
    spans.sort()
    # a province written before a place inside it ("广东汕尾市") only says where that place is
    for (s1, e1, outer), (s2, _e2, inner) in zip(list(spans), list(spans[1:])):
        outer_name, inner_name = outer or named_at.get(s1, ""), inner or named_at.get(s2, "")
        if outer_name and inner_name and outer_name != inner_name and not text[e1:s2].strip() and inside(inner_name, (outer_name,)):
            spans[spans.index((s1, e1, outer))] = (s1, e1, "")
            missing = [m for m in missing if m != outer_name]
    labels = tuple(dict.fromkeys(label for _, _, label in spans if label))
    return NamedPlaces(labels, tuple((s, e) for s, e, _ in spans), tuple(dict.fromkeys(missing)), tuple(readings))


def word_frequency(text: str) -> int:
    """How often the dictionary (jieba's) has seen a word: 0 for no word, thousands for common ones."""
    from ..lexical import _jieba

    return _jieba().dt.FREQ.get(text) or 0


def places_without_plans(text: str, known: list[tuple[int, int]]) -> list[str]:
    """Places the question names that are no plan's place: any division in the table
    (湖北省, 汕尾市, 朝阳区) or a city-like name jieba tags (深圳), outside the known spans."""
    import jieba.posseg

    from ..lexical import _jieba

    free = lambda s, e: not any(a < e and s < b for a, b in known)
    places = [w for s, e, w in divisions().mentions(text, ("province", "city")) if free(s, e)]
    freq = _jieba().dt.FREQ
    position = 0
    for word, flag in jieba.posseg.cut(text):
        start, position = position, position + len(word)
        if flag != "ns" or len(word) < 2 or not free(start, position) or any(word in p or p in word for p in places):
            continue
        if len(word) == 2 and word.endswith(("市", "县")) and not divisions().named(word):
            continue  # 城市, 都市: a one-character stem is a place only when the division table has it (津市)
        if word.endswith(("市", "县")) or (not word.endswith(("省", "区")) and freq.get(word + "市")):
            places.append(word)
    return list(dict.fromkeys(places))


@lru_cache(maxsize=100_000)
def sounds(text: str) -> tuple[str, ...]:
    """The pinyin of a short stretch of Chinese, tone-less (kept: the same few words are compared again and again)."""
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text))


def _typos(text: str, names: PlaceNames) -> list[tuple[int, int, str, str]]:
    """Plan places typed with one character wrong ("南畅" for 南昌): a stretch of the question as long as
    a place's short name, differing in one character (not the first) that sounds the same (the
    usual slip of a pinyin keyboard), and that is neither a division nor a word of the dictionary."""
    found = []
    for n in (2, 3, 4):
        for start in range(len(text) - n + 1):
            window = text[start : start + n]
            for alias, label in names.short_names.get((window[0], n), ()):
                if sum(a != b for a, b in zip(window, alias)) != 1 or sounds(window) != sounds(alias):
                    continue
                if divisions().named(window) or word_frequency(window) or not re.fullmatch(r"[\u4e00-\u9fff]+", window):
                    continue
                found.append((start, start + n, label, window))
    return sorted(found, key=lambda hit: (hit[0], hit[0] - hit[1]))  # in question order, the longer first


def plans_naming(place: str, index, places: tuple[str, ...]) -> list[str]:
    """Documents that write about a place with none of its own: those of the places around it in the
    divisions table (its city, its province: 凉山州 in 四川's plans, 台山 in 江门's) naming it once or
    more, of the question's places when it names some ("江门方案里台山……"); a name the table lacks (a
    town) in any document naming it twice or more. A province has none above it here."""
    named = divisions().named(place)
    if named and named[0].level == "province":
        return []
    name = short_name(place) if len(short_name(place)) >= 2 else place
    around = {a for d in named for a in (d.province, d.parent) if a}
    writing = index.plans_naming(name, places, 1 if around else 2)
    return [plan.plan_id for plan in writing if not around or plan.place in around]


def inside(place: str, labels: tuple[str, ...]) -> bool:
    """Whether a place with no plan lies inside one the question also names (广东省汕尾市)."""
    return any(p.province in labels or p.parent in labels for p in divisions().named(place))


