"""Saved web pages (#18 item 6): the plan's text is found whatever wraps it, the page's furniture never is.

The pages are made at test time (tests/htmlpages.py) around real plan texts from ../shared/newplans
(read in place) and the shipped corpus, with a data table inside the body. For every page: every
line of the plan is read, no menu, breadcrumb, sidebar, share bar or footer text is, the data table
becomes row lines and targets, and the sidebar's numbers are no plan's targets.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from htmlpages import FURNITURE, SIDEBAR, TEMPLATES

from rag.config import PROJECT_ROOT
from rag.corpus import read_plan
from rag.ingest import Limits
from rag.tables import parse_row
from rag.targets import extract_targets

NEWPLANS = PROJECT_ROOT.parent / "shared" / "newplans"
TABLE = [["指标", "2025年", "2030年"], ["光伏装机容量（万千瓦）", "57", "83"], ["森林覆盖率（%）", "61.5", "62.5"]]
SIDEBAR_NUMBERS = {987.0, 6543.0, 31.7}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def plan_lines(path: Path) -> tuple[str, list[str]]:
    """A plan's title and its text lines, as the pipeline reads the plain-text file."""
    plan = read_plan(path, {}, Limits()).plan
    lines = [line.strip() for line in plan.text.splitlines() if len(line.strip()) >= 2]
    return plan.title, lines


def read_page(tmp_path: Path, name: str, page: str):
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    return read_plan(path, {}, Limits()).plan


def sources() -> list[Path]:
    found = sorted(NEWPLANS.glob("*.txt"))[:4] or sorted((PROJECT_ROOT / "corpus").glob("*.txt"))[:2]
    return found + [PROJECT_ROOT / "corpus" / "jinshi.txt"]


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("source", sources(), ids=lambda p: p.stem)
def test_the_plan_text_is_read_and_the_page_furniture_is_not(tmp_path, source, template):
    title, lines = plan_lines(source)
    plan = read_page(tmp_path, template, TEMPLATES[template](title, lines, TABLE))
    text = squash(plan.text)
    missing = [line for line in lines if squash(line) not in text]
    assert not missing, missing[:5]
    leaked = [item for item in FURNITURE if squash(item) in text and squash(item) not in squash("".join(lines))]
    assert not leaked, leaked
    rows = [parse_row(line) for line in plan.text.splitlines() if parse_row(line)]
    assert [r.labels[-1] for r in rows][-2:] == ["光伏装机容量（万千瓦）", "森林覆盖率（%）"], rows
    targets = extract_targets(plan)
    assert {(t.year, t.value) for t in targets if t.from_table} >= {(2025, 57), (2030, 83), (2030, 62.5)}
    assert not [t for t in targets if t.value in SIDEBAR_NUMBERS], "a sidebar title became a target"


def test_a_page_trafilatura_finds_nothing_in_falls_back_to_its_own_blocks(tmp_path):
    """A bare fragment with a short body: still read, menus in <nav> still dropped."""
    page = ("<nav><a href='/'>首页</a> <a href='/x'>政务公开</a></nav>"
            "<div>韶关市碳达峰实施方案</div><div>到2030年，全市光伏发电装机容量达到135万千瓦。</div>")
    plan = read_page(tmp_path, "fragment", page)
    assert "135万千瓦" in plan.text and "政务公开" not in plan.text


def test_unclosed_tags_and_entities_do_not_lose_the_body(tmp_path):
    page = ("<html><body><div class=nav><ul><li><a href=/>首页<li><a href=/a>政务公开<li><a href=/b>政策文件<li><a href=/c>互动交流</ul>"
            "<div id=content><p>韶关市碳达峰实施方案<p>一、主要目标<p>到2030年，全市光伏发电装机容量达到135万千瓦&nbsp;以上，"
            "非化石能源消费比重达到35%左右。<p>二、重点任务<p>大力发展风电&amp;光伏。")
    plan = read_page(tmp_path, "unclosed", page)
    assert "135万千瓦" in plan.text and "风电&光伏" in plan.text and "政务公开" not in plan.text


def test_sidebar_titles_are_not_read_even_inside_the_content_column(tmp_path):
    title, lines = plan_lines(PROJECT_ROOT / "corpus" / "jinshi.txt")
    plan = read_page(tmp_path, "trs", TEMPLATES["trs-editor"](title, lines))
    assert not any(squash(s) in squash(plan.text) for s in SIDEBAR)
