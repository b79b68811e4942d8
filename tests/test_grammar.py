"""How policy Chinese is read, on strings written here: no model, no index (part of `make check`)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from rag.indicators import COUNT_FAMILY, counts_by, find_indicators, synonyms_of
from rag.question import amounts_asked, facts_asked, without_titles
from rag.zh.headings import TOC_LINE
from rag.zh.periods import QUESTION_YEAR, question_year
from rag.zh.units import counted_unit, states_amount_in


@pytest.mark.parametrize("text, years", [
    ("新开工装配式建筑占比25年要达到多少", [2025]),  # 占比 is no 比 of a base year
    ("川25年非化石能源消费比重", [2025]),
    ("单位GDP能耗比2020年下降多少", []),  # a base year
    ("较2020年提高多少", []),
    ("“十四五”末光伏装机", [2025]),
    ("2030年前碳达峰", [2030]),
])
def test_years_a_question_asks(text, years):
    assert [question_year(m) for m in QUESTION_YEAR.finditer(text)] == years


@pytest.mark.parametrize("text, facts", [
    ("贵州绿色建筑规划是哪两个部门印发的，日期是？", ("issuer", "issued")),
    ("这份方案是哪几个部门联合印发的", ("issuer",)),
    ("这份工作方案是哪个部门、哪天印发的？", ("issuer", "issued")),
    ("哪些单位发布了这份意见", ("issuer",)),
    ("2025年光伏装机多少", ()),
    ("福建能源发展规划封面上写的日期是哪个月？", ("issued",)),  # a cover gives its compilers and a month
    ("这份规划的编制单位是哪几家？", ("issuer",)),
    ("江西节能规划封面署的单位和时间？", ("issuer", "issued")),
    ("江西节能规划是哪个部门起草的？", ()),  # a drafter is no issuer: the text says who drafted
    ("这个规划哪年编制的", ("issued",)),
    ("什么时候实现碳达峰？", ()),
])
def test_notice_facts_a_question_asks(text, facts):
    assert facts_asked(text) == facts


def test_gdp_is_written_three_ways():
    for written in ("单位地区生产总值二氧化碳排放", "单位国内生产总值二氧化碳排放", "单位GDP二氧化碳排放"):
        assert find_indicators(written) == ["单位GDP二氧化碳排放"]
    assert "单位国内生产总值能耗" in synonyms_of("单位GDP能耗")


def test_a_counted_number_counts_without_the_word():
    assert counts_by("建成公共充电桩3万个以上", COUNT_FAMILY) and counts_by("建设加氢站20座", COUNT_FAMILY)
    assert counts_by("充电桩数量大幅增加", COUNT_FAMILY)
    assert not counts_by("充电桩覆盖率达到90%", COUNT_FAMILY)


def test_words_naming_a_document_are_blanked_for_indicators():
    catalog = SimpleNamespace(plans={"p": SimpleNamespace(title="贵州省重点行业绿色转型工作方案（2023-2025年）")})
    topic = "重点行业绿色转型工作方案2025年单位产品能耗下降多少"
    kept = without_titles(topic, ("p",), catalog)
    assert "重点行业" not in kept and "单位产品能耗下降多少" in kept and len(kept) == len(topic)
    assert without_titles("重点行的目标", ("p",), catalog) == "重点行的目标"  # a stretch under 4 characters is kept


@pytest.mark.parametrize("text, unit", [
    ("山西2025年碳排放总量要控制在多少亿吨？", "亿吨"),
    ("到2030年要建几座充电站", "座"),
    ("光伏装机要达到多少万千瓦", "万千瓦"),
    ("能源消费总量控制在多少万吨标煤", "万吨标煤"),
    ("哪几个县列入试点", ""),  # 哪几 asks which, not how many
    ("非化石能源比重是多少", ""),
])
def test_the_unit_a_question_counts_in(text, unit):
    assert counted_unit(text) == unit


@pytest.mark.parametrize("sentence, unit, states", [
    ("2020年碳排放预计达6.3亿吨左右", "亿吨", True),
    ("年减少二氧化碳排放800万吨", "亿吨", True),  # same dimension, another scale
    ("能源消费总量控制在2.91亿吨标准煤以内", "亿吨", False),  # energy, not emissions: the longer unit is read
    ("能源消费总量2.91亿吨标煤", "万吨标准煤", True),
    ("新增风电装机1400兆瓦", "万千瓦", True),
    ("建成加氢站40座", "座", True),
    ("建成充电桩40个", "座", False),
    ("推广新能源汽车15万辆", "辆", True),
    ("累计建成充电设施15万个", "个", True),
    ("单位GDP能耗下降13.5%", "亿吨", False),
])
def test_a_sentence_states_an_amount_in_the_asked_dimension(sentence, unit, states):
    assert states_amount_in(sentence, unit) is states


def test_percentage_points_are_percentages():
    assert counted_unit("煤炭消费比重要下降多少个百分点") == "个百分点"
    assert states_amount_in("比2020年下降5个百分点", "%") and states_amount_in("降至60%以下", "个百分点")



@pytest.mark.parametrize("topic, parts", [
    ("到2025年绿色工厂和近零碳园区各建多少？", ("绿色工厂", "近零碳园区")),
    ("2030年储能规模与抽水蓄能装机目标", ("储能规模", "抽水蓄能装机")),
    ("到2025年充电桩要建多少？", ()),  # one amount
    ("具有周调节及以上能力的储能电站规模多少？", ()),  # "及以上" joins no two things
    ("绿色低碳循环发展有哪些要求", ()),  # no amount
])
def test_amounts_asked_together_are_split(topic, parts):
    assert amounts_asked(topic) == parts


@pytest.mark.parametrize("text, year", [
    ("湖北省“十四五”能源发展规划", 2025), ("某市十五五综合交通规划", 2030), ("某市碳达峰实施方案", None),
])
def test_the_period_a_title_names(text, year):
    from rag.zh.periods import period_year

    assert period_year(text) == year


@pytest.mark.parametrize("line, level", [
    ("第三章 重点任务", 1), ("第二节 主要目标", 2), ("四、保障措施", 3), ("（二）主要目标", 4), ("3.推进光伏发电", 5),
    ("专栏2 重点工程", 5), ("第一章 发展基础………………3", None), ("2025年光伏装机达到300万千瓦。", None),
])
def test_heading_shapes_by_level(line, level):
    from rag.sections import heading_of

    found = heading_of(line)
    assert (found[0] if found else None) == level


@pytest.mark.parametrize("text, read", [
    ("非化石能源消费比重达到百分之二十五", "非化石能源消费比重达到25%"), ("新增装机一千万千瓦", "新增装机1000万千瓦"),
    ("光伏装机达到300万千瓦", "光伏装机达到300万千瓦"),
])
def test_chinese_numerals_read_as_digits(text, read):
    from rag.zh.numerals import arabic_numerals

    assert arabic_numerals(text) == read


@pytest.mark.parametrize("rest, wording, repeats", [
    ("既有    改造面积目标", "公共建筑能效提升改造面积", False),  # title words blanked: 既有 still narrows it
    ("既有    改造面积目标", "既有居住建筑节能改造面积", True),
    (" 和    改造面积多少", "公共建筑能效提升改造面积", True),  # a conjunction between places narrows nothing
    ("煤炭消费比重", "非化石能源消费比重", False),
])
def test_a_row_wording_repeats_the_questions_head_only_with_the_same_narrowing(rest, wording, repeats):
    from rag.question.indicators import _repeats_head

    assert _repeats_head(rest, wording) is repeats


@pytest.mark.parametrize("asked, wording, units, same", [
    ("季及以上调节能力水库电站占水电装机比例", "新增水电装机", frozenset({"万千瓦"}), False),  # a share is no capacity
    ("水库电站占水电装机比例", "水电", frozenset({"万千瓦"}), False),  # a wording naming no measure: its rows' unit
    ("煤电装机比例", "煤电", frozenset({"%"}), True),
    ("清洁能源装机比例", "新能源和清洁能源装机占比", frozenset({"%"}), True),  # 比例 and 占比: one measure
    ("风光装机总量", "风光发电装机量", frozenset({"万千瓦"}), True),
    ("光伏总装机", "光伏发电总装机规模", frozenset(), True),  # 装机 and 规模: one measure
    ("森林面积", "森林蓄积量", frozenset(), False),
    ("煤炭消费总量", "煤炭消费占比", frozenset({"%"}), False),  # a total is no share
    ("非化石能源消费占一次能源消费总量", "非化石能源消费比重", frozenset({"%"}), True),  # "占……总量" is a share
])
def test_a_row_wording_measures_what_the_question_asks(asked, wording, units, same):
    from rag.question.indicators import _same_measure

    assert _same_measure(asked, wording, units) is same


@pytest.mark.parametrize("text, year, speaks", [
    ("“十四五”期间新增投产装机约510万千瓦", 2025, True),
    ("十五五末达到30%", 2030, True),
    ("到2025年达到20%", 2025, True),
    ("“十四五”期间新增投产装机约510万千瓦", 2030, False),
    ("2020年为38%", 2025, False),
])
def test_a_text_speaks_of_a_year_or_the_period_ending_then(text, year, speaks):
    from rag.zh.periods import states_year

    assert states_year(text, year) is speaks


def test_a_table_unit_column_without_header_is_the_rows_unit():
    """"风电｜万千瓦｜2020年：669｜2025年：1200": the unit column is no indicator; beside it a
    bracket after the name is part of the name ("水电（含抽水蓄能）"), without it the unit."""
    from rag.corpus import Plan
    from rag.targets import extract_targets

    text = ("【表：专栏一 发展目标】风电｜万千瓦｜2020年：669｜2025年：1200｜属性：预期性\n"
            "【表：专栏一 发展目标】水电（含抽水蓄能）｜万千瓦｜2020年：1710｜2025年：1800\n"
            "【表：专栏一 发展目标】非水电源装机比重（%）｜2020年：23｜2025年：33\n")
    plan = Plan("p", "某省", "province", "某省", "某省“十四五”可再生能源发展规划", "", "", "", "规划", "p.txt", text)
    rows = {(t.indicator, t.year, t.value, t.unit) for t in extract_targets(plan)}
    assert {("风电", 2025, 1200.0, "万千瓦"), ("水电（含抽水蓄能）", 2025, 1800.0, "万千瓦"),
            ("非水电源装机比重", 2025, 33.0, "%")} <= rows
    assert not any(indicator == "万千瓦" for indicator, *_ in rows)


def test_an_answer_keeps_the_verb_written_before_its_own_value():
    """One sentence gives 30% twice: "占比超过30%" for one indicator, "比例达到30%" for the next."""
    from rag.targets import Target

    sentence = "全省城镇新增绿色建筑中星级绿色建筑占比超过30%，城镇新建建筑中装配式建筑比例达到30%，水泥散装率达到75%以上。"
    row = Target(city="某省", plan_id="p", year=2025, indicator="城镇新建建筑中装配式建筑比例", canonical="装配式建筑占比",
                 value=30.0, unit="%", qualifier="达到", baseline_year=None, direction=None, qualitative=False,
                 sentence=sentence, section="", char_start=0, char_end=len(sentence))
    assert row.value_text() == "达到30%"
    first = Target(**{**row.__dict__, "indicator": "城镇新增绿色建筑中星级绿色建筑占比", "qualifier": "超过"})
    assert first.value_text() == "超过30%"


def test_a_part_given_after_a_value_is_quoted_with_its_row_not_made_an_indicator():
    """"占比超过30%，其中珠三角九市超过45%": the second value is a part of the first indicator, shown on
    its row as written; a part naming its own measure ("其中公交车占比达到100%") is a row of its own."""
    from rag.corpus import Plan
    from rag.targets import extract_targets

    text = ("到2025年，全省城镇新增绿色建筑中星级绿色建筑占比超过30%，其中珠三角九市超过45%，城镇新建建筑中装配式建筑比例达到30%。\n"
            "到2025年，新能源汽车新增量占比达到30%，其中公交车占比达到100%。\n")
    plan = Plan("p", "某省", "province", "某省", "某省绿色建筑规划", "", "", "", "规划", "p.txt", text)
    rows = {t.indicator: t for t in extract_targets(plan)}
    assert set(rows) == {"城镇新增绿色建筑中星级绿色建筑占比", "城镇新建建筑中装配式建筑比例", "新能源汽车新增量占比", "公交车占比"}
    assert rows["城镇新增绿色建筑中星级绿色建筑占比"].subsets() == "，其中珠三角九市超过45%"
    assert rows["城镇新建建筑中装配式建筑比例"].subsets() == ""


def test_an_aside_in_brackets_does_not_change_the_indicator():
    """"既有建筑节能（绿色）改造" is the vocabulary's 既有建筑节能改造(面积): the aside is left out when
    wordings are compared (canonical names, and rows' wordings matched against questions)."""
    from rag.indicators import ASIDE, canonical_by_meaning, core

    assert core("既有建筑节能（绿色）改造") == core("既有建筑节能改造")
    assert canonical_by_meaning(["既有建筑节能（绿色）改造"], None, 1.0) == {"既有建筑节能（绿色）改造": "既有建筑节能改造面积"}
    assert ASIDE.sub("", "水电（含抽水蓄能）") == "水电"


@pytest.mark.parametrize("wording, canonical", [
    ("非化石能源装机（含西电）比重", None),  # holds the synonym 非化石能源, but counts installed capacity
    ("非化石能源发电装机容量", None),
    ("新增非化石能源发电量占全部新增发电量比重", None),  # a share of generation, not of consumption
    ("非化石能源占一次能源消费比重", "非化石能源消费比重"),
    ("单位地区生产总值能源消耗", "单位GDP能耗"),
])
def test_a_row_is_its_vocabulary_indicator_only_when_it_counts_by_the_same_measure(wording, canonical):
    from rag.indicators import canonical_of

    assert canonical_of(wording) == canonical


def test_a_row_counting_by_a_measure_the_question_never_names_is_not_asked():
    from rag.lexical import lexical_tokens
    from rag.question.indicators import _says_all_of

    def asks(topic: str) -> bool:
        return _says_all_of("非化石能源装机比重", set(lexical_tokens(topic)), topic, frozenset({"%"}))

    assert not asks("非化石能源比重25年目标")
    assert asks("非化石能源装机比重25年目标")


@pytest.mark.parametrize("before, after, side", [
    ("", "以上", ">="), ("", "及以上", ">="), ("", "以内", "<="), ("", "左右", "="),
    ("不超过", "", "<="), ("未超过", "", "<="), ("超过", "", ">"), ("不低于", "", ">="), ("控制在", "", "<="),
    ("达到", "", "="),
])
def test_the_side_of_an_amount_a_text_commits_to(before, after, side):
    from rag.zh.relations import relation

    assert relation(before=before, after=after) == side


@pytest.mark.parametrize("text, value", [
    ("装机达到1.5~2万千瓦", ("1.5", "2", "万千瓦")), ("比重15%以上", ("15", None, "%")), ("降至297克标准煤/千瓦时", ("297", None, "克标准煤/千瓦时")),
])
def test_a_targets_value_as_written(text, value):
    from rag.zh.units import VALUE

    assert VALUE.search(text).groups() == value


@pytest.mark.parametrize("name, text, found", [
    ("DOC_NUMBER", "闽政〔2022〕18号", "闽政〔2022〕18号"),
    ("DOC_NUMBER", "鲁建节科字〔2022〕4号", "鲁建节科字〔2022〕4号"),
    ("DATE", "2022年3月", "2022年3月"),  # a cover's month
    ("DATE", "2021年12月3日", "2021年12月3日"),
    ("POSTED_AT", "发布时间：2023-07-21 10:20", "发布时间：2023-07-21"),
    ("COMMENT_DEADLINE", "请于2023年2月9日前将书面意见反馈至市发展改革委", "2023年2月9日前将书面意见"),
    ("MEETING", "经市政府第35次常务会议审议通过，现印发给你们", "经市政府第35次常务会议审议通过"),
    ("EFFECTIVE", "本方案自印发之日起施行", "自印发之日起施行"),
    ("NEWS_DATE", "12月13日，省政府印发《方案》", "12月13日，省政府印发"),
])
def test_the_shapes_of_a_notice(name, text, found):
    from rag.zh import notices

    match = getattr(notices, name).search(text)
    assert match and match.group(0) == found


def test_a_title_cited_with_its_number():
    import re

    from rag.zh.notices import CITED_NUMBER

    match = re.search("湖南省碳达峰实施方案" + CITED_NUMBER, "印发《湖南省碳达峰实施方案》(湘政发〔2022〕19号)")
    assert match.group(1) == "湘政发〔2022〕19号"


@pytest.mark.parametrize("text, facts, indicators, places, years, kind", [
    ("你好", (), (), (), (), "greeting"),
    ("收录了哪些城市的方案？", (), (), (), (), "corpus"),
    ("福州的文号是多少", ("doc_number",), (), ("福州市",), (), "fact"),
    ("福州和厦门2025年光伏装机分别是多少", (), ("光伏装机容量",), ("福州市", "厦门市"), (2025,), "compare"),
    ("福州2025年光伏装机多少", (), ("光伏装机容量",), ("福州市",), (2025,), "target"),
    ("福州方案的十大行动有哪些", (), (), ("福州市",), (), "list"),
    ("福州在哪里建设氢能产业园", (), (), ("福州市",), (), "where"),
    ("福州如何推进交通绿色转型", (), (), ("福州市",), (), "open"),
])
def test_the_answer_type_a_question_wants(text, facts, indicators, places, years, kind):
    from rag.question import answer_type

    assert answer_type(text, facts, indicators, places, years) == kind


@pytest.mark.parametrize("name, text, matches", [
    ("ZONE_SUFFIX", "万盛经开区", True), ("ZONE_SUFFIX", "两江新区", True), ("ZONE_SUFFIX", "天河区", False),
    ("CENTRAL_ORGAN", "国务院关于印发2030年前碳达峰行动方案的通知", True),
    ("CENTRAL_ORGAN", "国家发展改革委 国家能源局关于……", True),
    ("CENTRAL_ORGAN", "湖南省人民政府关于……", False),
    ("LEVEL_WORDS", " City", True), ("LEVEL_WORDS", " Sheng", True), ("LEVEL_WORDS", "Jiangmen", False),
])
def test_how_place_names_are_written(name, text, matches):
    from rag.zh import placenames

    assert bool(getattr(placenames, name).search(text) if name == "ZONE_SUFFIX" else getattr(placenames, name).match(text)) is matches


@pytest.mark.parametrize("text, word, holds", [
    ("全省规模以上工业用水重复利用率提高到85%以上", "规上", True),  # 规上 is how 规模以上 is shortened
    ("海上风电装机达到300万千瓦", "海上", True),
    ("陆上风电装机达到300万千瓦", "海上", False),
    ("海洋牧场建设规模以上", "海上", False),
])
def test_a_narrowing_word_as_written_or_shortened(text, word, holds):
    from rag.answer.honesty import holds as holds_word

    assert holds_word(text, word) is holds


def test_an_open_indicator_is_cut_at_the_verb_that_leaves_a_measure_before_it():
    """"重点领域达到能效标杆水平的产能比例超过30%": 达到 is part of what is measured (产能比例), 超过 sets it;
    a vocabulary indicator is still cut at the first verb ("能耗下降、…二氧化碳排放下降" names both)."""
    from rag.corpus import Plan
    from rag.targets import extract_targets

    text = ("到2025年，确保重点领域达到能效标杆水平的产能比例超过30%。\n"
            "到2025年，完成上级下达的单位地区生产总值能耗下降、单位地区生产总值二氧化碳排放下降目标任务。\n")
    plan = Plan("p", "某省", "province", "某省", "某省节能降碳工作方案", "", "", "", "工作方案", "p.txt", text)
    rows = {(t.indicator, t.value) for t in extract_targets(plan)}
    assert ("重点领域达到能效标杆水平的产能比例", 30.0) in rows and ("重点领域", 30.0) not in rows
    assert {t.canonical for t in extract_targets(plan) if t.qualitative} == {"单位GDP能耗", "单位GDP二氧化碳排放"}


def test_an_approximate_level_after_a_deadline_is_a_target_and_keeps_its_wording():
    """"至2025年底，水电装机约10500万千瓦，光伏发电约1200万千瓦": levels set with 约 after a deadline ahead
    (shown "约", never "达到"); the "新增…约" list before the "；" adds, it sets no level."""
    from rag.corpus import Plan
    from rag.targets import extract_targets

    text = ("2025年，可再生能源发展取得新进展。“十四五”新增水电装机约2400万千瓦，光伏发电约1000万千瓦；"
            "至2025年底，水电装机约10500万千瓦，光伏发电约1200万千瓦。\n")
    plan = Plan("p", "某省", "province", "某省", "某省“十四五”可再生能源发展规划", "", "", "", "规划", "p.txt", text)
    rows = {t.indicator: t for t in extract_targets(plan) if not t.indicator.startswith("新增")}
    assert {(k, t.value) for k, t in rows.items()} == {("水电装机", 10500.0), ("光伏发电", 1200.0)}
    assert rows["水电装机"].value_text() == "约10500万千瓦"


def test_a_change_from_one_year_to_another_gives_two_past_figures_of_its_own_measure():
    """"单位工业增加值能耗由2015年的1.2吨下降至2020年的0.9吨，清洁能源占比从2015年的18%提高到2020年的26%"
    in a review section: each figure is its own year's (the first the change's start), both the past's,
    and a later value of a clause whose subject is not the clause before's is never that subject's."""
    from rag.corpus import Plan
    from rag.targets import extract_targets

    text = ("一、“十三五”时期发展成效\n"
            "单位工业增加值能耗由2015年的1.2吨标准煤下降至2020年的0.9吨标准煤，清洁能源占比从2015年的18%提高到2020年的26%，"
            "燃煤消费比例由2015年的70%下降至2020年的61%。\n"
            "二、主要目标\n到2025年，非化石能源消费比重达到20%。\n")
    plan = Plan("p", "某省", "province", "某省", "某省“十四五”能源发展规划", "", "", "", "规划", "p.txt", text)
    rows = {(t.indicator, t.year, t.value, t.kind) for t in extract_targets(plan)}
    assert {("清洁能源占比", 2015, 18.0, "actual"), ("清洁能源占比", 2020, 26.0, "actual"),
            ("燃煤消费比例", 2015, 70.0, "actual"), ("燃煤消费比例", 2020, 61.0, "actual"),
            ("非化石能源消费比重", 2025, 20.0, "target")} <= rows
    assert not any(indicator == "清洁能源占比" and value in (70.0, 61.0) for indicator, _, value, _ in rows)
    assert not any("2015" in indicator for indicator, *_ in rows)


def test_a_commitment_recalled_in_the_situation_section_is_not_the_plans_target():
    """"面临形势" recalls the country's 2030 goals: no row of this province's plan; its own 2025 goal is one,
    and a list's total ("风电、光伏发电装机容量") is never one of its items' (光伏装机容量)."""
    from rag.corpus import Plan
    from rag.targets import extract_targets

    text = ("一、发展基础和面临形势\n（二）面临形势\n国家提出到2030年，非化石能源占一次能源消费比重达到25%左右，风电、光伏发电装机容量达到12亿千瓦以上。\n"
            "二、发展目标\n到2025年，非化石能源消费比重达到22%，风电、光伏发电装机容量达到3000万千瓦。\n")
    plan = Plan("p", "某省", "province", "某省", "某省“十四五”可再生能源发展规划", "", "", "", "规划", "p.txt", text)
    rows = {(t.canonical, t.year, t.value) for t in extract_targets(plan)}
    assert rows == {("非化石能源消费比重", 2025, 22.0), ("风电光伏装机容量", 2025, 3000.0)}


@pytest.mark.parametrize("text, amount, counted", [
    ("江门对台山、开平这几个市的要求是什么", False, ""),
    ("那几个县要做什么", False, ""),
    ("要建几个加氢站", True, "个"),
    ("哪几个市是试点", False, ""),
    ("建设多少座充电站", True, "座"),
])
def test_a_demonstrative_few_asks_no_number(text, amount, counted):
    """"这几个市" points at the places named; "几个加氢站" asks a count."""
    from rag.zh.asking import AMOUNT_ASKED
    from rag.zh.units import counted_unit

    assert bool(AMOUNT_ASKED.search(text)) == amount and counted_unit(text) == counted


@pytest.mark.parametrize("line, contents", [
    ("第一章 现状与形势……………3", True),
    ("（三）有序建设抽水蓄能电站................................................13", True),
    ("一、发展环境.............................................. - 1 -", True),
    ("（二）发展形势······················—12—", True),
    ("一、发展环境", False),
    ("全省风电装机达到1200万千瓦……", False),  # an ellipsis in running text
])
def test_contents_lines(line, contents):
    assert bool(TOC_LINE.search(line)) == contents


@pytest.mark.parametrize("text, kind", [
    ("青岛的实施意见什么时候印发的", "实施意见"),  # a question word right after the document's kind
    ("湖南实施意见哪天发的", "实施意见"),
    ("这份规划多久评估一次", "规划"),
    ("计划建设10座加氢站", None),  # a verb, not a document
])
def test_a_document_kind_named_before_a_question_word(text, kind):
    from rag.zh.asking import DOCUMENT_NAMED

    found = DOCUMENT_NAMED.search(text)
    assert (found.group(1) if found else None) == kind


def test_asking_words_are_cut_before_the_topic_is_split():
    """"建多大规模" would split into 建多 / 大规模, words no passage holds."""
    from rag.question import Question

    words = Question(asked="", text="", type="open", topic="甘孜州光伏发电项目十四五要建多大规模？").topic_words
    assert "规模" in words and not {"大规模", "建多", "多大"} & set(words), words


@pytest.mark.parametrize("text, sentences", [
    ("到2025年，比重达到20%。到2030年达到25%！还有吗？", ["到2025年，比重达到20%。", "到2030年达到25%！", "还有吗？"]),
    ("一、主要目标\n风电装机达到500万千瓦", ["一、主要目标", "风电装机达到500万千瓦"]),
])
def test_where_a_sentence_ends(text, sentences):
    from rag.zh.sentences import SENTENCE

    assert [m.group(0) for m in SENTENCE.finditer(text)] == sentences


@pytest.mark.parametrize("text, clauses", [
    ("风电达到500万千瓦，光伏达到800万千瓦；储能200万千瓦", ["风电达到500万千瓦，", "光伏达到800万千瓦；", "储能200万千瓦"]),
    ("PUE不超过1.5,绿色数据中心占比40%", ["PUE不超过1.5,", "绿色数据中心占比40%"]),
])
def test_where_a_clause_ends(text, clauses):
    from rag.zh.sentences import CLAUSE, CLAUSE_BREAK

    assert CLAUSE.findall(text) == clauses
    assert [c for c in CLAUSE_BREAK.split(text) if c] == [c.rstrip("，,；;") for c in clauses]


@pytest.mark.parametrize("text, commits, projects", [
    ("单位地区生产总值能耗降至0.4吨标准煤", True, False),
    ("确保完成省下达的目标任务", True, False),
    ("预计2025年装机规模达到300万千瓦", True, True),
    ("有望建成一批示范项目", False, True),
    ("加快建设充电基础设施", False, False),
])
def test_a_clause_commits_to_or_projects_a_level(text, commits, projects):
    from rag.zh.relations import COMMITMENT, LOWERING, PROJECTION

    assert bool(COMMITMENT.search(text) or any(w in text for w in LOWERING)) == commits
    assert bool(PROJECTION.search(text)) == projects


@pytest.mark.parametrize("title, genre", [
    ("江门市碳达峰实施方案", "实施方案"),
    ("某省“十四五”可再生能源发展规划（2021—2025年）", "规划（2021—2025年）"),
    ("关于完整准确全面贯彻新发展理念做好碳达峰碳中和工作的实施意见（征求意见稿）", "实施意见（征求意见稿）"),
    ("某市绿色建筑管理办法（试行）", "办法（试行）"),
    ("某市召开碳达峰工作会议", None),
])
def test_the_genre_a_title_ends_with(title, genre):
    from rag.zh.notices import GENRE_END

    found = GENRE_END.search(title)
    assert (found.group(1) if found else None) == genre


def test_a_notice_printing_a_document_names_its_issuer_and_title():
    from rag.zh.notices import CITING, ISSUING, NOTICE

    notice = NOTICE.match("某市人民政府关于印发某市碳达峰实施方案的通知")
    assert (notice["issuer"], notice["title"]) == ("某市人民政府", "某市碳达峰实施方案")
    assert CITING.search("根据《某省碳达峰实施方案》") and not ISSUING.search("根据《某省碳达峰实施方案》")
    assert ISSUING.search("近日，某市印发《某市碳达峰实施方案》")


@pytest.mark.parametrize("text, count", [
    ("重点实施碳达峰“十大行动”。", "十"),
    ("部署三项重点任务", "三"),
    ("开展12类示范工程", "12"),
    ("加快推进重点行动", None),
])
def test_a_plan_sentence_announcing_a_counted_list(text, count):
    from rag.zh.asking import LIST_COUNTED

    found = LIST_COUNTED.search(text)
    assert (found.group(1) if found else None) == count


@pytest.mark.parametrize("question, genre", [
    ("成都能源结构方案里2025年煤炭比重是多少？", "方案"),
    ("广东绿色建筑规划中装配式建筑占比", "规划"),
    ("青岛实施意见什么时候印发的", "意见"),
    ("计划建设多少充电桩", None),
])
def test_the_genre_a_question_names_a_document_by(question, genre):
    from rag.zh.asking import DOCUMENT_WORD

    found = DOCUMENT_WORD.search(question)
    assert (found.group(1) if found else None) == genre


def test_of_titles_sharing_the_questions_words_the_one_writing_its_document_name_closest_is_meant():
    from rag.question import _document_name, _written_closest, _title_stretch

    plans = [SimpleNamespace(title="关于2021-2023年度推动碳达峰、碳中和工作滚动实施方案"),
             SimpleNamespace(title="某省碳达峰实施方案"), SimpleNamespace(title="某省能源发展规划")]
    name = _document_name(_title_stretch("某省碳达峰方案说要着力建设什么?", ("某省",)))
    assert name == "碳达峰方案"
    assert [p.title for p in _written_closest(name, plans)] == ["某省碳达峰实施方案"]
    # a name no title writes in order chooses nothing away
    assert _written_closest("绿色金融方案", plans) == plans
