"""Measure the product: target extraction against hand-checked gold, and question
answering against known answers, side by side with two baselines.

Baselines, run in the same process on the same questions:
- `langchain`: the common recipe — raw scraped text, RecursiveCharacterTextSplitter(500, 50),
  the same embedding model, FAISS top-k, answer = top passage, never refuses;
- `bm25`: BM25 alone over our cleaned chunks, answer = top passage, never refuses;
- `full`: this system, through exactly the code path of `rag ask`.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .config import PROJECT_ROOT, Settings
from .errors import UserError
from .normalize import normalize, to_simplified

EVALS = PROJECT_ROOT / "evals"
REPORTS = EVALS / "reports"
KINDS = ("target", "fact", "open", "compare", "unanswerable")  # open: ../shared/realpdfs asks for passages
FIELDS = ("id", "question", "city", "kind", "answer", "answer_keys", "evidence", "source", "note")


def comparable(text: str) -> str:
    """Simplified, no whitespace, full-width punctuation folded: how answers are compared."""
    text = to_simplified(text or "")
    text = text.translate(str.maketrans("，：；（）！？％", ",:;()!?%"))
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------- targets


def evaluate_targets(settings: Settings, gold_path: Path | None = None) -> dict:
    """Extraction against hand-checked gold rows, per file and overall.

    Extraction is run on the corpus folder directly (no index needed). A predicted row matches a
    gold row of the same plan when year, value and unit agree and the indicators are the same
    (`same_indicator`); each row matches at most once. Gold rows with no value mark a file that
    states no numeric target: anything extracted there is a false positive.
    """
    from .corpus import load_plans
    from .targets import extract_targets

    gold_path = gold_path or EVALS / "targets_gold.jsonl"
    gold_rows = _read_jsonl(gold_path)
    plans, _ = load_plans(settings.corpus_dir, progress=False)
    predicted = [t for plan in plans for t in extract_targets(plan) if not t.qualitative and t.value is not None]
    gold = [r for r in gold_rows if not r.get("qualitative") and r.get("value") is not None and r.get("year")]
    gold_plans = {r["plan_id"] for r in gold_rows}
    predicted = [t for t in predicted if t.plan_id in gold_plans]  # only files someone checked by hand
    matched, missed = _match_targets(gold, predicted)
    paired = {id(t) for _, t in matched}
    extra = [t for t in predicted if id(t) not in paired]
    per_file = {}
    for plan_id in sorted(gold_plans):
        hits = sum(1 for g, _ in matched if g["plan_id"] == plan_id)
        n_pred = sum(1 for t in predicted if t.plan_id == plan_id)
        n_gold = sum(1 for g in gold if g["plan_id"] == plan_id)
        per_file[plan_id] = {"gold": n_gold, "predicted": n_pred, "matched": hits, **_prf(hits, n_pred, n_gold)}
    totals = _prf(len(matched), len(predicted), len(gold))
    report = {
        **totals, "gold": len(gold), "predicted": len(predicted), "matched": len(matched), "per_file": per_file,
        "missed": [{k: r.get(k) for k in ("plan_id", "year", "indicator", "value", "unit", "sentence")} for r in missed],
        "false_positives": [{"plan_id": t.plan_id, "year": t.year, "indicator": t.indicator, "canonical": t.canonical,
                             "value": t.value, "unit": t.unit, "sentence": t.sentence} for t in extra],
    }
    lines = [f"目标抽取：precision {totals['precision']:.3f}  recall {totals['recall']:.3f}  F1 {totals['f1']:.3f}"
             f"  （金标 {len(gold)}，抽取 {len(predicted)}，匹配 {len(matched)}）"]
    for plan_id, row in per_file.items():
        lines.append(f"  {plan_id}: P {row['precision']:.2f}  R {row['recall']:.2f}  F1 {row['f1']:.2f}"
                     f"  （金标 {row['gold']}，抽取 {row['predicted']}，匹配 {row['matched']}）")
    if missed:
        lines.append("漏抽：")
        lines += [f"  - {r['plan_id']} {r['year']} {r['indicator']} {r['value']:g}{r['unit']}：{r['sentence']}" for r in missed]
    if extra:
        lines.append("误抽：")
        lines += [f"  - {t.plan_id} {t.year} {t.indicator} {t.value:g}{t.unit}：{t.sentence[:80]}" for t in extra]
    report["text"] = "\n".join(lines)
    return report


def _match_targets(gold: list[dict], predicted: list) -> tuple[list[tuple[dict, object]], list[dict]]:
    """Pair gold rows with predicted rows one to one; returns (pairs, unmatched gold rows)."""
    free = list(predicted)
    pairs, missed = [], []
    for row in gold:
        fits = [t for t in free if t.plan_id == row["plan_id"] and t.year == int(row["year"])
                and abs(t.value - float(row["value"])) < 1e-6 and t.unit == row["unit"]
                and same_indicator(row.get("indicator") or row.get("canonical", ""), t)]
        if fits:
            pairs.append((row, fits[0]))
            free.remove(fits[0])
        else:
            missed.append(row)
    return pairs, missed


def same_indicator(written: str, target) -> bool:
    """The gold row's indicator (as written) names the same thing as the extracted row's:
    the same canonical name, or wordings that share most character pairs."""
    from .indicators import canonical_of, char_pairs

    known = canonical_of(written)
    if known and known == target.canonical:
        return True
    a, b = (char_pairs(re.sub(r"[^\w]", "", text)) for text in (to_simplified(written), target.indicator))
    return bool(a and b) and 2 * len(a & b) / (len(a) + len(b)) >= 0.6


def _prf(hits: int, predicted: int, gold: int) -> dict:
    precision = hits / predicted if predicted else (1.0 if not gold else 0.0)
    recall = hits / gold if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


# ---------------------------------------------------------------- questions


@dataclass
class Result:
    passages: list[str]  # passage texts, best first
    answer: str
    found: bool
    seconds: float
    type: str = ""  # the answer type the system read the question as


def load_questions(path: Path) -> list[dict]:
    rows = _read_jsonl(path)
    if not rows:
        raise UserError(f"评测集 {path} 为空。")
    for i, row in enumerate(rows, 1):
        missing = [f for f in FIELDS if f not in row]
        if missing:
            raise UserError(f"评测集 {path} 第 {i} 行缺少字段：{', '.join(missing)}")
        if row["kind"] not in KINDS:
            raise UserError(f"评测集 {path} 第 {i} 行的 kind 无效：{row['kind']}")
    return rows


def run_eval(settings: Settings, args) -> bool:
    from .index import load_index

    path = Path(args.question_set) if args.question_set else EVALS / "questions.jsonl"
    questions = load_questions(path)
    held_out = _held_out(Path(args.holdout)) if getattr(args, "holdout", None) else None
    index = load_index(settings)
    systems = {name: fn for name, fn in _systems(index, settings, args.k).items() if name in args.systems.split(",")}
    if not systems:
        raise UserError("--systems 中没有可评测的系统（可选 langchain,bm25,full）。")
    results: dict[str, list[Result]] = {}
    for name, answer_fn in systems.items():
        results[name] = []
        for q in tqdm(questions, desc=f"评测 {name}", unit="题", disable=args.json):
            started = time.perf_counter()
            passages, answer, found, kind = answer_fn(q["question"], q.get("context", ""))
            results[name].append(Result(passages, answer, found, time.perf_counter() - started, kind))
    report = {
        "set": str(path), "questions": len(questions), "k": args.k,
        "model": index.manifest.model, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "systems": {name: score(questions, rs, held_out) for name, rs in results.items()},
    }
    if "full" in results:
        report["misses"] = misses(questions, results["full"])
    if getattr(args, "meta", None):
        report["metadata"] = metadata_score(index, Path(args.meta), held_out)
    if getattr(args, "versus", None):
        report["versus"] = versus(report, Path(args.versus))
    gate_ok, gate_lines = True, []
    if args.baseline:
        gate_ok, gate_lines = check_baseline(report, Path(args.baseline))
        report["gate"] = {"passed": gate_ok, "lines": gate_lines}
    markdown = to_markdown(report)
    REPORTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name in (f"eval-{stamp}", "latest"):
        (REPORTS / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        (REPORTS / f"{name}.md").write_text(markdown, encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else markdown)
    return gate_ok


def full_system(index, k: int):
    """This system, through exactly the code path of `rag ask`: (question, context) -> (passages, answer, found, type)."""
    from .answer import ask

    def full(question, context=""):
        from .question import parse

        previous = parse(context, index) if context else None
        a = ask(index, question, k=k, previous=previous)
        return [p.chunk.text for p in a.passages], a.answer, a.found, a.type

    return full


def evaluate_full(index, questions: list[dict], k: int = 5) -> dict:
    """`score` of this system alone on `questions` (benchmarks compare it across embedding backends)."""
    answer = full_system(index, k)
    results = []
    for q in questions:
        started = time.perf_counter()
        passages, text, found, kind = answer(q["question"], q.get("context", ""))
        results.append(Result(passages, text, found, time.perf_counter() - started, kind))
    return score(questions, results)


def _systems(index, settings: Settings, k: int) -> dict:
    full = full_system(index, k)

    def bm25(question, context=""):
        from .index import lexical_tokens

        scores = np.asarray(index.bm25.get_scores(lexical_tokens(to_simplified(question))))
        top = [i for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
        texts = [index.chunks[i].text for i in top]
        return texts, texts[0] if texts else "", True, ""

    return {"langchain": _langchain_baseline(index, settings, k), "bm25": bm25, "full": full}


def _langchain_baseline(index, settings: Settings, k: int):
    """The recipe a user would copy from a tutorial, built in memory from the raw files."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    texts = []
    for path in sorted(Path(settings.corpus_dir).iterdir()):
        if path.suffix.lower() in (".txt", ".md", ".html", ".htm"):
            texts += splitter.split_text(path.read_text(encoding="utf-8"))
    vectors = _embed(index, texts)
    store = faiss.IndexFlatIP(vectors.shape[1])
    store.add(vectors)

    def answer(question, context=""):
        _, ids = store.search(index.embed([question]), k)
        found = [texts[i] for i in ids[0] if i >= 0]
        return found, found[0] if found else "", True, ""

    return answer


