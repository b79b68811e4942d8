"""`rag` command line: build the index, ask questions, list targets, run evaluations.

    rag build [--corpus DIR] [--index DIR] [--strict] [--json]
    rag add FILE... [--corpus DIR] [--index DIR]
    rag remove PLAN_ID
    rag plans [--json]
    rag ask "江门2030年可再生能源装机目标是多少？" [--city 江门] [--k 5] [--json]
    rag ask --batch questions.txt --json
    rag targets --city 南昌 --year 2025 --indicator 非化石能源 --csv
    rag eval-targets [--json]
    rag eval [--set FILE] [--k 5] [--json] [--baseline evals/baseline.json]
    rag bench [--build] [--web] [--scale N] [--backends] [--normalize] [--load] [--json]

User errors print one sentence to stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path

from .config import MAX_PASSAGES, Settings
from .errors import UserError, os_reason


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    if getattr(args, "corpus", None):
        settings = replace(settings, corpus_dir=Path(args.corpus))
    if getattr(args, "index", None):
        settings = replace(settings, index_dir=Path(args.index))
    if getattr(args, "model", None):
        settings = replace(settings, model=args.model)
    warnings.simplefilter("default")
    warnings.formatwarning = lambda message, *_a, **_k: f"警告：{message}\n"
    try:
        return args.run(args, settings)
    except UserError as error:
        print(f"错误：{one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rag ask … | head`: the reader has gone, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def one_line(text: str, limit: int = 300) -> str:
    """A message as one line of bounded length: it may repeat what the user typed."""
    from .ui import clip

    return clip(re.sub(r"\s+", " ", text).strip(), limit)


# argparse's own messages, in Chinese; anything else is quoted inside a Chinese sentence
ARGPARSE_MESSAGES = (
    (r"argument (\S+): invalid int value: (.*)", r"参数 \1 应是整数，收到 \2"),
    (r"argument (\S+): invalid choice: (\S+) .*", r"没有这个命令或取值：\2（\1）"),
    (r"argument (\S+): expected one argument", r"参数 \1 缺少取值"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
    (r"argument (\S+): (.*)", r"参数 \1：\2"),
    (r"the following arguments are required: (.*)", r"缺少参数：\1"),
    (r"unrecognized arguments: (.*)", r"不认识的参数：\1"),
)


class ChineseParser(argparse.ArgumentParser):
    """Usage errors as one Chinese line on stderr and exit status 2, like every other user error."""

    def error(self, message: str):
        for pattern, chinese in ARGPARSE_MESSAGES:
            if re.fullmatch(pattern, message, flags=re.S):
                message = re.sub(pattern, chinese, message, flags=re.S)
                break
        else:
            message = f"命令行参数有误（{message}）"
        self.exit(2, f"错误：{one_line(message)}。用法见 {self.prog} --help\n")


def k_value(text: str) -> int:
    """--k: passages per answer, 1 to MAX_PASSAGES, checked before any work."""
    try:
        k = int(text)
    except ValueError:
        k = 0
    if not 1 <= k <= MAX_PASSAGES:
        raise argparse.ArgumentTypeError(f"应是 1 到 {MAX_PASSAGES} 之间的整数，收到 {text[:20]}")
    return k


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
    p.set_defaults(run=_build)

    p = sub.add_parser("add", help="把方案文件复制进语料目录并更新索引")
    common(p)
    p.add_argument("files", nargs="+", metavar="FILE", help=".txt/.md/.html/.pdf/.docx 文件")
    p.add_argument("--json", action="store_true", help="以 JSON 输出构建报告")
    p.set_defaults(run=_add)

    p = sub.add_parser("remove", help="从语料和索引中移除一个方案（文件移到 索引目录/removed/）")
    common(p)
    p.add_argument("plan_id", help="方案编号（见 rag plans）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出构建报告")
    p.set_defaults(run=_remove)

    p = sub.add_parser("plans", help="列出已收录的方案及其元数据")
    common(p)
    p.add_argument("--json", action="store_true", help='输出 {"plans": [...]}')
    p.set_defaults(run=_plans)

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
    fmt.add_argument("--csv", action="store_true")
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
    p.set_defaults(run=_eval)

    p = sub.add_parser("bench", help="性能基准：冷构建时间与热问答延迟（中位数）")
    common(p)
    p.add_argument("--build", action="store_true", help="同时测冷构建（写入临时目录）")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--normalize", action="store_true", help="只测清洗速度：1/4/16 MB 输入的 MB/s 与时间比")
    p.add_argument("--load", action="store_true", help="只做负载检查：4 个进程 200 次提问，同时 3 次强制重建")
    p.add_argument("--web", action="store_true", help="网页并发：启动 app.py，16 个 gradio_client 用户各问 5 个问题（p50/p95/错误数）")
    p.add_argument("--scale", type=int, metavar="N", help="规模：把语料重复 N 倍（合成），测问答 p50/p95 与内存，并与 1 倍对比")
    p.add_argument("--backends", action="store_true",
                   help="每个嵌入后端：冷构建内置方案 + ../shared/realpdfs 的用时与每秒段落数，及三个问题集的 hit@5")
    p.add_argument("--json", action="store_true", help="--scale / --backends 的结果以 JSON 输出")
    p.set_defaults(run=_bench)
    return parser


def _build(args, settings: Settings) -> int:
    from .index import build_index

    result = build_index(settings, progress=not args.json, force=args.force)
    return _report(result, args)


def _add(args, settings: Settings) -> int:
    from .index import add_plans

    return _report(add_plans(settings, [Path(f) for f in args.files], progress=not args.json), args)


def _remove(args, settings: Settings) -> int:
    from .index import remove_plan

    result, kept = remove_plan(settings, args.plan_id, progress=not args.json)
    if not args.json:
        print(f"已移除方案 {args.plan_id}；原文件已移到 {kept}")
    return _report(result, args)


def _report(result, args) -> int:
    """The build report: one line per file (or JSON); exit 1 under --strict when a file was skipped."""
    if getattr(args, "json", False):
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        for line in report_lines(result):
            print(line)
    return 1 if getattr(args, "strict", False) and result.skipped else 0


STATUS = {"indexed": "收录", "unplaced": "收录（地区未识别）", "skipped": "跳过"}
STAGE_NAMES = {"parse": "读取解析", "embed": "向量化", "lexical": "关键词索引", "targets": "目标归一", "vectors": "向量索引",
               "write": "写入"}


def report_lines(result) -> list[str]:
    from .places import LEVEL_NAMES

    lines = []
    for f in result.files:
        if f.status == "skipped":
            lines.append(f"[跳过] {f.file}：{f.error}")
            continue
        place = f"{f.place}（{LEVEL_NAMES.get(f.level, f.level)}）" if f.place else "地区未知"
        line = (f"[{STATUS[f.status]}] {f.file} → {place}《{f.title}》 文号 {f.doc_number or '—'} · 签发 {f.issued or '—'} · "
                f"{f.kind} · {f.chunks} 段 · {f.targets} 条目标 · 修复乱码 {f.repairs} 处")
        lines.append(line + (f" · 警告：{'；'.join(f.warnings)}" if f.warnings else ""))
    m = result.manifest
    skipped = len(result.skipped)
    if result.unchanged:
        lines.append(f"语料未变化，索引已是最新：{m.plans} 个方案，{m.chunks} 个段落，{m.targets} 条目标。")
    else:
        lines.append(
            f"索引已建成：{m.plans} 个方案，{m.chunks} 个段落（新向量化 {result.embedded} 个），{m.targets} 条目标，"
            f"跳过 {skipped} 个文件，模型 {m.model}（{m.dims} 维，后端 {m.embed_backend}），"
            f"向量索引 {m.vector_index}（recall@5 {m.recall_at_5:.4f}），用时 {m.build_seconds} 秒。"
        )
        stages = "，".join(f"{STAGE_NAMES.get(name, name)} {seconds} 秒" for name, seconds in result.stages.items())
        lines.append(f"各阶段：{stages}；{result.reused_files} 个文件的解析取自缓存。")
    return lines


def _plans(args, settings: Settings) -> int:
    from .index import load_index

    index = load_index(settings, check_corpus=False)
    chunks, targets = Counter(c.plan_id for c in index.chunks), Counter(t.plan_id for t in index.targets)
    rows = [
        {"file": p.file, "plan_id": p.plan_id, "place": p.place, "level": p.level, "province": p.province,
         "parent": p.parent, "title": p.title, "doc_number": p.doc_number, "issued": p.issued, "issuer": p.issuer,
         "kind": p.kind, "chunks": chunks[p.plan_id], "targets": targets[p.plan_id]}
        for p in index.plans.values()
    ]
    if args.json:
        print(json.dumps({"plans": rows}, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        print(f"{r['plan_id']}\t{r['place'] or '—'}\t{r['level'] or '—'}\t《{r['title']}》\t{r['doc_number'] or '—'}\t"
              f"{r['issued'] or '—'}\t{r['kind']}\t{r['chunks']} 段\t{r['targets']} 条目标\t{r['file']}")
    print(f"共 {len(rows)} 个方案。", file=sys.stderr)
    return 0


def _ask(args, settings: Settings) -> int:
    from .answer import ask
    from .index import load_index
    from .ui import clean_input

    if (args.question is None) == (args.batch is None):
        raise UserError("请给出一个问题，或用 --batch 指定问题文件（二者选一）。")
    questions = [clean_input(args.question)] if args.question is not None else _read_batch(args.batch)
    index = load_index(settings)
    for question in questions:
        try:
            result = ask(index, question, city=args.city, k=args.k)
        except UserError as error:
            if not args.batch:
                raise
            message = one_line(str(error))
            print(json.dumps({"question": question, "error": message}, ensure_ascii=False) if args.json else f"错误：{message}")
            continue
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            print(format_text(result))
    return 0


def _read_batch(path: str) -> list[str]:
    """The questions of a batch file, one a line, with control and bidi characters removed."""
    from .ui import clean_input

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"问题文件不存在：{path}") from None
    except UnicodeDecodeError:
        raise UserError(f"问题文件 {path} 不是 UTF-8 编码。") from None
    except OSError as exc:
        raise UserError(f"无法读取问题文件 {path}（{os_reason(exc)}）。") from None
    questions = [clean_input(line) for line in lines if clean_input(line)]
    if not questions:
        raise UserError(f"问题文件 {path} 中没有问题。")
    return questions


def format_text(result) -> str:
    lines = [f"问：{result.question}"]
    lines.append(f"答：{result.answer}" if result.found else f"答：未找到。{result.answer or result.note}")
    for p in result.passages:
        c = p.chunk
        lines.append(f"[{p.rank}] 《{c.title}》{c.section}（{c.city}，第 {c.char_start}–{c.char_end} 字）")
        lines.append("    " + c.text.replace("\n", "\n    "))
    return "\n".join(lines) + "\n"


def _targets(args, settings: Settings) -> int:
    from .index import load_index
    from .retrieve import place_names
    from .targets import filter_targets, write_csv

    index = load_index(settings)
    city = None
    if args.city:
        city = place_names(index).resolve(args.city)
        if not city:
            raise UserError(f"未知城市：{args.city}。语料中有：{'、'.join(p.label for p in index.plans.values())}")
    rows = filter_targets(index.targets, city=city, year=args.year, indicator=args.indicator)
    if args.json:
        print(json.dumps({"targets": [t.to_dict() for t in rows]}, ensure_ascii=False, indent=1))
    elif args.csv:
        write_csv(sys.stdout, rows)
    else:
        for t in rows:
            print(f"{t.city}\t{t.year}\t{t.canonical}\t{t.indicator}\t{t.value_text()}")
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
    from .bench import backend_builds, load_check, normalize_throughput, run_bench, run_scale_bench, run_web_bench

    if args.scale is not None and args.scale < 1:
        raise UserError("--scale 应为正整数（语料重复的倍数），例如 --scale 100。")
    chosen = [
        *(normalize_throughput(settings) if args.normalize else []),
        *(load_check(settings) if args.load else []),
        *([run_web_bench(settings)] if args.web else []),
        *([run_scale_bench(settings, args.scale, args.rounds, args.json)] if args.scale else []),
        *(backend_builds(settings, args.json) if args.backends else []),
    ]
    print("\n".join(chosen) if chosen else run_bench(settings, args.build, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
