"""General answering mechanisms on plans the code was not written for: the shipped plans plus
the 18 pages of ../shared/newplans (read in place, indexed in a temporary folder)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answer import ask
from rag.index import build_index, load_index
from tests.test_corpus import newplans_corpus


@pytest.fixture(scope="module")
def wide(settings, tmp_path_factory):
    folder = tmp_path_factory.mktemp("wide")
    local = replace(settings, corpus_dir=newplans_corpus(folder / "corpus"), index_dir=folder / "index")
    build_index(local, progress=False)
    return load_index(local)


def test_signing_date_not_the_posting_time(wide):
    answer = ask(wide, "广东省碳达峰实施方案通知的落款日期是哪天?")
    assert answer.found and "2022年6月23日" in answer.answer and "2023-02-07" not in answer.answer


def test_document_number_cited_on_another_page(wide):
    answer = ask(wide, "湖南省碳达峰实施方案的文号是多少?")
    assert answer.found and "湘政发〔2022〕19号" in answer.answer and "湖南省" in answer.answer


def test_unknown_province_and_a_city_around_a_county_plan_are_refused(wide):
    for question, place in (("湖北省2025年非化石能源消费比重目标是多少？", "湖北省"),
                            ("鄂尔多斯市碳达峰实施方案2025年非化石能源消费比重目标是多少?", "鄂尔多斯市"),
                            ("广东汕尾市2025年非化石能源消费比重是多少", "汕尾市")):
        answer = ask(wide, question)
        assert not answer.found and answer.note == f"语料中没有{place}的碳达峰方案。" and not answer.passages


def test_a_district_under_its_city_resolves_to_its_own_plan(wide):
    answer = ask(wide, "广州市天河区碳达峰实施方案提出发展哪些储能技术？")
    assert answer.found and answer.answer.startswith("天河区")
    assert {p.chunk.plan_id for p in answer.passages} == {"tianhequ"}


def test_a_paraphrased_indicator_is_answered_from_the_passage_that_states_it(wide):
    # "风电光伏装机" is worded "风光发电装机量" in the plan: no target row, but rank 1 states the number
    answer = ask(wide, "广东省碳达峰方案里2030年风电光伏装机要达到多少万千瓦")
    assert answer.found and "7400万千瓦" in answer.answer and answer.answer.startswith("广东省")


def test_a_number_in_another_clause_is_not_an_answer(wide):
    # the page is cut before its energy-intensity figure; the 13% beside it is another indicator
    answer = ask(wide, "山东省到2025年单位地区生产总值能源消耗比2020年下降多少?")
    # not found; a nearby statement may be shown only labelled as not the indicator asked
    assert not answer.found and ("13%" not in answer.answer or "并非所问指标" in answer.answer)


def test_a_target_question_naming_no_place_answers_for_every_plan_with_its_place(wide):
    answer = ask(wide, "2025年非化石能源消费比重目标是多少？")
    assert answer.mode == "compare"
    for place, value in (("湖南省", "22%"), ("江门市", "32%"), ("耒阳市", "24%"), ("吕梁市", "12%")):
        assert f"{place}达到{value}" in answer.answer or f"{place}提" in answer.answer


def test_open_vocabulary_target_found_by_part_of_its_wording(wide):
    """A row whose indicator no vocabulary knows ("新能源和清洁能源装机占比") answers a question that
    repeats part of it, and a second indicator said elliptically is answered too."""
    answer = ask(wide, "吕梁2025年新能源装机占比目标是多少？")
    assert answer.found and "50%" in answer.answer and answer.answer.startswith("吕梁市")
    both = ask(wide, "广安市到2025年单位地区生产总值能源消耗下降多少？二氧化碳排放呢？")
    assert "14.5%" in both.answer and "19.5%" in both.answer
    # sharing only the head (消费比重) with a row is not enough when the question narrows it otherwise
    coal = ask(wide, "吕梁2025年煤炭消费比重目标是多少？")
    assert "12%" not in coal.answer and "非化石能源" not in coal.answer


def test_paraphrased_indicator_found_by_meaning(wide):
    """No synonym and no shared stretch: "清洁能源装机比例" reaches 新能源和清洁能源装机占比 by embedding."""
    answer = ask(wide, "吕梁2025年清洁能源装机比例是多少？")
    assert answer.found and answer.mode == "target" and "50%" in answer.answer


def test_where_question_naming_an_indicator_is_answered_from_the_passage(wide):
    answer = ask(wide, "万盛经开区要在哪个园区开展屋顶光伏试点？")
    assert answer.found and "平山产业园区" in answer.answer


def test_earliest_signed_among_named_plans(wide):
    answer = ask(wide, "岳阳县、临湘市、准格尔旗三个方案哪个印发最早？")
    assert answer.answer.startswith("最早印发的是岳阳县（2024年3月18日）")
