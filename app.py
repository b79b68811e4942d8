"""Web UI for the carbon-peak plan QA: chat with citations, a targets table, the plans.

    python app.py [--host 127.0.0.1] [--port 7860]

The index is loaded once at startup (and built first when missing or stale). Plans uploaded in the
方案 tab go into the corpus folder the app was started with (RAG_CORPUS, default corpus/); the index is
rebuilt and swapped in without a restart.
Besides the page, two API endpoints with stable names:

    /ask      (question: str, city: str = "")           -> the dict of `rag ask --json`, or {"error": ...}
    /targets  (city: str = "", year: str|int = "", indicator: str = "") -> {"targets": [...]}, or {"error": ...}

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("江门2030年可再生能源装机目标是多少？", "", api_name="/ask")
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from rag.config import Settings  # noqa: E402
from rag.errors import UserError  # noqa: E402

EXAMPLES = [
    "江门2030年可再生能源装机目标是多少？",
    "南昌2025年非化石能源消费比重目标是多少？",
    "各城市2025年非化石能源消费比重对比",
    "哪些城市提到了氢能？",
    "津市2030年光伏装机目标是多少？",
    "江门如何发展海上风电？",
]

SECTION_HINT = '<div class="rag-hint">提问后，从上方选择一条引用并点击“阅读全文章节”，这里会显示它所在的整个章节。</div>'

CSS = """
.rag-reply { line-height: 1.7; }
.rag-understood { color: var(--body-text-color-subdued); font-size: 0.9em; margin-bottom: 4px; }
.rag-answer { font-size: 1.05em; margin-bottom: 6px; }
.rag-notfound { color: #b45309; }
.rag-error { color: #b91c1c; }
.rag-cites-title { font-weight: 600; margin: 8px 0 2px; font-size: 0.92em; }
.rag-cite { border-left: 3px solid #3b82f6; padding: 4px 10px; margin: 6px 0; background: var(--background-fill-secondary); border-radius: 4px; }
.rag-cite-head { font-weight: 600; font-size: 0.9em; margin-bottom: 2px; }
.rag-section { font-weight: 400; color: var(--body-text-color-subdued); }
.rag-cite-text { font-size: 0.92em; }
.rag-reply mark, .rag-section-view mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.rag-reader { max-height: 560px; overflow-y: auto; line-height: 1.8; padding: 8px 4px; }
.rag-heading { display: inline; }
.rag-hint { color: var(--body-text-color-subdued); font-size: 0.9em; }
.rag-user { white-space: pre-wrap; unicode-bidi: plaintext; }
.rag-copy-text { display: none; }
.rag-tools { margin: 4px 0; }
.rag-copy { font-size: 0.85em; padding: 1px 10px; border: 1px solid var(--border-color-primary); border-radius: 4px;
            background: var(--background-fill-primary); cursor: pointer; }
.rag-compare { border-collapse: collapse; margin: 6px 0; font-size: 0.92em; width: 100%; }
.rag-compare th, .rag-compare td { border: 1px solid var(--border-color-primary); padding: 3px 8px; text-align: left; }
.rag-compare th { background: var(--background-fill-secondary); }
.rag-compare td:nth-child(-n+3), .rag-compare th { white-space: nowrap; }
.rag-table-wrap { max-height: 520px; overflow: auto; border: 1px solid var(--border-color-primary); border-radius: 6px; }
.rag-targets { border-collapse: collapse; width: 100%; font-size: 0.9em; }
.rag-targets th, .rag-targets td { border-bottom: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; vertical-align: top; }
.rag-targets th { position: sticky; top: 0; background: var(--background-fill-secondary); white-space: nowrap; }
.rag-sort { all: unset; cursor: pointer; font-weight: 600; }
.rag-targets th[aria-sort="ascending"] .rag-sort::after { content: " ▲"; }
.rag-targets th[aria-sort="descending"] .rag-sort::after { content: " ▼"; }
.rag-targets td:nth-child(-n+2) { white-space: nowrap; }
.rag-sentence { max-width: 360px; }
.rag-sentence summary { cursor: pointer; color: var(--body-text-color); }
.rag-report { font-size: 0.88em; margin: 4px 0 0 1.2em; padding: 0; }
"""

# The page's own behaviour, delegated from the document so it survives Gradio re-rendering:
# copy an answer as plain text, sort the targets table by a header, keep a new answer's first line in view.
HEAD = """
<script>
(() => {
  async function copyText(text) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {
      const area = document.createElement("textarea");
      area.value = text; document.body.appendChild(area); area.select();
      const ok = document.execCommand("copy"); area.remove(); return ok;
    }
  }
  function sortTable(th) {
    const table = th.closest("table"), body = table.tBodies[0];
    const column = Array.from(th.parentNode.children).indexOf(th);
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    const numeric = th.dataset.type === "num";
    const key = (row) => { const cell = row.cells[column]; return cell.dataset.sort ?? cell.textContent.trim(); };
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      let x = key(a), y = key(b);
      if (numeric) { x = x === "" ? -Infinity : Number(x); y = y === "" ? -Infinity : Number(y); return ascending ? x - y : y - x; }
      return ascending ? x.localeCompare(y, "zh-Hans-CN") : y.localeCompare(x, "zh-Hans-CN");
    });
    rows.forEach((row) => body.appendChild(row));
    th.parentNode.querySelectorAll("th").forEach((other) => other.setAttribute("aria-sort", "none"));
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.addEventListener("click", async (event) => {
    const copy = event.target.closest(".rag-copy");
    if (copy) {
      event.preventDefault();
      const source = copy.closest(".rag-reply").querySelector(".rag-copy-text");
      const ok = await copyText(source ? source.textContent : "");
      copy.textContent = ok ? "已复制" : "复制失败";
      setTimeout(() => { copy.textContent = "复制答案"; }, 1500);
      return;
    }
    const th = event.target.closest("table.rag-sortable th");
    if (th) sortTable(th);
  });
  let shown = null;
  new MutationObserver(() => {
    const replies = document.querySelectorAll("#chat .rag-reply");
    const last = replies[replies.length - 1];
    if (!last || last === shown) return;
    shown = last;
    requestAnimationFrame(() => last.scrollIntoView({ block: "start" }));
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
</script>
"""


def load_or_build(settings: Settings):
    """Load the index; when it is missing or stale, build it first (with progress), then load."""
    from rag.index import build_index, load_index

    try:
        return load_index(settings)
    except UserError as problem:  # IndexUnusable is a UserError
        print(f"索引不可用：{problem}", flush=True)
        print("正在构建索引（约需半分钟）……", flush=True)
        manifest = build_index(settings, progress=True).manifest
        print(f"索引已建成：{manifest.plans} 个方案，{manifest.chunks} 个段落，{manifest.targets} 条目标。", flush=True)
        return load_index(settings)


def build_app(index):
    import gradio as gr

    from rag.ui import (
        ALL, CONCURRENT_ANSWERS, UPLOAD_TYPES, ExportFolder, ServedIndex, add_uploaded_plans, ask_dict, chart_frame,
        chart_indicators, chat_turn, citation_picker, parse_year, place_of, plan_change_html, plan_choices,
        plan_reader_html, plans_frame, remove_served_plan, resolve_city, section_html, targets_count, targets_dict,
        targets_table_html,
    )
    from rag.targets import filter_targets

    # Answers run concurrently (only the embedding call takes turns); adding or removing a plan swaps in a
    # new index, so every handler reads `served.current` when it starts.
    served = ServedIndex(index)
    index = served.current
    plans = list(index.plans.values())
    cities = [place_of(p) for p in plans]
    targets = index.targets
    years = sorted({t.year for t in targets})
    exports = ExportFolder()

    def summary(index) -> str:
        names = "、".join(place_of(p) for p in index.plans.values())
        return (f"## 碳达峰实施方案问答\n收录 {len(index.plans)} 个方案：{names}，共 {len(index.targets)} 条量化目标。"
                "回答均摘自方案原文并注明出处（标题、城市、章节），<mark>高亮</mark>为答案所在句；方案中没有的内容会明确说“未找到”。")

    # ------------------------------------------------------------ chat

    def respond(message, history, city, context):
        turn = chat_turn(served.current, message, history, city, context)
        picker = gr.update(choices=turn.picker.choices, value=turn.picker.value, label=turn.picker.label)
        return ("" if turn.cleared_input else gr.skip(), turn.history, turn.context, turn.answer, picker,
                SECTION_HINT, turn.hint)

    def read_section(choice, answer_dict):
        if not choice:
            return SECTION_HINT
        plan_id, _, position = str(choice).rpartition(":")
        plan = served.current.plans.get(plan_id)
        if plan is None or not position.isdigit():
            return '<div class="rag-hint">找不到这条引用，请重新提问。</div>'
        return section_html(plan, int(position), (answer_dict or {}).get("highlight", []))

    def clear_chat():
        empty = citation_picker(None)
        return [], None, None, gr.update(choices=empty.choices, value=None, label=empty.label), SECTION_HINT, "", ""

    # ------------------------------------------------------------ targets

    def filter_table(city, year, indicator):
        try:
            city_name = resolve_city(served.current, city)
            year_value = parse_year(year)
        except UserError as problem:
            raise gr.Error(str(problem))
        indicator = (indicator or "").strip()[:50]
        targets = served.current.targets
        rows = filter_targets(targets, city=city_name, year=year_value, indicator=indicator)
        csv_path, xlsx_path = exports.files(rows, served.current.path.name, city_name, year_value, indicator)
        return targets_table_html(rows), targets_count(rows, len(targets)), csv_path, xlsx_path

    first_table = filter_table(ALL, ALL, "")
    default_indicator = "非化石能源消费比重" if "非化石能源消费比重" in chart_indicators(targets) else chart_indicators(targets)[0]
    default_year = "2025" if 2025 in years else str(years[0])
    first_chart = chart_frame(targets, default_indicator, default_year)

    # ------------------------------------------------------------ layout

    theme = gr.themes.Soft(
        font=["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )
    # Gradio's cached copies of the downloads are removed after an hour and at shutdown.
    with gr.Blocks(title="碳达峰实施方案问答", delete_cache=(3600, 3600)) as demo:
        header = gr.Markdown(summary(index))
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label="对话", show_label=False, elem_id="chat", height=560, latex_delimiters=[], feedback_options=None,
                            buttons=[], layout="panel", autoscroll=False,
                            placeholder="在下方输入问题，或点一个示例问题。可以接着追问，如“那2025年呢？”“南昌呢？”“光伏呢？”",
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                show_label=False, elem_id="question", scale=6, lines=1, max_lines=4,
                                placeholder="例如：江门2030年可再生能源装机目标是多少？（回车发送）",
                            )
                            send = gr.Button("提问", variant="primary", elem_id="send", scale=1, min_width=80)
                        hint = gr.Markdown("", elem_id="chat-hint")
                        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="示例问题")
                    with gr.Column(scale=2):
                        city = gr.Dropdown([ALL, *cities], value=ALL, label="限定城市", elem_id="city",
                                           info="选“全部”时按问题中提到的城市检索；跨城市的问题不受限定")
                        clear = gr.Button("清空对话", elem_id="clear")
                        cite_pick = gr.Dropdown(choices=[], value=None, label=citation_picker(None).label, elem_id="cite-pick",
                                                info="选择一条引用，阅读它所在的整个章节")
                        read = gr.Button("阅读全文章节", elem_id="read-section")
                        section_view = gr.HTML(SECTION_HINT, elem_id="section-view")
                context = gr.State(None)  # the last answered question, in full: what a follow-up builds on
                last_answer = gr.State(None)  # Answer.to_dict() of the last reply

            with gr.Tab("目标表", id="targets"):
                with gr.Row():
                    t_city = gr.Dropdown([ALL, *cities], value=ALL, label="城市", elem_id="t-city")
                    t_year = gr.Dropdown([ALL, *map(str, years)], value=ALL, label="年份", elem_id="t-year")
                    t_indicator = gr.Textbox(label="指标", placeholder="指标名称或同义词，如：非化石能源、光伏装机",
                                             elem_id="t-indicator", scale=2)
                    t_go = gr.Button("筛选", variant="primary", elem_id="t-go", min_width=80)
                with gr.Row():
                    t_count = gr.Markdown(first_table[1], elem_id="t-count")
                    dl_csv = gr.DownloadButton("下载 CSV", value=first_table[2], elem_id="dl-csv", size="md")
                    dl_xlsx = gr.DownloadButton("下载 Excel", value=first_table[3], elem_id="dl-xlsx", size="md")
                table = gr.HTML(first_table[0], elem_id="targets-table")
                gr.Markdown("#### 各城市对比")
                with gr.Row():
                    c_indicator = gr.Dropdown(chart_indicators(targets), value=default_indicator, label="指标",
                                              elem_id="c-indicator")
                    c_year = gr.Dropdown([ALL, *map(str, years)], value=default_year, label="年份", elem_id="c-year")
                c_caption = gr.Markdown(first_chart[1], elem_id="c-caption")
                chart = gr.BarPlot(first_chart[0], x="城市", y="数值", tooltip=["城市", "目标"], sort="-y",
                                   x_title="城市", y_title="目标值", y_lim=[0, None], height=320, elem_id="chart", show_label=False)

            with gr.Tab("方案", id="plans"):
                plans_table = gr.Dataframe(plans_frame(index, targets), interactive=False, wrap=True, elem_id="plans-table")
                with gr.Accordion("添加或移除方案", open=False, elem_id="p-manage"):
                    gr.Markdown(f"上传方案文件（{' '.join(UPLOAD_TYPES)}，每个不超过 "
                                f"{index.settings.max_file_bytes / 1e6:.0f} MB），可一次多个；添加后即可提问，无需重启。")
                    with gr.Row():
                        p_files = gr.File(label="方案文件", file_count="multiple", file_types=list(UPLOAD_TYPES),
                                          elem_id="p-files", scale=3)
                        with gr.Column(scale=2):
                            p_add = gr.Button("添加并更新索引", variant="primary", elem_id="p-add")
                            p_remove_pick = gr.Dropdown(plan_choices(index), value=None, label="要移除的方案",
                                                        elem_id="p-remove-pick")
                            p_remove = gr.Button("移除所选方案", variant="stop", elem_id="p-remove")
                    p_report = gr.HTML("", elem_id="p-report")
                p_pick = gr.Dropdown(plan_choices(index), value=plans[0].plan_id, label="阅读方案全文", elem_id="p-pick")
                p_view = gr.HTML(plan_reader_html(plans[0]), elem_id="p-view")

        # ------------------------------------------------------------ events (UI only; the API is below)

        chat_outputs = [question, chatbot, context, last_answer, cite_pick, section_view, hint]
        chat_inputs = [question, chatbot, city, context]
        question.submit(respond, chat_inputs, chat_outputs, api_visibility="private")
        send.click(respond, chat_inputs, chat_outputs, api_visibility="private")
        read.click(read_section, [cite_pick, last_answer], section_view, api_visibility="private")
        clear_outputs = [chatbot, context, last_answer, cite_pick, section_view, question, hint]
        clear.click(clear_chat, None, clear_outputs, api_visibility="private")
        chatbot.clear(clear_chat, None, clear_outputs, api_visibility="private")  # the trash icon resets the context too

        filters = [t_city, t_year, t_indicator]
        table_outputs = [table, t_count, dl_csv, dl_xlsx]
        for trigger in (t_city.change, t_year.change, t_indicator.submit, t_go.click):
            trigger(filter_table, filters, table_outputs, api_visibility="private")
        for trigger in (c_indicator.change, c_year.change):
            trigger(lambda indicator, year: chart_frame(served.current.targets, indicator, year), [c_indicator, c_year],
                    [chart, c_caption], api_visibility="private")

        def read_plan(plan_id):
            plan = served.current.plans.get(plan_id)
            return plan_reader_html(plan) if plan else '<div class="rag-hint">该方案已被移除。</div>'

        p_pick.change(read_plan, p_pick, p_view, api_visibility="private")

        def after_change(change, chat_city, reading):
            """The report, and everything that lists plans, cities, years or targets, from the index now served.
            The targets tab shows every target again; a chosen city or plan that was removed falls back."""
            now = served.current
            names = [ALL, *(place_of(p) for p in now.plans.values())]
            now_years = [ALL, *map(str, sorted({t.year for t in now.targets}))]
            reading = reading if reading in now.plans else next(iter(now.plans))
            return (plan_change_html(change), gr.update(value=None) if change.ok else gr.skip(), summary(now),
                    plans_frame(now, now.targets), gr.update(choices=plan_choices(now), value=None),
                    gr.update(choices=plan_choices(now), value=reading), read_plan(reading),
                    gr.update(choices=names, value=chat_city if chat_city in names else ALL),
                    gr.update(choices=names, value=ALL),
                    gr.update(choices=now_years, value=ALL), "", *filter_table(ALL, ALL, ""),
                    gr.update(choices=chart_indicators(now.targets)), gr.update(choices=now_years))

        change_inputs = [city, p_pick]
        change_outputs = [p_report, p_files, header, plans_table, p_remove_pick, p_pick, p_view, city,
                          t_city, t_year, t_indicator, *table_outputs, c_indicator, c_year]
        p_add.click(lambda files, *shown: after_change(add_uploaded_plans(served, files), *shown),
                    [p_files, *change_inputs], change_outputs, api_visibility="private", concurrency_limit=1)
        p_remove.click(lambda plan_id, *shown: after_change(remove_served_plan(served, plan_id), *shown),
                       [p_remove_pick, *change_inputs], change_outputs, api_visibility="private", concurrency_limit=1)

        # ------------------------------------------------------------ API

        def api_ask(question: str, city: str = "") -> dict:
            """提问。city 为空或“全部”时不限城市。返回与 `rag ask --json` 相同的字典；输入无效时返回 {"error": 中文说明}。"""
            return ask_dict(served.current, question, city)

        def api_targets(city: str = "", year: str | int | None = None, indicator: str = "") -> dict:
            """量化目标表。city / year / indicator 为空表示不筛选。返回 {"targets": [...]}；输入无效时返回 {"error": 中文说明}。"""
            return targets_dict(served.current, city, year, indicator)

        gr.api(api_ask, api_name="ask", concurrency_limit=CONCURRENT_ANSWERS)
        gr.api(api_targets, api_name="targets", concurrency_limit=CONCURRENT_ANSWERS)

    return demo, theme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="碳达峰实施方案问答网页")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，只允许本机访问）")
    parser.add_argument("--port", type=int, default=7860, help="端口（默认 7860）")
    args = parser.parse_args(argv)

    started = time.time()
    try:
        settings = Settings()  # a bad RAG_… setting is one Chinese line, like any other refusal
        index = load_or_build(settings)
        print("正在加载嵌入模型……", flush=True)
        from rag.answer import ask

        ask(index, EXAMPLES[0])  # loads the model, jieba and caches so the first user does not wait
    except UserError as problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 2
    print(f"索引已加载：{len(index.plans)} 个方案，{len(index.chunks)} 个段落（{time.time() - started:.1f} 秒）。", flush=True)

    from rag.ui import CONCURRENT_ANSWERS

    demo, theme = build_app(index)
    demo.queue(default_concurrency_limit=CONCURRENT_ANSWERS)
    demo.launch(
        server_name=args.host, server_port=args.port, theme=theme, css=CSS, head=HEAD, ssr_mode=False,
        show_error=False, inbrowser=False, share=False,
        max_file_size=settings.max_file_bytes,  # plan uploads; rag.ui checks the same limit again
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
