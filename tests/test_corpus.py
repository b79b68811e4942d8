"""Ingestion of any plan a user adds: formats, encodings, metadata, a build that never dies for one file.

The 18 real plan pages of ../shared/newplans are read in place (never copied into the repository).
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from rag.chunk import chunk_plans
from rag.config import PROJECT_ROOT, ChunkSettings
from rag.corpus import CorpusError, load_plan, load_plans, read_overrides
from rag.catalog import add_plans, remove_plan, removed_plans, restore_plan
from rag.index import build_index, load_index

NEWPLANS = PROJECT_ROOT.parent / "shared" / "newplans"

# (place, level, province, 文号, signing date) — written by reading each page
EXPECTED = {
    "chengdushi.txt": ("成都市", "city", "四川省", "", ""),
    "guanganshi.txt": ("广安市", "city", "四川省", "", "2024-01-26"),
    "guangdongsheng.txt": ("广东省", "province", "广东省", "", "2022-06-23"),
    "guangzhoushi.txt": ("广州市", "city", "广东省", "穗府〔2023〕7号", "2023-03-02"),
    "heilongjiangsheng.txt": ("黑龙江省", "province", "黑龙江省", "", ""),
    "hunansheng.txt": ("湖南省", "province", "湖南省", "", "2022-10-28"),
    "leiyangshi.txt": ("耒阳市", "county", "湖南省", "", ""),
    "linxiangshi.txt": ("临湘市", "county", "湖南省", "临政发[2024]5号", ""),
    "lvliangshi.txt": ("吕梁市", "city", "山西省", "", "2023-11-30"),
    "shandongsheng.txt": ("山东省", "province", "山东省", "鲁政字〔2022〕242号", "2022-12-18"),
    "shanxisheng.txt": ("山西省", "province", "山西省", "晋政发〔2022〕29号", "2023-01-05"),
    "sichuansheng.txt": ("四川省", "province", "四川省", "川府发〔2022〕37号", "2022-12-31"),
    "tianhequ.txt": ("天河区", "district", "广东省", "", ""),
    "wanshengjingkaiqu.txt": ("万盛经开区", "zone", "重庆市", "万盛经开发〔2023〕7号", "2023-05-26"),
    "xiangtanshi.txt": ("湘潭市", "city", "湖南省", "潭政发〔2023〕9号", "2023-05-11"),
    "yueyangshi.txt": ("岳阳市", "city", "湖南省", "", ""),
    "yueyangxian.txt": ("岳阳县", "county", "湖南省", "岳县政发〔2024〕2号", "2024-03-18"),
    "zhungeerqi.txt": ("准格尔旗", "county", "内蒙古自治区", "准政发〔2025〕15号", "2025-05-06"),
}


def newplans_corpus(folder: Path) -> Path:
    """The shipped plans plus the 18 new plan pages, in a temporary corpus folder."""
    shutil.copytree(PROJECT_ROOT / "corpus", folder)
    for path in sorted(NEWPLANS.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def newplans(tmp_path_factory):
    plans, reports = load_plans(newplans_corpus(tmp_path_factory.mktemp("np") / "corpus"))
    return {p.file: p for p in plans}, reports


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_new_plan_gets_its_place_level_and_notice_facts(newplans, name):
    plan = newplans[0][name]
    assert (plan.place, plan.level, plan.province, plan.doc_number, plan.issued) == EXPECTED[name]


def test_titles_and_kinds_of_new_plans(newplans):
    plans = newplans[0]
    assert plans["tianhequ.txt"].title == "广州市天河区碳达峰实施方案" and plans["tianhequ.txt"].parent == "广州市"
    assert plans["zhungeerqi.txt"].parent == "鄂尔多斯市"
    assert plans["heilongjiangsheng.txt"].kind == "新闻报道"  # a news summary, not the plan itself
    assert plans["hunansheng.txt"].kind == "实施方案"
    assert plans["jiangyin.txt"].kind == "征求意见稿" and plans["gongqingcheng.txt"].kind == "政策解读"
    # the signing date, not the website's posting time (2023-02-07 17:20:04) above it
    assert plans["guangdongsheng.txt"].issued == "2022-06-23"
    assert plans["yueyangxian.txt"].issuer == "岳阳县人民政府办公室"
    assert all(r.status == "indexed" for r in newplans[1])


def test_noise_is_cleaned_from_new_pages(newplans):
    plans = newplans[0]
    assert "@@" not in plans["hunansheng.txt"].text and "非化石能源消费比重达到22%左右" in plans["hunansheng.txt"].text
    assert "(ce)" not in plans["tianhequ.txt"].text and "发电侧、电网侧、用户侧储能" in plans["tianhequ.txt"].text
    xiangtan = plans["xiangtanshi.txt"].text
    assert "— 2 —" not in xiangtan and "2023年5月11日" in xiangtan and "\n一、总体要求" in xiangtan


def test_gbk_and_utf16_copies_of_a_plan_give_identical_text(tmp_path):
    source = PROJECT_ROOT / "corpus" / "nanchang.txt"
    text = source.read_text(encoding="utf-8")
    copies = {"utf8.txt": text.encode("utf-8"), "bom.txt": b"\xef\xbb\xbf" + text.encode("utf-8"),
              "gbk.txt": text.encode("gb18030"), "utf16.txt": text.encode("utf-16")}
    texts = set()
    for name, data in copies.items():
        (tmp_path / name).write_bytes(data)
        texts.add(load_plan(tmp_path / name, {}, 10**8).text)
    assert len(texts) == 1 and "南昌市碳达峰实施方案" in texts.pop()


def _plan_paragraphs() -> tuple[object, list[str]]:
    plan = load_plan(PROJECT_ROOT / "corpus" / "gongqingcheng.txt", {}, 10**8)
    return plan, plan.text.splitlines()


def _chunk_texts(plan) -> list[str]:
    return [c.text for c in chunk_plans([plan], ChunkSettings())]


def test_docx_round_trips_to_the_same_chunks(tmp_path):
    import docx

    plan, paragraphs = _plan_paragraphs()
    document = docx.Document()
    for line in paragraphs:
        document.add_paragraph(line)
    document.save(tmp_path / "gongqingcheng.docx")
    again = load_plan(tmp_path / "gongqingcheng.docx", {}, 10**8)
    assert _chunk_texts(again) == _chunk_texts(plan)
    assert (again.place, again.kind) == ("共青城市", "政策解读")


def test_pdf_round_trips_to_the_same_chunks(tmp_path):
    """A PDF printed by Chromium from the plan's paragraphs: page numbers dropped, wrapped lines re-joined."""
    plan, paragraphs = _plan_paragraphs()
    body = "".join(f"<p>{line}</p>" for line in paragraphs)
    page = tmp_path / "plan.html"
    page.write_text(
        "<html><head><meta charset='utf-8'><style>@page{size:A4;margin:2cm}"
        "body{font-family:'WenQuanYi Micro Hei';font-size:14pt}p{margin:0 0 6pt 0}</style></head>"
        f"<body>{body}</body></html>", encoding="utf-8")
    pdf = tmp_path / "gongqingcheng.pdf"
    subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    "--disable-background-networking", f"--print-to-pdf={pdf}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    again = load_plan(pdf, {}, 10**8)
    assert _chunk_texts(again) == _chunk_texts(plan)


