"""Target extraction, lookup and answers on the real corpus."""
from rag.answer import ask
from rag.targets import extract_targets, filter_targets


def rows(plans, plan_id, canonical, year=None):
    return [t for t in extract_targets(plans[plan_id]) if t.canonical == canonical and (year is None or t.year == year)]


def test_multi_target_sentence_gives_one_row_per_subject(plans):
    found = {(t.indicator, t.value) for t in rows(plans, "nanchang", "新能源汽车占比", 2025)}
    assert found == {("公交车新能源汽车占比", 72.0), ("出租汽车(含网约车)新能源汽车占比", 35.0)}


def test_jiangmen_target_after_normalization(plans):
    (row,) = rows(plans, "jiangmen", "可再生能源发电装机容量", 2030)
    assert (row.value, row.unit, row.qualifier) == (700.0, "万千瓦", "以上")
    assert plans["jiangmen"].text[row.char_start : row.char_end] == row.sentence


def test_baseline_and_direction(plans):
    (row,) = rows(plans, "jiangyin", "单位GDP能耗", 2025)
    assert (row.value, row.baseline_year, row.direction) == (15.0, 2020, "down")


def test_lead_paragraph_repeat_is_one_row_with_both_citations(plans):
    (row,) = rows(plans, "jinshi", "生活垃圾资源化利用率", 2030)
    assert row.value == 65 and len(row.also_cited) == 1
    assert row.section != "前言"


def test_year_governs_later_values_and_inherited_indicator(plans):
    values = {t.year: t.value for t in rows(plans, "nanchang", "生活垃圾资源化利用率")}
    assert values == {2025: 60.0, 2030: 70.0}


def test_qualitative_target_quotes_commitment(plans):
    (row,) = rows(plans, "nanchang", "非化石能源消费比重", 2030)
    assert row.qualitative and row.value is None and "省下达" in row.qualifier


def test_lookup_by_synonym(index):
    found = filter_targets(index.targets, city="江门市", indicator="非化石能源占比")
    assert {t.year: t.value for t in found} == {2025: 32.0, 2030: 35.0}


def test_answer_respects_year(index):
    a2030 = ask(index, "江门2030年非化石能源占比是多少？")
    a2025 = ask(index, "江门2025年非化石能源占比是多少？")
    assert a2030.found and "35%" in a2030.answer and "32%" not in a2030.answer
    assert a2025.found and "32%" in a2025.answer and "35%" not in a2025.answer
    assert a2030.answer.startswith("江门市：到2030年，非化石能源消费比重")
    assert a2030.targets[0].city == "江门市"


def test_qualitative_answer_says_no_number(index):
    result = ask(index, "南昌2030年非化石能源消费比重目标是多少？")
    assert result.found and "未给出具体数值" in result.answer and "省下达" in result.answer


def test_absent_target_is_not_found_and_quotes_no_other_value(index):
    result = ask(index, "江门2025年光伏装机容量目标是多少？")
    # 江门 sets no solar figure: said so; a nearby statement only labelled as not the indicator asked
    stated, _, nearest = result.answer.partition("相近的表述")
    assert result.found is False and "没有" in stated and "万千瓦" not in stated
    assert not nearest or nearest.startswith("（并非所问指标）")


def test_comparison_names_every_city(index):
    result = ask(index, "各城市2025年非化石能源消费比重目标对比")
    assert result.found
    for city, value in (("江门市", "32%"), ("津市市", "23%"), ("南昌市", "15%"), ("江阴市", "10%")):
        assert city in result.answer and value in result.answer
    assert "共青城市未给出具体数值" in result.answer


def test_highest_question(index):
    result = ask(index, "哪个城市2030年非化石能源消费比重目标最高？")
    assert result.answer.startswith("最高的是江门市")


