"""A question naming one of a place's documents (#26: "X规划里…怎么…"): the words naming it chose the
document, what is asked of it chooses the passage — never its preface restating the title, never a
contents line; the word ending the name ("方案", "决定") tells apart titles that share their other words;
"有什么任务" of a measured thing asks what is done, not its number. On plans written here (no dev-set
string), built with the real model and index."""
from __future__ import annotations

import pytest

from rag.answer import ask, understand
from writtenlibrary import written_library

CIRCULAR = """莆田市“十四五”绿色低碳循环发展规划

目录
一、发展基础.............................................. - 1 -
二、重点任务.............................................. - 2 -
（一）提升交通体系绿色发展水平............................ - 2 -
（二）有序建设抽水蓄能电站................................ - 3 -
（三）推进既有建筑节能改造................................ - 3 -

为加快建立健全绿色低碳循环发展经济体系，推动莆田市绿色低碳循环发展，制定本规划。
一、发展基础
“十三五”期间，全市绿色低碳循环发展取得积极成效。
二、重点任务
（一）提升交通体系绿色发展水平
推进港口岸电设施建设和船舶受电设施改造，新增和更新城市公交车全部使用新能源汽车。
（二）有序建设抽水蓄能电站
推进仙游抽水蓄能电站二期前期工作，适时开工建设。
（三）推进既有建筑节能改造
结合老旧小区改造同步实施既有居住建筑节能改造，推动公共建筑能效提升。
"""

DECISION = """中共莆田市委关于优化能源结构促进绿色低碳发展的决定

一、推动能源结构调整
加快发展氢能应用，建设一批加氢站。
"""

ACTION = """莆田市优化能源结构促进绿色低碳发展行动方案

一、重点任务
（一）积极发展绿色氢能
构建制储输用全产业链，打造东南沿海绿氢示范基地。
"""

PLAN = """莆田市碳达峰实施方案

一、主要目标
到2025年，非化石能源消费比重达到25%左右，新开工装配式建筑占比达到35%以上，其中城厢区达到50%以上。
"""

NEIGHBOUR = """漳州市碳达峰实施方案

一、主要目标
到2025年，新开工装配式建筑占比达到30%。
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return written_library(tmp_path_factory.mktemp("named"), {
        "putian-circular.txt": CIRCULAR, "putian-decision.txt": DECISION, "putian-action.txt": ACTION, "putian-plan.txt": PLAN, "zhangzhou-plan.txt": NEIGHBOUR})[1]


def test_the_words_naming_a_document_do_not_choose_its_passage(library):
    answer = ask(library, "莆田绿色低碳循环发展规划里交通体系绿色发展怎么推进？")
    assert answer.found and "港口岸电" in answer.answer, answer.answer


def test_a_contents_line_answers_nothing(library):
    answer = ask(library, "莆田循环发展规划里抽水蓄能电站怎么建设？")
    assert answer.found and "仙游抽水蓄能电站二期" in answer.answer and "...." not in answer.answer, answer.answer


def test_the_document_word_tells_apart_titles_sharing_their_words(library):
    question = understand(library, "莆田能源结构方案里氢能怎么发展？")
    assert question.plan_ids == ("putian-action",), question.plan_ids
    answer = ask(library, "莆田能源结构方案里氢能怎么发展？")
    assert "绿氢示范基地" in answer.answer and "行动方案" in answer.answer, answer.answer
    assert set(understand(library, "莆田能源结构的决定里氢能怎么发展？").plan_ids) == {"putian-decision"}


def test_what_is_done_about_a_measured_thing_is_an_open_question(library):
    question = understand(library, "莆田循环发展规划里既有建筑节能改造有什么任务？")
    answer = ask(library, "莆田循环发展规划里既有建筑节能改造有什么任务？")
    assert question.type == "open" and answer.found and "老旧小区改造" in answer.answer, (question.type, answer.answer)
    assert understand(library, "莆田2025年既有建筑节能改造面积目标是多少？").type == "target"


def test_a_compared_value_keeps_the_parts_written_after_it(library):
    answer = ask(library, "莆田和漳州2025年装配式建筑占比分别是多少？")
    assert "其中城厢区达到50%以上" in answer.answer and "30%" in answer.answer, answer.answer
