"""Where a sentence and a clause of policy Chinese end, for extraction (a target is read clause by
clause), quoting (a cited sentence) and the honesty screens (a statement's clause) alike.

- A sentence ends at 。！？ (or their ASCII forms) or at a line end; a ；outside brackets ends a quoted one.
- A clause ends at ，；(or ASCII , ;) and at a sentence's end.
"""
from __future__ import annotations

import re

FULL_STOPS = "。！？!?"
CLAUSE_MARKS = "，,；;"
# a sentence: up to its full stop (extraction reads plans sentence by sentence)
SENTENCE = re.compile(rf"[^{FULL_STOPS}\n]+[{FULL_STOPS}]?")
SENTENCE_MARK = re.compile(rf"[{FULL_STOPS}\n]")
# a clause, with the mark that ends it
CLAUSE = re.compile(rf"[^{CLAUSE_MARKS}]+[{CLAUSE_MARKS}]?")
CLAUSE_BREAK = re.compile(rf"[{CLAUSE_MARKS}{FULL_STOPS}]")
# where a statement's clause starts: after any clause or sentence mark, or a colon
STATEMENT_BREAK = re.compile(rf"[{CLAUSE_MARKS}{FULL_STOPS}：:]")
# a phrase of a question: up to a number or a punctuation mark
PHRASE = re.compile(rf"[^\d\s{CLAUSE_MARKS}{FULL_STOPS}、：:]*")
