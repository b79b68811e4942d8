"""Turn a scraped plan page into clean simplified-Chinese text.

Every later stage (chunks, citations, targets) points into the text this
module returns, so it is deterministic: the same raw page always gives the
same text and therefore the same character offsets.

Steps, in order:
1. repair mojibake spans (GBK bytes read one byte out of step, e.g. `地?zé)崮?`),
2. drop pinyin ruby annotations (`碳達(dá)峰` -> `碳達峰`),
3. convert traditional to simplified characters (OpenCC t2s),
4. drop page furniture lines (breadcrumbs, font-size widgets, comment forms),
5. normalise whitespace.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from .zh.headings import INLINE_HEADING  # inside a long line (a PDF flattened to one line), a heading starts a new line

_PINYIN = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê"

# A CJK character followed by its pinyin in ASCII parentheses, once or repeated: 碳達(dá)峰, 側(ce)(ce).
RUBY = re.compile(rf"(?<=[\u3400-\u9fff])(?:\([{_PINYIN}]{{1,7}}\))+")
# Runs of a repeated ASCII symbol injected between words (工作@@部署): no plan writes them.
SYMBOL_NOISE = re.compile(r"(?<=[\u3400-\u9fff，。、；：）》”])([@#^~|*])\1+|([@#^~|*])\2+(?=[\u3400-\u9fff（《“])")
# Page marks a PDF conversion left inside running text: "— 2 —".
PAGE_MARK = re.compile(r"(?:^|(?<=\s))[—－–]\s*\d{1,4}\s*[—－–](?=\s|$)", re.M)
CJK_OR_PUNCT = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”"

# A mojibake span: a lost byte shown as "?", optional stray pinyin, a run of
# characters that are the GBK bytes of the real text shifted by one byte, and
# an end that is either another lost byte "?" or the real trail byte shown as
# ASCII right before its ruby annotation.
MOJIBAKE = re.compile(
    rf"\?(?:[{_PINYIN}]*\))?"
    r"(?P<run>[^\x00-\x7f\s,，。、；;：:“”\"（）()]+)"
    rf"(?P<end>\?(?:[{_PINYIN}]+\))?|[\x40-\x7e](?=\())"
)
# Whatever is left of lost bytes after repair: "?" plus stray pinyin, or a
# few junk characters between two lost bytes.
LOST_BYTES = re.compile(rf"\?[^?\s，。]{{0,3}}\?(?:[{_PINYIN}]+\))?|\?+(?:[{_PINYIN}]+\))?(?:[A-Z](?=[\u3400-\u9fff]))?")

# Lines that are web-page furniture rather than plan text (matched after conversion to simplified
# characters, so written once, in simplified).
FURNITURE = re.compile(
    r"^\s*(?:"
    r"当前位置|首页\s*>|"
    r"扫一扫在手机打开当前页面|"
    r"评论|用户名|密码|验证码|最新评论|"
    r"信息类别\s*[:：]|相关附件\s*[:：]?\s*$|"
    r"•"
    r")"
)
# Widgets named anywhere in a line are furniture only on a short line: a paragraph that mentions
# the 政务微信 platform is body text.
WIDGETS = re.compile(r"字号\s*[:：]?\s*\[|视力保护色|赣服通|赣政通|政务微信|无障碍|手机版")
WIDGET_LINE = 40
# Everything from a comment form on is page footer.
FOOTER_START = re.compile(r"^\s*评论\s*$")


@dataclass(frozen=True)
class NormalizedText:
    """Clean text plus what cleaning found, for the build report and tests."""

    text: str
    mojibake_spans: int
    mojibake_repaired: int
    ruby_removed: int
    furniture_lines: int


def normalize(raw: str) -> NormalizedText:
    """Clean one plan page; see the module docstring for the steps."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u3000", " ")
    text, spans, repaired = repair_mojibake(text)
    text, ruby = RUBY.subn("", text)
    text = SYMBOL_NOISE.sub("", text)
    text = unflatten(PAGE_MARK.sub(" ", text))
    text = to_simplified(text)
    text, furniture = strip_furniture(text)
    text = normalize_whitespace(text)
    return NormalizedText(text, spans, repaired, ruby, furniture)


def to_simplified(text: str) -> str:
    return _converter().convert(text)


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def repair_mojibake(text: str) -> tuple[str, int, int]:
    """Re-align mis-stepped GBK runs; drop what cannot be recovered.

    Returns the text, the number of spans found and how many were repaired
    (the rest were dropped).
    """
    if "?" not in text:
        return text, 0, 0
    spans = repaired = 0

    def fix(match: re.Match) -> str:
        nonlocal spans, repaired
        spans += 1
        left = RUBY.sub("", text[max(0, match.start() - 24) : match.start()])[-2:]
        right = RUBY.sub("", text[match.end() : match.end() + 24])[:2]
        fixed = _realign(match.group("run"), match.group("end"), left, right)
        if fixed:
            repaired += 1
        return fixed

    text = MOJIBAKE.sub(fix, text)
    text, leftovers = LOST_BYTES.subn("", text)
    return text, spans + leftovers, repaired


