"""`rag` command line: build the index, ask questions, list targets, run evaluations.

    rag build [--corpus DIR] [--index DIR] [--strict] [--json] [--cluster ADDRESS|local]
    rag add FILE... [--corpus DIR] [--index DIR]
    rag remove PLAN_ID
    rag restore [KEY]
    rag plans [--json]
    rag ask "江门2030年可再生能源装机目标是多少？" [--city 江门] [--k 5] [--json]
    rag ask --batch questions.txt --json
    rag targets --city 南昌 --year 2025 --indicator 非化石能源 --csv
    rag targets --city 南昌 --xlsx 南昌目标.xlsx
    rag eval-targets [--json]
    rag eval [--set FILE] [--k 5] [--json] [--baseline evals/baseline.json]
    rag serve [--host 127.0.0.1] [--port 8000] [--workers N]     # the JSON API alone (/api/v1, docs at /api/docs)
    rag bench [--build] [--web] [--start] [--scale N] [--backends] [--resume] [--normalize] [--load] [--corpus DIR --index DIR] [--json]

User and environment errors print one sentence to stderr and exit with status 2; `rag build
--strict` exits 1 when a file was skipped; an error nobody foresaw prints one sentence and exits 3
(`RAG_DEBUG=1` shows the traceback).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from dataclasses import replace
from pathlib import Path

from .config import MAX_PASSAGES, Settings
from .errors import UserError, check_length, os_reason
from .usertext import ChineseParser, one_line, run_command


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    warnings.simplefilter("default")
    warnings.formatwarning = lambda message, *_a, **_k: f"警告：{message}\n"
    return run_command(lambda: args.run(args, Settings().given(getattr(args, "corpus", None), getattr(args, "index", None),
                                                               getattr(args, "model", None))))


def whole_number(low: int, high: int):
    """An argparse type: an integer from `low` to `high`, checked before any work."""

    def value(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"应是 {low} 到 {high} 之间的整数，收到 {text[:20]}")
        return number

    return value


k_value = whole_number(1, MAX_PASSAGES)  # --k: passages per answer
workers_value = whole_number(1, 4 * (os.cpu_count() or 1))  # --workers: 1 to 4 per core


def _parser() -> argparse.ArgumentParser:
    parser = ChineseParser(prog="rag", description="碳达峰实施方案检索问答")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--corpus", help="语料目录（默认 corpus/ 或 RAG_CORPUS）")
        p.add_argument("--index", help="索引目录（默认 index/ 或 RAG_INDEX）")
        p.add_argument("--model", help="嵌入模型目录或模型名（默认 RAG_MODEL → ../shared/models/m3e-small → moka-ai/m3e-small）")

    p = sub.add_parser("build", help="清洗语料、分块、向量化并抽取目标，原子地替换索引（只向量化有变化的段落）")
    common(p)
    p.add_argument("--strict", action="store_true", help="有文件被跳过时退出码为 1")
    p.add_argument("--json", action="store_true", help="以 JSON 输出构建报告")
    p.add_argument("--force", action="store_true", help="语料未变化也重建")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="在 Ray 集群上读取、解析和向量化：集群地址（如 ray://head:10001），或 local（用本机的核启动一个本地集群）")
    p.set_defaults(run=_build)

    p = sub.add_parser("add", help="把方案文件复制进语料目录并更新索引")
    common(p)
    p.add_argument("files", nargs="+", metavar="FILE", help=".txt/.md/.html/.pdf/.docx 文件")
    p.add_argument("--json", action="store_true", help="以 JSON 输出构建报告")
    p.set_defaults(run=_add)

    p = sub.add_parser("remove", help="从语料和索引中移除一个方案（文件和它在 plans.json 中的条目移到 索引目录/removed/，可用 rag restore 恢复）")
    common(p)
    p.add_argument("plan_id", help="方案编号（见 rag plans）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出构建报告")
    p.set_defaults(run=_remove)

    p = sub.add_parser("restore", help="把移除的方案连同它在 plans.json 中的条目放回语料并更新索引；不给 KEY 时列出可恢复的方案")
    common(p)
    p.add_argument("key", nargs="?", metavar="KEY", help="已移除方案的编号（见 rag restore）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出构建报告")
    p.set_defaults(run=_restore)

    p = sub.add_parser("plans", help="列出已收录的方案及其元数据")
    common(p)
    p.add_argument("--json", action="store_true", help='输出 {"plans": [...]}')
    p.set_defaults(run=_plans)

    p = sub.add_parser("inspect", help="查看产品从一个文件读到了什么：元数据及来源、分页文本、表格、目标、OCR 页、警告")
    common(p)
    p.add_argument("file", metavar="FILE", help="文件路径，或语料中的方案编号/文件名")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（metadata, pages, text, tables, targets, warnings）")
    p.set_defaults(run=_inspect)

    p = sub.add_parser("ask", help="提问，返回答案与引用")
    common(p)
    p.add_argument("question", nargs="?", help="问题")
    p.add_argument("--batch", help="问题文件，每行一个问题")
    p.add_argument("--city", help="只在该城市的方案中检索")
    p.add_argument("--k", type=k_value, default=5, help="返回段落数，1 到 50（默认 5）")
    p.add_argument("--json", action="store_true", help="输出 JSON（批量时每行一个对象）")
    p.set_defaults(run=_ask)

    p = sub.add_parser("targets", help="列出量化目标表")
    common(p)
    p.add_argument("--city")
    p.add_argument("--year", type=int)
    p.add_argument("--indicator", help="指标名（规范名、原文写法或同义词），不匹配原句文字")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true", help="CSV 写到标准输出（以 = + - @ 开头的单元格加 ' 前缀，不会被表格软件当作公式执行）")
    fmt.add_argument("--xlsx", metavar="FILE", help="写成 Excel 工作簿 FILE（同样的列；文本单元格一律存为文本）")
    p.set_defaults(run=_targets)

    p = sub.add_parser("eval-targets", help="在人工标注的目标集上评测目标抽取")
    common(p)
    p.add_argument("--gold", default=None, help="金标文件（默认 evals/targets_gold.jsonl）；与 --corpus 指定的语料目录对照，逐文件报告 P/R/F1")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_eval_targets)

    p = sub.add_parser("eval", help="在问题集上评测检索与回答，并与基线对比")
    common(p)
    p.add_argument("--set", dest="question_set", default=None, help="默认 evals/questions.jsonl")
    p.add_argument("--k", type=k_value, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--baseline", help="验收指标文件；任一指标下降超过容差时退出码非零")
    p.add_argument("--systems", default="langchain,bm25,full", help="要评测的系统，逗号分隔")
    p.add_argument("--holdout", help='留出文件列表（{"held_out": [...]}）：开发文件与留出文件的指标分开报告')
    p.add_argument("--meta", help="元数据金标（meta.json：文件名 -> place/level/doc_number/issued/issuer/kind）：逐字段对照已收录文件的元数据")
    p.add_argument("--versus", metavar="REPORT", help="同一问题集在另一语料上的评测报告（rag eval --json 的输出，例如只含该集文件的小语料）：逐项并列两次的指标与差值")
    p.set_defaults(run=_eval)

    p = sub.add_parser("serve", help="只提供 JSON 接口（/api/v1/ask、targets、plans、health，说明见 /api/docs），多进程共用一份索引")
    common(p)
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，只允许本机访问）")
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    p.add_argument("--workers", type=workers_value, default=1, help="工作进程数（默认 1；一般取 CPU 核数）")
    p.set_defaults(run=_serve)

    p = sub.add_parser("bench", help="性能基准：冷构建时间与热问答延迟（中位数）")
    common(p)
    p.add_argument("--build", action="store_true", help="同时测冷构建（写入临时目录）")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--normalize", action="store_true", help="只测清洗速度：1/4/16 MB 输入的 MB/s 与时间比")
    p.add_argument("--load", action="store_true", help="只做负载检查：4 个进程 200 次提问，同时 3 次强制重建")
    p.add_argument("--web", action="store_true", help="网页并发：启动 app.py，16 个 gradio_client 用户各问 5 个问题；再启动 rag serve（1 和 2 个工作进程），16 与 64 个客户端各问 20 个问题（p50/p95/错误数/内存）")
    p.add_argument("--start", action="store_true", help="网页启动：从启动 app.py 到首页可访问、到第一个回答的秒数（--rounds 次）")
    p.add_argument("--scale", type=int, metavar="N", help="规模：把语料重复 N 倍（合成），测问答 p50/p95 与内存，并与 1 倍对比")
    p.add_argument("--backends", action="store_true",
                   help="每个嵌入后端：冷构建内置方案 + ../shared/realpdfs 的用时与每秒段落数，及三个问题集的 hit@5")
    p.add_argument("--resume", action="store_true",
                   help="断点续建：内置方案 + ../shared/realpdfs 的冷构建在 25/50/75%% 时被强行终止后重跑的用时与重读文件、重嵌段落数")
    p.add_argument("--json", action="store_true", help="--scale / --backends 的结果以 JSON 输出")
    p.set_defaults(run=_bench)
    return parser


def _serve(args, settings: Settings) -> int:
    # the JSON API's server is the web layer's (rag.web.server): run it in this process's place, with the
    # options and settings given here, so that the command line does not import the web layer
    command = [sys.executable, "-m", "rag.web.server", "--host", args.host, "--port", str(args.port),
               "--workers", str(args.workers), "--corpus", str(settings.corpus_dir),
               "--index", str(settings.index_dir), "--model", settings.model]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)


def _build(args, settings: Settings) -> int:
    from .index import build_index

    if args.cluster is not None:
        settings = replace(settings, cluster=args.cluster.strip())
        if not settings.cluster:
            raise UserError("--cluster 需要集群地址（如 ray://head:10001）或 local。")
    result = build_index(settings, progress=not args.json, force=args.force)
    return _report(result, args)


def _add(args, settings: Settings) -> int:
    from .catalog import add_plans

    return _report(add_plans(settings, [Path(f) for f in args.files], progress=not args.json), args)


def _remove(args, settings: Settings) -> int:
    from .catalog import remove_plan

    result, kept = remove_plan(settings, args.plan_id, progress=not args.json)
    if not args.json:
        print(f"已移除方案 {args.plan_id}；原文件和它在 plans.json 中的条目保存在 {kept.path.parent}，可用 rag restore {kept.key} 恢复")
    return _report(result, args)


def _restore(args, settings: Settings) -> int:
    from .catalog import removed_plans, restore_plan

    if not args.key:
        removed = removed_plans(settings)
        for r in removed:
            print(f"{r.key}\t{r.label()}")
        print(f"共 {len(removed)} 个已移除的方案。" + ("用 rag restore KEY 恢复其中一个。" if removed else ""), file=sys.stderr)
        return 0
    result, record = restore_plan(settings, args.key, progress=not args.json)
    if not args.json:
        print(f"已恢复 {record.file}" + ("（连同它在 plans.json 中的条目）" if record.override else ""))
    return _report(result, args)


def _report(result, args) -> int:
    """The build report: one line per file (or JSON); exit 1 under --strict when a file was skipped."""
    if getattr(args, "json", False):
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        from .catalog import report_lines

        if not sys.stderr.isatty():  # a bar's last state stays in a log file without a line end: end it there
            print(file=sys.stderr, flush=True)
        for line in report_lines(result):
            print(line)
    return 1 if getattr(args, "strict", False) and result.skipped else 0


def _load(settings: Settings):
    """The index, and the notice (also printed on stderr) when the corpus changed since it was built."""
    from .index import load_index

    index = load_index(settings)
    notice = index.stale_notice()
    if notice:
        print(f"提示：{notice}", file=sys.stderr)
    return index, notice


def _plans(args, settings: Settings) -> int:
    from .catalog import plan_rows
    from .corpus import STATUS_NAMES
    from .places import LEVEL_NAMES

    index, _notice = _load(settings)
    rows = plan_rows(index)
    if args.json:
        print(json.dumps({"plans": rows}, ensure_ascii=False, indent=1))
        return 0
    for n, r in enumerate(rows):
        if not n or r["place"] != rows[n - 1]["place"]:  # one heading per place: its name, level, parent, documents
            count = sum(1 for o in rows if o["place"] == r["place"])
            parent = f"，属{r['parent']}" if r["parent"] else ""
            print(f"## {r['place'] or '地区未识别'}（{LEVEL_NAMES.get(r['level'], r['level'] or '—')}{parent}）：{count} 份文件")
        print(f"{r['plan_id']}\t{r['place'] or '—'}\t{r['level'] or '—'}\t《{r['title']}》\t{r['doc_number'] or '—'}\t"
              f"{r['issued'] or '—'}\t{r['kind']}\t{STATUS_NAMES[r['status']]}\t{r['chunks']} 段\t{r['targets']} 条目标\t{r['file']}")
    print(f"共 {len(rows)} 个方案。", file=sys.stderr)
    unplaced = [r["file"] for r in rows if not r["place"]]
    if unplaced:
        print(f"未识别地区的方案：{'、'.join(unplaced)}。请在语料目录的 plans.json 中为这些文件设置 place"
              "（例如 {\"文件名.pdf\": {\"place\": \"成都市\"}}），然后运行 rag build。", file=sys.stderr)
    return 0


def _inspect(args, settings: Settings) -> int:
    from tqdm import tqdm

    from .inspection import inspect_file, inspection_text, resolve_file

    path = resolve_file(args.file, settings)
    with tqdm(total=0, desc=f"读取 {path.name}", unit="页", disable=args.json, leave=False, file=sys.stderr) as bar:
        def progress(page, pages, _ocr):
            bar.total = pages
            bar.update(page - bar.n)
        found = inspect_file(path, settings, progress)
    print(json.dumps(found, ensure_ascii=False, indent=1) if args.json else inspection_text(found))
    return 0


def _ask(args, settings: Settings) -> int:
    from .answer import ask
    from .usertext import answer_record, question_text, refusal_record

    if (args.question is None) == (args.batch is None):
        raise UserError("请给出一个问题，或用 --batch 指定问题文件（二者选一）。")
    questions = [question_text(args.question)] if args.question is not None else _read_batch(args.batch)
    check_length(args.city or "", settings.max_field_chars, "城市名称", "RAG_MAX_FIELD_CHARS")
    index, _notice = _load(settings)  # the stale notice goes to stderr once; each record carries it too
    for question in questions:
        try:
            result = ask(index, question, city=args.city, k=args.k)
        except UserError as error:
            if not args.batch:
                raise
            message = one_line(str(error))
            print(json.dumps(refusal_record(question, message), ensure_ascii=False) if args.json else f"错误：{message}")
            continue
        if args.json:
            print(json.dumps(answer_record(result), ensure_ascii=False))
        else:
            print(format_text(result))
    return 0


def _read_batch(path: str) -> list[str]:
    """The questions of a batch file, one a line, with control and bidi characters removed."""
    from .usertext import question_text

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"问题文件不存在：{path}") from None
    except UnicodeDecodeError:
        raise UserError(f"问题文件 {path} 不是 UTF-8 编码。") from None
    except OSError as exc:
        raise UserError(f"无法读取问题文件 {path}（{os_reason(exc)}）。") from None
    questions = [question_text(line) for line in lines if question_text(line)]
    if not questions:
        raise UserError(f"问题文件 {path} 中没有问题。")
    return questions


def format_text(result) -> str:
    lines = [f"问：{result.question}"]
    lines.append(f"答：{result.answer}" if result.found else f"答：未找到。{result.answer or result.note}")
    if result.notice:
        lines.append(f"提示：{result.notice}")
    for p in result.passages:
        c = p.chunk
        lines.append(f"[{p.rank}] 《{c.title}》{c.section}（{c.city}，{c.pages or f'第 {c.char_start}–{c.char_end} 字'}）")
        lines.append("    " + c.text.replace("\n", "\n    "))
    return "\n".join(lines) + "\n"


def _targets(args, settings: Settings) -> int:
    from .question import place_names
    from .exports import write_csv, write_xlsx
    from .targets import CSV_COLUMNS, filter_targets, machine_rows

    check_length(args.city or "", settings.max_field_chars, "城市名称", "RAG_MAX_FIELD_CHARS")
    check_length(args.indicator or "", settings.max_field_chars, "指标名称", "RAG_MAX_FIELD_CHARS")
    index, _notice = _load(settings)
    city = None
    if args.city:
        city = place_names(index).resolve(args.city)
        if not city:
            raise UserError(f"未知城市：{args.city}。语料中有：{'、'.join(p.label for p in index.plans.values())}")
    rows = filter_targets(index.targets, city=city, year=args.year, indicator=args.indicator)
    if args.json:
        print(json.dumps({"targets": [t.to_dict() for t in rows]}, ensure_ascii=False, indent=1))
    elif args.csv:
        write_csv(sys.stdout, CSV_COLUMNS, machine_rows(rows))
    elif args.xlsx:
        path = Path(args.xlsx)
        if path.suffix.lower() != ".xlsx" or not path.parent.is_dir():
            raise UserError(f"--xlsx 需要一个已存在目录中的 .xlsx 文件名：{args.xlsx}")
        write_xlsx(path, CSV_COLUMNS, machine_rows(rows), "targets")
        print(f"已写入 {len(rows)} 条目标：{path}", file=sys.stderr)
    else:
        for t in rows:
            source = ("表格" if t.from_table else "正文") + (f"第{t.page_start}页" if t.page_start else "")
            kind = {"actual": "\t现状值", "projection": "\t预计值"}.get(t.kind, "")
            print(f"{t.city}\t{t.year}\t{t.canonical}\t{t.indicator}\t{t.value_text()}\t{source}{kind}")
        print(f"共 {len(rows)} 条。", file=sys.stderr)
    return 0


def _eval_targets(args, settings: Settings) -> int:
    from .evaluate import evaluate_targets

    report = evaluate_targets(settings, Path(args.gold) if args.gold else None)
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else report["text"])
    return 0


def _eval(args, settings: Settings) -> int:
    from .evaluate import run_eval

    ok = run_eval(settings, args)
    return 0 if ok else 1


def _bench(args, settings: Settings) -> int:
    """Each flag picks one benchmark (several may be combined); none gives the warm-latency run."""
    from .bench import backend_builds, load_check, normalize_throughput, resume_timings, run_bench, run_scale_bench
    from .webbench import run_json_bench, run_start_bench, run_web_bench

    if args.scale is not None and args.scale < 1:
        raise UserError("--scale 应为正整数（语料重复的倍数），例如 --scale 100。")
    chosen = [
        *(normalize_throughput(settings) if args.normalize else []),
        *(load_check(settings) if args.load else []),
        *([run_web_bench(settings), run_json_bench(settings)] if args.web else []),
        *([run_start_bench(settings, args.rounds)] if args.start else []),
        *([run_scale_bench(settings, args.scale, args.rounds, args.json)] if args.scale else []),
        *(backend_builds(settings, args.json) if args.backends else []),
        *(resume_timings(settings) if args.resume else []),
    ]
    print("\n".join(chosen) if chosen else run_bench(settings, args.build, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
