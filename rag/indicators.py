"""The small vocabulary of target indicators, with the ways plans say them.

Each canonical name lists its synonyms: the wordings found in plans and the
paraphrases staff type into the chat. Matching is on simplified text, and the
longest synonym wins, so "公共机构单位建筑面积能耗" is not read as "单位GDP能耗".
Add a line here when a new plan brings a new indicator.
"""
from __future__ import annotations

import re
from bisect import bisect_right

from .zh.sentences import PHRASE
from .zh.units import MEASURES, SHARE_WORDS, UNIT

INDICATORS: dict[str, tuple[str, ...]] = {
    # energy and carbon intensity
    "单位GDP能耗": ("单位地区生产总值能耗", "单位地区生产总值能源消耗", "单位GDP能源消费量", "单位GDP能源消耗", "单位GDP能耗", "能耗强度", "能源消耗强度", "万元GDP能耗"),
    "单位GDP二氧化碳排放": ("单位地区生产总值二氧化碳排放", "单位GDP二氧化碳排放", "二氧化碳排放强度", "碳排放强度", "碳强度", "单位GDP碳排放"),
    "碳排放峰值": ("峰值二氧化碳排放量", "碳排放峰值", "碳达峰峰值", "峰值排放量"),
    "非化石能源消费比重": ("非化石能源消费比重", "非化石能源消费占比", "非化石能源比重", "非化石能源占比", "非化石能源消费比例", "非化石能源"),
    "煤电装机占比": ("煤电装机占比", "煤电装机比重", "煤电占比"),
    "天然气消费量": ("天然气消费总量", "天然气消费量", "天然气用量"),
    # installed capacity
    "光伏装机容量": ("光伏装机容量", "光伏发电装机", "光伏装机规模", "光伏装机", "太阳能发电装机容量", "太阳能发电装机", "光伏规模"),
    "风电装机容量": ("风电发电装机容量", "风电装机容量", "风电装机规模", "风电装机", "风力发电装机"),
    "风电光伏装机容量": ("风电、太阳能发电装机容量", "风电、光伏发电装机容量", "风电和太阳能发电装机", "风光装机", "风电光伏装机"),
    "生物质发电装机容量": ("生物质装机容量", "生物质发电装机", "生物质装机"),
    "可再生能源发电装机容量": ("可再生能源发电装机容量", "可再生能源装机容量", "可再生能源发电装机", "可再生能源装机"),
    "天然气发电装机容量": ("天然气发电装机规模", "天然气发电装机容量", "天然气发电装机", "气电装机"),
    "电网尖峰负荷响应能力": ("尖峰负荷响应能力", "尖峰负荷响应"),
    # buildings
    "装配式建筑占比": ("装配式建筑面积占当年城镇新建建筑面积比例", "装配式建筑占当年城镇新建建筑的比例", "装配式建筑占当年新建城镇建筑的推广比例", "装配式建筑占新建建筑面积比例", "装配式建筑占比", "装配式建筑比例", "装配式建筑"),
    "星级绿色建筑占比": ("星级绿色建筑占城镇新建建筑竣工面积比例", "星级绿色建筑占比", "星级绿色建筑比例"),
    "新建建筑绿色建筑标准执行率": ("城镇新建建筑100%执行绿色建筑标准", "绿色建筑基本级以上标准进行规划建设的面积比例", "绿色建筑标准执行率", "新建建筑执行绿色建筑标准"),
    "城镇建筑可再生能源替代率": ("城镇建筑可再生能源替代率", "建筑可再生能源替代率", "可再生能源替代率"),
    "屋顶光伏覆盖率": ("屋顶光伏覆盖率", "厂房屋顶光伏覆盖率", "屋顶光伏"),
    "既有建筑节能改造面积": ("既有建筑节能改造", "既有建筑节能改造面积"),
    "公共建筑机电系统能效提升": ("公共建筑机电系统总体能效", "机电系统能效"),
    "大型公共建筑制冷能效提升": ("大型公共建筑制冷能效", "制冷能效"),
    "公共机构单位建筑面积能耗": ("公共机构单位建筑面积能耗",),
    "公共机构人均综合能耗": ("人均综合能耗",),
    "施工现场建筑材料损耗率": ("施工现场建筑材料损耗率", "建筑材料损耗率"),
    "建筑废弃物资源化利用率": ("建筑废弃物资源化利用率", "建筑垃圾资源化利用率"),
    # transport
    "新能源汽车占比": ("新能源汽车占比", "新能源汽车比例", "新能源汽车应用比例", "新能源城市公交车占比", "新能源公交车占比", "新能源车占比"),
    "新能源汽车保有量": ("新能源汽车保有量", "新能源车保有量", "新能源汽车数量"),
    "机动车电动化率": ("机动车电动化率", "电动化率"),
    "新增交通工具新能源清洁能源比例": ("新增交通工具中新能源、清洁能源动力的比例", "新能源、清洁能源动力的比例"),
    "电动乘用车销售占比": ("电动乘用车销售量", "电动乘用车销量占比"),
    "营运交通工具碳排放强度": ("营运交通工具单位换算周转量碳排放强度", "营运车辆、船舶单位换算周转量碳排放强度", "单位换算周转量碳排放强度", "营运车辆碳排放强度"),
    "铁路单位换算周转量综合能耗": ("铁路单位换算周转量综合能耗",),
    "绿色出行比例": ("绿色出行比例", "绿色出行比重", "绿色出行"),
    "水路铁路货运量占比": ("水路和铁路货运量占比", "铁路水路货运量占比"),
    "公共充电桩数量": ("公共充电桩", "充电桩数量", "充电桩"),
    "港口岸电使用率": ("港口与船舶岸电使用率", "岸电使用率"),
    "公共充电设施服务半径": ("公共充电设施服务半径", "充电服务半径", "服务半径"),
    "充电站间隔": ("充电站间隔",),
    "交通枢纽场站能源自给率": ("能源自给率",),
    # circular economy and waste
    "生活垃圾资源化利用率": ("城镇生活垃圾资源化利用率", "城市生活垃圾资源化利用比例", "生活垃圾资源化比例", "生活垃圾资源化利用率", "垃圾资源化利用率", "生活垃圾资源化"),
    "生活垃圾分类覆盖率": ("生活垃圾分类设施覆盖率", "垃圾分类集中处理率", "垃圾分类减量的行政村比例", "垃圾分类覆盖率"),
    "再生资源循环利用量": ("主要再生资源循环利用量", "再生资源循环利用量"),
    "大宗固废利用量": ("大宗固废年利用量", "大宗固废利用量"),
    "废弃产品回收利用率": ("废弃产品规范回收与循环利用率", "废弃产品回收利用率"),
    "秸秆综合利用率": ("秸秆综合利用率", "农作物秸秆综合利用率"),
    "畜禽粪污综合利用率": ("畜禽养殖粪污综合利用率", "畜禽粪污综合利用率", "畜禽粪污"),
    "工业用水重复利用率": ("规模以上工业用水重复利用率", "工业用水重复利用率"),
    "再生水利用率": ("城市平均再生水利用率", "再生水利用率"),
    "生活污水集中收集率": ("城市生活污水集中收集率", "生活污水集中收集率", "污水集中收集率"),
    "公共供水管网漏损率": ("城市公共供水管网漏损率", "公共供水管网漏损率", "供水管网漏损率", "管网漏损率"),
    "城市燃气普及率": ("城市燃气普及率", "燃气普及率"),
    "园区循环化改造": ("园区全部完成循环化改造", "循环化改造"),
    # industry
    "高技术制造业增加值占比": ("高技术制造业增加值占规模以上工业增加值比重", "高技术制造业增加值占比", "高技术制造业"),
    "单位水泥熟料碳排放": ("单位水泥熟料碳排放",),
    "数据中心电能利用效率": ("电能利用效率(PUE)", "电能利用效率", "PUE"),
    # ecology and agriculture
    "森林覆盖率": ("森林覆盖率", "森林覆蓋率"),
    "森林蓄积量": ("森林蓄积量", "森林储积量"),
    "活立木蓄积量": ("活立木蓄积量",),
    "林木覆盖率": ("林木覆盖率",),
    "自然湿地保护率": ("自然湿地保护率", "湿地保护率"),
    "营造林面积": ("营造林面积", "人工造林", "造林面积"),
    "森林抚育面积": ("森林抚育",),
    "国家储备林": ("国家储备林", "国储林"),
    "油茶林面积": ("油茶丰产林", "油茶"),
    "高标准农田面积": ("高标准农田面积", "高标准农田"),
    "化肥利用率": ("化肥利用率",),
    "水鸟越冬栖息地面积": ("水鸟越冬栖息地",),
    "湿地公园数量": ("省级及以上湿地公园", "湿地公园"),
    "农村电网供电可靠率": ("农村电网可靠率", "农村电网供电可靠率"),
    # capacity building
    "低碳技术创新平台数量": ("省部级低碳技术创新平台数量", "低碳技术创新平台"),
    "节约型机关占比": ("县(处)级及以上机关建成节约型机关", "节约型机关"),
    "节约型公共机构示范单位": ("节约型公共机构示范单位",),
    "水效领跑者": ("水效领跑者",),
    "零碳示范工程": ("零碳示范工程",),
    "碳达峰试点数量": ("碳达峰试点示范建设",),
    "绿色低碳试点示范数量": ("绿色低碳试点示范",),
    "天然气LNG储气站": ("天然气LNG储气站",),
}

