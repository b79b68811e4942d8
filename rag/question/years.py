"""Years in a question: 2030, 2030年底, colloquial 25年, “十四五”末 (a period stands for its end year)."""
from __future__ import annotations

import re

from ..targets import FIVE_YEAR_END

# not a base year ("比2020年下降多少")
QUESTION_YEAR = re.compile(r"(?<![\d较])(?<!(?<!占)比)(20\d{2}|[2-6]\d(?=\s*年))\s*年?(?:底|前|末)?|“?(十四五|十五五)”?(?:期间|末|时期)?")


def question_year(match: re.Match) -> int:
    """The year a QUESTION_YEAR match names: 25年 -> 2025, 十四五 -> 2025."""
    if match.group(1):
        year = int(match.group(1))
        return year + 2000 if year < 100 else year
    return FIVE_YEAR_END[match.group(2)]
