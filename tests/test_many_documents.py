"""Many documents of one place (#26 item 2), on a library written here (no dev-set string): a province's
碳达峰实施方案, its 十四五 energy plan stating the same indicator with another value, and a rolling work
plan that states it only for an earlier year. Built with the real model and index."""
from __future__ import annotations


import pytest

from rag.answer import ask
from rag.question import parse
from writtenlibrary import written_library

PEAK_PLAN = """甘肃省碳达峰实施方案

一、主要目标
到2025年，非化石能源消费比重达到30%左右，单位地区生产总值能源消耗比2020年下降13.5%。
到2030年，非化石能源消费比重达到35%左右。
二、重点任务
（一）推进能源结构调整
有序推进河西走廊清洁能源基地建设，推动风电、光伏规模化开发。
"""

ENERGY_PLAN = """甘肃省“十四五”能源发展规划

一、发展目标
到2025年，非化石能源消费比重提高到32%以上，全省能源消费总量控制在9300万吨标准煤以内。
二、重点任务
（一）建设新能源基地
到2025年，风电装机达到3300万千瓦，光伏装机达到3000万千瓦。
（二）完善储运体系
到2025年，全省储气能力达到10亿立方米，保障冬季用气高峰。
到2025年，新增储气能力达到3亿立方米。
（三）发展氢能
在兰州、酒泉布局制氢项目5个，开展可再生能源制氢示范。
推进交通领域氢能应用，规划建设加氢站20座，形成氢能走廊。
"""

ROLLING_PLAN = """关于2021-2022年度推进节能降碳工作滚动实施方案

一、年度目标
到2021年底，非化石能源消费比重达到26%，完成国家下达的年度能耗强度下降目标。
二、工作安排
组织开展重点用能单位节能监察，推动数据中心能效提升。
加快推广新能源汽车，提高新能源汽车在汽车保有量中的占比。

甘肃省发展和改革委员会
2021年3月5日
"""

# a second place: its carbon-peak plan sets the energy intensity in words, its energy plan as a number
NEIGHBOUR_PEAK = """宁夏回族自治区碳达峰实施方案

一、主要目标
到2025年，非化石能源消费比重达到15%左右，单位地区生产总值能源消耗完成国家下达目标。
"""

NEIGHBOUR_ENERGY = """宁夏回族自治区“十四五”能源发展规划

一、发展目标
到2025年，单位地区生产总值能源消耗比2020年下降14%。
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return written_library(tmp_path_factory.mktemp("many"), {
        "gansu-peak.txt": PEAK_PLAN, "gansu-energy.txt": ENERGY_PLAN, "gansu-rolling.txt": ROLLING_PLAN,
        "ningxia-peak.txt": NEIGHBOUR_PEAK, "ningxia-energy.txt": NEIGHBOUR_ENERGY})[1]


def test_every_document_of_the_place_answers_and_differing_values_are_said_to_differ(library):
    answer = ask(library, "甘肃2025年非化石能源消费比重是多少？")
    assert answer.found and "30%" in answer.answer and "32%" in answer.answer and "不同" in answer.answer


def test_a_rare_title_word_names_one_document_and_its_silence_is_said(library):
    question = parse("甘肃滚动方案2025年非化石能源消费比重定了多少？", library)
    assert question.names_document and len(question.plan_ids) == 1
    answer = ask(library, question.asked)
    assert not answer.found and "滚动实施方案" in answer.answer and "30%" not in answer.answer and "32%" not in answer.answer
    assert "2021" in answer.answer  # the year that document does state


def test_a_common_word_names_no_document(library):
    question = parse("甘肃2025年非化石能源消费比重的目标是多少？", library)
    assert len(question.plan_ids) == 3 and not question.names_document


def test_an_amount_in_another_dimension_is_not_the_answer(library):
    # 9300万吨标准煤 is energy, not the emissions asked in 亿吨; 能耗 falls in % (not in 亿吨)
    for text in ("甘肃2025年碳排放总量控制在多少亿吨？", "甘肃2025年单位GDP能耗下降多少万吨？"):
        answer = ask(library, text)
        assert not answer.found and "9300" not in answer.answer and "13.5%" not in answer.answer, text


def test_two_amounts_asked_together_are_each_answered(library):
    question = parse("甘肃制氢项目和加氢站各布局多少？", library)
    assert len(question.parts) == 2 and not question.indicators
    answer = ask(library, question.asked)
    assert answer.found and "制氢项目5个" in answer.answer and "20座" in answer.answer


def test_an_amount_asked_beside_an_indicator_is_quoted_too(library):
    """"光伏装机和加氢站数量": the indicator's row, and for the thing no indicator measures the sentence
    that names it; two indicators asked together are not split into parts."""
    question = parse("甘肃2025年光伏装机和加氢站数量目标？", library)
    assert question.indicators == ("光伏装机容量",) and question.other_parts == ("加氢站数量",)
    answer = ask(library, "甘肃2025年光伏装机和加氢站数量目标？")
    assert answer.found and "3000万千瓦" in answer.answer and "加氢站20座" in answer.answer
    assert parse("甘肃2025年光伏装机和风电装机分别是多少？", library).other_parts == ()
    # a document named beside the years ("实施方案里2025年和2030年") is not a second amount
    assert parse("甘肃碳达峰实施方案里2025年和2030年非化石能源消费比重分别是多少？", library).other_parts == ()


def test_a_comparison_leads_with_a_number_and_names_other_documents_differing(library):
    """One row per place from its best document — the carbon-peak plan among undated equals, a number
    before words — and a place's other document giving another value named with that value."""
    answer = ask(library, "甘肃和宁夏2025年非化石能源消费比重分别是多少？")
    assert answer.mode == "compare" and "甘肃省达到30%左右" in answer.answer and "宁夏回族自治区达到15%左右" in answer.answer
    assert "数值不同的：《甘肃省“十四五”能源发展规划》提高到32%以上" in answer.answer
    intensity = ask(library, "甘肃和宁夏2025年单位GDP能耗分别下降多少？")
    assert "宁夏回族自治区比2020年下降14%" in intensity.answer and "甘肃省比2020年下降13.5%" in intensity.answer


