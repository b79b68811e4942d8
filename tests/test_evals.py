"""The evaluation sets are well-formed and their evidence is really in the plans."""
import json

from rag.config import PROJECT_ROOT
from rag.evaluate import FIELDS, KINDS, comparable


def read(name):
    return [json.loads(line) for line in open(PROJECT_ROOT / "evals" / name, encoding="utf-8") if line.strip()]


def test_questions_schema_and_mix():
    rows = read("questions.jsonl")
    assert len(rows) >= 80
    assert all(list(r) == list(FIELDS) for r in rows)
    kinds = {k: sum(r["kind"] == k for r in rows) for k in KINDS}
    assert kinds["target"] >= 0.3 * len(rows) and kinds["unanswerable"] >= 0.1 * len(rows)
    assert len({r["id"] for r in rows}) == len(rows)


def test_every_evidence_string_is_in_its_normalized_source(plans):
    by_file = {p.file: p.text for p in plans.values()}
    for row in read("questions.jsonl"):
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]] if row["source"] else []
        for evidence in row["evidence"]:
            assert 10 <= len(evidence) <= 30, row["id"]
            assert any(evidence in by_file[s] for s in sources), (row["id"], evidence)


def test_gold_target_sentences_are_in_the_plans(plans):
    for row in read("targets_gold.jsonl"):
        assert row["sentence"] in plans[row["plan_id"]].text, row


def test_comparison_ignores_width_and_spaces():
    assert comparable("江門 32％，左右") == comparable("江门32%,左右")


def test_baseline_gate_fails_on_a_drop(tmp_path):
    from rag.evaluate import check_baseline

    accepted = tmp_path / "baseline.json"
    accepted.write_text(json.dumps({"tolerance": 0.02, "metrics": {"full.hit@5": 0.95, "full.false_refusals": 0.05}}))
    good = {"systems": {"full": {"hit@5": 0.94, "false_refusals": 0.06}}}
    bad = {"systems": {"full": {"hit@5": 0.90, "false_refusals": 0.06}}}
    worse_refusals = {"systems": {"full": {"hit@5": 0.99, "false_refusals": 0.10}}}
    assert check_baseline(good, accepted)[0] is True
    assert check_baseline(bad, accepted)[0] is False
    assert check_baseline(worse_refusals, accepted)[0] is False
