"""Near indicators (#26 honesty, fresh traps): a number is given only for the indicator asked, never
for a neighbour that shares its thing or its measure word. On a plan written here (no dev-set
string), built with the real model and index."""
from __future__ import annotations


import pytest

from rag.answer import ask
from writtenlibrary import written_library

PLAN = """宁德市碳达峰实施方案

一、主要目标
到2025年，非化石能源消费比重达到28%左右。
到2030年，风电、光伏发电装机容量达到900万千瓦以上。
二、重点任务
（一）能源
到2025年，液化天然气消费量达到120万立方米，燃煤机组供电煤耗降至300克标准煤/千瓦时左右。
到2025年，风电装机容量达到260万千瓦。
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return written_library(tmp_path_factory.mktemp("near"), {"ningde.txt": PLAN})[1]


def test_a_total_of_a_list_is_not_the_value_of_one_of_its_items(library):
    """"风电、光伏发电装机容量达到900万千瓦" is their total: no 2030 风电 target (2025 is given)."""
    answer = ask(library, "宁德2030年风电装机容量是多少？")
    assert not answer.found and "900" not in answer.answer.split("相近")[0], answer.answer
    assert "260万千瓦" in ask(library, "宁德2025年风电装机容量是多少？").answer


def test_a_share_is_not_an_amount_and_an_amount_is_not_a_rate_per_unit(library):
    """液化天然气消费比重 is not its 消费量 in 万立方米, nor 非化石能源消费比重 (they share only measure
    words); 燃煤发电量 is not 供电煤耗 in 克标准煤/千瓦时."""
    share = ask(library, "宁德2025年液化天然气消费比重是多少？")
    assert "120万立方米" not in share.answer and "28%" not in share.answer, share.answer
    assert "120万立方米" in ask(library, "宁德2025年液化天然气消费量是多少？").answer
    assert "300克标准煤" not in ask(library, "宁德2025年燃煤发电量是多少？").answer.split("相近")[0]


def test_a_typo_never_changes_the_measure():
    from rag.indicators import find_indicators_tolerant

    assert find_indicators_tolerant("风电装几容量2025年是多少") == ["风电装机容量"]
    assert find_indicators_tolerant("天然气消费比重是多少") == []


def test_a_stated_total_answers_its_parts_without_a_refusal_line_each(library):
    """"风电光伏装机" asks the total the plan states: its line, no "没有风电的目标" beside it."""
    answer = ask(library, "宁德2030年风电光伏装机目标是多少？")
    assert answer.found and "900万千瓦" in answer.answer and "没有" not in answer.answer, answer.answer


def test_one_indicator_asked_beside_another_is_never_stated_by_the_others_sentence(library):
    """"风电装机容量和光伏装机容量": 风电's 2025 sentence states no 光伏 value, whose line says so."""
    answer = ask(library, "宁德2025年风电装机容量和光伏装机容量分别是多少？")
    refusal = answer.answer.split("；", 1)[1]
    assert "260万千瓦" in answer.answer.split("；")[0] and refusal.startswith("宁德市方案中没有2025年光伏装机容量"), answer.answer
    assert "260万千瓦" not in refusal.split("相近的表述")[0]