def test_a_years_target_no_row_states_is_answered_about_its_thing_not_its_measure(library):
    """"氢能汽车保有量" has no row: a passage may answer, but one about 氢能 — never the sentence on
    新能源汽车's share of the 汽车保有量, which holds the measure and not the thing."""
    answer = ask(library, "甘肃2025年氢能汽车保有量目标？")
    assert "新能源汽车在汽车保有量" not in answer.answer
    assert not answer.found or "氢能" in answer.answer


def test_a_sentence_reviewing_the_past_does_not_answer_a_years_target(tmp_path):
    """A figure under "“十三五”主要成就" (no year in its sentence) is the past's: a 2025 question is told
    so, never given it as the target; asked what it is now, it answers."""
    _, index = written_library(tmp_path, {"qinghai.txt": (
        "青海省“十四五”可再生能源发展规划\n一、发展基础\n（一）“十三五”主要成就\n浅层地热能供暖制冷面积达到320万平方米，较2015年增长150%。\n"
        "二、重点任务\n（一）推进地热能利用\n因地制宜推广地热能供暖，建设一批示范项目。\n")})
    target = ask(index, "青海2025年地热能供暖面积目标？")
    assert not target.found and "以往情况" in target.answer
    assert "320万平方米" in ask(index, "青海地热能供暖面积现在多少？").answer


def test_a_row_counting_what_is_added_is_not_the_level_asked(library):
    """"储气能力要达到多少" asks the level (10亿立方米), not the row 新增储气能力 (3亿); asked with 新增, that row."""
    level = ask(library, "甘肃2025年储气能力要达到多少？")
    assert "10亿立方米" in level.answer and "3亿立方米" not in level.answer
    assert "3亿立方米" in ask(library, "甘肃2025年新增储气能力多少？").answer


def test_a_fact_of_a_document_the_place_lacks_is_said_missing_not_another_documents(library):
    """甘肃省 has a 实施方案, a 规划 and a 滚动 work plan, no 实施意见: its 文号 or date is not the others'."""
    answer = ask(library, "甘肃省实施意见的印发日期是哪天？")
    assert not answer.found and answer.answer.startswith("语料中没有甘肃省的实施意见"), answer.answer
    assert "语料中没有" not in ask(library, "甘肃省能源发展规划的印发日期是哪天？").answer
