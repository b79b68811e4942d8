"""The question stage (#16): one typed Question per question, one answerer per type, honesty rules
held in one place — on the real index of the shipped plans."""
from __future__ import annotations

import pytest

from rag.answer import ask
from rag.question import parse


@pytest.mark.parametrize("text, kind", [
    ("你好", "greeting"), ("你能做什么？", "greeting"),
    ("收录了哪些城市的方案？", "corpus"), ("哪个方案最早发布？", "corpus"),
    ("碳达峰是什么意思？", "definition"),
    ("津市方案的文号和印发日期是什么？", "fact"),
    ("津市有哪几大行动？", "list"), ("江阴七大行动的第一个是什么？", "list"),
    ("江门在哪里建设抽水蓄能电站？", "where"),
    ("江门和南昌2030年非化石能源消费比重哪个高？", "compare"),
    ("江门2030年可再生能源装机目标是多少？", "target"),
    ("南昌怎么推动钢铁行业碳达峰？", "open"),
])
def test_answer_types(index, text, kind):
    assert parse(text, index).type == kind


def test_places_in_any_form_are_read_and_said_back(index):
    for text in ("Jiangmen 2030年非化石能源消费比重", "jiang men 2030年非化石能源消费比重", "江門2030年非化石能源消費比重"):
        assert parse(text, index).places == ("江门市",), text
    typo = parse("南畅2025年非化石能源消费比重是多少", index)
    assert typo.places == ("南昌市",) and any("南畅" in r and "南昌市" in r for r in typo.readings)
    answer = ask(index, "南畅2025年非化石能源消费比重是多少")
    assert answer.found and "15%" in answer.answer and "按南昌市理解" in answer.answer


def test_years_periods_and_base_years(index):
    assert parse("江阴GDP能耗十四五末降多少", index).years == (2025,)
    assert parse("江门30年非化石能源占比", index).years == (2030,)
    assert parse("南昌到2025年单位GDP能耗比2020年下降多少", index).years == (2025,)  # 2020 is the base year


def test_a_place_without_a_plan_in_any_script_is_refused_in_the_answer(index):
    for text, place in (("What is Wuhan's non-fossil energy share target for 2025?", "武汉市"),
                        ("changsha 2025年非化石能源比重是多少", "长沙市"),
                        ("深圳2030年光伏装机目标是多少？", "深圳市")):
        answer = ask(index, text)
        assert not answer.found and f"语料中没有{place}的方案" in answer.answer and not answer.passages, text
        assert "%" not in answer.answer  # never another place's values


def test_a_near_number_is_not_given_as_the_answer(index):
    # 江门 sets renewable capacity (700万千瓦), no wind or solar figure
    for text in ("江门2030年光伏装机目标是多少？", "江门2030年风电装机目标是多少万千瓦？"):
        answer = ask(index, text)
        assert not answer.found, text
        stated, _, nearest = answer.answer.partition("相近的表述")
        assert "没有" in stated and "700万千瓦" not in stated, text


def test_an_amount_in_a_unit_no_row_measures_is_not_another_indicators_value(index):
    # a total in 亿吨 is not the intensity (rows in %); a count of 座 is not a count of 个 or a share
    for text in ("南昌2025年二氧化碳排放总量控制在多少亿吨？", "江门2030年碳排放要控制在多少万吨？", "江阴2025年要建成多少座加氢站？"):
        question = parse(text, index)
        assert question.counted and "单位GDP二氧化碳排放" not in question.indicators, text
        answer = ask(index, text)
        assert not answer.found and f"以“{question.counted}”计" in answer.answer, text
    answer = ask(index, "南昌2025年光伏装机要达到多少万千瓦？")  # the unit asked is the unit stated
    assert answer.found and "300万千瓦" in answer.answer


def test_each_asked_part_is_answered(index):
    facts = ask(index, "津市方案的文号和印发日期是什么？")
    assert facts.found and "津政发〔2024〕3号" in facts.answer and "2024年7月15日" in facts.answer
    both = ask(index, "南昌2025年风电和光伏装机分别是多少？")
    assert both.found and "19万千瓦" in both.answer and "300万千瓦" in both.answer


def test_qualitative_targets_are_quoted(index):
    answer = ask(index, "南昌2030年非化石能源占比要达到多少？")
    assert answer.found and "省下达" in answer.answer


def test_units_are_compared_in_one_unit_and_quoted_as_written(index):
    answer = ask(index, "江阴和津市2030年光伏装机谁多？差多少？")
    assert answer.found and "1400兆瓦" in answer.answer and "42万千瓦" in answer.answer
    assert "98万千瓦" in answer.answer