def test_an_unreadable_file_is_skipped_and_the_rest_indexed(settings, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 40)
    result = build_index(replace(settings, corpus_dir=corpus, index_dir=tmp_path / "index"), progress=False)
    skipped = {f.file: f.error for f in result.skipped}
    assert set(skipped) == {"broken.pdf", "empty.txt", "binary.txt"}
    assert "PDF" in skipped["broken.pdf"] and "空" in skipped["empty.txt"]
    assert result.manifest.plans == 5


def test_plans_json_overrides_field_by_field_and_is_validated(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    overrides = read_overrides(corpus)
    assert overrides["jiangmen.txt"]["place"] == "江门市"  # the legacy key `city` means place
    plans = {p.plan_id: p for p in load_plans(corpus)[0]}
    assert plans["jiangmen"].source_file == "001_c0e6d776a2bf4146.txt" and plans["jiangmen"].level == "city"
    for bad, message in (({"jiangmen.txt": {"city": 123}}, "city.*字符串.*整数|place.*字符串.*整数"),
                         ([1, 2], "顶层应是对象"), ({"jiangmen.txt": "江门"}, "条目应是对象"),
                         ({"jiangmen.txt": {"colour": "red"}}, "未知字段 colour")):
        (corpus / "plans.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(CorpusError, match=message):
            load_plans(corpus)


def test_add_and_remove_change_only_what_they_should(settings, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    local = replace(settings, corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(local, progress=False)
    before = load_index(local)
    result = add_plans(local, [NEWPLANS / "hunansheng.txt"], progress=False)
    after = load_index(local)
    assert (corpus / "hunansheng.txt").read_bytes() == (NEWPLANS / "hunansheng.txt").read_bytes()
    assert set(after.plans) == set(before.plans) | {"hunansheng"}
    assert result.embedded == sum(1 for c in after.chunks if c.plan_id == "hunansheng")  # only the new plan embedded
    assert result.reused_files == len(after.plans)  # read once: the build took the new file's parse from `add`
    unchanged = [c.text for c in after.chunks if c.plan_id != "hunansheng"]
    assert unchanged == [c.text for c in before.chunks]
    result, kept = remove_plan(local, "hunansheng", progress=False)
    assert not (corpus / "hunansheng.txt").exists() and kept.path.read_bytes() == (NEWPLANS / "hunansheng.txt").read_bytes()
    assert set(load_index(local).plans) == set(before.plans) and result.embedded == 0
    with pytest.raises(Exception, match="没有编号为"):
        remove_plan(local, "nosuchplan", progress=False)
    assert [r.key for r in removed_plans(local)] == [kept.key] and kept.title == "湖南省碳达峰实施方案"
    result, restored = restore_plan(local, kept.key, progress=False)
    assert restored.file == "hunansheng.txt" and (corpus / "hunansheng.txt").is_file() and result.embedded == 0
    assert "hunansheng" in load_index(local).plans and removed_plans(local) == []
