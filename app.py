"""Web UI for the carbon-peak plan QA: chat with citations, a targets table, the plans.

    python app.py [--host 127.0.0.1] [--port 7860]

The index is loaded once at startup (and built first when missing or stale).
Besides the page, two API endpoints with stable names:

    /ask      (question: str, city: str = "")           -> the dict of `rag ask --json`, or {"error": ...}
    /targets  (city: str = "", year: str|int = "", indicator: str = "") -> {"targets": [...]}, or {"error": ...}

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("江门2030年可再生能源装机目标是多少？", "", api_name="/ask")
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

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
"""


def load_or_build(settings: Settings):
    """Load the index; when it is missing or stale, build it first (with progress), then load."""
    from rag.index import build_index, load_index

    try:
        return load_index(settings)
    except UserError as problem:  # IndexUnusable is a UserError
        print(f"索引不可用：{problem}", flush=True)
        print("正在构建索引（约需半分钟）……", flush=True)
        manifest = build_index(settings, progress=True)
        print(f"索引已建成：{manifest.plans} 个方案，{manifest.chunks} 个段落，{manifest.targets} 条目标。", flush=True)
        return load_index(settings)


def build_app(index):
    import gradio as gr

    from rag.answer import ask
    from rag.normalize import to_simplified
    from rag.retrieve import city_names
    from rag.targets import filter_targets
    from rag.ui import (
        ALL, ask_dict, chart_frame, choose_city, chart_indicators, citation_choices, contextualize, error_html, esc,
        format_answer, parse_year, plan_reader_html, plans_frame, resolve_city, section_html, targets_dict, with_city,
        targets_frame, write_targets_csv, write_targets_xlsx,
    )

    names = city_names(index)
    plans = list(index.plans.values())
    cities = [p.city for p in plans]
    targets = index.targets
    years = sorted({t.year for t in targets})
    export_dir = Path(tempfile.mkdtemp(prefix="rag-ui-"))
    ask_lock = threading.Lock()  # the embedding model's tokenizer is not safe to share between threads

    def run_ask(question: str, city: str | None):
        with ask_lock:
            return ask(index, question, city=city)

    # ------------------------------------------------------------ chat

    def respond(message, history, city, previous):
        history = list(history or [])
        message = (message or "").strip()
        if not message:
            return gr.skip(), history, previous, gr.skip(), gr.skip(), gr.skip()
        effective = contextualize(message, previous, names) if previous else message
        answer_dict = None
        try:
            resolve_city(index, city)  # an unknown city is reported, not silently ignored
            city_filter, notice = choose_city(city, message, names)
            if city_filter and names.find(to_simplified(effective)) not in ((), (city_filter,)):
                effective = with_city(effective, city_filter, names)  # the selector beats a city inherited from context
            answer = run_ask(effective, city_filter)
            reply = format_answer(answer, understood_as=effective if effective != message else None, notice=notice)
            answer_dict = answer.to_dict()
            previous = effective
        except UserError as problem:
            reply = error_html(str(problem))
        history += [{"role": "user", "content": esc(message)}, {"role": "assistant", "content": reply}]
        choices = citation_choices(answer_dict)
        picker = gr.update(choices=choices, value=choices[0][1] if choices else None)
        return "", history, previous, answer_dict, picker, SECTION_HINT

    def read_section(choice, answer_dict):
        if not choice:
            return SECTION_HINT
        plan_id, _, position = str(choice).rpartition(":")
        plan = index.plans.get(plan_id)
        if plan is None or not position.isdigit():
            return '<div class="rag-hint">找不到这条引用，请重新提问。</div>'
        return section_html(plan, int(position), (answer_dict or {}).get("highlight", []))

    def clear_chat():
        return [], None, None, gr.update(choices=[], value=None), SECTION_HINT, ""

    # ------------------------------------------------------------ targets

    def export_files(rows, city, year, indicator):
        plan_id = next((p.plan_id for p in plans if p.city == city), "all")
        tag = hashlib.sha1(f"{city}|{year}|{indicator}".encode()).hexdigest()[:6]
        stem = "_".join(["targets", plan_id, str(year or "all"), tag])
        return (
            str(write_targets_csv(export_dir / f"{stem}.csv", rows)),
            str(write_targets_xlsx(export_dir / f"{stem}.xlsx", rows)),
        )

    def filter_table(city, year, indicator):
        try:
            city_name = resolve_city(index, city)
            year_value = parse_year(year)
        except UserError as problem:
            raise gr.Error(str(problem))
        indicator = (indicator or "").strip() or None
        rows = filter_targets(targets, city=city_name, year=year_value, indicator=indicator)
        csv_path, xlsx_path = export_files(rows, city_name, year_value, indicator)
        count = f"共 {len(rows)} 条目标（全部 {len(targets)} 条）。点击表头可排序。" if rows else "没有符合条件的目标，请放宽筛选条件。"
        return targets_frame(rows), count, csv_path, xlsx_path

    def draw_chart(indicator, year):
        frame, caption = chart_frame(targets, indicator, year)
        return frame, caption

    first_table = filter_table(ALL, ALL, "")
    default_indicator = "非化石能源消费比重" if "非化石能源消费比重" in chart_indicators(targets) else chart_indicators(targets)[0]
    default_year = "2025" if 2025 in years else str(years[0])
    first_chart = draw_chart(default_indicator, default_year)

    # ------------------------------------------------------------ layout

    theme = gr.themes.Soft(
        font=["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )
    with gr.Blocks(title="碳达峰实施方案问答") as demo:
        gr.Markdown(
            f"## 碳达峰实施方案问答\n"
            f"收录 {len(plans)} 个城市的方案：{'、'.join(cities)}，共 {len(targets)} 条量化目标。"
            "回答均摘自方案原文并注明出处（标题、城市、章节），<mark>高亮</mark>为答案所在句；方案中没有的内容会明确说“未找到”。"
        )
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label="对话", show_label=False, elem_id="chat", height=560, latex_delimiters=[], feedback_options=None,
                            buttons=["copy"], layout="panel",
                            placeholder="在下方输入问题，或点一个示例问题。可以接着追问，如“那2025年呢？”“南昌呢？”",
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                show_label=False, elem_id="question", scale=6, lines=1, max_lines=4,
                                placeholder="例如：江门2030年可再生能源装机目标是多少？（回车发送）",
                            )
                            send = gr.Button("提问", variant="primary", elem_id="send", scale=1, min_width=80)
                        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="示例问题")
                    with gr.Column(scale=2):
                        city = gr.Dropdown([ALL, *cities], value=ALL, label="限定城市", elem_id="city",
                                           info="选“全部”时按问题中提到的城市检索")
                        clear = gr.Button("清空对话", elem_id="clear")
                        cite_pick = gr.Dropdown(choices=[], value=None, label="上一回答的引用", elem_id="cite-pick",
                                                info="选择一条引用，阅读它所在的整个章节")
                        read = gr.Button("阅读全文章节", elem_id="read-section")
                        section_view = gr.HTML(SECTION_HINT, elem_id="section-view")
                previous = gr.State(None)  # the last question, rewritten in full: context for follow-ups
                last_answer = gr.State(None)  # Answer.to_dict() of the last reply

            with gr.Tab("目标表", id="targets"):
                with gr.Row():
                    t_city = gr.Dropdown([ALL, *cities], value=ALL, label="城市", elem_id="t-city")
                    t_year = gr.Dropdown([ALL, *map(str, years)], value=ALL, label="年份", elem_id="t-year")
                    t_indicator = gr.Textbox(label="指标", placeholder="名称、同义词或任意文字，如：非化石能源、光伏装机",
                                             elem_id="t-indicator", scale=2)
                    t_go = gr.Button("筛选", variant="primary", elem_id="t-go", min_width=80)
                with gr.Row():
                    t_count = gr.Markdown(first_table[1], elem_id="t-count")
                    dl_csv = gr.DownloadButton("下载 CSV", value=first_table[2], elem_id="dl-csv", size="md")
                    dl_xlsx = gr.DownloadButton("下载 Excel", value=first_table[3], elem_id="dl-xlsx", size="md")
                table = gr.Dataframe(
                    first_table[0], interactive=False, wrap=True, max_height=480, elem_id="targets-table",
                    column_widths=["8%", "6%", "14%", "14%", "14%", "7%", "7%", "12%", "18%"],
                    datatype=["str", "number", "str", "str", "str", "number", "str", "str", "str"],
                )
                gr.Markdown("#### 各城市对比")
                with gr.Row():
                    c_indicator = gr.Dropdown(chart_indicators(targets), value=default_indicator, label="指标",
                                              elem_id="c-indicator")
                    c_year = gr.Dropdown([ALL, *map(str, years)], value=default_year, label="年份", elem_id="c-year")
                c_caption = gr.Markdown(first_chart[1], elem_id="c-caption")
                chart = gr.BarPlot(first_chart[0], x="城市", y="数值", tooltip=["城市", "目标"], sort="-y",
                                   x_title="城市", y_title="目标值", y_lim=[0, None], height=320, elem_id="chart", show_label=False)

            with gr.Tab("方案", id="plans"):
                gr.Dataframe(plans_frame(index, targets), interactive=False, wrap=True, elem_id="plans-table")
                p_pick = gr.Dropdown([(p.title, p.plan_id) for p in plans], value=plans[0].plan_id,
                                     label="阅读方案全文", elem_id="p-pick")
                p_view = gr.HTML(plan_reader_html(plans[0]), elem_id="p-view")

        # ------------------------------------------------------------ events (UI only; the API is below)

        chat_outputs = [question, chatbot, previous, last_answer, cite_pick, section_view]
        chat_inputs = [question, chatbot, city, previous]
        question.submit(respond, chat_inputs, chat_outputs, api_visibility="private")
        send.click(respond, chat_inputs, chat_outputs, api_visibility="private")
        read.click(read_section, [cite_pick, last_answer], section_view, api_visibility="private")
        clear.click(clear_chat, None, [chatbot, previous, last_answer, cite_pick, section_view, question],
                    api_visibility="private")

        filters = [t_city, t_year, t_indicator]
        table_outputs = [table, t_count, dl_csv, dl_xlsx]
        for trigger in (t_city.change, t_year.change, t_indicator.submit, t_go.click):
            trigger(filter_table, filters, table_outputs, api_visibility="private")
        for trigger in (c_indicator.change, c_year.change):
            trigger(draw_chart, [c_indicator, c_year], [chart, c_caption], api_visibility="private")
        p_pick.change(lambda plan_id: plan_reader_html(index.plans[plan_id]), p_pick, p_view, api_visibility="private")

        # ------------------------------------------------------------ API

        def api_ask(question: str, city: str = "") -> dict:
            """提问。city 为空或“全部”时不限城市。返回与 `rag ask --json` 相同的字典；输入无效时返回 {"error": 中文说明}。"""
            with ask_lock:
                return ask_dict(index, question, city)

        def api_targets(city: str = "", year: str | int | None = None, indicator: str = "") -> dict:
            """量化目标表。city / year / indicator 为空表示不筛选。返回 {"targets": [...]}；输入无效时返回 {"error": 中文说明}。"""
            return targets_dict(index, city, year, indicator)

        gr.api(api_ask, api_name="ask")
        gr.api(api_targets, api_name="targets")

    return demo, theme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="碳达峰实施方案问答网页")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，只允许本机访问）")
    parser.add_argument("--port", type=int, default=7860, help="端口（默认 7860）")
    args = parser.parse_args(argv)

    settings = Settings()
    started = time.time()
    try:
        index = load_or_build(settings)
        print("正在加载嵌入模型……", flush=True)
        from rag.answer import ask

        ask(index, EXAMPLES[0])  # loads the model, jieba and caches so the first user does not wait
    except UserError as problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 2
    print(f"索引已加载：{len(index.plans)} 个方案，{len(index.chunks)} 个段落（{time.time() - started:.1f} 秒）。", flush=True)

    demo, theme = build_app(index)
    demo.queue(default_concurrency_limit=1)
    demo.launch(
        server_name=args.host, server_port=args.port, theme=theme, css=CSS, ssr_mode=False,
        show_error=True, inbrowser=False, share=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
