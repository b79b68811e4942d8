"""Plans in the browser (real Chromium, real app, real index): every list follows the index being served,
plan management (upload, edit, removal, restore), refused uploads said in Chinese, the administrator sign-in."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apphelpers import ARTIFACTS, CORPUS, ask, chromium, own_corpus, running_app

playwright_sync = pytest.importorskip("playwright.sync_api")
gradio_client = pytest.importorskip("gradio_client")
expect = playwright_sync.expect

JIANGMEN_Q = "江门2030年可再生能源装机目标是多少？"
SMALL_LIMIT_MB = "0.2"  # the shipped plans are under 70 kB


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def plans_app(tmp_path_factory):
    """An app on a corpus of its own (four shipped plans, 津市 left out), with a 0.2 MB upload limit."""
    env = {**own_corpus(tmp_path_factory.mktemp("plans-app")), "RAG_MAX_FILE_MB": SMALL_LIMIT_MB}
    with running_app(**env) as url:
        yield url, env


def rag(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`rag …` in a terminal, on the app's corpus and index."""
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=600)


def open_page(browser, url, **context_options):
    page = browser.new_context(**{"viewport": {"width": 1400, "height": 1000}, **context_options}).new_page()
    page.goto(url)
    expect(page.locator("#question textarea")).to_be_visible(timeout=30_000)
    expect(page.locator("#summary")).to_contain_text("收录", timeout=120_000)  # the lists are filled in
    return page


def options(page, elem_id: str) -> list[str]:
    """The choices a dropdown offers now."""
    page.locator(f"#{elem_id} input").click()
    found = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return found


def corpus_of(env: dict) -> Path:
    return Path(env["RAG_CORPUS"])


def open_management(page):
    page.get_by_role("tab", name="方案").click()
    page.locator("#p-manage").get_by_text("管理方案").click()


