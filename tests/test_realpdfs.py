"""Real government PDFs read as a careful clerk would (#15): the 16 PDFs of ../shared/realpdfs,
read in place (never copied into the repository), plus PDFs and DOCX files written here with a
chosen layout. Every number kept, every passage paged, tables as tables, locked and scanned files read."""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter

import pytest

from rag.chunk import chunk_plans
from rag.config import PROJECT_ROOT, ChunkSettings, Settings
from rag.corpus import read_plan
from rag.ingest import Limits, UnreadableFile, read_document
from rag.tables import parse_row
from rag.targets import extract_targets
from tests.pdfmaker import Run, paragraph, ruled_rows, write_pdf

REALPDFS = PROJECT_ROOT.parent / "shared" / "realpdfs"
PDFS = sorted(REALPDFS.glob("*.pdf"))
UNIT = r"(?:%|％|年|月|日|万千瓦|千瓦时|千瓦|兆瓦|亿元|万元|元|万吨|亿吨|吨|个|家|座|辆|公里|千米|平方米|立方米|亩|小时|人|项|倍|度|天|条|所|台|套)"
NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?[万亿]?" + UNIT)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def readings():
    """Every real PDF read once, exactly as a build reads it (OCR included)."""
    return {path.name: read_plan(path, {}, Settings().limits) for path in PDFS}


def reference_numbers(path) -> Counter:
    """Numbers written with a unit in the PDF's own text layer, read by another library (pypdf):
    whitespace and line breaks removed, so a number set in a text run of its own ("装机\\n50\\n万千瓦")
    counts as written. A bare number standing as the first or last line of a page is where page
    numbers stand; it is left out, or "19" glued to the next page's "度开发" would count as "19度"."""
    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    pages = []
    for page in pypdf.PdfReader(str(path)).pages:
        lines = [line for line in (page.extract_text() or "").splitlines() if line.strip()]
        while lines and re.fullmatch(r"\s*\d{1,3}\s*", lines[0]):
            lines = lines[1:]
        while lines and re.fullmatch(r"\s*\d{1,3}\s*", lines[-1]):
            lines = lines[:-1]
        pages.append("\n".join(lines))
    return Counter(NUMBER.findall(squash("\n".join(pages))))


@pytest.mark.skipif(not PDFS, reason="../shared/realpdfs is not beside the repository")
@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.name)
def test_no_number_is_lost_between_the_pdf_and_the_index(readings, path):
    written = reference_numbers(path)
    indexed = Counter(NUMBER.findall(unicodedata.normalize("NFKC", readings[path.name].plan.text)))
    lost = {number: n - indexed[number] for number, n in written.items() if indexed[number] < n}
    assert not lost, f"{path.name}: lost {lost}"


