"""The web UI in real headless Chromium: answers, follow-ups, copying, comparisons, the targets tab, downloads."""
from __future__ import annotations

import csv
import io
import time

import pytest

from apphelpers import ARTIFACTS, ask, chromium, running_app
from rag.web.targets import export_header

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

JIANGMEN_Q = "江门2030年可再生能源装机目标是多少？"
COMPARE_Q = "各城市2025年非化石能源消费比重对比"
NO_CONTEXT = "还没有可以接着问的问题"
# True when the newest reply's answer line is inside the visible part of the chat and of the window.
ANSWER_IN_VIEW = """() => {
  const replies = document.querySelectorAll('#chat .rag-reply');
  const answer = replies.length && replies[replies.length - 1].querySelector('.rag-answer');
  if (!answer) return false;
  const a = answer.getBoundingClientRect(), chat = document.querySelector('#chat').getBoundingClientRect();
  return a.top >= Math.max(chat.top, 0) - 1 && a.bottom <= Math.min(chat.bottom, window.innerHeight) + 1;
}"""


@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(app_url, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
    page = context.new_page()
    page.goto(app_url)
    expect(page.locator("#question textarea")).to_be_visible(timeout=30_000)
    try:
        yield page
    finally:
        context.close()


def test_ask_then_download_targets_csv(page, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    reply = ask(page, JIANGMEN_Q)
    expect(reply.locator(".rag-answer")).to_contain_text("700万千瓦")
    citation = reply.locator(".rag-cite").first
    expect(citation.locator(".rag-cite-head")).to_contain_text("《江门市碳达峰实施方案》")
    expect(citation.locator("mark")).to_contain_text("700万千瓦")
    expect(page.locator("#question textarea")).to_have_value("")

    # the full section around the citation
    page.locator("#read-section").click()
    expect(page.locator("#section-view mark")).to_contain_text("700万千瓦", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)

    page.get_by_role("tab", name="目标表").click()
    download_button = page.locator("#dl-csv")
    expect(download_button).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename == f"目标表_全部_{time.strftime('%Y%m%d')}.csv"
    saved = tmp_path / "targets.csv"
    download.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV should carry a UTF-8 BOM for Excel"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == export_header() and rows[0][0] == "地区"  # the same Chinese headers as Excel
    assert len(rows) > 50
    assert any(r[0] == "江门市" and r[5] == "700" and r[11] == "江门市碳达峰实施方案" for r in rows[1:])


def test_follow_up_chain_and_every_clear_control_resets_it(page):
    # a fresh chat has nothing to follow
    expect(ask(page, "那2030年呢？")).to_contain_text(NO_CONTEXT)

    expect(ask(page, JIANGMEN_Q).locator(".rag-answer")).to_contain_text("700万千瓦")
    expect(ask(page, "南昌呢？").locator(".rag-understood")).to_contain_text("南昌2030年可再生能源发电装机容量目标是多少？")
    expect(ask(page, "那2025年呢？").locator(".rag-understood")).to_contain_text("南昌2025年可再生能源发电装机容量目标是多少？")
    solar = ask(page, "光伏呢？")
    expect(solar.locator(".rag-understood")).to_contain_text("按上下文理解为：南昌2025年光伏装机容量目标是多少？")
    expect(solar.locator(".rag-answer")).to_contain_text("300万千瓦")
    expect(solar.locator(".rag-cite-head").first).to_contain_text("《南昌市碳达峰实施方案》")
    jinshi = ask(page, "津市呢？")
    expect(jinshi.locator(".rag-understood")).to_contain_text("津市2025年光伏装机容量目标是多少？")
    expect(jinshi.locator(".rag-answer")).to_contain_text("21万千瓦")
    expect(jinshi.locator(".rag-answer")).not_to_contain_text("项目。")
    wind = ask(page, "风电呢？")
    expect(wind.locator(".rag-answer")).to_contain_text("9万千瓦")
    page.screenshot(path=str(ARTIFACTS / "ui-follow-ups.png"))

    # the side button clears the messages and the context
    page.locator("#clear").click()
    expect(page.locator("#chat .rag-reply")).to_have_count(0)
    expect(ask(page, "那2030年呢？")).to_contain_text(NO_CONTEXT)

    # so does the trash icon on the chat
    expect(ask(page, JIANGMEN_Q).locator(".rag-answer")).to_contain_text("700万千瓦")
    page.locator("#chat").get_by_role("button", name="Clear").click()
    expect(page.locator("#chat .rag-reply")).to_have_count(0)
    expect(ask(page, "那2025年呢？")).to_contain_text(NO_CONTEXT)


def test_comparison_table_copy_text_and_answer_in_view(page):
    ask(page, JIANGMEN_Q)  # an earlier answer, so the comparison arrives below it
    reply = ask(page, COMPARE_Q)
    rows = reply.locator("table.rag-compare tbody tr")
    expect(rows).to_have_count(5)
    cities = [rows.nth(i).locator("td").first.inner_text() for i in range(4)]
    assert cities == ["江门市", "津市市", "南昌市", "江阴市"]
    expect(rows.first.locator("td").nth(4)).to_contain_text("[1]")
    heads = reply.locator(".rag-cite-head")
    expect(heads.first).to_contain_text("[1] 《江门市碳达峰实施方案》")
    expect(heads.nth(1)).to_contain_text("[2] 《津市市碳达峰实施方案》")
    page.wait_for_function(ANSWER_IN_VIEW, timeout=10_000)
    # the citation picker opens on the passage the answer cites first
    expect(page.locator("#cite-pick input")).to_have_value("[1] 《江门市碳达峰实施方案》一、总体要求 > (二)主要目标")
    page.screenshot(path=str(ARTIFACTS / "ui-compare.png"))

    reply.locator(".rag-copy").click()
    expect(reply.locator(".rag-copy")).to_have_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("答：2025年非化石能源消费比重：江门市达到32%左右")
    assert "\n引用：\n[1] 《江门市碳达峰实施方案》 一、总体要求 > (二)主要目标\n" in copied
    assert "“到2025年" in copied and "<" not in copied.replace("< ", "") and "&gt;" not in copied


def test_user_text_is_shown_as_typed_and_fetches_nothing(page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    typed = "![x](https://example.invalid/x.png) 江门<b>呢</b>"
    ask(page, typed)
    shown = page.locator("#chat .rag-user").last
    expect(shown).to_have_text(typed)
    assert page.locator("#chat img").count() == 0 and page.locator("#chat .rag-user b").count() == 0
    ask(page, "\u202e？少多是标目装机能源生再可年0302门江")
    expect(page.locator("#chat .rag-user").last).to_have_text("？少多是标目装机能源生再可年0302门江")
    assert not [url for url in requests if "example.invalid" in url]

    page.locator("#question textarea").fill("   ")
    page.locator("#send").click()
    expect(page.locator("#chat-hint")).to_contain_text("请输入一个问题")


def test_targets_header_sorting_and_indicator_filter(page):
    page.get_by_role("tab", name="目标表").click()
    table = page.locator("#targets-table table")
    expect(table).to_be_visible(timeout=30_000)
    values = lambda: [float(v) for v in table.locator("tbody tr td:nth-child(6)").all_inner_texts() if v.strip()]  # noqa: E731

    table.locator("th", has_text="数值").click()
    expect(table.locator("th", has_text="数值")).to_have_attribute("aria-sort", "ascending")
    ascending = values()
    assert ascending == sorted(ascending) and len(ascending) > 50
    table.locator("th", has_text="数值").click()
    expect(table.locator("th", has_text="数值")).to_have_attribute("aria-sort", "descending")
    assert values() == sorted(ascending, reverse=True)
    table.locator("th", has_text="城市").click()
    cities = table.locator("tbody tr td:nth-child(1)").all_inner_texts()
    in_order = "(c) => c.every((x, i) => i === 0 || c[i - 1].localeCompare(x, 'zh-Hans-CN') <= 0)"
    assert page.evaluate(in_order, cities) and cities[0] != cities[-1]

    page.locator("#t-year input").click()
    page.get_by_role("option", name="2025").click()
    page.locator("#t-indicator textarea, #t-indicator input").first.fill("非化石能源")
    page.locator("#t-go").click()
    expect(page.locator("#t-count")).to_contain_text("共 5 条目标")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(5)
    assert set(table.locator("tbody tr td:nth-child(3)").all_inner_texts()) == {"非化石能源消费比重"}
    # the sentence is cut short; a click opens the whole of it
    sentence = rows.first.locator("td.rag-sentence details")
    expect(sentence.locator("summary")).to_contain_text("…")
    sentence.locator("summary").click()
    expect(sentence).to_have_attribute("open", "")
    page.screenshot(path=str(ARTIFACTS / "ui-targets.png"), full_page=True)


# Every cell of the newest comparison table lies inside the reply, and the short columns keep to one line.
COMPARE_READABLE = """() => {
  const replies = document.querySelectorAll('#chat .rag-reply');
  const reply = replies[replies.length - 1], table = reply.querySelector('table.rag-compare');
  const box = reply.getBoundingClientRect(), problems = [];
  const lines = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size;
  };
  for (const row of table.tBodies[0].rows) {
    for (const [i, cell] of Array.from(row.cells).entries()) {
      const r = cell.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1) problems.push(`cell ${i} outside the reply: ${cell.textContent}`);
      const value = cell.querySelector('.rag-value') || cell;
      if (i < 3 && lines(value) > 1) problems.push(`cell ${i} wraps: ${value.textContent}`);
    }
  }
  return problems;
}"""


def phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(app_url)
    expect(page.locator("#question textarea")).to_be_visible(timeout=30_000)
    return context, page


def test_comparison_is_readable_and_its_answer_in_view_on_a_phone(app_url, browser):
    context, page = phone(browser, app_url)
    try:
        ask(page, JIANGMEN_Q)  # an earlier answer, so the comparison arrives below it
        reply = ask(page, COMPARE_Q)
        expect(reply.locator("table.rag-compare tbody tr")).to_have_count(5)
        assert page.evaluate(COMPARE_READABLE) == []
        page.wait_for_function(ANSWER_IN_VIEW, timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "ui-mobile.png"))
    finally:
        context.close()


def test_question_box_is_in_view_on_a_phone(app_url, browser):
    """On opening the page, and after an answer has scrolled into view."""
    context, page = phone(browser, app_url)
    try:
        for moment in ("opened", "answered"):
            if moment == "answered":
                ask(page, JIANGMEN_Q)
                page.wait_for_function(ANSWER_IN_VIEW, timeout=10_000)
            for element in ("#question textarea", "#send"):
                box = page.locator(element).bounding_box()
                assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (moment, element, box)
    finally:
        context.close()


def test_inputs_are_labelled_for_screen_readers(page):
    expect(page.get_by_role("textbox", name="问题")).to_be_visible()
    assert page.get_by_role("textbox", name="Textbox").count() == 0
    expect(page.get_by_role("combobox", name="限定地区")).to_be_visible()
    page.get_by_role("tab", name="目标表").click()
    for name in ("地区", "年份", "对比指标", "对比年份"):
        expect(page.get_by_role("combobox", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("textbox", name="指标", exact=True)).to_be_visible()


def test_a_question_over_the_limit_is_counted_as_typed(page):
    typed = "江门光伏装机目标" * 91 + "是多少"  # 731 characters
    expect(page.locator("#summary")).to_contain_text("收录", timeout=120_000)  # the page has loaded (a fresh CI run typed before)
    page.locator("#question textarea").fill(typed)
    expect(page.locator("#question-count")).to_contain_text("问题共 731 字，超过 500 字的上限")
    page.locator("#send").click()
    expect(page.locator("#chat .rag-reply").last).to_contain_text("问题过长（731 字），上限为 500 字", timeout=120_000)