def _embed(index, texts: list[str]) -> np.ndarray:
    from .embed import embedder_for

    return embedder_for(index.settings).encode(texts)


def _held_out(path: Path) -> set[str]:
    """The source files or question ids set aside from development (`{"held_out": [...]}`): measured apart."""
    try:
        return set(json.loads(path.read_text(encoding="utf-8"))["held_out"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"无法读取留出文件列表 {path}（{exc.__class__.__name__}）") from None


def is_table_question(q: dict) -> bool:
    """A question whose answer is a table cell: sets mark them with a note starting "TABLE"."""
    return q.get("note", "").startswith("TABLE")


def score(questions: list[dict], results: list[Result], held_out: set[str] | None = None) -> dict:
    """Headline metrics plus breakdowns by kind, by city, for table questions and, when some
    source files were held out of development, for developed and held-out files apart."""

    def metrics(pairs) -> dict:
        pairs = list(pairs)
        answerable = [(q, r) for q, r in pairs if q["kind"] != "unanswerable"]
        unanswerable = [(q, r) for q, r in pairs if q["kind"] == "unanswerable"]
        ranks = [_evidence_rank(q, r) for q, r in answerable]
        out = {"n": len(pairs), "answerable": len(answerable), "unanswerable": len(unanswerable)}
        if answerable:
            out.update({
                "hit@1": _share(r is not None and r <= 1 for r in ranks),
                "hit@3": _share(r is not None and r <= 3 for r in ranks),
                "hit@5": _share(r is not None and r <= 5 for r in ranks),
                "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 4),
                "answer_accuracy": _share(_correct(q, r) for q, r in answerable),
                "false_refusals": _share(not r.found for _, r in answerable),
            })
        if unanswerable:
            out["correct_refusals"] = _share(not r.found for _, r in unanswerable)
        return out

    pairs = list(zip(questions, results))
    seconds = sorted(r.seconds for r in results)
    headline = metrics(pairs)
    headline["latency_p50_ms"] = round(1000 * statistics.median(seconds), 1)
    headline["latency_p95_ms"] = round(1000 * seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))], 1)
    headline["by_kind"] = {kind: metrics((q, r) for q, r in pairs if q["kind"] == kind) for kind in KINDS
                           if any(q["kind"] == kind for q in questions)}
    cities = sorted({q["city"] or "（多城市/未指明）" for q in questions})
    headline["by_city"] = {c: metrics((q, r) for q, r in pairs if (q["city"] or "（多城市/未指明）") == c) for c in cities}
    types = sorted({r.type for r in results if r.type})
    if types:  # as the system read each question
        headline["by_type"] = {t: metrics((q, r) for q, r in pairs if r.type == t) for t in types}
    expected = sorted({q["type"] for q in questions if q.get("type")})
    if expected:  # as the question set says each question asks
        headline["by_expected_type"] = {t: metrics((q, r) for q, r in pairs if q.get("type") == t) for t in expected}
    if any(is_table_question(q) for q in questions):
        headline["table"] = metrics((q, r) for q, r in pairs if is_table_question(q))
    if held_out is not None:
        def group(q):  # held out by source file, or by question id
            return "held_out" if (set(q.get("source", "").split("|")) | {q["id"]}) & held_out else "developed"
        headline["by_split"] = {g: metrics((q, r) for q, r in pairs if group(q) == g) for g in ("developed", "held_out")}
    return headline


