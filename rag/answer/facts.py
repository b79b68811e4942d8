"""Facts about the documents themselves and about the collection: 文号, dates, issuers, the
meeting that approved a plan, when it takes effect, a draft's comment deadline; which plans and
places the corpus holds; a greeting's help. Each fact is cited to the words it comes from."""
from __future__ import annotations

import re

from ..index import Index
from ..metadata import PAGE_KINDS
from ..places import Place, divisions
from ..zh.asking import FACT_NAMES
from ..zh.notices import ADDRESSEES, CITED_NUMBER, COMMENT_DEADLINE, EFFECTIVE, HEAD, KIND_WORDS, MEETING, NEWS_DATE, POSTED_AT
from .citing import passages_for
from .result import Answer


def facts(index: Index, question, k: int) -> Answer:
    """Every asked fact of every meant plan; a fact a plan does not state is said to be missing."""
    plan_ids = question.plan_ids or ()
    if not plan_ids:
        return collection(index, question, k) if question.order else \
            Answer(question.asked, "请说明是哪个地区的方案，例如：“江门市碳达峰实施方案的文号是多少？”", False, [], mode="none",
                   note="没有指明方案。")
    if question.absent:  # a fact is a document's: never another document's under the one asked
        held = "；".join(f"{label}：" + "、".join(f"《{index.plans[p].title}》" for p in plan_ids if index.plans[p].label == label)
                        for label in question.places)
        text = f"语料中没有{'、'.join(question.absent)}。收录的文件：{held}。"
        return Answer(question.asked, text, False, [], mode="none", note=text)
    lines, spans = [], []
    stated = 0
    for plan_id in plan_ids:
        plan = index.plans[plan_id]
        parts = []
        for name in question.facts:
            found = _fact_span(index, plan, name)
            if not found:
                parts.append(f"方案中未注明{FACT_NAMES[name]}")
                continue
            source_id, start, end = found
            source = index.plans[source_id]
            where = "" if source_id == plan_id else f"，见《{source.title}》的引用"
            value = source.text[start:end]
            label = FACT_NAMES[name]
            if name == "issued":
                value = _dated(value, plan)
                if not re.search(r"\d日|-\d{1,2}-\d", value):  # a cover's month ("2022年3月"), no signing day
                    label, value = "日期", f"{value}（只署年月，未注明印发日）"
            elif name == "kind":
                value = plan.kind + f"（原文：“{value}”）"
            parts.append(f"{label}为{value}{where}")
            spans.append(found)
            stated += 1
        lines.append(f"{plan.label}《{plan.title}》：" + "，".join(parts))
    if not stated:
        text = "；".join(lines) + "。"
        return Answer(question.asked, text, False, passages_for(index, [], question, k), mode="none", note=text)
    dated = sorted((index.plans[p] for p in plan_ids if index.plans[p].issued), key=lambda p: p.issued)
    if "issued" in question.facts and len(dated) > 1 and question.order:
        latest = question.order == "latest"
        first = dated[-1] if latest else dated[0]
        year, month, day = (int(part) for part in first.issued.split("-"))
        word = ("最晚" if latest else "最早") if len(plan_ids) > 2 else ("更晚" if latest else "更早")
        lines.insert(0, f"{word}印发的是{first.label}（{year}年{month}月{day}日）《{first.title}》")
    return Answer(question.asked, "；".join(lines) + "。", True, passages_for(index, spans, question, k), [], "fact", spans)


def division(index: Index, question, k: int) -> Answer:
    """Which province and city each asked place belongs to, from the divisions table (a zone the table
    lacks, from its documents' metadata); a place's documents are named when the corpus holds any."""
    lines = []
    for name in dict.fromkeys((question.below,) if question.below else question.places + question.missing):
        held = [p for p in index.plans.values() if p.label == name]
        places = divisions().named(name) or tuple(Place(name, "", p.level, p.province, p.parent) for p in held[:1])
        for place in places:
            above = "".join(dict.fromkeys(x for x in (place.province, place.parent) if x and x != place.name))
            lines.append(f"{name}属于{above}" if above else f"{name}是省级行政区")
        if held:
            lines[-1] += "（语料中有其文件：" + "、".join(f"《{p.title}》" for p in held) + "）"
    if not lines:
        text = "行政区划表中没有找到所问的地区。"
        return Answer(question.asked, text, False, [], mode="none", note=text)
    return Answer(question.asked, "；".join(lines) + "。（据行政区划表）", True, [], [], "fact")


