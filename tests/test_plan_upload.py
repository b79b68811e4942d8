"""The 方案 tab's changes (rag.web.plans.PlanDesk over rag.catalog): uploads, edits, removal and restore, the sign-in.

Real plan files, a real index in a temp folder and the real model. The app answers from the new index right
after each change, without a restart.
"""
from __future__ import annotations

import json
import shutil
import threading
from dataclasses import replace

import pytest

from rag.answer import ask
from rag.config import PROJECT_ROOT
from rag.index import build_index, load_index
from rag.serving import ServedIndex
from rag.usertext import safe_name
from rag.web.plans import (
    AdminGate, PlanChange, PlanDesk, plan_change_html, plan_fields, removed_choices, without_paths,
)

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
    return ServedIndex(local, load_index(local))


@pytest.fixture(scope="module")
def desk(served):
    return PlanDesk(served)


def _corpus_files(served) -> set[str]:
    return {p.name for p in served.current.settings.corpus_dir.iterdir() if not p.name.startswith(".")}


def test_safe_name_keeps_files_inside_the_corpus_folder():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\津市 方案.TXT") == "津市 方案.txt"
    assert safe_name(".hidden.pdf") == "hidden.pdf"
    assert safe_name("..") == "方案"
    assert safe_name("a\u202e\x00b:c.docx") == "a_b_c.docx"
    assert len(safe_name("长" * 500 + ".md")) == 83


def test_refused_uploads_add_nothing_and_say_why(served, desk, tmp_path):
    before = _corpus_files(served), served.current.path
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ")
    change = desk.add([program], signed_in=False)
    assert not change.ok and "不支持的文件类型" in change.message and ".txt .md .html .htm .pdf .docx" in change.message

    big = tmp_path / "big.txt"
    big.write_text((CORPUS / "jiangmen.txt").read_text(encoding="utf-8") * 4, encoding="utf-8")
    assert big.stat().st_size > LIMIT
    change = desk.add([CORPUS / "jinshi.txt", big], signed_in=False)  # one bad file: none is added
    assert not change.ok and change.message.startswith("未添加任何文件。") and "文件过大" in change.message

    assert "请先选择" in desk.add([], signed_in=False).message
    assert (_corpus_files(served), served.current.path) == before
    assert "\n" not in change.message


def test_upload_makes_the_plan_searchable_then_removal_takes_it_away(served, desk, tmp_path):
    before = ask(served.current, JINSHI_Q)
    assert not before.found and "津市" in before.answer + before.note
    traversal = tmp_path / "..\\..\\jinshi.txt"  # a legal Linux file name that means a path elsewhere
    shutil.copy(CORPUS / "jinshi.txt", traversal)
    outside = set(tmp_path.parent.iterdir())

    change = desk.add([traversal], signed_in=False)
    assert change.ok, change.message
    assert change.message.startswith("已添加 1 个方案：jinshi.txt")
    assert any(line.startswith("[收录] jinshi.txt → 津市市（县级）") for line in change.report)
    assert any(line.startswith("索引已建成：5 个方案") for line in change.report)
    assert "jinshi.txt" in _corpus_files(served) and set(tmp_path.parent.iterdir()) == outside
    assert "42万千瓦" in ask(served.current, JINSHI_Q).answer  # answered from the new index, no restart
    again = desk.add([CORPUS / "jinshi.txt"], signed_in=False)
    assert again.ok and "已在语料中" in again.message

    removed = desk.remove("jinshi", signed_in=False)
    assert removed.ok, removed.message
    assert removed.message.startswith("已移除《") and "恢复" in removed.message and "/" not in removed.message
    assert "jinshi" not in served.current.plans and "jinshi.txt" not in _corpus_files(served)
    assert any(line.startswith("索引已建成：4 个方案") for line in removed.report)
    assert "42万千瓦" not in ask(served.current, JINSHI_Q).answer
    assert "请先在列表中选择" in desk.remove("jinshi", signed_in=False).message


def test_an_upload_with_no_text_is_reported_and_not_kept(served, desk, tmp_path):
    before = _corpus_files(served)
    empty = tmp_path / "扫描件.html"
    empty.write_text("<html><body><img src='scan.png'></body></html>", encoding="utf-8")
    change = desk.add([empty], signed_in=False)  # read as a build would, before anything is copied
    assert not change.ok and change.message == "未添加任何文件。扫描件.html：文件没有正文内容"
    assert _corpus_files(served) == before and len(served.current.plans) == 4


