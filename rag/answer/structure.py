"""A plan's own structure: how many 行动 / 工程 / 任务 it sets out, their names, the Nth one — from
its headings (the largest group of sibling headings naming the asked word, or the sub-headings
of the heading that names it); a page without such headings may still say it in a sentence
("实施碳达峰十大行动"), which is then quoted."""
from __future__ import annotations

from ..index import Index, lexical_tokens
from ..sections import SEPARATOR, split_sections
from ..zh.asking import LIST_COUNTED
from .citing import passages_for, quote, sentence_at
from .result import Answer


def listing(index: Index, question, k: int) -> Answer:
    """The asked list, count or ordinal item of each meant plan."""
    from .passages import passage

    word = question.listed  # the thing listed: the word right after the question word ("哪些示范项目" -> 项目)
    if not word or len(question.plan_ids) != 1:
        return passage(index, question, k)
    plan = index.plans[question.plan_ids[0]]
    at = plan.text.find(question.list_count) if question.list_count else -1
    # the plan's own sentence that counts them ("两大体系"), when it names them as the plan does
    if at >= 0 and not question.ordinal and "、" in plan.text[slice(*sentence_at(plan.text, at))]:
        start, end = sentence_at(plan.text, at)
        spans = [(plan.plan_id, start, end)]
        return Answer(question.asked, quote(index, plan.plan_id, start, end), True,
                      passages_for(index, spans, question, k), [], "list", spans)
    sections = [s for s in split_sections(plan.text) if s.start != s.heading_end]
    parent_of = lambda s: s.path.rsplit(SEPARATOR, 1)[0] if SEPARATOR in s.path else ""
    groups: dict[str, list] = {}
    for section in sections:
        if word in section.title:
            same = groups.setdefault(parent_of(section), [])
            if all(s.title != section.title for s in same):
                same.append(section)
    # the group under the heading the question names ("林业领域有哪些项目": all its items), else the largest
    asked_words = set(question.topic_words) - {word}
    parent, heads = max(groups.items(), key=lambda kv: (len(asked_words & set(lexical_tokens(kv[0]))), len(kv[1])),
                        default=("", []))
    if parent and asked_words & set(lexical_tokens(parent.rsplit(SEPARATOR, 1)[-1])):
        heads = []
        for s in sections:
            if parent_of(s) == parent and all(h.title != s.title for h in heads):
                heads.append(s)
    if len(heads) < 2:  # one heading names it ("二、重点任务"): its sub-headings are the list
        named = next((s.path for s in sections if word in s.title), None)
        heads = []
        for s in sections:
            if named and parent_of(s) == named and all(h.title != s.title for h in heads):
                heads.append(s)
    if len(heads) >= 2:
        nth = question.ordinal
        if nth:
            if not 1 <= nth <= len(heads):
                return Answer(question.asked, f"{plan.label}《{plan.title}》只列出{len(heads)}项{word}，没有第{nth}项。", False,
                              passages_for(index, [(plan.plan_id, heads[0].start, heads[0].heading_end)], question, k), mode="none")
            head = heads[nth - 1]
            spans = [(plan.plan_id, head.start, head.heading_end)]
            text = f"{plan.label}《{plan.title}》的第{nth}项{word}是：{head.title}（共{len(heads)}项）。"
            return Answer(question.asked, text, True, passages_for(index, spans, question, k), [], "list", spans)
        spans = [(plan.plan_id, s.start, s.heading_end) for s in heads]
        parent = parent_of(heads[0])
        listed = "；".join(s.title for s in heads)
        text = f"{plan.label}《{plan.title}》{('在“' + parent + '”下') if parent else ''}列出{len(heads)}项{word}：{listed}。"
        return Answer(question.asked, text, True, passages_for(index, spans, question, k), [], "list", spans)
    counted = next((m for m in LIST_COUNTED.finditer(plan.text) if word in m.group(0)), None)
    if counted:
        start, end = sentence_at(plan.text, counted.start())
        spans = [(plan.plan_id, start, end)]
        return Answer(question.asked, quote(index, plan.plan_id, start, end), True, passages_for(index, spans, question, k),
                      [], "list", spans)
    return passage(index, question, k)