def test_follow_ups_are_resolved_on_the_question(index):
    first = parse("南昌2025年生物质装机容量目标是多少？", index)
    follow = ask(index, "那2030年呢？", previous=first)
    assert follow.found and "16万千瓦" in follow.answer and follow.understood.startswith("南昌")
    comparison = parse("南昌和江门2030年非化石能源消费比重分别是多少？", index)
    narrowed = parse("江阴呢？", index, previous=comparison)
    assert narrowed.places == ("江阴市",) and narrowed.type == "target" and "各城市" not in narrowed.text
    assert "江阴" in narrowed.text and "2030" in narrowed.text and "非化石能源消费比重" in narrowed.text


def test_a_bound_holds_in_a_follow_up_about_another_place_or_year(index):
    first = parse("哪些城市2025年非化石能源消费比重在20%以上", index)
    later = parse("那2030年呢？", index, previous=first)
    assert later.bound == first.bound and later.type == "compare"
    assert parse("江阴呢？", index, previous=first).text == "江阴2025年非化石能源消费比重目标是否在20%以上？"
    assert parse("那光伏呢？", index, previous=first).bound is None  # another indicator: the bound measured something else
    assert ask(index, "南昌呢？", previous=first).answer.startswith("否，不在20%以上。南昌市")


def test_a_bare_follow_up_without_context_asks_for_the_whole_question(index):
    answer = ask(index, "那2030年呢？")
    assert not answer.found and "追问" in answer.answer and not answer.passages


def test_corpus_definition_and_greeting_questions_are_answered(index):
    corpus = ask(index, "收录了哪些城市的方案？")
    assert corpus.found and all(name in corpus.answer for name in ("南昌", "江门", "江阴", "津市", "共青城"))
    earliest = ask(index, "哪个方案最早发布？")
    assert earliest.found and "最早" in earliest.answer
    definition = ask(index, "碳达峰是什么意思？")
    assert definition.found and "历史最高值" in definition.answer
    hello = ask(index, "你好")
    assert hello.found and "江门" in hello.answer and not hello.passages


def test_ordinals_and_counts_of_actions(index):
    answer = ask(index, "江阴七大行动的第一个是什么？")
    assert answer.found and "第1项" in answer.answer


def test_a_place_chosen_beside_the_question_is_read_as_if_it_named_it(index):
    # no place and no year: open; with the selector's place it is that place's target question
    assert parse("可再生能源发电装机容量目标是多少？", index).type != "target"
    answer = ask(index, "可再生能源发电装机容量目标是多少？", city="江门")
    assert answer.type == "target" and answer.found and "700万千瓦" in answer.answer
    assert {p.chunk.plan_id for p in answer.passages} == {"jiangmen"}
    # questions about no plan's content are not narrowed by it
    assert ask(index, "你好", city="江门").type == "greeting"
    assert ask(index, "收录了哪些城市的方案？", city="江门").type == "corpus"


def test_generic_words_ending_in_a_division_suffix_are_no_places(index):
    question = parse("哪些城市提到了氢能？", index)
    assert not question.missing and not question.below and question.places == ()
    assert parse("津市2030年光伏装机规模", index).places == ("津市市",)  # a one-character stem the division table has


def test_a_follow_up_naming_an_indicator_by_its_last_words_keeps_the_year(index):
    """"漏损率呢" after a 2025 target of 南昌: the plan's row whose wording ends so (公共供水管网漏损率),
    for the same place and year — not a new topic searched by passages."""
    previous = parse("南昌2025年城市燃气普及率是多少？", index)
    follow = parse("漏损率呢", index, previous)
    assert follow.indicators == ("公共供水管网漏损率",) and follow.years == (2025,) and follow.places == ("南昌市",)
    assert "9%以内" in ask(index, "漏损率呢", previous=previous).answer


def test_the_country_without_a_national_document_is_refused_not_answered_by_the_cities(index):
    """No national document in the shipped corpus: "国家2025年…" (a weak country word standing as the
    place) and "全国…" are "语料中没有全国的方案" — never the cities' values, nor their passages about 全国;
    "国家" as a word's first part ("国家级") names no place."""
    for text in ("国家2025年非化石能源消费比重目标？", "全国2030年非化石能源消费比重是多少？"):
        answer = ask(index, text)
        assert not answer.found and answer.answer.startswith("语料中没有全国的方案") and "江门" not in answer.answer
    assert parse("国家级绿色工厂有哪些要求？", index).missing == ()