def test_report_html_escapes_the_report():
    out = plan_change_html(PlanChange(False, "坏<b>名</b>", ["[跳过] <script>.txt：文件为空"]))
    assert "<script>" not in out and "<b>" not in out and "&lt;script&gt;" in out and "rag-error" in out


def test_answers_keep_coming_while_a_plan_is_added(served, desk):
    """Requests during a rebuild use the index they started with; nothing waits for the build or fails."""
    stop, answers = threading.Event(), []

    def asker():
        while not stop.is_set():
            answers.append(ask(served.current, "江门2030年可再生能源装机目标是多少？").answer)

    thread = threading.Thread(target=asker)
    thread.start()
    try:
        change = desk.add([CORPUS / "jinshi.txt"], signed_in=False)
    finally:
        stop.set()
        thread.join()
    assert change.ok, change.message
    assert len(answers) > 1 and all("700万千瓦" in a for a in answers)
    assert desk.remove("jinshi", signed_in=False).ok


# A name as long as the upload accepts (80 characters before the extension, 244 bytes in UTF-8).
LONG_NAME = ("津市市人民政府关于印发津市市碳达峰实施方案的通知" * 4)[:80] + ".txt"


def test_a_plan_under_a_long_chinese_name_can_be_removed_and_restored(served, desk, tmp_path):
    upload = tmp_path / LONG_NAME
    shutil.copy(CORPUS / "jinshi.txt", upload)
    assert safe_name(upload.name) == LONG_NAME
    added = desk.add([upload], signed_in=False)
    assert added.ok, added.message
    plan_id = next(p.plan_id for p in served.current.plans.values() if p.file == LONG_NAME)
    removed = desk.remove(plan_id, signed_in=False)
    assert removed.ok, removed.message  # was 服务器内部错误: the kept copy's name ran over 255 bytes
    assert LONG_NAME not in _corpus_files(served) and plan_id not in served.current.plans
    key = next(key for label, key in removed_choices(served.settings) if LONG_NAME in label)
    restored = desk.restore(key, signed_in=False)
    assert restored.ok, restored.message
    assert LONG_NAME in _corpus_files(served) and plan_id in served.current.plans
    assert desk.remove(plan_id, signed_in=False).ok


def test_an_edit_is_a_plans_json_entry_applied_at_once(served, desk):
    corpus = served.settings.corpus_dir
    before = plan_fields(served.current, "jiangyin")
    assert before["place"] == "江阴市" and before["doc_number"] == ""
    change = desk.edit("jiangyin", {**before, "doc_number": "澄政发〔2023〕1号", "title": "江阴市碳达峰实施方案（修订）"},
                       signed_in=False)
    assert change.ok, change.message
    assert "文号" in change.message and "标题" in change.message and "/" not in change.message
    entry = json.loads((corpus / "plans.json").read_text(encoding="utf-8"))["jiangyin.txt"]
    assert entry == {"title": "江阴市碳达峰实施方案（修订）", "doc_number": "澄政发〔2023〕1号"}  # only what changed
    plan = served.current.plans["jiangyin"]
    assert (plan.doc_number, plan.title) == ("澄政发〔2023〕1号", "江阴市碳达峰实施方案（修订）")
    assert desk.edit("jiangyin", plan_fields(served.current, "jiangyin"), signed_in=False).message == "没有需要保存的修改。"

    bad = desk.edit("jiangyin", {**before, "issued": "2023/01/05"}, signed_in=False)
    assert not bad.ok and "YYYY-MM-DD" in bad.message and "/" not in bad.message.replace("2023/01/05", "")
    assert str(corpus) not in bad.message

    # emptied fields go back to what was detected, and an entry left with nothing is dropped
    change = desk.edit("jiangyin", {**plan_fields(served.current, "jiangyin"), "doc_number": "", "title": ""}, signed_in=False)
    assert change.ok, change.message
    assert "jiangyin.txt" not in json.loads((corpus / "plans.json").read_text(encoding="utf-8"))
    assert plan_fields(served.current, "jiangyin") == before


