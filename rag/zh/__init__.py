"""One grammar of policy Chinese, as data: each shape defined once and imported by extraction (plans)
and by the question stage alike — never one from the other.

- `periods`: years, deadlines, base years, five-year periods (十四五 -> 2025), colloquial years (25年).
- `units`: amounts and units, one base unit per dimension, a target's value as written.
- `relations`: the verbs and qualifiers around a value (力争, 提高至, 降至, 以上, 左右), commitments and
  projections (预计), the side of an amount they commit to (以上, 不超过), targets set in words (确保完成上级下达的目标).
- `numerals`: values in Chinese numerals read as digits (百分之二十 -> 20%).
- `notices`: the shapes of an official notice: 文号, signing dates, organ names, a title's genre and
  period, a notice printing a document, issuing and citing verbs, a page's posting line, comment
  deadlines, approving meetings, effective dates, addressees.
- `placenames`: how place names are written besides the divisions table: zone suffixes (经开区, 新区),
  central organs (国务院, 国家发展改革委), level words of English or pinyin names.
- `headings`: the numbering that opens a section, by level, and table-of-contents lines.
- `asking`: what a question asks for beyond places, years and indicators (a number, a date, an order,
  a verdict, a difference, a term, a list and its ordinal), and the shape of a plan's sentence giving it.
- `sentences`: where a sentence and a clause end.

Table tests: tests/test_grammar.py.
"""