def test_a_bound_keeps_the_places_within_it_and_names_the_others(index):
    # the guide's own example: 江门 32%, 津市 23% are above 20%; 南昌 15% is not; 江阴 "10%以上" may or may not
    # be (its plan sets a floor); 共青城 gives no number
    result = ask(index, "哪些地方把2025年非化石能源比重定在20%以上？")
    assert result.found and result.answer.startswith("2025年非化石能源消费比重在20%以上的：江门市")
    assert {t.city for t in result.targets} == {"江门市", "津市市"}
    assert "目标不在20%以上的：南昌市；目标只定了下限或上限、无法判断的：江阴市" in result.answer
    assert "15%" not in result.answer and "未给出具体数值的：共青城市" in result.answer
    # strict and inclusive bounds differ exactly at the value; Chinese numerals read as digits
    strict = ask(index, "哪些城市2025年非化石能源消费比重超过15%")
    inclusive = ask(index, "哪些城市2025年非化石能源消费比重不低于百分之十五")
    assert "南昌市" not in {t.city for t in strict.targets} and "南昌市" in {t.city for t in inclusive.targets}
    assert {t.city for t in ask(index, "哪些城市2025年非化石能源消费比重低于20%").targets} == {"南昌市"}
    # a negated comparative turns the bound over: 未超过 is 在…以下, 不得低于 is 在…以上
    assert {t.city for t in ask(index, "哪些城市2025年非化石能源消费比重未超过20%").targets} == {"南昌市"}
    assert {t.city for t in ask(index, "哪些城市2025年非化石能源消费比重不得低于20%").targets} == {"江门市", "津市市"}
    decrease = ask(index, "哪些城市2025年单位GDP能耗下降超过14%")  # 江阴 "下降15%以上" is surely above 14%
    assert decrease.answer.startswith("2025年单位GDP能耗下降超过14%的：江阴市") and "下降不超过14%的" in decrease.answer


def test_a_bound_compares_in_one_unit_and_none_within_shows_every_value(index):
    solar = ask(index, "哪些城市2030年光伏装机超过50万千瓦")  # 江阴 writes 1400兆瓦 = 140万千瓦
    assert [t.city for t in solar.targets] == ["江阴市"] and "折合140万千瓦" in solar.answer
    none = ask(index, "哪些城市2025年非化石能源消费比重在50%以上")
    assert "没有地方的目标确定在50%以上" in none.answer and all(v in none.answer for v in ("32%", "23%", "15%"))
    assert len(none.targets) >= 4  # the evidence: every place's value, cited


def test_a_bound_on_one_place_is_answered_yes_or_no(index):
    assert ask(index, "江门2025年非化石能源消费比重是否超过20%").answer.startswith("是，超过20%。江门市")
    assert ask(index, "南昌2025年非化石能源消费比重在20%以上吗").answer.startswith("否，不在20%以上。南昌市")
    assert ask(index, "江阴2030年光伏装机目标是不是超过100万千瓦？").answer.startswith("是，超过100万千瓦。江阴市")
    # what the plan does not decide is said, never 是: a floor (300万千瓦以上), another unit, no number
    assert ask(index, "南昌2025年光伏装机是否超过300万千瓦").answer.startswith("方案的目标只定了下限或上限，无法判断")
    assert ask(index, "江阴2030年光伏装机是否超过20%").answer.startswith("方案的目标没有可与“超过20%”比较的数值")
    assert ask(index, "南昌2025年单位GDP能耗下降是否超过14%").answer.startswith("方案的目标没有可与")
    # a number in a question that asks how much is no yes/no
    assert ask(index, "江阴2030年光伏装机目标是多少？超过10兆瓦的项目有哪些").answer.startswith("江阴市")