def test_removal_keeps_the_plans_json_entry_and_restore_brings_the_plan_back_as_it_was(served, desk):
    corpus = served.settings.corpus_dir
    fields = plan_fields(served.current, "nanchang")
    assert desk.edit("nanchang", {**fields, "issuer": "南昌市人民政府办公室", "kind": "征求意见稿"}, signed_in=False).ok
    entry = json.loads((corpus / "plans.json").read_text(encoding="utf-8"))["nanchang.txt"]
    assert entry == {"issuer": "南昌市人民政府办公室", "kind": "征求意见稿"}

    assert desk.remove("nanchang", signed_in=False).ok
    assert "nanchang.txt" not in json.loads((corpus / "plans.json").read_text(encoding="utf-8"))  # no entry for a missing file
    (label, key), *_ = removed_choices(served.settings)
    assert "南昌市" in label and "nanchang.txt" in label

    restored = desk.restore(key, signed_in=False)
    assert restored.ok and "连同它的修改" in restored.message, restored.message
    assert json.loads((corpus / "plans.json").read_text(encoding="utf-8"))["nanchang.txt"] == entry
    assert served.current.plans["nanchang"].issuer == "南昌市人民政府办公室"
    assert key not in dict((k, v) for v, k in removed_choices(served.settings))
    assert not desk.restore(key, signed_in=False).ok  # restored once only
    assert desk.edit("nanchang", {**plan_fields(served.current, "nanchang"), **{k: "" for k in entry}}, signed_in=False).ok


def test_with_a_password_every_change_needs_the_sign_in(served, tmp_path):
    gated = PlanDesk(served, AdminGate("s3cret"))
    upload = tmp_path / "jinshi.txt"
    shutil.copy(CORPUS / "jinshi.txt", upload)
    before = _corpus_files(served), served.current.path
    for change in (gated.add([upload], signed_in=False), gated.remove("jiangmen", signed_in=False),
                   gated.edit("jiangmen", {"place": "别处"}, signed_in=False), gated.restore("x", signed_in=False)):
        assert not change.ok and "管理员密码" in change.message
    assert (_corpus_files(served), served.current.path) == before
    assert gated.sign_in("wrong") == (False, "密码不正确。") and not gated.sign_in("")[0]
    assert gated.sign_in("s3cret")[0]
    assert PlanDesk(served).sign_in("")[0]  # no password set: changes are open


def test_messages_name_folders_never_server_paths(settings):
    message = f"索引目录 {settings.index_dir} 不可写（没有权限）；{settings.corpus_dir}/plans.json 不是有效的 JSON；/srv/x/a.txt：文件不存在"
    clean = without_paths(message, settings)
    assert "/" not in clean and clean == "索引目录 不可写（没有权限）；plans.json 不是有效的 JSON；a.txt：文件不存在"


def test_files_differing_by_punctuation_or_type_are_told_apart_and_removed_exactly(served, desk, tmp_path):
    """Plan identity is by file through the web app too (#18): upload, then remove one of two look-alikes."""
    text = (CORPUS / "jinshi.txt").read_text(encoding="utf-8")
    long_name = "津市市碳达峰实施方案" * 7 + "（2023年修订稿）.txt"  # 241 bytes of UTF-8
    uploads = []
    for number, name in enumerate(("津市 方案.txt", "津市_方案.txt", long_name)):
        uploads.append(tmp_path / name)
        uploads[-1].write_text(text + f"\n附件{number + 1}：重点项目清单\n", encoding="utf-8")  # not one text thrice
    change = desk.add(uploads, signed_in=False)
    assert change.ok, change.message
    by_file = {p.file: p.plan_id for p in served.current.plans.values()}
    ids = [by_file[safe_name(u.name)] for u in uploads]
    assert len(set(ids)) == 3 and ids[1] == "津市_方案"
    for plan_id, upload in zip(ids[1:], uploads[1:]):
        removed = desk.remove(plan_id, signed_in=False)
        assert removed.ok, removed.message
        assert safe_name(upload.name) not in _corpus_files(served)
    assert "津市 方案.txt" in _corpus_files(served) and by_file["津市 方案.txt"] in served.current.plans
    assert desk.remove(ids[0], signed_in=False).ok and len(served.current.plans) == 4