def _share(flags) -> float:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def _evidence_rank(q: dict, r: Result) -> int | None:
    evidence = [comparable(e) for e in q["evidence"]]
    for rank, text in enumerate(r.passages, 1):
        clean = comparable(normalize(text).text)
        if any(e and e in clean for e in evidence):
            return rank
    return None


def _correct(q: dict, r: Result) -> bool:
    if not r.found:
        return False
    answer = comparable(normalize(r.answer).text if r.answer else "")
    return all(comparable(key) in answer for key in q["answer_keys"])


def misses(questions: list[dict], results: list[Result]) -> list[dict]:
    out = []
    for q, r in zip(questions, results):
        if q["kind"] == "unanswerable":
            ok = not r.found
        else:
            ok = _correct(q, r)
        if not ok:
            out.append({"id": q["id"], "kind": q["kind"], "question": q["question"], "expected": q["answer"],
                        "keys": q["answer_keys"], "got": r.answer if r.found else "（拒答）",
                        "evidence_rank": _evidence_rank(q, r) if q["kind"] != "unanswerable" else None})
    return out


HEADLINE = ("hit@1", "hit@3", "hit@5", "mrr", "answer_accuracy", "false_refusals", "correct_refusals",
            "latency_p50_ms", "latency_p95_ms")


