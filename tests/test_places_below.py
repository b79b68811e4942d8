"""Places below and above (#26 item 3), on a library written here (no dev-set string): a province's
documents write about prefectures that have none of their own, and a city whose own plan lacks what
its province's plan says about it. Built with the real model and index."""
from __future__ import annotations


import pytest

from rag.answer import ask
from writtenlibrary import written_library

PROVINCE_PLAN = """云南省“十四五”新能源发展规划

一、发展目标
到2025年，全省新能源装机达到5000万千瓦以上，其中曲靖、红河2州市达到800万千瓦以上。
到2025年，非化石能源消费比重达到46%左右。

二、重点任务
（一）建设风电基地
加快大理州风电基地建设，“十四五”期间新增投产风电装机约300万千瓦。
（二）推进示范区建设
支持丽江市建设高原绿色能源示范区，探索水风光一体化开发模式。
（三）完善交通设施
推动昆明长水机场建设绿色低碳枢纽机场，实现场内车辆全部电动化。
（四）加强协同
保山市、德宏州要加强跨境电力合作，组织开展跨境电网互联研究。
（五）推进前期工作
推动文山州抽水蓄能电站开展前期工作。到2025年，普洱市新建园区屋顶光伏覆盖率达到50%。
（六）发展光热
到2025年，全省光热发电装机达到20万千瓦。
（七）发展氢能
到2025年，全省灰氢年产能达到5万吨。制定氢能产业发展规划，布局加氢站网络。
"""

CITY_PLAN = """昆明市碳达峰实施方案

一、主要目标
到2025年，非化石能源消费比重达到50%以上。
二、重点任务
推进公共交通电动化，到2025年新能源公交车占比达到90%。
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return written_library(tmp_path_factory.mktemp("below"), {"yunnan-new-energy.txt": PROVINCE_PLAN, "kunming.txt": CITY_PLAN})[1]


def test_a_prefecture_without_documents_is_answered_from_its_provinces_labelled(library):
    answer = ask(library, "大理州风电基地十四五新增投产多少？")
    assert answer.found and "300万千瓦" in answer.answer
    assert answer.answer.startswith("语料中没有大理白族自治州自己的文件；以下是云南省的文件中关于大理白族自治州的内容")
    open_answer = ask(library, "丽江市要建设什么示范区？")
    assert open_answer.found and "高原绿色能源示范区" in open_answer.answer and "丽江" in open_answer.answer


def test_a_value_is_the_places_own_only_in_a_clause_naming_it(library):
    """The province's 5000万千瓦 is not 曲靖's; the 其中 clause naming 曲靖 is."""
    answer = ask(library, "曲靖25年新能源装机要达到多少？")
    assert answer.found and "800万千瓦" in answer.answer and "曲靖" in answer.answer


def test_what_the_province_says_of_nothing_asked_is_a_refusal(library):
    # named by the province's plan, but not for the asked indicator: never the province's value
    answer = ask(library, "保山2025年非化石能源消费比重是多少？")
    assert not answer.found and "46%" not in answer.answer
    assert "语料中没有保山市的方案" in answer.answer and "云南省的文件提到保山市" in answer.answer
    # named nowhere: the plain refusal
    assert not ask(library, "楚雄州2025年非化石能源消费比重是多少？").found
    # a fact about its own document is never the province's
    fact = ask(library, "大理州碳达峰实施方案的文号是什么？")
    assert not fact.found and "语料中没有大理白族自治州的方案" in fact.answer


def test_a_city_whose_own_plan_lacks_it_is_answered_from_its_provinces_labelled(library):
    answer = ask(library, "昆明长水机场要建设成什么？")
    assert answer.found and "绿色低碳枢纽机场" in answer.answer
    assert answer.answer.startswith("昆明市的文件中没有找到所问的内容；以下是云南省的文件中关于昆明市的内容")
    own = ask(library, "昆明2025年非化石能源消费比重是多少？")
    assert own.found and "50%" in own.answer and "46%" not in own.answer  # its own plan answers first


def test_a_place_asked_in_its_provinces_named_document_is_answered_from_it(library):
    # "大理在云南新能源规划里": the province's plan is named, so 大理 is asked about there, not refused
    answer = ask(library, "大理在云南新能源规划里要建什么基地？")
    assert answer.found and "大理州风电基地" in answer.answer and "语料中没有大理白族自治州的方案" not in answer.answer


def test_a_target_of_a_place_below_is_only_a_sentence_stating_its_indicator(library):
    """The province's documents name 文山州 (no indicator) and 普洱市 (a 覆盖率, no 装机): neither answers
    the place's 装机 target, which is refused saying where it was looked for."""
    for question in ("文山州2025年风电装机要到多少？", "普洱市2025年光伏装机目标是多少？"):
        answer = ask(library, question)
        assert not answer.found and "没有找到所问的内容" in answer.answer, (question, answer.answer)
    assert ask(library, "普洱市2025年屋顶光伏覆盖率目标是多少？").found


def test_an_amount_of_a_thing_no_indicator_names_is_counted_by_its_measure(library):
    """"光热发电量" is no indicator of the vocabulary: a sentence giving 光热发电装机 does not give it."""
    answer = ask(library, "云南2025年光热发电量是多少？")
    assert not answer.found and "20万千瓦" not in answer.answer
    assert "20万千瓦" in ask(library, "云南2025年光热发电装机是多少？").answer


def test_a_name_the_dictionary_lacks_must_be_in_the_sentence_that_answers(library):
    """"绿氢" is split by the tokenizer into 绿 and 氢: the 灰氢 sentence shares 氢 and 产能 but is not about it."""
    assert not ask(library, "云南2025年绿氢产能是多少？").found
    assert "5万吨" in ask(library, "云南2025年灰氢产能是多少？").answer


def test_a_years_target_is_never_a_sentence_without_a_figure(library):
    """"制定氢能产业发展规划" names 氢能 but sets nothing for 2030: refused, saying where and for when."""
    answer = ask(library, "云南2030年氢能产业目标")
    assert not answer.found and "2030年" in answer.answer and "云南省" in answer.answer, answer.answer


def test_where_a_place_belongs_is_the_divisions_tables(library):
    """"大理州属于哪个省" is answered from the divisions table, not from passages naming 大理; a place the
    corpus holds says so, one the table names twice gets both."""
    below = ask(library, "大理州属于哪个省？")
    assert below.found and below.answer.startswith("大理白族自治州属于云南省") and "据行政区划表" in below.answer, below.answer
    own = ask(library, "昆明市是哪个省的？")
    assert own.found and "昆明市属于云南省" in own.answer and "《昆明市碳达峰实施方案》" in own.answer, own.answer
    twice = ask(library, "朝阳区属于哪个市？")
    assert "北京市" in twice.answer and "吉林省长春市" in twice.answer, twice.answer