def _dated(value: str, plan) -> str:
    """A date written without its year ("12月13日", a news page) gets the year of the plan's own date."""
    if re.search(r"\d{4}年|\d{4}-", value) or not plan.issued:
        return value
    return f"{plan.issued[:4]}年{value}（年份据方案日期）"


def _fact_span(index: Index, plan, name: str) -> tuple[str, int, int] | None:
    span = plan.span_of(name)
    if span:
        return plan.plan_id, span[0], span[1]
    if name == "doc_number":
        # another page may cite this plan with its 文号: 《湖南省碳达峰实施方案》(湘政发〔2022〕19号)
        pattern = re.compile(re.escape(plan.title) + CITED_NUMBER)
        for other in index.plans.values():
            match = pattern.search(other.text)
            if match:
                return other.plan_id, match.start(1), match.end(1)
    if name == "deadline":
        match = COMMENT_DEADLINE.search(plan.text)
        if match:
            group = 1 if match.group(1) else 2
            return plan.plan_id, match.start(group), match.end(group)
    if name == "posted":  # a web page's own posting time ("发布时间：2023-07-21")
        match = POSTED_AT.search(plan.text[:HEAD])
        if match:
            return plan.plan_id, match.start(1), match.end(1)
    if name == "addressees":  # the notice's addressees: "各县(市、区)人民政府,市有关单位:"
        match = ADDRESSEES.search(plan.text[:HEAD])
        if match:
            return plan.plan_id, match.start(1), match.end(1)
    if name == "meeting":
        match = MEETING.search(plan.text[:4000])
        if match:
            return plan.plan_id, match.start(), match.end()
    if name == "effective":
        match = EFFECTIVE.search(plan.text)
        if match:
            return plan.plan_id, match.start(), match.end()
    if name == "kind":
        # the words that make it a draft or an interpretation, else the title it carries
        at = min((found for found in (plan.text.find(w) for w in KIND_WORDS) if found >= 0), default=-1)
        if plan.kind in ("征求意见稿", "政策解读") and at >= 0:
            word = next(w for w in KIND_WORDS if plan.text.startswith(w, at))
            return plan.plan_id, at, at + len(word)
        title = plan.span_of("title")
        return (plan.plan_id, title[0], title[1]) if title else None
    if name == "issued":
        # a news page dates the notice without a year: "12月13日,……印发《……》"
        match = NEWS_DATE.search(plan.text[:2000])
        if match:
            return plan.plan_id, match.start(1), match.end(1)
    return None


def cited_facts(index: Index, question) -> Answer | None:
    """The 文号 or date of a plan that is not in the corpus but that a plan here cites:
    "《衡阳市人民政府关于印发〈衡阳市碳达峰实施方案〉的通知》(衡政发〔2023〕6号)",
    "2022年7月，江西省先后发布《江西省碳达峰实施方案》"."""
    wanted = [f for f in question.facts if f in ("doc_number", "issued")]
    if not wanted:
        return None
    lines, spans = [], []
    for place in question.missing:
        name = re.escape(place) + r"[^》。\n]{0,30}?(?:碳达峰|方案|规划|意见)[^》。\n]{0,20}?(?:方案|规划|意见)[^》。\n]{0,12}"
        patterns = {"doc_number": re.compile(name + CITED_NUMBER),
                    "issued": re.compile(r"((?:20\d{2}年)\d{1,2}月(?:\d{1,2}日)?)[^。\n]{0,20}?(?:印发|发布|出台)[^。\n]{0,6}?《" + name)}
        for fact in wanted:
            for plan in index.plans.values():
                match = patterns[fact].search(plan.text)
                if match:
                    lines.append(f"语料中没有{place}的方案原文，但《{plan.title}》提到它的{FACT_NAMES[fact]}为{match.group(1)}")
                    spans.append((plan.plan_id, match.start(1), match.end(1)))
                    break
    if not spans:
        return None
    return Answer(question.asked, "；".join(lines) + "。", True, passages_for(index, spans), [], "fact", spans)


