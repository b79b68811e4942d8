"""The shapes of an official notice (公文) and of the pages around it, for reading a document's own
facts (metadata) and for answering them (`rag.answer.facts`) alike.

- A 文号 ("粤府〔2021〕81号"), a signing date ("2021年12月3日", a cover's "2022年3月"), the organ names
  of issuers end with (人民政府, 办公厅, 委员会, 厅/局/委 …).
- A web page's posting line ("发布时间：2023-07-21", 来源, 浏览) — never the document's date.
- A document's title: the genre (文种) it ends with ("实施方案", "专项规划", "意见（试行）"), the years it
  covers ("（2022―2025年）"), a notice printing it ("X关于印发《Y》的通知"), the verbs that issue a document
  (印发, 出台) and those that only cite one (根据, 落实).
- Facts a notice states in its text: a draft's comment deadline, the meeting that approved it, when
  it takes effect, its addressees ("各县(市、区)人民政府:"), a news page's date of a notice.
"""
from __future__ import annotations

import re

HEAD = 3000  # the part of a page where a notice names itself and gives its facts
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}\s*[〔\[［【(（]\s*(20\d{2}|19\d{2})\s*[〕\]］】)）]\s*\d{1,4}\s*号")
# a 文号 written in brackets right after a document's title: 《湖南省碳达峰实施方案》(湘政发〔2022〕19号)
CITED_NUMBER = r"\s*》?\s*[(（]\s*([\u4e00-\u9fff]{1,10}[〔\[［【]\d{4}[〕\]］】]\d{1,4}号)"
# a date, to the day when it gives one ("2022年3月" on a plan's cover)
DATE = re.compile(r"(20\d{2})[ \t]*年[ \t]*(\d{1,2})[ \t]*月(?:[ \t]*(\d{1,2})[ \t]*日)?")
DAY = r"\d{4}年\d{1,2}月\d{1,2}日"
# the name of an issuing organ ends with one of these
ORGAN_END = r"(?:人民政府办公厅|人民政府办公室|人民政府|管理委员会|管委会|党委|[省市县区州旗]委|委员会|办公厅|办公室|国务院|中共中央|[厅局委部])"
# a web page's posting line: its labels, and the posting time it gives
POSTING_TIME = r"发布时间|发布日期|发文日期"
POSTED = re.compile(POSTING_TIME + r"|来源|浏览|时间[:：]|日期[:：]|生效日期")
POSTED_AT = re.compile(rf"(?:{POSTING_TIME})\s*[:：]?\s*(20\d{{2}}-\d{{1,2}}-\d{{1,2}}|20\d{{2}}年\d{{1,2}}月\d{{1,2}}日)")

# document genres (文种) a title ends with, and with the modifiers that are part of the genre's name
GENRES = ("方案", "规划", "意见", "决定", "办法", "计划", "纲要", "措施", "细则", "要点", "指南")
GENRE = r"(?:滚动实施|三年行动|专项|实施|工作|行动|总体)?(?:" + "|".join(GENRES) + ")"
# the years a document covers, in brackets after its title: "（2022―2025年）"
PERIOD = r"20\d{2}\s*[-—–―~～至]\s*20\d{2}\s*年?"
GENRE_END = re.compile(rf"({GENRE}(?:[（(](?:试行|暂行|征求意见稿|修订|{PERIOD})[)）])*)$")
# a carbon-peak plan named in running text
PEAK_PLAN = re.compile(r"碳达峰[\u4e00-\u9fff、]{0,14}?方案(?:[(（]征求意见稿[)）])?")
NOTICE = re.compile(r"^(?P<issuer>.{0,60}?)关于(?:印发|发布|转发)(?P<title>.{4,120}?)的通知")
# a document named after these words is cited, not issued
CITING = re.compile(r"(根据|依据|按照|落实|结合|贯彻|参照|对照|衔接)")
ISSUING_VERBS = ("印发", "发布", "出台", "制定", "公布", "审议通过")
ISSUING = re.compile("(" + "|".join(ISSUING_VERBS) + ")")

# A draft's comment deadline: "请于2023年2月9日前将书面意见……反馈", "征求意见截止日期为……"
COMMENT_DEADLINE = re.compile(rf"({DAY})(?:前|之前|以前|止)[^。\n]{{0,60}}?(?:意见|建议|反馈)"
                              rf"|(?:截止|截至)(?:日期|时间)?(?:为|到|至)?\s*({DAY})")
# "经……会议审议通过", "（2021年12月28日中国共产党成都市第十三届委员会第十次全体会议通过）"
MEETING = re.compile(r"[^，。；\n（(]{0,40}?(?:会议|全会|常委会|常务会)[^，。；\n]{0,12}?(?:审议通过|研究通过|通过|审定|审议)")
EFFECTIVE = re.compile(r"(?:自|从)[^，。；\n]{0,20}?(?:起|之日起)(?:施行|实施|执行|生效)|有效期[^，。；\n]{0,20}")
ADDRESSEES = re.compile(r"^(各[^\n]{2,80}?)[:：]\s*$", re.M)
# the words that make a page a draft or an interpretation
KIND_WORDS = ("征求意见稿", "征求意见", "解读")
# a news page dates the notice without its year: "12月13日,……印发《……》"
NEWS_DATE = re.compile(r"((?:20\d{2}年)?\d{1,2}月\d{1,2}日)[^。\n]{0,40}?(?:印发|发布|出台|公布)")  # ISSUING_VERBS of a notice