# What staff type in English, mapped onto the same names.
ENGLISH: dict[str, tuple[str, ...]] = {
    "单位GDP能耗": ("energy intensity", "energy consumption per unit of gdp"),
    "单位GDP二氧化碳排放": ("carbon intensity", "co2 intensity", "co2 emissions per unit of gdp"),
    "非化石能源消费比重": ("non-fossil energy", "non-fossil fuel", "share of non-fossil"),
    "光伏装机容量": ("solar pv capacity", "photovoltaic capacity", "solar capacity"),
    "风电装机容量": ("wind power capacity", "wind capacity"),
    "可再生能源发电装机容量": ("renewable power generation capacity", "installed renewable", "renewable energy capacity", "renewable capacity"),
    "森林覆盖率": ("forest coverage", "forest cover"),
    "新能源汽车占比": ("new energy vehicle", "electric vehicle share"),
}

# Words that say how an indicator is measured, not what: shared by different indicators, so two
# wordings are of one indicator only when they agree on their other words.
MEASURE_WORDS = frozenset((*MEASURES, *(
    "装机 装机容量 目标 消费 发电 能力 水平 率 利用率 覆盖率 面积 新增 累计 "
    "达到 提高 提升 下降 降低 控制 全市 全省 全县 全区 到 年 多少 是 的".split())))