def _realign(run: str, end: str, left: str = "", right: str = "") -> str:
    """Recover the characters whose GBK bytes are all still in the run.

    The characters at either end lost a byte. The last one is rebuilt exactly
    when its trail byte survived as an ASCII character. Otherwise a lost
    character is restored only when just one candidate completes a dictionary
    word of three or more characters that also holds text really on the page
    ("地?zé)崮?、" -> 地热能); guessing more would put words into a plan that
    it does not contain.
    """
    try:
        data = b"".join(c.encode("gb18030") for c in run)
        middle = data[1:-1].decode("gbk") if len(data) >= 2 else ""
    except (UnicodeEncodeError, UnicodeDecodeError):
        return ""
    firsts = _candidates(bytes([lead, data[0]]) for lead in range(0x81, 0xFF))
    if not end.startswith("?"):  # the last character's trail byte survived
        last = _decode(bytes([data[-1], ord(end)]))
        return _settle(left, firsts, middle + last + right) + middle + last
    lasts = _candidates(bytes([data[-1], trail]) for trail in range(0x40, 0xFF) if trail != 0x7F)
    if middle:  # recovered text in between: the two ends are settled independently
        first = _settle(left, firsts, middle + right)
        return first + middle + _settle(left + first + middle, lasts, right)
    return _settle(left, firsts, right, lasts)  # touching: settled together


def _candidates(raws) -> list[str]:
    return [c for c in map(_decode, raws) if c]


def _settle(before: str, options: list[str], after: str, second: list[str] = ()) -> str:
    """The one option (or pair of adjacent options) that dictionary words vouch for; "" when none or several tie."""
    position = len(before)
    guessed = {position, position + 1} if second else {position}
    best, best_score, tied = "", 0.0, False
    for choice in _plausible(before, options, after, second):
        text = before + choice + after
        score = min(_word_support(text, p, guessed) for p in guessed)
        if score > best_score:
            best, best_score, tied = choice, score, False
        elif score and score == best_score:
            tied = True
    return "" if tied else best


def _plausible(before: str, options: list[str], after: str, second: list[str]):
    """The choices some dictionary word could vouch for, without scoring all of them.

    A vouching word holds a guessed character and a real neighbour, so it contains one
    of the adjacent pairs below; a choice whose pairs occur in no 3+ character word scores
    0 and is skipped. This keeps a span's cost near the number of real candidates instead
    of every lead byte times every trail byte (thousands of pairs per span).
    """
    pairs = _word_bigrams()
    left = _simple_char(before[-1]) if before else ""
    right = _simple_char(after[0]) if after else ""
    if not second:
        return [a for a in options if left + _simple_char(a) in pairs or _simple_char(a) + right in pairs]
    choices = []
    for a in options:
        left_pair = left + _simple_char(a) in pairs
        for b in second:
            middle, right_pair = _simple_char(a) + _simple_char(b) in pairs, _simple_char(b) + right in pairs
            # the first guess needs a word through its left neighbour or through both guesses to the right one;
            # the second guess likewise mirrored
            if (left_pair or (middle and right_pair)) and (right_pair or (middle and left_pair)):
                choices.append(a + b)
    return choices


@lru_cache(maxsize=1)
def _word_bigrams() -> frozenset[str]:
    """Adjacent character pairs of the dictionary words that can vouch (3 to 5 characters, seen in use)."""
    return frozenset(word[i : i + 2] for word, freq in _word_frequencies().items() if freq and 3 <= len(word) <= 5
                     for i in range(len(word) - 1))


def _word_support(text: str, position: int, guessed: set[int]) -> float:
    """How strongly dictionary words of 3+ characters vouch for the character at `position`.

    A word counts when it holds the character and at least one character
    that is really in the text (the guessed ones are pinned by their surviving byte).
    """
    words = _word_frequencies()
    simple = "".join(_simple_char(c) for c in text)
    best = 0.0
    for start in range(max(0, position - 3), position + 1):
        for stop in range(max(position + 1, start + 3), min(len(simple), start + 5) + 1):
            freq = words.get(simple[start:stop])
            if freq and any(i not in guessed for i in range(start, stop)):
                best = max(best, (stop - start) + math.log1p(freq) / 100)
    return best


@lru_cache(maxsize=8192)
def _simple_char(char: str) -> str:
    simple = to_simplified(char)
    return simple if len(simple) == 1 else char


@lru_cache(maxsize=1)
def _word_frequencies() -> dict[str, int]:
    import jieba

    jieba.setLogLevel(60)
    jieba.dt.check_initialized()
    return jieba.dt.FREQ


def _decode(raw: bytes) -> str:
    try:
        char = raw.decode("gbk")
    except UnicodeDecodeError:
        return ""
    return char if len(char) == 1 and "\u3400" <= char <= "\u9fff" else ""


def strip_furniture(text: str) -> tuple[str, int]:
    """Drop navigation, widgets and comment forms, line by line."""
    lines = text.split("\n")
    kept, dropped = [], 0
    for i, line in enumerate(lines):
        if FOOTER_START.match(line):
            dropped += len(lines) - i
            break
        if FURNITURE.match(line) or (len(line) <= WIDGET_LINE and WIDGETS.search(line)):
            dropped += 1
            continue
        kept.append(line)
    return "\n".join(kept), dropped


def unflatten(text: str, long_line: int = 400) -> str:
    """Give a very long line back its paragraph breaks at section headings."""
    return "\n".join(INLINE_HEADING.sub("\n", line) if len(line) > long_line else line for line in text.split("\n"))


def normalize_whitespace(text: str) -> str:
    """One paragraph per line, no stray spaces inside Chinese text."""
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[ \t]+", " ", line).strip()
        # "到2025 年" / "提升至 65%" / "到 2030年": spaces next to CJK are scraping noise
        line = re.sub(rf"(?<=[{CJK_OR_PUNCT}]) (?=\S)|(?<=\S) (?=[{CJK_OR_PUNCT}%])", "", line)
        if line:
            lines.append(line)
    return "\n".join(lines) + "\n"
