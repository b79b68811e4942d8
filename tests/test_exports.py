"""Exports safe to open: a plan written to attack a spreadsheet, through every writer the product has
(`rag targets --csv`, `rag targets --xlsx`, the web downloads), leaves no cell a spreadsheet would run."""
import csv
import io
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from rag.config import PROJECT_ROOT
from rag.exports import FORMULA_START, safe_cell
from rag.web.targets import export_rows, write_targets_csv, write_targets_xlsx
from writtenlibrary import written_library

# each line starts the way a formula does; each states a target, so its sentence reaches the table
ATTACK_PLAN = """攻击市碳达峰实施方案

一、主要目标
=HYPERLINK("http://example.invalid/x","到2025年，非化石能源消费比重达到20%")
+到2025年，单位地区生产总值能耗比2020年下降14%。
-到2030年，森林覆盖率达到45%。
@SUM(1,2)到2025年，可再生能源装机规模达到500万千瓦。
"""


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    return written_library(tmp_path_factory.mktemp("attack"), {"attack.txt": ATTACK_PLAN})


def _starts_like_formula(cell) -> bool:
    return isinstance(cell, str) and cell.startswith(FORMULA_START)


def test_safe_cell_table():
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("@SUM(1)") == "'@SUM(1)" and safe_cell("+1+1") == "'+1+1" and safe_cell("\t=1") == "'\t=1"
    assert safe_cell("-5") == "-5" and safe_cell("+1.5") == "+1.5"  # a number written as text stays a number
    assert safe_cell(-5) == -5 and safe_cell(2025) == 2025 and safe_cell(None) is None
    assert safe_cell("到2025年，达到20%") == "到2025年，达到20%"


def test_the_attack_reaches_the_target_table(attacked):
    """Else the tests below would pass on an empty table."""
    _, index = attacked
    assert sum(_starts_like_formula(t.sentence.strip()) for t in index.targets) >= 3


def test_cli_csv_and_xlsx_run_nothing(attacked, tmp_path):
    settings, index = attacked
    env = dict(os.environ, RAG_INDEX=str(settings.index_dir), RAG_CORPUS=str(settings.corpus_dir))
    run = lambda *a: subprocess.run([sys.executable, "-m", "rag.cli", "targets", *a], env=env, capture_output=True, text=True)
    out = run("--csv")
    table = list(csv.reader(io.StringIO(out.stdout)))
    assert out.returncode == 0 and len(table) == len(index.targets) + 1
    assert not any(_starts_like_formula(cell) for row in table for cell in row)
    sentences = [row[table[0].index("sentence")] for row in table[1:]]
    assert any(s.startswith("'=HYPERLINK(") for s in sentences)  # neutralised, still readable

    path = tmp_path / "targets.xlsx"
    out = run("--xlsx", str(path))
    assert out.returncode == 0 and "已写入" in out.stderr
    sheet = load_workbook(path).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not any(_starts_like_formula(c.value) for c in cells)
    years = [c.value for c in cells if c.column == 2 and c.row > 1]
    assert years and all(isinstance(y, int) for y in years)  # numbers stay numbers

    bad = run("--xlsx", str(tmp_path / "missing-folder" / "t.xlsx"))
    assert bad.returncode != 0 and "--xlsx" in bad.stderr and "Traceback" not in bad.stderr


def test_web_downloads_run_nothing(attacked, tmp_path):
    _, index = attacked
    rows = export_rows(index, index.targets)
    table = list(csv.reader(io.StringIO(write_targets_csv(tmp_path / "t.csv", rows).read_text(encoding="utf-8-sig"))))
    assert len(table) == len(rows) + 1 and not any(_starts_like_formula(c) for row in table for c in row)
    sheet = load_workbook(write_targets_xlsx(tmp_path / "t.xlsx", rows)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not any(_starts_like_formula(c.value) for c in cells)