_MEASURE = re.compile("|".join(sorted((w for w in MEASURE_WORDS if len(w) > 1), key=len, reverse=True)))


def thing_of(name: str) -> str:
    """What a name measures without its measure words ("储能规模" -> 储能; "|" keeps the sides apart)."""
    return _MEASURE.sub("|", name)


# a word that makes a row's wording count what is added ("新增水电装机"), not the level reached: a question
# not saying it does not ask that row (extraction keeps the vocabulary name: a plan may state only the increment)
INCREMENT = ("新增",)
# Interchangeable words for how a measure is counted: a statement is about an indicator only if
# it counts it the same way (非化石能源消费比重 needs 比重/占比/比例: "50%以上由非化石能源满足" is not one).
COUNT_FAMILY = ("数量", "个数")
SHARE = SHARE_WORDS
MEASURE_FAMILIES = (SHARE, ("装机", "容量", "规模"), ("覆盖率",), ("利用率",), ("蓄积量",), ("保有量",),
                    ("强度",), ("能耗", "能源消耗", "能源消费量"), ("排放",), ("面积",), ("发电量",), COUNT_FAMILY)
# the units an amount of a family is written in, by how they end: a wording naming no measure is of a
# family when its rows are in one of them ("煤电机组供电煤耗", in 克标准煤/千瓦时, is no 发电量)
FAMILY_UNITS = {("装机", "容量", "规模"): ("瓦",), ("发电量",): ("瓦时", "度"), ("面积",): ("平方米", "亩", "公顷"),
                ("蓄积量",): ("立方米",), ("覆盖率",): ("%",), ("利用率",): ("%",), SHARE: ("%",)}


def in_family_units(family: tuple[str, ...], units) -> bool:
    """Whether amounts in these units can be of this measure family (True when the family has no units)."""
    endings = FAMILY_UNITS.get(family)  # a rate per unit ("克标准煤/千瓦时") is no amount of what it divides by
    return not endings or any(unit.endswith(endings) and "/" not in unit for unit in units)


# a number of things counted by a classifier ("8万个", "100座") says 数量 without the word
COUNTED = re.compile(r"\d+(?:\.\d+)?\s*[万亿]?(?:个|座|辆|台|家|处|套|艘|根)")


def counts_by(clause: str, family: tuple[str, ...]) -> bool:
    """Whether a clause counts by a measure family: one of its words, an amount in its units ("180万千瓦"
    is a capacity), or for a count a counted number."""
    return any(word in clause for word in family) or (family is COUNT_FAMILY and bool(COUNTED.search(clause))) \
        or (family in FAMILY_UNITS and in_family_units(family, UNIT.findall(clause)) and bool(re.search(r"\d", clause)))