VERSUS_METRICS = ("answer_accuracy", "correct_refusals", "false_refusals", "hit@5")


def versus(report: dict, path: Path) -> dict:
    """This run's `full` figures beside another report's of the same question set (its own small
    corpus, say): overall, per kind and per split, each with the change."""
    try:
        other = json.loads(path.read_text(encoding="utf-8"))["systems"]["full"]
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"--versus 需要同一问题集的 rag eval --json 报告（含 full 系统）：{path}（{exc}）") from None
    here = report["systems"].get("full")
    if here is None:
        raise UserError("--versus 只对照 full 系统：请在 --systems 中包含 full。")

    def rows(a: dict, b: dict) -> dict:
        return {m: {"other": b[m], "here": a[m], "change": round(a[m] - b[m], 4)}
                for m in VERSUS_METRICS if m in a and m in b}

    groups = {"全部": rows(here, other)}
    for group in ("by_kind", "by_split"):
        for key, figures in here.get(group, {}).items():
            if key in other.get(group, {}):
                groups[key] = rows(figures, other[group][key])
    return {"report": str(path), "groups": groups}


def to_markdown(report: dict) -> str:
    systems = report["systems"]
    names = list(systems)
    lines = [f"# 评测报告 {report['created']}", "",
             f"问题集 `{report['set']}`，{report['questions']} 题，k={report['k']}，模型 {report['model']}。", "",
             "| 指标 | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric in HEADLINE:
        lines.append(f"| {metric} | " + " | ".join(str(systems[n].get(metric, "")) for n in names) + " |")
    titles = {"by_kind": "按题型", "by_expected_type": "按答案类型（问题集标注）", "by_type": "按答案类型（系统判断）",
              "by_split": "开发文件 / 留出文件", "by_city": "按城市"}
    for group in ("by_kind", "by_expected_type", "by_type", "by_split", "by_city"):
        if group not in systems[names[0]]:
            continue
        lines += ["", f"## {titles[group]}（answer_accuracy / hit@5 / correct_refusals）", "",
                  "| 分组 | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        rows = dict(systems[names[0]][group])
        if group == "by_kind" and "table" in systems[names[0]]:
            rows["（表格题）"] = None
        for key in rows:
            cells = []
            for n in names:
                m = systems[n].get("table", {}) if key == "（表格题）" else systems[n].get(group, {}).get(key, {})
                cells.append(f"{m.get('answer_accuracy', '-')} / {m.get('hit@5', '-')} / {m.get('correct_refusals', '-')}")
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    if report.get("misses") is not None:
        lines += ["", f"## full 系统未答对的题（{len(report['misses'])}）", ""]
        for m in report["misses"]:
            lines.append(f"- **{m['id']}** [{m['kind']}] {m['question']}  \n  期望：{m['expected']}（关键词 {m['keys']}）  \n"
                         f"  实际：{m['got']}  \n  证据排名：{m['evidence_rank']}")
    if report.get("metadata"):
        m = report["metadata"]
        held = m["held_out"]
        lines += ["", f"## 元数据：{m['right']}/{m['total']} 正确（{m['accuracy']}）" +
                  (f"，其中留出文件 {held['right']}/{held['total']}" if held["total"] else ""), ""]
        lines += [f"- {w['file']} {w['field']}：期望 {w['expected'] or '（空）'}，实际 {w['got'] or '（空）'}" for w in m["wrong"]]
    if report.get("versus"):
        v = report["versus"]
        lines += ["", f"## 与另一语料上的同一问题集对照（{v['report']}）：另一语料 → 本次（差值）", "",
                  "| 分组 | " + " | ".join(VERSUS_METRICS) + " |", "|---|" + "---|" * len(VERSUS_METRICS)]
        for key, figures in v["groups"].items():
            cells = [f"{f['other']} → {f['here']}（{f['change']:+.3f}）" if (f := figures.get(m)) else "-" for m in VERSUS_METRICS]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    if report.get("gate"):
        lines += ["", "## 回归门禁：" + ("通过" if report["gate"]["passed"] else "未通过"), ""] + [f"- {l}" for l in report["gate"]["lines"]]
    return "\n".join(lines) + "\n"


# compared on every file; the issuer and the genre only where the gold gives them (absent there is "not checked")
META_FIELDS = ("place", "level", "doc_number", "issued")
META_FIELDS_WHEN_GIVEN = ("issuer", "kind")


def metadata_score(index, path: Path, held_out: set[str] | None = None) -> dict:
    """Detected metadata of the indexed files against a gold `meta.json` (file -> fields): right/total
    over all files and over the held-out ones apart, and each wrong field."""
    try:
        gold = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"无法读取元数据金标 {path}：{exc}") from None
    plans = {p.file: p for p in index.plans.values()}
    tally = {"all": [0, 0], "held_out": [0, 0]}
    wrong = []
    for name, expected in gold.items():
        plan = plans.get(name)
        fields = META_FIELDS + tuple(f for f in META_FIELDS_WHEN_GIVEN if f in expected)
        for field in fields:
            got = getattr(plan, field, "") if plan else "（未收录）"
            ok = got == expected.get(field, "")
            for part in ("all", "held_out") if held_out and name in held_out else ("all",):
                tally[part][0] += ok
                tally[part][1] += 1
            if not ok and not (held_out and name in held_out):
                wrong.append({"file": name, "field": field, "expected": expected.get(field, ""), "got": got})
    rate = lambda r, t: round(r / t, 4) if t else None
    return {"right": tally["all"][0], "total": tally["all"][1], "accuracy": rate(*tally["all"]),
            "held_out": {"right": tally["held_out"][0], "total": tally["held_out"][1], "accuracy": rate(*tally["held_out"])},
            "wrong": wrong}


def check_baseline(report: dict, path: Path) -> tuple[bool, list[str]]:
    """Every accepted metric must hold within its tolerance (lower-is-better ones may not rise)."""
    try:
        accepted = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"无法读取基线文件 {path}：{exc}") from None
    tolerance = accepted.get("tolerance", 0.02)
    ok, lines = True, []
    for name, value in accepted["metrics"].items():
        current = report if name.startswith("metadata.") else report["systems"]
        for part in name.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        metric = name.rsplit(".", 1)[-1]
        if current is None:
            ok = False
            lines.append(f"{name}: 本次未测得（基线 {value}）")
            continue
        worse = current - value > tolerance if metric == "false_refusals" else value - current > tolerance
        ok &= not worse
        lines.append(f"{name}: {current}（基线 {value}，容差 {tolerance}）{'  ← 下降超出容差' if worse else ''}")
    return ok, lines


def _read_jsonl(path: Path) -> list[dict]:
    """rag.index.read_jsonl, with its failures told to the user."""
    from .index import read_jsonl

    try:
        return read_jsonl(path)
    except FileNotFoundError:
        raise UserError(f"文件不存在：{path}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} 第 {exc.lineno} 行不是有效的 JSON。") from None