def test_a_bound_is_read_from_the_sentence_shape():
    from rag.question.bounds import Bound, bound_asked
    from rag.zh.relations import within

    assert bound_asked("定在20%以上") == Bound(">=", 20.0, "%")
    assert bound_asked("装机不超过1400兆瓦的城市") == Bound("<=", 1400.0, "兆瓦")
    assert bound_asked("百分之二十以下") == Bound("<=", 20.0, "%")
    assert bound_asked("非化石能源消费比重目标为20%") is None  # an amount alone is no bound
    assert bound_asked("高于10%、低于20%的城市") is None  # two bounds are not guessed into one
    assert bound_asked("未超过20%") == Bound("<=", 20.0, "%") and bound_asked("不得低于20%") == Bound(">=", 20.0, "%")
    assert bound_asked("超过1500000千瓦").said == "超过1500000千瓦"  # no exponent: a follow-up reads it back
    # a target's own side: "300以上" is surely 在300以上, not surely 超过300; "20以下" is surely not 超过20
    assert [within(300, ">=", wanted, 300) for wanted in (">=", ">", "<=", "<")] == [True, None, None, False]
    assert [within(20, "<=", wanted, 20) for wanted in (">=", ">", "<=", "<")] == [None, False, True, None]
    assert [within(20, "<", wanted, 20) for wanted in (">=", ">", "<=", "<")] == [False, False, True, True]
    assert within(15, "=", ">=", 20) is False and within(10, ">=", ">=", 20) is None


def test_one_mistyped_character_in_an_indicator_is_tolerated():
    from rag.indicators import find_indicators_tolerant

    assert find_indicators_tolerant("津市2030年风电装几容量目标") == ["风电装机容量"]
    assert find_indicators_tolerant("今天天气怎么样") == []


def test_narrowing_word_must_be_in_the_target_sentence(index):
    result = ask(index, "江阴市海上风电装机目标是多少？")
    assert result.found is False and "40兆瓦" not in result.answer


def test_answer_keeps_the_plans_own_verb(index):
    result = ask(index, "津市2025年非化石能源消费比重目标")
    assert "非化石能源消费比重提高至23%左右" in result.answer


# ---------------------------------------------------------------- open vocabulary, on plans the vocabulary never saw


def test_open_vocabulary_indicator_kept_as_written(tmp_path):
    from rag.corpus import load_plans
    from tests.test_corpus import newplans_corpus

    plans, _ = load_plans(newplans_corpus(tmp_path / "corpus"), progress=False)
    (lvliang,) = [p for p in plans if p.file == "lvliangshi.txt"]
    found = {(t.year, t.indicator, t.value) for t in extract_targets(lvliang)}
    # no indicator of these is in the vocabulary: they come from the shape "phrase 达到 value"
    assert {(2025, "新能源和清洁能源装机占比", 50.0), (2025, "发电量占比", 30.0)} <= found
    (yueyang,) = [p for p in plans if p.file == "yueyangshi.txt"]
    # "到2025年，……。……森林覆盖率稳定在45%以上" : the paragraph's lead year governs later sentences
    assert (2025, "森林覆盖率", 45.0) in {(t.year, t.canonical, t.value) for t in extract_targets(yueyang)}


def test_action_clauses_are_not_targets(plans):
    """"首批打造10个……" and "城镇新建建筑100%执行绿色建筑标准" say what is done, not a measure's level."""
    for t in extract_targets(plans["jiangyin"]) + extract_targets(plans["jinshi"]):
        assert not t.indicator.startswith(("打造", "首批打造")) and t.indicator != "城镇新建建筑"


def test_values_in_chinese_numerals(plans):
    from dataclasses import replace

    plan = plans["jiangmen"]
    written = plan.text.replace("700万千瓦", "七百万千瓦").replace("35%", "百分之三十五")
    found = {(t.year, t.canonical, t.value, t.unit) for t in extract_targets(replace(plan, text=written))}
    assert (2030, "可再生能源发电装机容量", 700.0, "万千瓦") in found
    assert (2030, "非化石能源消费比重", 35.0, "%") in found


