"""A library of documents (#26): each document's place, kind and status read by the shape of its
first lines, on documents written here (no dev-set string), and precedence among a place's documents."""
from __future__ import annotations

import pytest

from rag.corpus import STATUS_ORDER, Plan, status_of
from rag.metadata import detect, first_line_title


@pytest.mark.parametrize("text, place, level, title", [
    # central organs: the country
    ("国务院关于印发2030年前碳达峰行动方案的通知\n国发〔2021〕23号\n各省、自治区、直辖市人民政府：\n国务院\n2021年10月24日\n"
     "2030年前碳达峰行动方案\n一、总体要求\n", "全国", "national", "2030年前碳达峰行动方案"),
    ("生态环境部 国家发展改革委关于印发减污降碳协同增效实施方案的通知\n环综合〔2022〕42号\n一、总体要求\n",
     "全国", "national", "减污降碳协同增效实施方案"),
    # a county-level city's bare name opening the title
    ("醴陵关于加快推进绿色低碳转型的实施方案\n为贯彻落实湖南省部署，制定本方案。\n一、总体要求\n", "醴陵市", "county",
     "醴陵关于加快推进绿色低碳转型的实施方案"),
    # a date glued before the title; a table of contents' 目录 after it
    ("2022年8月3日株洲市工业领域碳达峰行动方案\n一、总体要求\n", "株洲市", "city", "株洲市工业领域碳达峰行动方案"),
    ("江西省“十四五”节能减排综合工作方案目录\n一、总体要求……3\n二、主要目标……5\n", "江西省", "province", "江西省“十四五”节能减排综合工作方案"),
    # a notice's name wrapped onto a second line, and the years under a title kept with it, not in the kind
    ("关于印发贵阳市重点行业节能降碳工作方案\n（2023-2025年）的通知\n各区（市、县）：\n贵阳市工业和信息化局\n2023年4月6日\n一、总体要求\n",
     "贵阳市", "city", "贵阳市重点行业节能降碳工作方案（2023-2025年）"),
])
def test_place_and_title_by_the_shape_of_the_first_lines(text, place, level, title):
    meta = detect(text)
    assert (meta.place, meta.level, meta.title) == (place, level, title)
    assert "2023" not in meta.kind and "2025" not in meta.kind


def test_the_title_of_a_document_without_one_is_never_its_number_or_date():
    assert first_line_title("宁政发〔2023〕12号\n2023年3月1日\n南宁市推动绿色低碳发展若干措施\n") == "南宁市推动绿色低碳发展若干措施"


def test_status_and_precedence_among_a_places_documents():
    assert [status_of(k) for k in ("实施方案", "征求意见稿", "政策解读", "新闻报道")] == list(STATUS_ORDER)
    assert status_of("实施方案", "某市碳达峰实施方案（征求意见稿）") == "draft"

    def plan(plan_id: str, title: str, issued: str = "") -> Plan:
        return Plan(plan_id, "福州市", "city", "福建省", title, "", issued, "", "实施方案", plan_id, "")  # a draft by its title

    ranked = sorted([plan("a", "福州市优化能源结构行动方案"), plan("b", "福州市碳达峰实施方案"),
                     plan("c", "福州市能源发展规划", "2023-05-01"), plan("d", "福州市碳达峰实施方案（征求意见稿）", "2024-01-01")],
                    key=lambda p: p.precedence)
    # final before draft; a signed date before none, newest first; undated: the carbon-peak plan first
    assert [p.plan_id for p in ranked] == ["c", "b", "a", "d"]


def test_an_organ_named_in_a_cited_title_is_not_the_issuer():
    # a plan with no notice of its own that cites the province's opinions: their issuer is not this plan's
    text = ("福建省“十四五”建筑节能规划\n一、编制依据\n依据《中共福建省委福建省人民政府关于完整准确全面贯彻新发展理念做好碳达峰碳中和工作的实施意见》"
            "和《福建省人民政府办公厅关于印发福建省“十四五”能源发展专项规划的通知》编制本规划。\n")
    assert detect(text).issuer == ""
    assert detect("近日，福州市人民政府印发《福州市碳达峰实施方案》，提出到2025年……").issuer == "福州市人民政府"


def test_co_issuers_signed_on_several_lines_are_all_the_issuers():
    """A notice signed by several organs, two to a line above the date (written here: 福建's four
    organs), names all of them; one organ's office ("…厅办公室") stays one organ."""
    text = ("关于印发《福建省“十四五”建筑节能规划》的通知\n闽建科〔2022〕9号\n各设区市住建局：\n现将规划印发给你们，请认真贯彻落实。\n"
            "福建省住房和城乡建设厅福建省发展和改革委员会\n福建省财政厅  福建省机关事务管理局\n2022年6月2日\n"
            "福建省“十四五”建筑节能规划\n目录\n一“十三五”回顾……3\n")
    meta = detect(text)
    assert meta.issuer == "福建省住房和城乡建设厅 福建省发展和改革委员会 福建省财政厅 福建省机关事务管理局"
    assert meta.issued == "2022-06-02"
    # the notice prints the document after it, under its own title line: a plan, not a news report
    assert meta.kind == "规划"
    office = detect("关于印发福建省工业领域节能降碳方案的通知\n各设区市工信局：\n现印发给你们。\n福建省工业和信息化厅办公室\n2022年7月1日\n一、总体要求\n")
    assert office.issuer == "福建省工业和信息化厅办公室"


def test_a_title_word_after_the_place_name_is_kept_when_the_short_name_is_cut_too():
    """"福建省碳达峰实施方案" with 福建省 and 福建 cut is "|碳达峰实施方案", not "|达峰实施方案" (the cuts
    overlap): "福建碳达峰方案" shares 碳达峰 with it as much as with "福建省金融支持碳达峰行动方案"."""
    from rag.question import _longest_shared, _title_stretch

    asked = _title_stretch("福建碳达峰方案哪天印发的", ("福建省",))
    assert _title_stretch("福建省碳达峰实施方案", ("福建省",)) == "|碳达峰实施方案"
    assert _title_stretch("福建省发展绿色金融支持碳达峰行动方案", ("福建省",)) == "|发展绿色金融支持碳达峰行动方案"
    assert _longest_shared(asked, _title_stretch("福建省碳达峰实施方案", ("福建省",))) == 3
