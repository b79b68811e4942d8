"""Unit tests of rag/ui.py: escaping, highlighting, follow-up questions, tables and files (real index and model)."""
from __future__ import annotations

import csv
import io
import re

import pytest

from rag.answer import ask
from rag.chunk import Chunk
from rag.targets import CSV_COLUMNS
from rag.errors import UserError
from rag.retrieve import Passage, place_names
from rag.ui import (
    ask_dict, chart_frame, choose_city, contextualize, format_answer, highlight_html, parse_year, passage_html, plan_reader_html,
    section_html, targets_dict, targets_frame, with_city, write_targets_csv, write_targets_xlsx,
)

JIANGMEN_Q = "江门2030年可再生能源装机目标是多少？"
CITIES = ["南昌市", "江门市", "江阴市", "津市市", "共青城市"]


# `index` is the session fixture of tests/conftest.py: the shipped corpus, freshly built.


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


def test_year_follow_up_keeps_city_and_indicator(index):
    rewritten = contextualize("那2030年呢？", "南昌2025年非化石能源消费比重目标是多少？", place_names(index))
    assert rewritten == "南昌2030年非化石能源消费比重目标是多少？"


def test_city_follow_up_swaps_the_city():
    assert contextualize("江门呢？", "南昌2025年非化石能源消费比重目标是多少？", CITIES) == "江门2025年非化石能源消费比重目标是多少？"
    assert contextualize("江門呢", "南昌2025年非化石能源消费比重目标是多少？", CITIES) == "江门2025年非化石能源消费比重目标是多少？"


def test_indicator_follow_up_swaps_the_indicator():
    rewritten = contextualize("光伏装机容量呢？", "江门2030年可再生能源装机目标是多少？", CITIES)
    assert rewritten == "江门2030年光伏装机容量目标是多少？"


def test_full_questions_and_first_questions_are_left_alone():
    previous = "江门2030年可再生能源装机目标是多少？"
    assert contextualize("江门如何发展海上风电？", previous, CITIES) == "江门如何发展海上风电？"
    assert contextualize("南昌光伏装机目标是多少？", previous, CITIES) == "南昌光伏装机目标是多少？"
    assert contextualize("那2030年呢？", None, CITIES) == "那2030年呢？"
    assert contextualize("呢？", previous, CITIES) == "呢？"


def test_contextualized_follow_up_gets_the_right_answer(index):
    first = "江门2030年非化石能源消费比重目标是多少？"
    assert "35%" in ask(index, first).answer
    follow_up = contextualize("那2025年呢？", first, place_names(index))
    answer = ask(index, follow_up)
    assert answer.found and "32%" in answer.answer and "江门" in answer.answer


def test_city_selector_yields_to_a_city_named_in_the_question(index):
    names = place_names(index)
    assert choose_city("全部", "江门呢", names) == (None, None)
    assert choose_city("南昌市", "2025年非化石能源消费比重目标是多少？", names) == ("南昌市", None)
    assert choose_city("南昌市", "南昌2025年光伏装机？", names) == ("南昌市", None)
    city, notice = choose_city("南昌市", "江门呢？", names)
    assert city is None and "江门市" in notice and "南昌市" in notice
    # a city inherited from the previous question gives way to the selector
    assert with_city("江门2025年非化石能源消费比重目标是多少？", "南昌市", names) == "南昌2025年非化石能源消费比重目标是多少？"
    assert with_city("2025年光伏装机目标？", "南昌市", names) == "2025年光伏装机目标？"


# ---------------------------------------------------------------- API helpers, tables and files


def test_ask_dict_is_the_cli_json_or_an_error(index):
    result = ask_dict(index, JIANGMEN_Q, "")
    assert result == ask(index, JIANGMEN_Q).to_dict()
    assert "700万千瓦" in result["answer"]
    assert "700万千瓦" in ask_dict(index, "2030年可再生能源装机目标是多少？", "江门")["answer"]
    assert "问题为空" in ask_dict(index, "  ", "全部")["error"]
    assert "未知城市" in ask_dict(index, JIANGMEN_Q, "深圳")["error"]


def test_targets_dict_filters_and_reports_bad_input(index):
    rows = targets_dict(index, "南昌", 2025, "")["targets"]
    assert rows and {r["city"] for r in rows} == {"南昌市"} and {r["year"] for r in rows} == {2025}
    assert targets_dict(index, "南昌市", "2025年", "")["targets"] == rows
    assert len(targets_dict(index, "", "", "")["targets"]) == len(index.targets)
    fossil = targets_dict(index, "全部", None, "非化石能源")["targets"]
    assert {r["city"] for r in fossil if r["canonical"] == "非化石能源消费比重"} == {p.label for p in index.plans.values()}
    assert all(r["canonical"] == "非化石能源消费比重" or "非化石能源" in r["sentence"] for r in fossil)
    assert "未知城市" in targets_dict(index, "深圳", "", "")["error"]
    assert "年份无效" in targets_dict(index, "", "明年", "")["error"]


def test_parse_year():
    assert parse_year("") is None and parse_year("全部") is None and parse_year(None) is None
    assert parse_year(2025) == parse_year(2025.0) == parse_year("2025") == parse_year(" 2025年") == 2025
    for bad in ("20", "abc", 2025.5):
        with pytest.raises(UserError):
            parse_year(bad)


def test_csv_has_bom_header_and_rows(index, tmp_path):
    rows = index.targets
    path = write_targets_csv(tmp_path / "t.csv", rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(table[0]) == CSV_COLUMNS
    assert len(table) == len(rows) + 1


def test_xlsx_has_header_and_rows(index, tmp_path):
    from openpyxl import load_workbook

    rows = index.targets
    sheet = load_workbook(write_targets_xlsx(tmp_path / "t.xlsx", rows)).active
    values = list(sheet.values)
    assert values[0][0] == "城市" and len(values[0]) == len(CSV_COLUMNS)
    assert len(values) == len(rows) + 1
    assert {v[0] for v in values[1:]} == {t.city for t in rows}


def test_targets_frame_and_chart(index):
    targets = index.targets
    frame = targets_frame(targets)
    assert len(frame) == len(targets) and frame["数值"].dtype.kind == "f"
    chart, caption = chart_frame(targets, "非化石能源消费比重", "2025")
    values = dict(zip(chart["城市"], chart["数值"]))
    assert values["江门市"] == 32 and values["南昌市"] == 15
    assert "%" in caption
    empty, caption = chart_frame(targets, "非化石能源消费比重", "2027")
    assert empty.empty and "没有" in caption