def measure_families(name: str) -> list[tuple[str, ...]]:
    """The measure families an indicator name counts by."""
    return [family for family in MEASURE_FAMILIES if any(word in name for word in family)]


# what a name's last word may measure besides the families: a total ("煤炭消费总量" is no 煤炭消费占比)
TOTAL = ("总量", "总规模")


def head_family(name: str) -> tuple[str, ...] | None:
    """The measure family of a name's last measure word, which says what it measures: "水库电站占水电装机比例"
    is a share (比例), not a capacity; a total (总量) is one unless a share is written "占……总量"; None
    when it names no measure."""
    ends = [(name.rfind(word) + len(word), family) for family in (*MEASURE_FAMILIES, TOTAL) for word in family if word in name]
    if not ends:
        return None
    end, family = max(ends, key=lambda end: end[0])
    return SHARE if family is TOTAL and "占" in name[:end] else family


# GDP is written three ways: 单位GDP, 单位地区生产总值, 单位国内生产总值
GDP_WRITINGS = ("地区生产总值", "国内生产总值")


def _written_ways(synonym: str) -> tuple[str, ...]:
    if GDP_WRITINGS[0] in synonym:
        return synonym, synonym.replace(*GDP_WRITINGS)
    return (synonym,)


_SYNONYMS = sorted(
    ((w.lower(), c) for c, syns in INDICATORS.items() for s in (c, *syns, *ENGLISH.get(c, ())) for w in _written_ways(s)),
    key=lambda sc: -len(sc[0]),
)
_CANONICAL: dict[str, str] = {}  # synonym -> canonical, longest first; a synonym listed twice keeps its first owner
for _synonym, _canonical in _SYNONYMS:
    _CANONICAL.setdefault(_synonym, _canonical)


def canonical_of(text: str) -> str | None:
    """The canonical indicator a row's wording names (longest synonym found first), unless the wording
    counts by a measure the indicator does not: "非化石能源装机比重" holds the synonym 非化石能源 but
    measures installed capacity, not consumption (非化石能源消费比重)."""
    # a name ending a list sharing one value is no indicator of its own: "风电、光伏发电装机容量" is their total
    found = [canonical for start, _, canonical in indicator_mentions(text) if text[start - 1 : start] != "、"]
    if not found:
        return None
    names = (found[0], *INDICATORS.get(found[0], ()))
    extra = set(measure_families(text)) - {f for name in names for f in measure_families(name)}
    return None if extra else found[0]


