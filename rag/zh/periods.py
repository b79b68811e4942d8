"""Years and periods as policy Chinese writes them, for plans and questions alike.

- In a plan: a deadline (`到2025年`, `2030年前`, `2025年底`), a base year a change is measured from
  (`比2020年下降`, `较2020下降`: 年 is sometimes left out), a five-year period (`“十四五”期间`, `十五五末`)
  standing for its final year, any year a sentence states a figure for.
- In a question: the same, and colloquial years (`25年` -> 2025); a base year is not a year asked.
"""
from __future__ import annotations

import re

FIVE_YEAR_END = {"十四五": 2025, "十五五": 2030}  # a five-year period, as its final year
FIVE_YEAR = re.compile(r"“?(十四五|十五五)”?(?:期间|末|时期)?")
# a deadline a plan sets: "到2025年", "2030年底", not a base year ("比2020年")
DEADLINE = re.compile(r"(?<![比较])(?:到|至|于|在)?\s*(20[2-6]\d)\s*年(?:底|前|末)?")
# a deadline ahead ("到2025年", "至2030年底"), not a year reported; a clause that is nothing else ("到2025年，")
FUTURE_DEADLINE = re.compile(r"(?:到|至)\s*20[2-6]\d\s*年")
BARE_DEADLINE = re.compile(rf"^\s*{FUTURE_DEADLINE.pattern}(?:底|前|末)?\s*[,，:：]?\s*$")
# where a change starts: "由2015年的2.2%提高至2020年的7.6%" gives 2015's figure, no target
FROM_YEAR = re.compile(r"[由从]\s*(20\d{2})\s*年(?:底|末)?\s*的?")
CHANGE_START = re.compile(FROM_YEAR.pattern + r"\s*$")  # text ending where a change's first figure follows
BASELINE = re.compile(r"[比较](20\d{2})(?:年|(?!\d))")
# a year a sentence states a number for: "到2025年", "2030年前", "2020年，……"
STATED_YEAR = re.compile(r"(20[0-6]\d)\s*年")
# a year a question asks: 2030年, 2030年底, 25年, “十四五”末 — not a base year ("比2020年下降多少")
QUESTION_YEAR = re.compile(r"(?<![\d较])(?<!(?<!占)比)(20\d{2}|[2-6]\d(?=\s*年))\s*年?(?:底|前|末)?|“?(十四五|十五五)”?(?:期间|末|时期)?")


def question_year(match: re.Match) -> int:
    """The year a QUESTION_YEAR match names: 25年 -> 2025, 十四五 -> 2025."""
    if match.group(1):
        year = int(match.group(1))
        return year + 2000 if year < 100 else year
    return FIVE_YEAR_END[match.group(2)]


def period_year(text: str) -> int | None:
    """The final year of the five-year period `text` names ("“十四五”可再生能源发展规划" -> 2025), or None."""
    five = FIVE_YEAR.search(text)
    return FIVE_YEAR_END[five.group(1)] if five else None


def states_year(text: str, year: int) -> bool:
    """Whether a text speaks of `year`: it writes the year, or the five-year period ending then
    ("“十四五”期间新增投产装机约510万千瓦" speaks of 2025)."""
    return str(year) in text or any(FIVE_YEAR_END[m.group(1)] == year for m in FIVE_YEAR.finditer(text))
