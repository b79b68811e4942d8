"""A question asking how much or how big ("规模多大", "…保有量目标", "2035年…占比") is answered by a
figure of the thing asked, for the year asked — else said missing, never with a neighbour's number or a
passage that only shares a measure word (#26 honesty at any size, fresh traps). On a plan written here
(no dev-set string), built with the real model and index."""
from __future__ import annotations

import pytest

from rag.answer import ask
from writtenlibrary import written_library

PLAN = """漳州市“十四五”能源发展规划

一、主要目标
到2025年，绿色建筑占城镇新建建筑比例达到100%，自然岸线保有率不低于40%。
（三）建设充换电设施
新建公共充电站200座，既有加油站改建充电站，建设换电站。
二、重点任务
（一）大力发展清洁能源
加快集中式光伏电站建设，推进水电站增效扩容改造。科学有序推进海上风电开发。到2030年，可再生能源发电装机容量达到700万千瓦以上。
（二）有序建设抽水蓄能电站
加快云霄、华安等抽水蓄能电站预可研工作。
专栏1 抽水蓄能重点项目
推进云霄（180万千瓦）、华安（120万千瓦）等抽水蓄能项目建设。
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return written_library(tmp_path_factory.mktemp("figures"), {"zhangzhou.txt": PLAN})[1]


def test_how_big_is_answered_by_a_figure_of_the_thing_asked(library):
    answer = ask(library, "云霄抽水蓄能电站规模多大？")
    assert answer.found and "180万千瓦" in answer.answer, answer.answer


def test_a_neighbours_figure_is_not_the_scale_asked(library):
    """The 700万千瓦 sentence names its own indicator: it is no 海上风电 figure, though the sentence
    before it names 海上风电."""
    answer = ask(library, "漳州海上风电项目规模多大？")
    assert not answer.found and "700" not in answer.answer and "具体数值" in answer.answer, answer.answer


def test_a_share_of_another_year_is_said_to_be_of_that_year(library):
    answer = ask(library, "漳州2035年绿色建筑占比？")
    assert not answer.found and "没有2035年" in answer.answer, answer.answer


def test_the_nearest_statement_is_about_the_thing_asked(library):
    """新能源汽车保有量 is stated nowhere: the refusal quotes nothing that only shares 保有 (自然岸线保有率)."""
    answer = ask(library, "漳州2025年新能源汽车保有量目标？")
    assert not answer.found and "自然岸线" not in answer.answer, answer.answer
