"""The 方案 tab's upload and removal (rag.ui), on real plan files, a real index in a temp folder and the real model.

The app answers from the new index right after each change, without a restart.
"""
from __future__ import annotations

import shutil
import threading
from dataclasses import replace

import pytest

from rag.answer import ask
from rag.config import PROJECT_ROOT
from rag.index import build_index, load_index
from rag.ui import ServedIndex, add_uploaded_plans, plan_change_html, remove_served_plan, safe_name

CORPUS = PROJECT_ROOT / "corpus"
JINSHI_Q = "津市2030年光伏装机目标是多少？"
LIMIT = 200_000  # bytes; the shipped plans are under 70 kB


@pytest.fixture(scope="module")
def served(settings, index, tmp_path_factory):
    """Four shipped plans (津市 left out) in a temp corpus; the session index's embedding cache spares re-embedding."""
    root = tmp_path_factory.mktemp("upload")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("gongqingcheng.txt", "jiangmen.txt", "jiangyin.txt", "nanchang.txt"):
        shutil.copy(CORPUS / name, corpus / name)
    (root / "index" / "cache").mkdir(parents=True)
    shutil.copy(settings.index_dir / "cache" / "embeddings.sqlite", root / "index" / "cache" / "embeddings.sqlite")
    local = replace(settings, corpus_dir=corpus, index_dir=root / "index", max_file_bytes=LIMIT)
    build_index(local, progress=False)
    return ServedIndex(load_index(local))


def _corpus_files(served) -> set[str]:
    return {p.name for p in served.current.settings.corpus_dir.iterdir()}


def test_safe_name_keeps_files_inside_the_corpus_folder():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\津市 方案.TXT") == "津市 方案.txt"
    assert safe_name(".hidden.pdf") == "hidden.pdf"
    assert safe_name("..") == "方案"
    assert safe_name("a\u202e\x00b:c.docx") == "a_b_c.docx"
    assert len(safe_name("长" * 500 + ".md")) == 83


def test_refused_uploads_add_nothing_and_say_why(served, tmp_path):
    before = _corpus_files(served), served.current.path
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ")
    change = add_uploaded_plans(served, [program])
    assert not change.ok and "不支持的文件类型" in change.message and ".txt .md .html .htm .pdf .docx" in change.message

    big = tmp_path / "big.txt"
    big.write_text((CORPUS / "jiangmen.txt").read_text(encoding="utf-8") * 4, encoding="utf-8")
    assert big.stat().st_size > LIMIT
    change = add_uploaded_plans(served, [CORPUS / "jinshi.txt", big])  # one bad file: none is added
    assert not change.ok and change.message.startswith("未添加任何文件。") and "文件过大" in change.message

    assert "请先选择" in add_uploaded_plans(served, []).message
    assert (_corpus_files(served), served.current.path) == before
    assert "\n" not in change.message


def test_upload_makes_the_plan_searchable_then_removal_takes_it_away(served, tmp_path):
    before = ask(served.current, JINSHI_Q)
    assert not before.found and "津市" in before.answer + before.note
    traversal = tmp_path / "..\\..\\jinshi.txt"  # a legal Linux file name that means a path elsewhere
    shutil.copy(CORPUS / "jinshi.txt", traversal)
    outside = set(tmp_path.parent.iterdir())

    change = add_uploaded_plans(served, [traversal])
    assert change.ok, change.message
    assert change.message.startswith("已添加 1 个方案：jinshi.txt")
    assert any(line.startswith("[收录] jinshi.txt → 津市市（县级）") for line in change.report)
    assert change.report[-1].startswith("索引已建成：5 个方案")
    assert "jinshi.txt" in _corpus_files(served) and set(tmp_path.parent.iterdir()) == outside
    assert "42万千瓦" in ask(served.current, JINSHI_Q).answer  # answered from the new index, no restart
    again = add_uploaded_plans(served, [CORPUS / "jinshi.txt"])
    assert again.ok and "已在语料中" in again.message

    removed = remove_served_plan(served, "jinshi")
    assert removed.ok, removed.message
    assert removed.message.startswith("已移除《") and "removed" in removed.message
    assert "jinshi" not in served.current.plans and "jinshi.txt" not in _corpus_files(served)
    assert removed.report[-1].startswith("索引已建成：4 个方案")
    assert "42万千瓦" not in ask(served.current, JINSHI_Q).answer
    assert "请先在列表中选择" in remove_served_plan(served, "jinshi").message


def test_an_upload_with_no_text_is_reported_and_not_kept(served, tmp_path):
    before = _corpus_files(served)
    empty = tmp_path / "扫描件.html"
    empty.write_text("<html><body><img src='scan.png'></body></html>", encoding="utf-8")
    change = add_uploaded_plans(served, [empty])  # read as a build would, before anything is copied
    assert not change.ok and change.message == "未添加任何文件。扫描件.html：文件没有正文内容"
    assert _corpus_files(served) == before and len(served.current.plans) == 4


def test_report_html_escapes_the_report(served):
    from rag.ui import PlanChange

    out = plan_change_html(PlanChange(False, "坏<b>名</b>", ["[跳过] <script>.txt：文件为空"]))
    assert "<script>" not in out and "<b>" not in out and "&lt;script&gt;" in out and "rag-error" in out


def test_answers_keep_coming_while_a_plan_is_added(served):
    """Requests during a rebuild use the index they started with; nothing waits for the build or fails."""
    stop, answers = threading.Event(), []

    def asker():
        while not stop.is_set():
            answers.append(ask(served.current, "江门2030年可再生能源装机目标是多少？").answer)

    thread = threading.Thread(target=asker)
    thread.start()
    try:
        change = add_uploaded_plans(served, [CORPUS / "jinshi.txt"])
    finally:
        stop.set()
        thread.join()
    assert change.ok, change.message
    assert len(answers) > 1 and all("700万千瓦" in a for a in answers)
    assert remove_served_plan(served, "jinshi").ok


def test_files_differing_by_punctuation_or_type_are_told_apart_and_removed_exactly(served, tmp_path):
    """Plan identity is by file through the web app too (#18): upload, then remove one of two look-alikes."""
    text = (CORPUS / "jinshi.txt").read_text(encoding="utf-8")
    long_name = "津市市碳达峰实施方案" * 8 + "（2023年修订稿）.txt"  # ~250 bytes of UTF-8
    uploads = []
    for number, name in enumerate(("津市 方案.txt", "津市_方案.txt", long_name)):
        uploads.append(tmp_path / name)
        uploads[-1].write_text(text + f"\n附件{number + 1}：重点项目清单\n", encoding="utf-8")  # not one text thrice
    change = add_uploaded_plans(served, uploads)
    assert change.ok, change.message
    by_file = {p.file: p.plan_id for p in served.current.plans.values()}
    ids = [by_file[safe_name(u.name)] for u in uploads]
    assert len(set(ids)) == 3 and ids[1] == "津市_方案"
    for plan_id, upload in zip(ids[1:], uploads[1:]):
        removed = remove_served_plan(served, plan_id)
        assert removed.ok, removed.message
        assert safe_name(upload.name) not in _corpus_files(served)
    assert "津市 方案.txt" in _corpus_files(served) and by_file["津市 方案.txt"] in served.current.plans
    assert remove_served_plan(served, ids[0]).ok and len(served.current.plans) == 4
