"""Unit tests of the web modules (rag/web/) and chat follow-ups through the question stage: escaping, highlighting, follow-up questions, tables and files (real index and model)."""
from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.answer import ask, understand
from rag.answer.honesty import screened
from rag.chunk import Chunk
from rag.errors import UserError
from rag.indicators import INDICATORS
from rag.question import parse, place_names, selected_place
from rag.retrieve import Passage
from rag.targets import filter_targets
from rag.serving import ServedIndex, shared_index
from rag.usertext import clean_input
from rag.web.api import ask_dict, targets_dict
from rag.web.chat import EMPTY_HINT, UNRELATED_LABEL, chat_turn, citation_picker
from rag.web.choices import ALL, parse_year
from rag.sections import is_heading
from rag.web.render import (
    Reply, format_answer, highlight_html, passage_html, plan_reader_html, section_html,
    user_html,
)
from rag.web.targets import (
    ExportFolder, chart_frame, export_header, export_rows, targets_table_html, write_targets_csv, write_targets_xlsx,
)

JIANGMEN_Q = "江门2030年可再生能源装机目标是多少？"
CITIES = ["南昌市", "江门市", "江阴市", "津市市", "共青城市"]


# `index` is the session fixture of tests/conftest.py: the shipped corpus, freshly built.


@pytest.fixture(scope="module")
def served(index):
    """The index as the app serves it (the chat and the API read it through this)."""
    return ServedIndex(index.settings, index)


def _passage(text: str, start: int = 100, **fields) -> Passage:
    chunk = Chunk(
        chunk_id=0, plan_id=fields.get("plan_id", "p"), city=fields.get("city", "江门市"),
        title=fields.get("title", "江门市碳达峰实施方案"), section=fields.get("section", "一、总体要求"),
        text=text, char_start=start, char_end=start + len(text),
    )
    return Passage(1, chunk, 1.0, 0.0, 0.0)


# ---------------------------------------------------------------- escaping and highlighting


def test_highlight_wraps_exactly_the_span():
    assert highlight_html("abcdef", 100, [(102, 104)]) == "ab<mark>cd</mark>ef"


def test_highlight_clips_spans_to_the_passage_and_merges_overlaps():
    assert highlight_html("abcdef", 100, [(90, 101)]) == "<mark>a</mark>bcdef"
    assert highlight_html("abcdef", 100, [(104, 200)]) == "abcd<mark>ef</mark>"
    assert highlight_html("abcdef", 100, [(101, 103), (102, 104)]) == "a<mark>bcd</mark>ef"
    assert highlight_html("abcdef", 100, [(0, 50), (300, 400)]) == "abcdef"


def test_highlight_escapes_text_inside_and_outside_the_mark():
    text = "前<script>alert(1)</script>后"
    out = highlight_html(text, 0, [(1, 9)])  # the mark covers "<script>"
    assert "<script>" not in out
    assert out == "前<mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt;后"


def test_passage_html_escapes_every_corpus_field():
    text = '到2030年<script>alert("x")</script>达到&700万千瓦。'
    passage = _passage(text, title="<b>标题</b>", section="一、<img src=x onerror=alert(1)>", city="江门市")
    out = passage_html(passage, [("p", 100, 100 + len(text))])
    assert "<script>" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out
    assert "&amp;700" in out
    assert "&lt;b&gt;标题&lt;/b&gt;" in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert out.count("<mark>") == 1
    # the highlight of another plan does not leak into this passage
    assert "<mark>" not in passage_html(passage, [("other", 100, 120)])


def test_a_passage_with_page_numbers_shows_them():
    row = {**_passage("到2030年，光伏装机达到42万千瓦。").to_dict(), "page_start": 12, "page_end": 13}
    assert "第 12–13 页" in passage_html(row) and "第 12 页" in passage_html({**row, "page_end": 12})
    assert "页" not in passage_html(_passage("到2030年，光伏装机达到42万千瓦。"))  # plans without pages say nothing


