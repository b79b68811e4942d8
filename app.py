"""The chat app: layout and wiring only — what each part does lives in rag/web/ (see its __init__).

    python app.py [--host 127.0.0.1] [--port 7860] [--admin-password PASSWORD]
    make run PORT=8000

It listens first and loads the index after (building it when missing or stale): the page is served
at once, and a question that arrives before the index is loaded waits for it. Every list on the page
is filled from the index served at the moment the page loads, and refreshed after any action once the
index has changed. Plans are changed in the 方案 tab (behind RAG_ADMIN_PASSWORD when it is set) or with
`rag add/remove/restore/build`; either way every open page answers from the new index.
API endpoints with stable names:

    /ask      (question: str, city: str = "")   -> the record of `rag ask --json` (+ "error" when refused)
    /targets  (city: str = "", year: str|int = "", indicator: str = "") -> {"targets": [...]} or {"error": ...}
    /plans    ()                                  -> {"plans": [...]}, the rows of `rag plans --json`

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("江门2030年可再生能源装机目标是多少？", "", api_name="/ask")

and, for programs that speak plain HTTP, the JSON API at /api/v1 (ask, targets, plans, health; docs at
/api/docs) — rag/web/jsonapi.py, the same one `rag serve --workers N` runs alone.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# One BLAS thread per request, like torch and faiss (rag.serving.shared_index): the server answers many short
# questions at once, and BLAS threads of their own only spun against them (app CPU per /ask 182 -> 122 ms,
# 16 users on 83 plans). Read when numpy loads, so set before anything imports it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from rag.config import Settings  # noqa: E402
from rag.errors import UserError  # noqa: E402
from rag.serving import EXAMPLE_QUESTIONS as EXAMPLES  # noqa: E402
from rag.web.server import port_problem  # noqa: E402

WEB = Path(__file__).resolve().parent / "rag" / "web"  # page.css, page.js
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SECTION_HINT = '<div class="rag-hint">提问后，从上方选择一条引用并点击“阅读全文章节”，这里会显示它所在的整个章节。</div>'
LOADING = "## 碳达峰实施方案问答\n正在加载索引……"


def build_app(served, gate):
    """The page and the API over `served` (rag.serving.ServedIndex); changes behind `gate` (rag.web.plans.AdminGate)."""
    from rag.web.gradio_import import skip_stub_writing

    skip_stub_writing()  # half of `import gradio` (see rag/web/gradio_import.py)
    import gradio as gr

    from rag.serving import CONCURRENT_ANSWERS
    from rag.web.api import ask_dict, plans_dict, targets_dict
    from rag.web.chat import CITES_LABEL, chat_turn, citation_picker
    from rag.web.choices import ALL
    from rag.web.page import kept, page_lists
    from rag.web.plans import (
        FIELDS, KIND_CHOICES, LEVEL_CHOICES, UPLOAD_TYPES, PlanDesk, plan_change_html, plan_fields, plans_frame,
    )
    from rag.web.render import plan_reader_html, section_html
    from rag.web.targets import ExportFolder, chart_frame, default_chart, targets_view

    desk = PlanDesk(served, gate)
    exports = ExportFolder()
    limit = served.settings.max_file_bytes
    upload_note = (f'<div class="rag-upload-note" data-types="{" ".join(UPLOAD_TYPES)}" data-max-bytes="{limit}"></div>')

    with gr.Blocks(title="碳达峰实施方案问答", delete_cache=(3600, 3600)) as demo:
        shown_build = gr.State("")  # the index build this page's lists come from
        signed_in = gr.State(False)
        header = gr.Markdown(LOADING, elem_id="summary")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label="对话", show_label=False, elem_id="chat", height=520, latex_delimiters=[],
                            feedback_options=None, buttons=[], layout="panel", autoscroll=False,
                            placeholder="在下方输入问题，或点一个示例问题。可以接着追问，如“那2025年呢？”“南昌呢？”“光伏呢？”",
                        )
                        with gr.Row(elem_id="ask-row"):
                            question = gr.Textbox(
                                label="问题", show_label=False, elem_id="question", scale=6, lines=1, max_lines=4,
                                placeholder="例如：江门2030年可再生能源装机目标是多少？（回车发送）",
                            )
                            send = gr.Button("提问", variant="primary", elem_id="send", scale=1, min_width=80)
                        hint = gr.Markdown("", elem_id="chat-hint")
                        gr.HTML(f'<div class="rag-count" data-max="{served.settings.max_question_chars}"></div>',
                                elem_id="question-count")
                        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="示例问题")
                    with gr.Column(scale=2):
                        city = gr.Dropdown([ALL], value=ALL, label="限定地区", elem_id="city",
                                           info="选“全部”时按问题中提到的地区检索；跨地区的问题不受限定")
                        clear = gr.Button("清空对话", elem_id="clear")
                        cite_pick = gr.Dropdown(choices=[], value=None, label=CITES_LABEL, elem_id="cite-pick",
                                                info="选择一条引用，阅读它所在的整个章节")
                        read = gr.Button("阅读全文章节", elem_id="read-section")
                        section_view = gr.HTML(SECTION_HINT, elem_id="section-view")
                context = gr.State(None)  # the last answered question, in full: what a follow-up builds on
                last_answer = gr.State(None)  # the record of the last reply

            with gr.Tab("目标表", id="targets"):
                with gr.Row():
                    t_city = gr.Dropdown([ALL], value=ALL, label="地区", elem_id="t-city")
                    t_year = gr.Dropdown([ALL], value=ALL, label="年份", elem_id="t-year")
                    t_indicator = gr.Textbox(label="指标", placeholder="指标名称或同义词，如：非化石能源、光伏装机",
                                             elem_id="t-indicator", scale=2)
                    t_go = gr.Button("筛选", variant="primary", elem_id="t-go", min_width=80)
                with gr.Row():
                    t_count = gr.Markdown("", elem_id="t-count")
                    dl_csv = gr.DownloadButton("下载 CSV", value=None, elem_id="dl-csv", size="md")
                    dl_xlsx = gr.DownloadButton("下载 Excel", value=None, elem_id="dl-xlsx", size="md")
                table = gr.HTML("", elem_id="targets-table")
                gr.Markdown("#### 各地区对比")
                with gr.Row():
                    c_indicator = gr.Dropdown([], value=None, label="对比指标", elem_id="c-indicator")
                    c_year = gr.Dropdown([ALL], value=ALL, label="对比年份", elem_id="c-year")
                c_caption = gr.Markdown("", elem_id="c-caption")
                chart = gr.BarPlot(None, x="城市", y="数值", tooltip=["城市", "目标"], sort="-y", x_title="地区",
                                   y_title="目标值", y_lim=[0, None], height=320, elem_id="chart", show_label=False)

            with gr.Tab("方案", id="plans"):
                plans_table = gr.Dataframe(None, interactive=False, wrap=True, elem_id="plans-table", label="已收录的方案")
                with gr.Accordion("管理方案：添加、修改、移除、恢复", open=False, elem_id="p-manage"):
                    with gr.Row(visible=gate.required, elem_id="p-signin-row") as signin_row:
                        p_password = gr.Textbox(label="管理员密码", type="password", elem_id="p-password", scale=3,
                                                placeholder="修改方案需要管理员密码；提问和目标表不需要")
                        p_signin = gr.Button("登录", elem_id="p-signin", scale=1, min_width=80)
                    p_signin_note = gr.Markdown("", elem_id="p-signin-note")
                    with gr.Column(visible=not gate.required, elem_id="p-admin") as admin_panel:
                        gr.Markdown(f"**添加**：上传方案文件（{' '.join(UPLOAD_TYPES)}，每个不超过 {limit / 1e6:g} MB），"
                                    "可一次多个；添加后即可提问，无需重启。")
                        with gr.Row():
                            p_files = gr.File(label="方案文件", file_count="multiple", elem_id="p-files", scale=3)
                            p_add = gr.Button("添加并更新索引", variant="primary", elem_id="p-add", scale=1)
                        gr.HTML(upload_note, elem_id="p-upload-note")
                        gr.Markdown("**修改或移除**：选择一个方案，改正自动识别有误的信息（写入 plans.json，留空表示使用自动识别的值）。")
                        p_target = gr.Dropdown([], value=None, label="要修改或移除的方案", elem_id="p-target")
                        with gr.Row():
                            p_fields = {}
                            for key, label in FIELDS:
                                if key == "level":
                                    p_fields[key] = gr.Dropdown([("（未识别）", ""), *LEVEL_CHOICES], value="", label=label,
                                                                elem_id=f"p-{key}", min_width=120)
                                elif key == "kind":
                                    p_fields[key] = gr.Dropdown(KIND_CHOICES, value=None, label=label, elem_id=f"p-{key}",
                                                                min_width=120)
                                else:
                                    p_fields[key] = gr.Textbox(label=label, elem_id=f"p-{key}", min_width=160,
                                                               placeholder="YYYY-MM-DD" if key == "issued" else None)
                        with gr.Row():
                            p_save = gr.Button("保存修改", variant="primary", elem_id="p-save")
                            p_remove = gr.Button("移除此方案", variant="stop", elem_id="p-remove")
                        gr.Markdown("**恢复**：移除的方案连同它的修改一起保存，可随时放回。")
                        with gr.Row():
                            p_restore_pick = gr.Dropdown([], value=None, label="已移除的方案", elem_id="p-restore-pick", scale=3)
                            p_restore = gr.Button("恢复", elem_id="p-restore", scale=1, min_width=80)
                    p_report = gr.HTML("", elem_id="p-report")
                p_pick = gr.Dropdown([], value=None, label="阅读方案全文", elem_id="p-pick")
                p_view = gr.HTML("", elem_id="p-view")

        # ------------------------------------------------------------ everything that lists plans, from the index served now

        field_list = [p_fields[key] for key, _ in FIELDS]
        lists_in = [shown_build, city, t_city, t_year, t_indicator, c_indicator, c_year, p_target, p_pick]
        lists_out = [shown_build, header, city, t_city, t_year, table, t_count, dl_csv, dl_xlsx, c_indicator, c_year,
                     chart, c_caption, plans_table, p_target, *field_list, p_restore_pick, p_pick, p_view]

        def read_plan(plan_id):
            plan = served.current.plans.get(plan_id)
            return plan_reader_html(plan) if plan else '<div class="rag-hint">该方案已被移除。</div>'

        def form(plan_id):
            values = plan_fields(served.current, plan_id)
            return [values[key] or (None if key == "kind" else "") for key, _ in FIELDS]

        def refresh(shown, chat_city, city_filter, year, indicator, chart_indicator, chart_year, target, reading, force=False):
            """Every list from the index served now; nothing changes when this page already shows it."""
            now = served.current
            if shown == now.path.name and not force:
                return [gr.skip()] * len(lists_out)
            lists = page_lists(now)
            city_filter, year = kept(city_filter, lists.places, ALL), kept(year, lists.years, ALL)
            view = targets_view(now, exports, city_filter, year, indicator)
            default_indicator, default_year = default_chart(now.targets)
            chart_indicator = kept(chart_indicator, lists.indicators, default_indicator)
            chart_year = kept(chart_year, lists.years, default_year) if not force else default_year
            frame, caption = chart_frame(now.targets, chart_indicator, chart_year)
            target = kept(target, lists.plans)
            reading = kept(reading, lists.plans, lists.plans[0][1] if lists.plans else None)
            return [lists.build, lists.summary, gr.update(choices=lists.places, value=kept(chat_city, lists.places, ALL)),
                    gr.update(choices=lists.places, value=city_filter), gr.update(choices=lists.years, value=year),
                    view.table, view.count, view.csv_path, view.xlsx_path,
                    gr.update(choices=lists.indicators, value=chart_indicator),
                    gr.update(choices=lists.years, value=chart_year), frame, caption, plans_frame(now),
                    gr.update(choices=lists.plans, value=target), *form(target),
                    gr.update(choices=lists.removed, value=None), gr.update(choices=lists.plans, value=reading),
                    read_plan(reading)]

        def after(event):
            """Run `refresh` once `event` is done: an open page catches up with the index on its next action."""
            return event.then(refresh, lists_in, lists_out, api_visibility="private", show_progress="hidden")

        demo.load(lambda *shown: refresh(*shown, force=True), lists_in, lists_out, api_visibility="private")

        # ------------------------------------------------------------ chat

        def respond(message, history, chosen_city, asked_before):
            turn = chat_turn(served, message, history, chosen_city, asked_before)
            picker = gr.update(choices=turn.picker.choices, value=turn.picker.value, label=turn.picker.label)
            return ("" if turn.cleared_input else gr.skip(), turn.history, turn.context, turn.answer, picker,
                    SECTION_HINT, turn.hint)

        def read_section(choice, answer):
            if not choice:
                return SECTION_HINT
            plan_id, _, position = str(choice).rpartition(":")
            plan = served.current.plans.get(plan_id)
            if plan is None or not position.isdigit():
                return '<div class="rag-hint">找不到这条引用（方案可能已被移除），请重新提问。</div>'
            return section_html(plan, int(position), (answer or {}).get("highlight", []))

        def clear_chat():
            empty = citation_picker(None)
            return [], None, None, gr.update(choices=empty.choices, value=None, label=empty.label), SECTION_HINT, ""

        chat_outputs = [question, chatbot, context, last_answer, cite_pick, section_view, hint]
        chat_inputs = [question, chatbot, city, context]
        after(question.submit(respond, chat_inputs, chat_outputs, api_visibility="private"))
        after(send.click(respond, chat_inputs, chat_outputs, api_visibility="private"))
        after(read.click(read_section, [cite_pick, last_answer], section_view, api_visibility="private"))
        cleared = [chatbot, context, last_answer, cite_pick, section_view, hint]
        after(clear.click(lambda: (*clear_chat(), ""), None, cleared + [question], api_visibility="private"))
        # the trash icon resets the context too; the chat empties in the browser at once, so the question
        # box is left alone: a question typed right after must not be wiped by this reset arriving late
        chatbot.clear(clear_chat, None, cleared, api_visibility="private")

        # ------------------------------------------------------------ targets

        def filter_table(city_filter, year, indicator):
            try:
                view = targets_view(served.current, exports, city_filter, year, indicator)
            except UserError as problem:
                raise gr.Error(str(problem))
            return view.table, view.count, view.csv_path, view.xlsx_path

        table_outputs = [table, t_count, dl_csv, dl_xlsx]
        for trigger in (t_city.input, t_year.input, t_indicator.submit, t_go.click):
            after(trigger(filter_table, [t_city, t_year, t_indicator], table_outputs, api_visibility="private"))
        for trigger in (c_indicator.input, c_year.input):
            after(trigger(lambda indicator, year: chart_frame(served.current.targets, indicator, year),
                          [c_indicator, c_year], [chart, c_caption], api_visibility="private"))

        # ------------------------------------------------------------ plans

        after(p_pick.input(read_plan, p_pick, p_view, api_visibility="private"))
        after(p_target.input(form, p_target, field_list, api_visibility="private"))

        def sign_in(typed):
            ok, message = desk.sign_in(typed)
            return ok, message, gr.update(visible=not ok), gr.update(visible=ok), ""

        p_signin.click(sign_in, p_password, [signed_in, p_signin_note, signin_row, admin_panel, p_password],
                       api_visibility="private")
        p_password.submit(sign_in, p_password, [signed_in, p_signin_note, signin_row, admin_panel, p_password],
                          api_visibility="private")

        def shown(change):
            """A change's report; the file list empties once its files are in."""
            return plan_change_html(change), gr.update(value=None) if change.ok else gr.skip()

        change = dict(api_visibility="private", concurrency_limit=1, concurrency_id="plan-change")
        after(p_add.click(lambda files, admin: shown(desk.add(files, admin)), [p_files, signed_in], [p_report, p_files],
                          **change))
        after(p_save.click(lambda target, admin, *values: plan_change_html(
            desk.edit(target, dict(zip([k for k, _ in FIELDS], values)), admin)),
            [p_target, signed_in, *field_list], p_report, **change))
        after(p_remove.click(lambda target, admin: plan_change_html(desk.remove(target, admin)), [p_target, signed_in],
                             p_report, **change))
        after(p_restore.click(lambda key, admin: plan_change_html(desk.restore(key, admin)), [p_restore_pick, signed_in],
                              p_report, **change))

        # ------------------------------------------------------------ API

        def api_ask(question: str, city: str = "") -> dict:
            """提问。city 为空或“全部”时不限地区。返回与 `rag ask --json` 相同的字典（answer 总是给用户的那句话）；
            输入无效时另有 error。"""
            return ask_dict(served, question, city)

        def api_targets(city: str = "", year: str | int | None = None, indicator: str = "") -> dict:
            """量化目标表。city / year / indicator 为空表示不筛选。返回 {"targets": [...]}；输入无效时返回 {"error": 中文说明}。"""
            return targets_dict(served, city, year, indicator)

        def api_plans() -> dict:
            """已收录的方案，与 `rag plans --json` 相同：{"plans": [...]}。"""
            return plans_dict(served)

        gr.api(api_ask, api_name="ask", concurrency_limit=CONCURRENT_ANSWERS)
        gr.api(api_targets, api_name="targets", concurrency_limit=CONCURRENT_ANSWERS)
        gr.api(api_plans, api_name="plans", concurrency_limit=CONCURRENT_ANSWERS)

    return demo


