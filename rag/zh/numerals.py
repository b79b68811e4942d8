"""Numbers written in Chinese numerals ("百分之二十", "一千万千瓦"), read as digits (cn2an) so that a
value is read alike in a plan and in a question; quoted text stays as written."""
from __future__ import annotations

import re

CN_DIGITS = "零〇一二两三四五六七八九十百千万亿点"
CN_PERCENT = re.compile(f"百分之([{CN_DIGITS}]+)")
CN_AMOUNT = re.compile(f"([{CN_DIGITS}]+?)(?=" + "|".join(re.escape(u) for u in ("万千瓦", "兆瓦", "千瓦", "万吨", "亿立方米", "亿立方", "万立方米", "万平方米", "万亩", "公里")) + ")")


def arabic_numerals(text: str) -> str:
    """Values written in Chinese numerals, as digits: "百分之二十" -> "20%", "一千万千瓦" -> "1000万千瓦".

    The shortest run of numerals before a unit is read, so a unit beginning with 万 keeps its 万.
    Only used to read values; sentences are quoted as written.
    """
    def number(run: str) -> str:
        import cn2an  # here, not at the top: ~0.7 s of import that text without Chinese numerals need not wait for

        try:
            return f"{cn2an.cn2an(run, 'smart'):g}"
        except (ValueError, KeyError):
            return run
    text = CN_PERCENT.sub(lambda m: number(m.group(1)) + "%", text) if "百分之" in text else text
    return CN_AMOUNT.sub(lambda m: number(m.group(1)), text)