def test_real_answer_marks_the_answering_sentence(index):
    answer = ask(index, JIANGMEN_Q)
    assert answer.found
    out = format_answer(answer)
    assert out.index("700万千瓦") < out.index("依据")  # the direct answer comes before the citations
    assert "《江门市碳达峰实施方案》" in out and "江门市" in out
    plan_id, start, end = answer.highlight[0]
    sentence = index.plans[plan_id].text[start:end]
    assert "700万千瓦" in sentence
    marked = re.findall(r"<mark>(.*?)</mark>", out)
    assert sentence in marked  # exactly the highlighted span, no more, no less
    assert " &gt; " in out  # the section path "二、重点任务 > ..." is escaped too
    assert "\n" not in out  # one line of HTML: the chat's markdown leaves it alone


def test_not_found_reply_says_so_with_the_note(index):
    answer = ask(index, "深圳2025年光伏装机目标是多少？")
    out = format_answer(answer)
    assert not answer.found
    assert "未找到" in out and "深圳" in out


def test_understood_as_is_shown_and_escaped(index):
    out = format_answer(ask(index, JIANGMEN_Q), understood_as="江门<呢>")
    assert "按上下文理解为：江门&lt;呢&gt;" in out


def test_section_view_shows_the_whole_escaped_section_with_the_mark(index):
    answer = ask(index, JIANGMEN_Q)
    plan_id, start, end = answer.highlight[0]
    plan = index.plans[plan_id]
    out = section_html(plan, start, answer.to_dict()["highlight"])
    assert "<mark>" + plan.text[start:end] + "</mark>" in out
    assert "大力发展清洁低碳能源" in out
    reader = plan_reader_html(plan)
    assert plan.title in reader and "<script" not in reader


# ---------------------------------------------------------------- follow-up questions


def _turn(served, message, context=None, city="全部"):
    return chat_turn(served, message, [], city, context)


def test_year_follow_up_keeps_city_and_indicator(served):
    turn = _turn(served, "那2030年呢？", "南昌2025年非化石能源消费比重目标是多少？")
    assert turn.context.startswith("南昌") and "2030" in turn.context and "非化石能源消费比重" in turn.context
    assert "按上下文理解为" in turn.history[-1]["content"]


def test_city_follow_up_swaps_the_city(served):
    for typed in ("江门呢？", "江門呢"):
        turn = _turn(served, typed, "南昌2025年非化石能源消费比重目标是多少？")
        assert "江门" in turn.context and "南昌" not in turn.context and "2025" in turn.context
        assert "32%" in turn.history[-1]["content"]


def test_indicator_follow_up_swaps_the_indicator(served):
    turn = _turn(served, "光伏装机容量呢？", "江门2030年可再生能源装机目标是多少？")
    assert "江门" in turn.context and "2030" in turn.context and "光伏" in turn.context and "可再生" not in turn.context


def test_full_questions_and_first_questions_are_left_alone(served):
    previous = "江门2030年可再生能源装机目标是多少？"
    for full in ("江门如何发展海上风电？", "南昌光伏装机目标是多少？"):
        assert _turn(served, full, previous).context == full
    bare = _turn(served, "那2030年呢？")
    assert bare.context is None and "还没有可以接着问的问题" in bare.history[-1]["content"]


def test_contextualized_follow_up_gets_the_right_answer(served):
    first = _turn(served, "江门2030年非化石能源消费比重目标是多少？")
    assert "35%" in first.history[-1]["content"]
    follow = _turn(served, "那2025年呢？", first.context)
    assert "32%" in follow.history[-1]["content"] and "江门" in follow.context


