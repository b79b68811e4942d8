"""The web UI in real headless Chromium: ask, read the cited answer, download the targets CSV."""
from __future__ import annotations

import csv
import io

import pytest

from apphelpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app
from rag.targets import CSV_COLUMNS

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_ask_then_download_targets_csv(app_url, browser, tmp_path):
    expect = playwright_sync.expect
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page.goto(app_url)
        box = page.locator("#question textarea")
        expect(box).to_be_visible(timeout=30_000)

        box.fill("江门2030年可再生能源装机目标是多少？")
        page.locator("#send").click()
        reply = page.locator("#chat .rag-reply").last
        expect(reply.locator(".rag-answer")).to_contain_text("700万千瓦", timeout=60_000)
        citation = reply.locator(".rag-cite").first
        expect(citation.locator(".rag-cite-head")).to_contain_text("《江门市碳达峰实施方案》")
        expect(citation.locator("mark")).to_contain_text("700万千瓦")
        expect(page.locator("#question textarea")).to_have_value("")

        # the full section around the citation
        page.locator("#read-section").click()
        expect(page.locator("#section-view mark")).to_contain_text("700万千瓦", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)

        page.get_by_role("tab", name="目标表").click()
        download_button = page.locator("#dl-csv")
        expect(download_button).to_be_visible(timeout=30_000)
        with page.expect_download(timeout=30_000) as download_info:
            download_button.click()
        download = download_info.value
        assert download.suggested_filename.endswith(".csv")
        saved = tmp_path / "targets.csv"
        download.save_as(saved)
        raw = saved.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), "CSV should carry a UTF-8 BOM for Excel"
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert len(rows) > 50
        assert any(r[0] == "江门市" and r[4] == "700.0" for r in rows[1:])
        page.screenshot(path=str(ARTIFACTS / "ui-targets.png"), full_page=True)
    finally:
        page.close()
