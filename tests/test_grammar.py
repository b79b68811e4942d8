"""How policy Chinese is read, on strings written here: no model, no index (part of `make check`)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from rag.indicators import COUNT_FAMILY, counts_by, find_indicators, synonyms_of
from rag.question import facts_asked, without_titles
from rag.question.years import QUESTION_YEAR, question_year


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