def test_every_list_follows_the_index_after_changes_made_in_a_terminal(plans_app, browser, tmp_path):
    url, env = plans_app
    page = open_page(browser, url)
    expect(page.locator("#summary")).to_contain_text("收录 4 个方案")
    assert "津市市" not in options(page, "city")

    added = rag(env, "add", str(CORPUS / "jinshi.txt"))
    assert added.returncode == 0, added.stderr
    # the open page catches up on its next action
    expect(ask(page, JIANGMEN_Q).locator(".rag-answer")).to_contain_text("700万千瓦")
    expect(page.locator("#summary")).to_contain_text("收录 5 个方案")
    assert "津市市" in options(page, "city")

    # a page loaded now shows the plan everywhere
    fresh = open_page(browser, url)
    expect(fresh.locator("#summary")).to_contain_text("收录 5 个方案")
    fresh.get_by_role("tab", name="目标表").click()
    expect(fresh.locator("#t-count")).to_contain_text("全部 135 条")
    assert "津市市" in options(fresh, "t-city")
    open_management(fresh)
    expect(fresh.locator("#plans-table")).to_contain_text("津市市碳达峰实施方案")
    assert any("津市市" in o for o in options(fresh, "p-target")) and any("津市市" in o for o in options(fresh, "p-pick"))
    client = gradio_client.Client(url, verbose=False)
    assert client.predict(api_name="/plans") == json.loads(rag(env, "plans", "--json").stdout)

    removed = rag(env, "remove", "jinshi")
    assert removed.returncode == 0, removed.stderr
    fresh.reload()
    expect(fresh.locator("#summary")).to_contain_text("收录 4 个方案", timeout=60_000)
    fresh.get_by_role("tab", name="目标表").click()
    expect(fresh.locator("#t-count")).to_contain_text("全部 104 条")
    with fresh.expect_download(timeout=30_000) as download:
        fresh.locator("#dl-csv").click()
    download.value.save_as(tmp_path / "t.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 105 and "津市市" not in {r[0] for r in rows}
    assert client.predict(api_name="/plans") == json.loads(rag(env, "plans", "--json").stdout)


def test_upload_edit_remove_and_restore_in_the_browser(plans_app, browser, tmp_path):
    url, env = plans_app
    page = open_page(browser, url)
    open_management(page)
    upload = tmp_path / "津市方案.txt"
    shutil.copy(CORPUS / "jinshi.txt", upload)
    page.locator("#p-files input[type=file]").set_input_files(str(upload))
    # Gradio's file row sets the name's stem and extension apart (its text reads "津市方案 .txt" on some layouts)
    expect(page.locator("#p-files")).to_contain_text(re.compile(r"津市方案\s*\.txt"), timeout=30_000)
    page.locator("#p-add").click()
    report = page.locator("#p-report")
    expect(report).to_contain_text("已添加 1 个方案：津市方案.txt", timeout=120_000)
    expect(report).to_contain_text("[收录] 津市方案.txt → 津市市（县级）")
    expect(page.locator("#summary")).to_contain_text("收录 5 个方案")

    # correct the 文号: written to plans.json and shown at once
    page.locator("#p-target input").click()
    page.get_by_role("option", name="津市方案.txt", exact=False).click()
    expect(page.locator("#p-place input, #p-place textarea").first).to_have_value("津市市")
    page.locator("#p-doc_number input, #p-doc_number textarea").first.fill("津政发〔2022〕9号")
    page.locator("#p-save").click()
    expect(report).to_contain_text("已保存", timeout=120_000)
    expect(page.locator("#plans-table")).to_contain_text("津政发〔2022〕9号")
    entry = json.loads((corpus_of(env) / "plans.json").read_text(encoding="utf-8"))["津市方案.txt"]
    assert entry == {"doc_number": "津政发〔2022〕9号"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-plans-edit.png"), full_page=True)

    page.locator("#p-remove").click()
    expect(report).to_contain_text("已移除《", timeout=120_000)
    assert "/" not in report.locator(".rag-answer").inner_text()  # no server path
    expect(page.locator("#summary")).to_contain_text("收录 4 个方案")
    assert not (corpus_of(env) / "津市方案.txt").exists()

    page.locator("#p-restore-pick input").click()
    page.get_by_role("option", name="津市方案.txt", exact=False).click()
    page.locator("#p-restore").click()
    expect(report).to_contain_text("已恢复", timeout=120_000)
    expect(report).to_contain_text("连同它的修改")
    expect(page.locator("#plans-table")).to_contain_text("津政发〔2022〕9号")
    page.get_by_role("tab", name="问答").click()
    expect(ask(page, "津市2030年光伏装机目标是多少？").locator(".rag-answer")).to_contain_text("42万千瓦")
    assert rag(env, "remove", "津市方案").returncode == 0  # leave the corpus as the module found it


def test_refused_uploads_are_explained_in_chinese(plans_app, browser, tmp_path):
    url, env = plans_app
    page = open_page(browser, url)
    open_management(page)
    before = sorted(p.name for p in corpus_of(env).iterdir())
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ" * 100)
    page.locator("#p-files input[type=file]").set_input_files(str(program))
    note = page.locator("#p-upload-note")
    expect(note).to_contain_text("setup.exe：不支持的文件类型（.exe），只能上传 .txt .md .html .htm .pdf .docx 文件")
    big = tmp_path / "大文件.txt"
    big.write_text("碳达峰" * 100_000, encoding="utf-8")
    page.locator("#p-files input[type=file]").set_input_files(str(big))
    expect(note).to_contain_text("大文件.txt：文件过大（0.9 MB），上限为 0.2 MB")
    page.wait_for_timeout(500)  # Gradio's own English toast, if any, would be up by now
    assert page.get_by_text("Invalid file").count() == 0 and page.get_by_text("exceeds").count() == 0
    assert sorted(p.name for p in corpus_of(env).iterdir()) == before


@pytest.fixture(scope="module")
def gated_app(tmp_path_factory):
    env = {**own_corpus(tmp_path_factory.mktemp("gated-app")), "RAG_ADMIN_PASSWORD": "s3cret"}
    with running_app(**env) as url:
        yield url


def test_with_a_password_changes_need_the_sign_in_and_questions_do_not(gated_app, browser):
    page = open_page(browser, gated_app)
    expect(ask(page, JIANGMEN_Q).locator(".rag-answer")).to_contain_text("700万千瓦")
    page.get_by_role("tab", name="目标表").click()
    expect(page.locator("#t-count")).to_contain_text("全部 104 条")

    open_management(page)
    expect(page.locator("#p-password input")).to_be_visible()
    expect(page.locator("#p-admin")).to_be_hidden()
    page.locator("#p-password input").fill("guess")
    page.locator("#p-signin").click()
    expect(page.locator("#p-signin-note")).to_contain_text("密码不正确", timeout=30_000)
    expect(page.locator("#p-admin")).to_be_hidden()
    page.locator("#p-password input").fill("s3cret")
    page.locator("#p-signin").click()
    expect(page.locator("#p-admin")).to_be_visible(timeout=30_000)
    expect(page.locator("#p-password input")).to_be_hidden()

    other = open_page(browser, gated_app)  # the sign-in belongs to one session
    open_management(other)
    expect(other.locator("#p-admin")).to_be_hidden()