@pytest.mark.skipif(not PDFS, reason="../shared/realpdfs is not beside the repository")
def test_every_passage_knows_its_pages_and_the_evidence_lies_on_them(readings):
    questions = [json.loads(line) for line in (REALPDFS / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    for reading in readings.values():
        plan = reading.plan
        assert plan.page_count > 0
        for chunk in chunk_plans([plan], ChunkSettings()):
            assert 1 <= chunk.page_start <= chunk.page_end <= plan.page_count
    checked = 0
    for q in questions:
        if not q["page"] or "|" in q["source"]:
            continue
        plan = readings[q["source"]].plan
        bounds = (0, *plan.page_starts, len(plan.text))
        page_text = squash(plan.text[bounds[q["page"] - 1] : bounds[q["page"]]])
        evidence = [squash(e) for e in q["evidence"]]
        if any(e in squash(plan.text) for e in evidence):  # (evidence in an image has no text to find)
            assert any(e in page_text for e in evidence), (q["id"], q["page"])
            checked += 1
    assert checked >= 60


@pytest.mark.skipif(not PDFS, reason="../shared/realpdfs is not beside the repository")
def test_metadata_of_real_documents(readings):
    """Place, level, 文号 and signing date against meta.json (fields appear there only where the PDF
    states them), by the shape of titles, notices and signatures — no list of these files' names."""
    meta = json.loads((REALPDFS / "meta.json").read_text(encoding="utf-8"))
    right = total = 0
    for name, expected in meta.items():
        plan = readings[name].plan
        for field in ("place", "level", "doc_number", "issued"):
            total += 1
            right += getattr(plan, field) == expected.get(field, "")
        assert plan.title and not plan.title.endswith(".pdf") and plan.title != name.removesuffix(".pdf")
    assert right / total >= 0.95, f"{right}/{total}"


@pytest.mark.skipif(not PDFS, reason="../shared/realpdfs is not beside the repository")
def test_ruled_tables_are_read_as_rows_with_their_headers(readings):
    reading = readings["shandong-climate-plan.pdf"]
    assert reading.document.tables
    rows = [parse_row(line) for line in reading.plan.text.splitlines() if parse_row(line)]
    forest = next(r for r in rows if any("森林蓄积量" in label for label in r.labels))
    assert ("2025年", "9000") in forest.cells and forest.caption
    table_targets = [t for t in extract_targets(reading.plan) if t.from_table]
    stock = next(t for t in table_targets if t.canonical == "森林蓄积量" and t.year == 2025)
    assert (stock.value, stock.unit, stock.kind, stock.page_start) == (9000, "万立方米", "target", 13)
    coal = next(t for t in table_targets if "煤炭消费总量" in t.indicator and t.year == 2020)
    assert (coal.value, coal.unit, coal.kind) == (3.88, "亿吨", "actual")
    # a table continued on the next page keeps its caption and its group rows
    qingdao = [parse_row(line) for line in readings["qingdao-climate-plan.pdf"].plan.text.splitlines() if parse_row(line)]
    assert len({r.caption for r in qingdao}) == 1 and any("工业领域" in r.labels[0] for r in qingdao)


def test_a_number_in_its_own_text_run_and_page_marks(tmp_path):
    """Office suites set numbers in text runs of their own; page numbers stand at the page edges."""
    body, top = paragraph("到2025年，新增光伏装机50万千瓦，储能达到12万千瓦，全市新能源装机容量达到300万千瓦以上，可再生能源发电量占比提高到35%。", 100)
    heading, _ = paragraph("二、重点任务", top, indent=False)
    second, _ = paragraph("加快建设抽水蓄能电站，装机规模达到120万千瓦，力争建成2座。", 100)
    pdf = write_pdf(tmp_path / "runs.pdf", [
        [Run(290, 50, "2", 10)] + body + heading + [Run(280, 800, "— 1 —", 10)],
        [Run(290, 50, "3", 10)] + second + [Run(280, 800, "— 2 —", 10)],
    ])
    plan = read_plan(pdf, {}, Limits()).plan
    assert "新增光伏装机50万千瓦，储能达到12万千瓦，全市新能源装机容量达到300万千瓦以上" in plan.text
    assert "— 1 —" not in plan.text and not re.search(r"^\d+$", plan.text, flags=re.M)
    assert plan.page_count == 2 and plan.page_at(plan.text.index("抽水蓄能")) == 2


def test_a_permissions_locked_pdf_is_read_and_a_password_is_reported(tmp_path):
    import pypdf

    source = REALPDFS / "guizhou-public-institutions.pdf"
    if not source.is_file():
        source = write_pdf(tmp_path / "plain.pdf", [paragraph("贵州省公共机构能源消费总量控制在101万吨标准煤以内。", 100)[0]])
    plain = read_document(source, Limits()).text
    for user, name in (("", "locked.pdf"), ("secret", "password.pdf")):
        writer = pypdf.PdfWriter(clone_from=source)
        writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-256")
        writer.write(tmp_path / name)
    assert read_document(tmp_path / "locked.pdf", Limits()).text == plain
    with pytest.raises(UnreadableFile, match="密码"):
        read_document(tmp_path / "password.pdf", Limits())


def test_a_scanned_page_is_read_by_ocr(tmp_path):
    """A page with no text layer (an image of a page) is rendered and recognised offline."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 40)
    image = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(image)
    lines = ["一、主要目标", "到2025年，非化石能源消费比重达到20%，", "森林覆盖率达到63.5%。"]
    for i, line in enumerate(lines):
        draw.text((150, 200 + 80 * i), line, fill="black", font=font)
    image.save(tmp_path / "scan.pdf", resolution=150)
    document = read_document(tmp_path / "scan.pdf", Limits())
    assert document.ocr_pages == (1,)
    text = squash(document.text)
    assert "非化石能源消费比重达到20%" in text and "63.5%" in text
    with pytest.raises(UnreadableFile, match="OCR"):
        read_document(tmp_path / "scan.pdf", Limits(ocr_pages=0))


def test_docx_tables_stay_where_they_stand_with_merged_cells(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("一、主要目标")
    table = document.add_table(rows=4, cols=4)
    for j, text in enumerate(("类别", "指标", "2020年", "2025年")):
        table.cell(0, j).text = text
    table.cell(1, 0).merge(table.cell(2, 0)).text = "能源"
    for r, row in ((1, ("风电装机容量（万千瓦）", "60", "110")), (2, ("光伏装机容量（万千瓦）", "45", "300")),
                   (3, ("森林覆盖率（%）", "40.5", "41"))):
        for j, text in enumerate(row, 1):
            table.cell(r, j).text = text
    table.cell(3, 0).text = "生态"
    document.add_paragraph("二、重点任务")
    document.add_paragraph("大力发展风电。")
    document.save(tmp_path / "plan.docx")
    plan = read_plan(tmp_path / "plan.docx", {}, Limits()).plan
    lines = plan.text.splitlines()
    rows = [i for i, line in enumerate(lines) if parse_row(line)]
    assert lines.index("一、主要目标") < rows[0] < rows[-1] < lines.index("二、重点任务")
    wind = parse_row(lines[rows[0]])
    assert wind.labels == ("能源", "风电装机容量（万千瓦）") and ("2025年", "110") in wind.cells
    solar = parse_row(lines[rows[1]])
    assert solar.labels[0] == "能源"  # the merged category cell names both rows
    targets = {(t.canonical, t.year): t for t in extract_targets(plan) if t.from_table}
    assert (targets[("风电装机容量", 2025)].value, targets[("风电装机容量", 2025)].unit) == (110, "万千瓦")
    assert targets[("光伏装机容量", 2020)].kind == "actual"


def test_html_table_cells_do_not_run_together(tmp_path):
    page = ("<html><body><p>一、主要目标</p><table><tr><th>指标</th><th>2025年</th><th>2030年</th></tr>"
            "<tr><td>风电装机容量（万千瓦）</td><td>60</td><td>110</td></tr>"
            "<tr><td>非化石能源消费比重（%）</td><td>20</td><td>25左右</td></tr></table>"
            "<p>二、重点任务</p><p>大力发展风电，推进风光储一体化发展。</p></body></html>")
    (tmp_path / "plan.html").write_text(page, encoding="utf-8")
    plan = read_plan(tmp_path / "plan.html", {}, Limits()).plan
    assert "60110" not in plan.text
    rows = [parse_row(line) for line in plan.text.splitlines() if parse_row(line)]
    assert rows[0].labels == ("风电装机容量（万千瓦）",) and rows[0].cells == (("2025年", "60"), ("2030年", "110"))
    targets = {(t.canonical, t.year): t for t in extract_targets(plan) if t.from_table}
    assert targets[("非化石能源消费比重", 2030)].qualifier == "左右" and targets[("非化石能源消费比重", 2030)].unit == "%"


def test_a_header_row_alone_at_a_page_foot_heads_the_rows_on_the_next_page(tmp_path):
    """A table whose header row is the last ruled row of its page and whose rows, numbered 1, 2 … in a
    序号 column beside a 单位 column, fill the next page: every row keeps the header and the caption."""
    edges = [72, 130, 165, 300, 360, 410, 460, 520]
    body, top = paragraph("“十四五”期间设置应对气候变化重点指标，具体如下。", 100)
    caption = [Run(200, 700, "表1 某省应对气候变化指标体系", 12)]
    header, _ = ruled_rows([["类别", "序号", "具体指标", "单位", "2020年", "2025年", "性质"]], 720, edges)
    rows, _ = ruled_rows([["减缓", "1", "非化石能源消费比重", "%", "19.8", "24", "约束性"],
                          ["减缓", "2", "森林蓄积量", "亿立方米", "3.75", "≥4.45", "约束性"]], 80, edges)
    pdf = write_pdf(tmp_path / "foot.pdf", [body + caption + header, rows])
    plan = read_plan(pdf, {}, Limits()).plan
    read = [parse_row(line) for line in plan.text.splitlines() if parse_row(line)]
    assert len(read) == 2 and {r.caption for r in read} == {"表1某省应对气候变化指标体系"}
    assert ("2025年", "≥4.45") in read[1].cells and "森林蓄积量" in read[1].labels
    targets = {(t.canonical, t.year): t for t in extract_targets(plan) if t.from_table}
    stock = targets[("森林蓄积量", 2025)]
    assert (stock.value, stock.unit, stock.qualifier, stock.page_start) == (4.45, "亿立方米", "不低于", 2)
    assert (targets[("森林蓄积量", 2020)].kind, targets[("非化石能源消费比重", 2025)].value) == ("actual", 24)