def test_city_selector_yields_to_a_city_named_in_the_question(index, served):
    """The selector's rule is the question stage's (rag.question.with_selector): the same for the chat,
    /ask and `rag ask --city`."""
    assert understand(index, "江门呢", "全部").selector_note == ""
    assert understand(index, "2025年非化石能源消费比重目标是多少？", "南昌市").selector == "南昌市"
    assert understand(index, "南昌2025年光伏装机？", "南昌市").selector == "南昌市"
    named = understand(index, "江门2030年可再生能源装机目标是多少？", "南昌市")
    assert named.places == ("江门市",) and not named.selector and "江门市" in named.selector_note and "南昌市" in named.selector_note
    # two places named, one of them the selector's: both compared, the selector not applied
    both = understand(index, "江门和南昌2025年非化石能源消费比重对比", "南昌市")
    assert set(both.places) == {"江门市", "南昌市"} and both.selector_note
    # a place without a plan named while another is selected: refused for that place, never the selector's values
    elsewhere = ask_dict(served, "武汉2025年非化石能源消费比重目标是多少？", "南昌市")
    assert "语料中没有武汉" in elsewhere["answer"] and "15%" not in elsewhere["answer"] and "武汉" in elsewhere["notice"]
    assert "武汉" in _turn(served, "武汉2025年非化石能源消费比重目标是多少？", city="南昌市").history[-1]["content"]
    across = understand(index, "哪些城市的2025年非化石能源消费比重在20%以上？", "南昌市")
    assert not across.selector and "多个城市" in across.selector_note
    # a city inherited from the previous question gives way to the selector
    turn = _turn(served, "那2025年呢？", "江门2030年非化石能源消费比重目标是多少？", city="南昌市")
    assert "南昌" in turn.history[-1]["content"] and "15%" in turn.history[-1]["content"]
    notice = _turn(served, "江门呢？", "南昌2025年非化石能源消费比重目标是多少？", city="南昌市").history[-1]["content"]
    assert "未按" in notice and "江门" in notice


# ---------------------------------------------------------------- API helpers, tables and files


def test_ask_dict_is_the_cli_json_or_an_error(index, served):
    result = ask_dict(served, JIANGMEN_Q, "")
    assert result == ask(index, JIANGMEN_Q).to_dict()
    assert "700万千瓦" in result["answer"]
    assert "700万千瓦" in ask_dict(served, "2030年可再生能源装机目标是多少？", "江门")["answer"]
    assert "问题为空" in ask_dict(served, "  ", "全部")["error"]
    assert "未知城市" in ask_dict(served, JIANGMEN_Q, "深圳")["error"]


def test_targets_dict_filters_and_reports_bad_input(index, served):
    rows = targets_dict(served, "南昌", 2025, "")["targets"]
    assert rows and {r["city"] for r in rows} == {"南昌市"} and {r["year"] for r in rows} == {2025}
    assert targets_dict(served, "南昌市", "2025年", "")["targets"] == rows
    assert len(targets_dict(served, "", "", "")["targets"]) == len(index.targets)
    fossil = targets_dict(served, "全部", None, "非化石能源")["targets"]
    assert {r["city"] for r in fossil if r["canonical"] == "非化石能源消费比重"} == {p.label for p in index.plans.values()}
    assert all(r["canonical"] == "非化石能源消费比重" or "非化石能源" in r["sentence"] for r in fossil)
    assert "未知城市" in targets_dict(served, "深圳", "", "")["error"]
    assert "年份无效" in targets_dict(served, "", "明年", "")["error"]


def test_parse_year():
    assert parse_year("") is None and parse_year("全部") is None and parse_year(None) is None
    assert parse_year(2025) == parse_year(2025.0) == parse_year("2025") == parse_year(" 2025年") == 2025
    for bad in ("20", "abc", 2025.5):
        with pytest.raises(UserError):
            parse_year(bad)