def main(argv: list[str] | None = None) -> int:
    from rag.usertext import ChineseParser

    parser = ChineseParser(prog="app.py", description="碳达峰实施方案问答网页")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，只允许本机访问）")
    parser.add_argument("--port", type=int, default=7860, help="端口（默认 7860）")
    parser.add_argument("--admin-password", default=None,
                        help="添加、修改、移除、恢复方案所需的管理员密码（默认读取 RAG_ADMIN_PASSWORD；不设则不需要）")
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        settings = Settings()  # a bad RAG_… setting is one Chinese line, like any other refusal
    except UserError as problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 2
    if not 1 <= args.port <= 65535:
        print(f"错误：端口应在 1 到 65535 之间，收到 {args.port}。", file=sys.stderr)
        return 2
    password = args.admin_password if args.admin_password is not None else os.environ.get("RAG_ADMIN_PASSWORD", "")
    if args.host not in LOCAL_HOSTS and not password:
        print(f"警告：网页将在 {args.host}:{args.port} 上对其他电脑开放，但没有设置管理员密码：任何能打开网页的人都可以添加、"
              "修改、移除和恢复方案。请用 RAG_ADMIN_PASSWORD 或 --admin-password 设置密码。", file=sys.stderr, flush=True)
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 2

    from rag.serving import CONCURRENT_ANSWERS, ServedIndex
    from rag.web.plans import AdminGate

    served = ServedIndex(settings, warm_questions=tuple(EXAMPLES))
    # the queue's default concurrency, read when the page is made (a .queue() call after it would make
    # Gradio's FastAPI app once more: ~0.1-0.2 s of start-up)
    os.environ["GRADIO_DEFAULT_CONCURRENCY_LIMIT"] = str(CONCURRENT_ANSWERS)
    demo = build_app(served, AdminGate(password))
    import gradio as gr
    from starlette.routing import Mount

    from rag.web.jsonapi import PREFIX, json_api

    try:
        demo.launch(
            app_kwargs={"routes": [Mount(PREFIX, app=json_api(served))]},  # before Gradio's own routes
            server_name=args.host, server_port=args.port, css_paths=[WEB / "page.css"],
            head=f"<script>{(WEB / 'page.js').read_text(encoding='utf-8')}</script>",
            theme=gr.themes.Soft(font=["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
                                       "WenQuanYi Micro Hei", "sans-serif"], font_mono=["ui-monospace", "monospace"]),
            ssr_mode=False, show_error=False, inbrowser=False, share=False, quiet=True, prevent_thread_lock=True,
            max_file_size=settings.max_file_bytes,  # plan uploads; rag.web.plans checks the same limit again
        )
    except OSError as exc:  # the port was taken between the check and the launch
        print(f"错误：无法在 {args.host}:{args.port} 上监听（{exc}）。请换一个端口，例如 --port 8000", file=sys.stderr)
        return 2
    print(f"网页已可访问：http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}/"
          f"（{time.monotonic() - started:.1f} 秒）。正在加载索引……", flush=True)
    try:
        index = served.load()
        served.warm_up()  # the model, jieba and the index's caches, so that users do not wait for them
        served.follow()  # a `rag build` in a terminal is loaded in the background, before the next question
    except UserError as problem:
        print(f"错误：{problem}", file=sys.stderr)
        demo.close()
        return 2
    print(f"索引已加载：{len(index.plans)} 个方案，{len(index.chunks)} 个段落（启动后 {time.monotonic() - started:.1f} 秒）。",
          flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
