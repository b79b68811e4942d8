"""Lexical tokens: jieba search-mode words of simplified text, without punctuation and stopwords.

One tokeniser for the BM25 index (built per file in `rag.parsing`), for questions and for
answer selection.
"""
from __future__ import annotations

import re
from functools import lru_cache

_PUNCT = re.compile(r"^[\W_]+$")
STOPWORDS = frozenset(
    "的 了 和 与 及 等 在 是 为 对 将 把 中 上 下 以 其 或 并 到 年 有 要 我 你 他 它 这 那 哪些 哪个 什么 多少 怎么 如何 吗 呢 啊 "
    "是否 有没有 请问 目标 提出 方面 关于 一下 情况 问题 市 我市 全市 方案 实施 实施方案 碳达峰 能否 分别 各自 啥 哪 那个 这个 是不是 会不会 能不能 要不要".split()
)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def lexical_tokens(text: str) -> list[str]:
    """jieba search-mode tokens without punctuation and stopwords (simplified text)."""
    tokens = []
    for token in _jieba().lcut_for_search(text.lower()):
        token = token.strip()
        if token and not _PUNCT.match(token) and token not in STOPWORDS:
            tokens.append(token)
    return tokens


# the parts of speech a name is made of: nouns, adjectives, distinguishing words ("绿" + "氢")
NAME_PARTS = ("n", "a", "b")


@lru_cache(maxsize=10_000)  # every answerer of one question reads it again
def unsplit_names(text: str) -> tuple[str, ...]:
    """Names the dictionary lacks, which jieba splits into single characters: each run of two or more
    single Chinese characters in a row, all of them parts of a name by jieba's tagger ("绿氢产能" ->
    绿氢; "村各要建" is a noun, a pronoun and verbs: no name)."""
    from jieba import posseg

    _jieba()
    names, run = [], ""
    for pair in [*posseg.lcut(text), None]:
        if pair is not None and len(pair.word) == 1 and "\u4e00" <= pair.word <= "\u9fff" and pair.flag.startswith(NAME_PARTS):
            run += pair.word
            continue
        if len(run) >= 2:
            names.append(run)
        run = ""
    return tuple(names)