def test_csv_has_bom_header_and_rows(index, tmp_path):
    rows = export_rows(index, index.targets)
    path = write_targets_csv(tmp_path / "t.csv", rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == export_header() and table[0][:3] == ["地区", "年份", "指标"]
    assert len(table) == len(rows) + 1


def test_xlsx_has_header_and_rows(index, tmp_path):
    from openpyxl import load_workbook

    rows = export_rows(index, index.targets)
    sheet = load_workbook(write_targets_xlsx(tmp_path / "t.xlsx", rows)).active
    values = list(sheet.values)
    assert list(values[0]) == export_header()  # the same Chinese headers as the CSV
    assert len(values) == len(rows) + 1
    assert {v[0] for v in values[1:]} == {t.city for t in index.targets}


# ---------------------------------------------------------------- the chat turn: follow-ups, selector, safe input


def _text(reply_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", reply_html))


def _answer_line(turn) -> str:
    match = re.search(r'<div class="rag-answer[^"]*">(.*?)</div>', turn.history[-1]["content"])
    return _text(match.group(1))


def test_follow_up_chain_carries_place_year_and_indicator(index, served):
    chain = [
        ("江门2030年可再生能源装机目标是多少？", None, "700万千瓦"),
        ("南昌呢？", "南昌2030年可再生能源发电装机容量目标是多少？", "未找到"),
        ("那2025年呢？", "南昌2025年可再生能源发电装机容量目标是多少？", "未找到"),
        ("光伏呢？", "南昌2025年光伏装机容量目标是多少？", "300万千瓦"),
        ("津市呢？", "津市2025年光伏装机容量目标是多少？", "21万千瓦"),
        ("风电呢？", "津市2025年风电装机容量目标是多少？", "9万千瓦"),
        ("那2030年呢？", "津市2030年风电装机容量目标是多少？", "18万千瓦"),
    ]
    history, context = [], None
    for message, understood, expected in chain:
        turn = chat_turn(served, message, history, ALL, context)
        history, context = turn.history, turn.context
        reply = turn.history[-1]["content"]
        if understood:
            assert f"按上下文理解为：{understood}" in _text(reply), (message, _text(reply)[:200])
        else:
            assert "按上下文理解为" not in reply
        assert expected in _answer_line(turn), (message, _answer_line(turn))
        assert "项目。" not in _answer_line(turn)  # never a section heading as the answer
    assert len(history) == 2 * len(chain)


def test_follow_up_with_nothing_to_follow_says_so(index, served):
    for message in ("那2030年呢？", "光伏呢？", "津市呢？", "那呢？"):
        assert parse(message, index).needs_context
        turn = chat_turn(served, message, [], ALL, None)
        assert turn.context is None and not (turn.answer or {}).get("passages")
        assert "还没有可以接着问的问题" in _text(turn.history[-1]["content"])
        assert turn.picker.choices == []
    # a short question without 呢/那 is a question of its own, even in a fresh chat
    assert not parse("光伏装机目标是多少？", index).needs_context
    assert not parse(JIANGMEN_Q, index).needs_context


def test_empty_input_gets_a_hint_and_changes_nothing(index, served):
    for message in ("", "   ", "\u202e", None):
        turn = chat_turn(served, message, [{"role": "user", "content": "x"}], ALL, "江门2030年光伏装机容量目标是多少？")
        assert turn.hint == EMPTY_HINT and not turn.cleared_input
        assert turn.history == [{"role": "user", "content": "x"}]
        assert turn.context == "江门2030年光伏装机容量目标是多少？"


def test_user_text_is_shown_as_typed_never_as_markdown_or_html():
    out = user_html("![x](https://example.invalid/x.png) <img src=x onerror=alert(1)>\n第二行")
    assert "<img" not in out and "&lt;img" in out
    assert "![x](https://example.invalid/x.png)" in out  # kept as text inside one HTML block
    assert out.startswith('<div class="rag-user">') and "\n" not in out  # one line: markdown leaves it alone
    reversed_question = "\u202e？少多是标目\u202c江门"
    assert "\u202e" not in user_html(reversed_question) and "\u202c" not in user_html(reversed_question)
    assert clean_input(" \u2066江门\u2069呢\u200f ") == "江门呢"


def test_bidi_controls_do_not_reach_the_question(index, served):
    turn = chat_turn(served, "\u202e江门2030年可再生能源装机目标是多少？\u202c", [], ALL, None)
    assert "700万千瓦" in _answer_line(turn)
    assert "\u202e" not in turn.history[0]["content"] and turn.context == JIANGMEN_Q


def test_city_selector_does_not_narrow_a_question_about_several_cities(index, served):
    turn = chat_turn(served, "哪些城市提到了氢能？", [], "南昌市", None)
    answer = _answer_line(turn)
    assert "江门市" in answer and "江阴市" in answer
    assert "未按“限定城市：南昌市”筛选" in _text(turn.history[-1]["content"])
    # a question about one city still follows the selector
    turn = chat_turn(served, "2025年光伏装机目标是多少？", [], "南昌市", None)
    assert "300万千瓦" in _answer_line(turn)


def test_section_heading_is_never_an_answer(index, served):
    heading = "2.津市新能源开发利用风电光伏项目。"
    jinshi = next(p for p in index.plans.values() if p.plan_id == "jinshi")
    assert heading in jinshi.text  # a real heading of the shipped corpus
    assert is_heading(heading) and is_heading("(三)主要目标") and is_heading("二、重点任务")
    assert not is_heading("1.大力发展新能源。坚持集中式与分布式并举，到2025年光伏装机达到300万千瓦。")
    assert not is_heading("到2030年，风电装机达到18万千瓦。")
    quoted = ask(index, "津市如何发展风电光伏？")
    as_heading = dataclasses.replace(quoted, answer=heading, found=True, mode="passage")
    shown = screened(as_heading)
    assert not shown.found and heading in shown.note
    out = format_answer(shown)
    assert "未找到" in out and "答：</strong>" not in out
    # whatever the core answers for the question from the issue, the UI never shows a heading as the answer
    turn = chat_turn(served, "津市光伏呢？", [], ALL, None)
    assert not is_heading(_answer_line(turn).replace("答：", "").strip())


# ---------------------------------------------------------------- the reply: copy text, comparison table, picker


def test_copy_text_is_the_answer_then_numbered_citations(index):
    answer = ask(index, JIANGMEN_Q)
    text = Reply.of(answer).copy_text()
    lines = text.splitlines()
    assert lines[0] == f"答：{answer.answer}"
    assert lines[1] == "引用："
    assert lines[2].startswith("[1] 《江门市碳达峰实施方案》 二、重点任务 > (一)能源绿色低碳转型行动")
    assert "700万千瓦" in lines[3] and lines[3].strip().startswith("“")
    assert "<" not in text.replace("< ", "") and "&gt;" not in text and "&lt;" not in text
    # the reply carries exactly this text for its copy button
    out = format_answer(answer)
    hidden = re.search(r'<pre class="rag-copy-text">(.*?)</pre>', out).group(1)
    assert html.unescape(hidden) == text


def test_comparison_is_a_table_in_the_order_of_its_citations(index):
    answer = ask(index, "各城市2025年非化石能源消费比重对比")
    assert answer.mode == "compare"
    out = format_answer(answer)
    table = re.search(r'<table class="rag-compare">(.*?)</table>', out).group(1)
    rows = [[_text(c).strip() for c in re.findall(r'<span class="rag-value">(.*?)</span>', r)]
            for r in re.findall(r"<tr><td.*?</tr>", table)]
    assert all(re.findall(r'<span class="rag-label">(.*?)：</span>', r) == ["地区", "年份", "目标值", "表述", "出处"]
               for r in re.findall(r"<tr><td.*?</tr>", table))  # each cell says its column, for a phone
    assert [r[0] for r in rows[:4]] == ["江门市", "津市市", "南昌市", "江阴市"]  # the answer's order: highest first
    assert [r[2] for r in rows[:4]] == ["32%", "23%", "15%", "10%"]
    assert all(r[1] == "2025" for r in rows)
    sources = [re.match(r"\[(\d+)\]", r[4]).group(1) for r in rows]
    assert sources == [str(n) for n in range(1, len(rows) + 1)]
    cited_titles = re.findall(r'<div class="rag-cite-head">\[(\d+)\] 《([^》]+)》', out)
    cities = [title[:3] for _, title in cited_titles[: len(rows)]]
    assert cities == [r[0][:3] for r in rows]  # citation [n] is the plan of table row n
    assert out.index("rag-compare") < out.index("依据")
    headline = _text(re.search(r'<div class="rag-answer">(.*?)</div>', out).group(1))
    assert "4 个城市给出了具体数值" in headline and "共青城市未给出具体数值" in headline


def test_picker_opens_on_the_cited_passage(index):
    answer = ask(index, "各城市2025年非化石能源消费比重对比")
    first_retrieved = answer.passages[0]
    picker = citation_picker(answer)
    jiangmen = next(p for p in answer.passages if p.chunk.city == "江门市")
    assert picker.value == f"{jiangmen.chunk.plan_id}:{jiangmen.chunk.char_start}"
    assert first_retrieved.chunk.city != "江门市"  # the passage ranked [1] by retrieval is not the one the answer cites first
    assert picker.choices[0][0].startswith("[1] 《江门市碳达峰实施方案》")


def test_not_found_offers_passages_only_as_not_answering(index):
    answer = ask(index, "南昌2030年可再生能源装机目标是多少？")
    assert not answer.found and answer.passages
    picker = citation_picker(answer)
    assert picker.value is None and picker.label == UNRELATED_LABEL
    assert picker.choices and all(label.startswith("（不回答问题）") for label, _ in picker.choices)
    out = format_answer(answer)
    assert "它们不能回答这个问题" in out and "依据" not in out and "<mark>" not in out
    assert "引用" not in Reply.of(answer).copy_text()


# ---------------------------------------------------------------- housekeeping and concurrency


def test_echoed_input_is_truncated(index, served):
    huge = "深" * 100_000
    for message in (ask_dict(served, JIANGMEN_Q, huge)["error"], targets_dict(served, huge, "", "")["error"],
                    targets_dict(served, "", huge, "")["error"]):
        assert len(message) < 300 and huge[:200] not in message  # never echoed back in full
    with pytest.raises(UserError) as problem:
        selected_place(index, huge)
    assert len(str(problem.value)) < 300
    turn = chat_turn(served, JIANGMEN_Q, [], huge, None)
    assert "RAG_MAX_FIELD_CHARS" in turn.history[-1]["content"] and len(turn.history[-1]["content"]) < 500


def test_concurrent_asks_on_the_shared_index_give_the_sequential_answers(index):
    shared = shared_index(index)
    questions = ["江门2030年可再生能源装机目标是多少？", "南昌2025年非化石能源消费比重目标是多少？", "各城市2025年非化石能源消费比重对比",
                 "哪些城市提到了氢能？", "津市2030年光伏装机目标是多少？", "江门如何发展海上风电？"] * 4
    expected = {q: ask(index, q).to_dict() for q in set(questions)}
    groups = [questions[i::8] for i in range(8)]
    start = threading.Barrier(8)

    def user(group):
        start.wait(timeout=60)  # all eight threads ask at the same moment
        return [(question, ask(shared, question).to_dict()) for question in group]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [pair for answers in pool.map(user, groups) for pair in answers]
    assert len(results) == len(questions)
    for question, result in results:
        assert result == expected[question], question


# ---------------------------------------------------------------- the targets tab


def test_indicator_filter_matches_indicator_names_not_sentences(index):
    targets = index.targets
    rows = filter_targets(targets, year=2025, indicator="非化石能源")
    assert {t.city for t in rows} == {p.label for p in index.plans.values()}
    assert all(t.canonical == "非化石能源消费比重" or "非化石能源" in t.indicator for t in rows)
    # a synonym finds the canonical indicator; the name as written finds its row
    solar = filter_targets(targets, indicator="光伏装机")
    assert "光伏装机容量" in {t.canonical for t in solar}
    assert all(any("光伏装机" in name for name in (t.canonical, t.indicator, *INDICATORS[t.canonical])) for t in solar)
    assert any(t.indicator == "太阳能发电装机容量" for t in solar)
    assert filter_targets(targets, indicator="坚实基础") == []  # words only the sentences contain match nothing
    assert [t.city for t in filter_targets(targets, city="南昌市", year=2025, indicator="非化石能源")] == ["南昌市"] * len(
        filter_targets(targets, city="南昌市", year=2025, indicator="非化石能源"))


def test_targets_table_sorts_by_header_and_truncates_sentences(index):
    out = targets_table_html(index.targets)
    heads = re.findall(r'<th data-type="(\w+)" aria-sort="none"><button type="button" class="rag-sort">(.*?)</button></th>', out)
    assert [h for _, h in heads] == ["城市", "年份", "指标", "原文指标", "目标", "数值", "单位", "章节", "原文句子"]
    assert dict((h, t) for t, h in heads)["数值"] == "num"
    assert out.count("<tr>") == len(index.targets) + 1
    long_sentence = max((t.sentence.strip() for t in index.targets), key=len)
    assert f"<details><summary>{html.escape(long_sentence[:28])}…</summary>{html.escape(long_sentence)}</details>" in out
    escaped = targets_table_html([dataclasses.replace(index.targets[0], indicator="<img src=x>", sentence="<script>x</script>")])
    assert "<img" not in escaped and "<script>" not in escaped


def test_chart_draws_one_year_and_says_which(index):
    targets = index.targets
    chart, caption = chart_frame(targets, "非化石能源消费比重", "2025")
    values = dict(zip(chart["城市"], chart["数值"]))
    assert values["江门市"] == 32 and values["南昌市"] == 15
    assert caption.startswith("2025年非化石能源消费比重") and "%" in caption
    chart, caption = chart_frame(targets, "非化石能源消费比重", ALL)
    year = int(caption[:4])
    assert chart["目标"].str.startswith(f"{year}年").all() and chart["城市"].is_unique
    assert "只画一个年份" in caption
    empty, caption = chart_frame(targets, "非化石能源消费比重", "2027")
    assert empty.empty and "没有" in caption
    # 1400兆瓦 and 42万千瓦 drawn in one unit, each hover text in the plan's own words
    solar, caption = chart_frame(targets, "光伏装机容量", "2030")
    bars = dict(zip(solar["城市"], zip(solar["数值"], solar["目标"])))
    assert bars["江阴市"][0] == 140 and "1400兆瓦" in bars["江阴市"][1] and bars["津市市"][0] == 42
    assert "万千瓦" in caption and "单位不同" not in caption


def test_downloads_reuse_one_folder_removed_at_exit(index):
    exports = ExportFolder(keep=3)
    first = exports.files(index, index.targets, None, None, "")
    assert all(exports.path in Path(f).parents for f in first) and first[0].endswith(".csv") and first[1].endswith(".xlsx")
    assert exports.files(index, index.targets, None, None, "") == first  # the same filter reuses its files
    for year in (2025, 2030, 2035, 2040):
        exports.files(index, filter_targets(index.targets, year=year), None, year, "")
    assert len(list(exports.path.iterdir())) == 3  # only the latest filters are kept
    exports.remove()
    assert not exports.path.exists()


def test_exports_are_named_and_laid_out_for_filing(index):
    """目标表_<place>_<year>_<date>.csv, the plan's title rather than its id, 是/否, values as written."""
    exports = ExportFolder()
    rows = filter_targets(index.targets, city="南昌市", year=2025)
    csv_path, xlsx_path = exports.files(index, rows, "南昌市", 2025, "")
    today = time.strftime("%Y%m%d")
    assert Path(csv_path).name == f"目标表_南昌市_2025_{today}.csv" and Path(xlsx_path).name == f"目标表_南昌市_2025_{today}.xlsx"
    assert Path(exports.files(index, index.targets, None, None, "")[0]).name == f"目标表_全部_{today}.csv"
    table = list(csv.DictReader(io.StringIO(Path(csv_path).read_bytes().decode("utf-8-sig"))))
    assert len(table) == len(rows) and "方案编号" not in table[0] and "起始字符" not in table[0]
    assert {r["方案标题"] for r in table} == {"南昌市碳达峰实施方案"}
    assert {r["定性目标"] for r in table} <= {"是", "否"} and {r["地区"] for r in table} == {"南昌市"}
    fossil = next(r for r in table if r["指标"] == "非化石能源消费比重")
    assert (fossil["数值"], fossil["单位"]) == ("15", "%")
    exports.remove()


def test_ask_puts_the_sentence_for_the_user_in_answer_even_for_a_refusal(served):
    refusal = ask_dict(served, "深圳2030年光伏装机目标是多少？", "")
    assert not refusal["found"] and refusal["answer"].startswith("语料中没有深圳市的方案") and "深圳" in refusal["note"]
    empty = ask_dict(served, "  ", "")
    assert "问题为空" in empty["answer"] and empty["answer"] == empty["error"]
    assert set(empty) == set(refusal) | {"error"}  # one shape for every reply


def test_the_question_limit_is_reported_as_the_user_counts(served):
    typed = "江门光伏装机目标" * 91 + "是多少"  # 731 characters
    for reply in (ask_dict(served, typed + "\n\n  ", "")["answer"],
                  _text(chat_turn(served, "  " + typed + "\n", [], ALL, None).history[-1]["content"])):
        assert "问题过长（731 字），上限为 500 字" in reply
    spaced = "\n \n".join(["江门2030年可再生能源装机目标是多少？"] * 23)  # 460 characters, 66 of white space between
    assert len(spaced) > 500 and "问题过长" not in ask_dict(served, spaced, "")["answer"]
