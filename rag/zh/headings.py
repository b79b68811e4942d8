"""The numbering that opens a section of a Chinese government document, by level:
第一章 / 第一节 / 一、 / （一） / 1. (or 专栏1); and a table-of-contents line, which names a heading
without being one. Read by sectioning (rag.sections), normalisation (a heading run into the line
before it) and the PDF reader (lines to keep apart)."""
from __future__ import annotations

import re

NUMERAL = "[一二三四五六七八九十]{1,3}"
HEADING_LEVELS = (
    (1, re.compile(rf"^第{NUMERAL}[章编篇](?!\S*(?:规定|所述))")),
    (2, re.compile(rf"^第{NUMERAL}节")),
    (3, re.compile(rf"^{NUMERAL}、")),
    (4, re.compile(rf"^[(（]{NUMERAL}[)）]")),
    (5, re.compile(r"^\d{1,2}[.．](?!\d)|^专栏\s*\d{1,2}")),
)
# "1、" numbers a heading only where it stands alone on its line (in running text it numbers a list item)
LONE_NUMBER = re.compile(r"\d{1,2}、")
# a heading of level 3 or 4 run into the end of the line before it ("……。二、重点任务")
INLINE_HEADING = re.compile(rf"(?<=[\s。；：])\s*(?=(?:{NUMERAL}、|[(（]{NUMERAL}[)）])\S)")
# a table-of-contents line ("第一章 现状与形势……………3", "一、发展环境........ - 1 -") names a heading but is
# not one, and answers nothing
TOC_LINE = re.compile(r"(?:[.．…·•]\s*){4,}\s*(?:[-—–－]\s*)?\d{1,4}(?:\s*[-—–－])?\s*$")
# a section reporting what was done before the plan ("发展基础", "“十三五”主要成就", "现状与形势"): its
# figures are the past's, not a target of the plan's years
REVIEW = re.compile(r"发展基础|基础与形势|现状|成就|成效|回顾|取得的进展|十[二三]五")