# ---------------------------------------------------------------- the collection


def collection(index: Index, question, k: int) -> Answer:
    """What the corpus holds: its plans and places (by province, or inside one), the ones that are
    not a formally issued text, or which plan was issued first or last."""
    plans = _in_places(index, question)
    if not plans:
        where = "、".join(question.places + question.missing)
        return Answer(question.asked, f"没有收录{where}的方案。", True, [], [], "corpus")
    if question.order:
        return _first_or_last(index, question, plans)
    if question.informal:
        informal = [p for p in plans if p.kind in PAGE_KINDS]
        listed = "；".join(f"{p.label}《{p.title}》（{p.kind}）" for p in informal) or "没有"
        return Answer(question.asked, f"不是正式印发文本的：{listed}。", True, [], [], "corpus")
    if question.by_province:
        provinces: dict[str, list[str]] = {}
        for p in plans:
            provinces.setdefault(p.province or "（省份未知）", []).append(p.label)
        listed = "；".join(f"{province}（{'、'.join(dict.fromkeys(names))}）" for province, names in provinces.items())
        return Answer(question.asked, f"收录的方案来自 {len(provinces)} 个省份：{listed}。", True, [], [], "corpus")
    places = list(dict.fromkeys(p.label for p in plans))
    listed = "；".join(f"{p.label}《{p.title}》" + (f"（{p.issued}）" if p.issued else "") for p in plans)
    return Answer(question.asked, f"收录 {len(plans)} 个方案，涉及 {len(places)} 个地区（{'、'.join(places)}）：{listed}。",
                  True, [], [], "corpus")


def _in_places(index: Index, question) -> list:
    """The plans of the places a corpus question names (a province names the plans inside it), or all."""
    named = set(question.places) | set(question.missing)
    if not named:
        return list(index.plans.values())
    return [p for p in index.plans.values() if {p.label, p.place, p.province, p.parent} & named]


def _first_or_last(index: Index, question, plans) -> Answer:
    dated = sorted((p for p in plans if p.issued), key=lambda p: p.issued)
    if not dated:
        return Answer(question.asked, "收录的方案都没有注明印发日期。", False, [], mode="none", note="没有印发日期。")
    latest = question.order == "latest"
    order = dated[::-1] if latest else dated
    chosen = [order[0]]
    if order[0].kind in PAGE_KINDS:  # a draft or a news page first: name the first formal text too
        chosen += [p for p in order if p.kind not in PAGE_KINDS][:1]
    lines = []
    for plan in chosen:
        year, month, day = (int(part) for part in plan.issued.split("-"))
        formal = "" if plan is chosen[0] else "正式印发的方案中"
        lines.append(f"{formal}{'最晚' if latest else '最早'}的是{plan.label}《{plan.title}》（{plan.kind}，{year}年{month}月{day}日）")
    spans = [(p.plan_id, *p.span_of("issued")) for p in chosen if p.span_of("issued")]
    undated = [p.label for p in plans if not p.issued]
    text = "；".join(lines) + "。" + (f"未注明日期的：{'、'.join(undated)}。" if undated else "")
    return Answer(question.asked, text, True, passages_for(index, spans), [], "corpus", spans)


def greeting(index: Index, question, k: int) -> Answer:
    """What the product can do, with questions to try, and what it holds."""
    places = "、".join(dict.fromkeys(p.label for p in index.plans.values()))
    text = ("您好！我可以回答关于所收录碳达峰方案的问题，答案摘自方案原文并注明出处。可以这样问："
            "“江门2030年可再生能源装机目标是多少？”“哪些地方把2025年非化石能源比重定在20%以上？”"
            "“南昌方案的文号和印发日期？”“津市有哪几大行动？”。"
            f"目前收录 {len(index.plans)} 个方案：{places}。")
    return Answer(question.asked, text, True, [], [], "help")