def test_eval_targets_reports_per_file_on_another_corpus(tmp_path):
    import json
    import subprocess
    import sys

    from rag.config import PROJECT_ROOT
    from tests.test_corpus import newplans_corpus

    corpus = newplans_corpus(tmp_path / "corpus")
    out = subprocess.run([sys.executable, "-m", "rag.cli", "eval-targets", "--corpus", str(corpus), "--json",
                          "--gold", str(PROJECT_ROOT / "evals" / "targets_gold_newplans.jsonl")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["precision"] >= 0.95 and report["recall"] >= 0.90
    assert len(report["per_file"]) == 18 and report["per_file"]["guangzhoushi"]["gold"] == 0


def test_plan_structure_from_its_headings(index):
    answer = ask(index, "江门碳达峰方案有哪些行动？")
    assert answer.found and "12项行动" in answer.answer and "(十二)梯次有序达峰行动" in answer.answer
    tasks = ask(index, "南昌有哪些重点任务")
    assert "12项任务" in tasks.answer and tasks.highlight[0][0] == "nanchang"


def test_kind_and_comment_deadline_of_a_draft(index):
    kind = ask(index, "江阴的方案是征求意见稿吗")
    assert kind.found and "文件类型为征求意见稿" in kind.answer
    deadline = ask(index, "江阴方案征求意见截止到什么时候")
    assert deadline.found and "2023年2月9日" in deadline.answer
    plan = index.plans["jiangyin"]
    plan_id, start, end = deadline.highlight[0]
    assert plan.text[start:end] == "2023年2月9日"


def test_a_five_year_plans_goals_and_tasks_state_its_periods_targets():
    """A value without a year under a goals heading of a plan whose title names its five-year period
    is that period's target (written here: a “十五五” plan -> 2030), and so is one in the tasks and
    assessments after the goals (what the period does: "新建充电桩达到5万个"); the background before
    the goals, a review section, or a plan naming no period gives no row."""
    from rag.corpus import Plan

    def rows(title: str, text: str) -> set:
        plan = Plan("p", "福州市", "city", "福建省", title, "", "", "", "规划", "p.txt", text)
        return {(t.year, t.value, t.unit) for t in extract_targets(plan)}

    body = ("一、发展基础\n全市光伏装机达到120万千瓦。\n二、资源潜力\n全市风能资源技术可开发量达800万千瓦以上。\n"
            "三、主要目标\n全市光伏装机达到260万千瓦，煤电机组供电煤耗降至295克标准煤/千瓦时。\n"
            "四、重点任务\n力争新型储能装机规模达到30万千瓦。\n五、“十四五”成效回顾\n累计建成绿色建筑面积4.4亿平方米。\n"
            "六、环境影响分析\n非化石能源消费比重达到31%，能源消费总量得到合理控制。\n")
    found = rows("福州市“十五五”能源发展规划", body)
    assert {(2030, 260.0, "万千瓦"), (2030, 295.0, "克标准煤/千瓦时"), (2030, 30.0, "万千瓦"), (2030, 31.0, "%")} <= found
    assert not {v for _, v, _ in found} & {120.0, 800.0, 4.4}  # background and review state no goal of the period
    assert rows("福州市能源发展规划", body) == set()


def test_a_refusal_names_what_was_asked_with_its_narrowing_word(index):
    """"海上风电装机" is not stated by 南昌's plan: the refusal says 海上风电装机容量, not 风电装机容量 (which
    would deny a value the plan may well give)."""
    answer = ask(index, "南昌2025年海上风电装机目标是多少？")
    assert not answer.found and "海上风电装机容量" in answer.answer


def test_a_value_is_named_by_the_vocabulary_only_in_units_its_measure_can_have():
    """"装配式建筑面积1亿平方米" is no 装配式建筑占比 (a share is in %), a growth of 127% no 装机容量; 兆瓦 is
    a capacity's unit like 万千瓦 (written here)."""
    from rag.corpus import Plan

    text = ("一、主要目标\n到2025年，累计开工建设装配式建筑面积1亿平方米以上，新开工装配式建筑占城镇新建民用建筑比例达到40%以上。"
            "到2025年，风电装机容量达到40兆瓦，可再生能源装机增长127%。\n")
    plan = Plan("p", "福州市", "city", "福建省", "福州市碳达峰实施方案", "", "", "", "实施方案", "p.txt", text)
    named = {(t.value, t.unit): t.canonical for t in extract_targets(plan)}
    assert named[(40.0, "%")] == "装配式建筑占比" and named[(1.0, "亿平方米")] != "装配式建筑占比", named
    assert named[(40.0, "兆瓦")] == "风电装机容量" and named[(127.0, "%")] != "可再生能源发电装机容量", named