def char_pairs(text: str) -> set[str]:
    """Adjacent character pairs: the unit in which two wordings of an indicator are compared."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


def synonyms_of(canonical: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for s in (canonical, *INDICATORS.get(canonical, ()), *ENGLISH.get(canonical, ()))
                               for w in _written_ways(s)))


def longest_matches(text: str, words, accept=None) -> list[tuple[int, int, str]]:
    """(start, end, word) for each occurrence of `words` in `text`, longest word first, none overlapping.

    Shared by indicator and city matching; `accept(start, end, word)` may veto an occurrence.
    """
    taken: list[tuple[int, int, str]] = []  # kept in text order, never overlapping
    starts: list[int] = []  # their starts, to find a new match's neighbours by bisection (not by a scan of all)
    for word in _longest_first(text, words):
        for start, end in _occurrences(text, word):
            if accept and not accept(start, end, word):
                continue
            i = bisect_right(starts, start)
            if (i and taken[i - 1][1] > start) or (i < len(starts) and starts[i] < end):
                continue
            starts.insert(i, start)
            taken.insert(i, (start, end, word))
    return taken


_BY_LENGTH: dict[int, tuple[object, int, dict[int, dict[str, int]]]] = {}


def _longest_first(text: str, words) -> list[str]:
    """The non-empty `words`, longest first (equal lengths in `words`' order); for a short text and many
    words (a question and the place aliases of every plan in China) only those the text contains, found
    by looking its substrings up, so the cost follows the text instead of the number of words."""
    entry = _BY_LENGTH.get(id(words))
    if entry is None or entry[0] is not words or entry[1] != len(words):
        groups: dict[int, dict[str, int]] = {}
        for order, word in enumerate(words):
            if word:
                groups.setdefault(len(word), {}).setdefault(word, order)
        if len(_BY_LENGTH) >= 32:
            _BY_LENGTH.clear()
        entry = _BY_LENGTH[id(words)] = (words, len(words), groups)  # holds `words`, so its id stays its own
    groups = entry[2]
    found: list[str] = []
    for length in sorted(groups, reverse=True):
        group = groups[length]
        if len(text) * len(groups) <= 2 * len(words):
            present = {text[i : i + length] for i in range(len(text) - length + 1)}.intersection(group)
        else:
            present = group
        found += sorted(present, key=group.__getitem__)
    return found


def _occurrences(text: str, word: str):
    """Non-overlapping (start, end) of `word` in `text`. str.find, not a regex per word: with hundreds of
    place aliases the patterns overflow re's 512-entry cache and every question recompiles them all."""
    start = text.find(word)
    while start >= 0:
        yield start, start + len(word)
        start = text.find(word, start + len(word))


def indicator_mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical) of every indicator `text` names (case-insensitive), in text order."""
    return [(s, e, _CANONICAL[w]) for s, e, w in longest_matches(text.lower(), _CANONICAL)]


def find_indicators(text: str) -> list[str]:
    """Every canonical indicator `text` names, in order of first mention."""
    return list(dict.fromkeys(canonical for _, _, canonical in indicator_mentions(text)))


def find_indicators_tolerant(text: str) -> list[str]:
    """`find_indicators`, or failing that, a synonym of 5+ characters typed with one wrong character
    ("风电装几容量" -> 风电装机容量), when exactly one indicator fits."""
    exact = find_indicators(text)
    if exact:
        return exact
    text = text.lower()
    fits = set()
    for synonym, canonical in _SYNONYMS:
        n = len(synonym)
        if n < 5:
            continue
        for start in range(len(text) - n + 1):
            window = text[start : start + n]
            if window[0] == synonym[0] and sum(a != b for a, b in zip(window, synonym)) == 1 \
                    and head_family(PHRASE.match(text, start).group()) == head_family(synonym):
                # a typo never changes the measure the phrase ends on: "天然气消费比重" is no 天然气消费量
                # typed wrong; "星级绿色建筑占新增绿色建筑比例" is 星级绿色建筑占比
                fits.add(canonical)
    return list(fits) if len(fits) == 1 else []


def canonical_by_meaning(phrases: list[str], encode, threshold: float) -> dict[str, str]:
    """Open-vocabulary phrases that clearly name a known indicator, mapped to it.

    Clearly means one of two things. The phrase is a synonym once words that do not change what
    is measured are dropped from both (`core`: 风光发电装机量 and 风光装机; 风电、太阳能发电总装机容量
    and 风电、太阳能发电装机容量). Or the phrase is a synonym with words left out (单位生产总值能源消耗
    in 单位地区生产总值能源消耗) and the embeddings agree (cosine >= `threshold`) — neither alone is
    enough: 森林面积 is 森林抚育面积 with words left out (cosine 0.935, a different measure), and
    可再生能源新增装机 is close to 可再生能源装机 (0.949) but counts only what is added.
    `encode(texts)` returns unit vectors.
    """
    unknown = [p for p in dict.fromkeys(phrases) if not find_indicators(p)]
    if not unknown:
        return {}
    names = [(canonical, synonym) for canonical, synonyms in INDICATORS.items() for synonym in (canonical, *synonyms)]
    by_core = {}
    for canonical, synonym in names:
        by_core.setdefault(core(synonym), canonical)
    mapped = {p: by_core[core(p)] for p in unknown if core(p) in by_core}
    rest = [p for p in unknown if p not in mapped]
    if not rest:
        return mapped
    similarity = encode(rest) @ encode([synonym for _, synonym in names]).T
    for phrase, row in zip(rest, similarity):
        fits = [(score, canonical) for score, (canonical, synonym) in zip(row, names)
                if score >= threshold and _leaves_out_words(phrase, synonym)]
        if fits:
            mapped[phrase] = max(fits)[1]
    return mapped


# Words that do not change what a phrase measures: 风光发电装机量 counts what 风光装机 counts.
ASIDE = re.compile(r"[（(][^（）()]*[)）]")  # an aside in brackets: "既有建筑节能（绿色）改造" is 既有建筑节能改造
NEUTRAL = re.compile(ASIDE.pattern + r"|发电|总|量|的|容量|规模")


def core(name: str) -> str:
    """A name with its neutral words dropped, for comparing wordings of one measure."""
    return NEUTRAL.sub("", name.lower())


def _leaves_out_words(short: str, long: str) -> bool:
    """Whether `short` is `long` with some characters left out, in order."""
    rest = iter(long.lower())
    return len(short) < len(long) and all(ch in rest for ch in short.lower())
