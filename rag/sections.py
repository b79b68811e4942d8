"""Find the heading hierarchy of a plan: 第一章 > 第一节 > 一、 > (一) > 1. / 专栏N.

Headings either stand on their own line ("一、总体要求") or open a paragraph
("1.大力发展新能源。坚持集中式与分布式并举……"); in the second case the
heading is the first sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .zh.headings import HEADING_LEVELS, LONE_NUMBER, TOC_LINE

PREFACE = "前言"
SEPARATOR = " > "


@dataclass(frozen=True)
class Section:
    """A stretch of plan text under one heading path; [start, end) in plan text."""

    path: str  # e.g. "二、重点任务 > (四)促进能源绿色低碳转型发展 > 2.大力发展新能源"
    start: int
    end: int
    heading_end: int  # where the heading itself ends (== start for the preface)

    @property
    def title(self) -> str:
        return self.path.rsplit(SEPARATOR, 1)[-1]


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, heading text) when a line opens a section, else None."""
    if TOC_LINE.search(line):
        return None
    for level, pattern in HEADING_LEVELS:
        if pattern.match(line):
            head = re.split(r"[。：:]", line, maxsplit=1)[0]
            if len(head) > 40:  # a numbered sentence, not a heading
                head = head[:40]
            return level, head.strip()
    return None


def is_heading(text: str) -> bool:
    """True when `text` is only a section heading ("2.津市新能源开发利用风电光伏项目。"; "1、" numbers one
    too where it stands alone): a title, not an answer."""
    text = (text or "").strip()
    if "\n" in text or not (heading_of(text) or LONE_NUMBER.match(text)):
        return False
    rest = re.split(r"[。：:]", text, maxsplit=1)
    return len(rest) == 1 or not re.search(r"[\u4e00-\u9fff\d]", rest[1])


def split_sections(text: str) -> list[Section]:
    """Every line belongs to exactly one section; sections tile the text in order."""
    sections: list[Section] = []
    stack: list[str] = []
    start, heading_end, path = 0, 0, PREFACE
    offset = 0
    for line in text.splitlines(keepends=True):
        found = heading_of(line.strip())
        if found:
            if offset > start:
                sections.append(Section(path, start, offset, heading_end))
            level, head = found
            stack = stack[: level - 1] + [""] * (level - 1 - len(stack)) + [head]
            path = SEPARATOR.join(h for h in stack if h)
            start = offset
            heading_end = offset + len(head) + (1 if line.startswith(head + "。") else 0)
        offset += len(line)
    if offset > start:
        sections.append(Section(path, start, offset, heading_end))
    return sections


def section_at(sections: list[Section], position: int) -> Section:
    for section in sections:
        if section.start <= position < section.end:
            return section
    return sections[-1]


def top_level(path: str) -> str:
    return path.split(SEPARATOR, 1)[0]
