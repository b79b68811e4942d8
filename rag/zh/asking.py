"""What a question asks for beyond its places, years and indicators, read once from its text: a number
or not, which sentence shape answers it, an order, a verdict, a difference, a term to define, the list
or the item of a list it asks for; the notice facts it asks (文号, dates, issuer); the words that decide
its answer type (a greeting, the collection, a comparison, a list, a place), that name a kind of document,
and that mark a follow-up. The answerers read the fields of `Question` these make, never the text.

Three words about quantities are kept apart, each defined once:
- `AMOUNT_ASKED`: it asks for a number ("多少", "几个", "数值");
- `MEASURE_NAMED`: it names a measured quantity ("比重", "规模", "总量") — a question about one is a
  question about an amount even without "多少";
- `TARGET_WORDS`: it asks what a plan sets ("目标", "要求", "达到").
"""
from __future__ import annotations

import re

from .notices import GENRES
from .units import MEASURES

# the words a question asks with ("哪几个", "什么"): no passage holds them, so an answer is never judged by them
ASKING_WORDS = re.compile(r"哪|什么|多少|多大|多高|多长|几|啥|怎样|怎么|如何|是否|吗|呢|么")
# "这几个市" points at places named, it asks no number
AMOUNT_ASKED = re.compile(r"多少|多大|多高|多长|(?<![哪这那])几[个项家座处万]?|数值|how much|how many", re.I)
MEASURE_NAMED = re.compile("|".join(("目标值", *MEASURES, "target")), re.I)
TARGET_WORDS = re.compile(r"目标|要求|达到")
# it asks how a thing is done or what is done for it ("既有建筑节能改造有什么任务", "光伏怎么布局"): about a
# measured thing, but no number is asked unless a quantity, a year or a target is too
WAYS_ASKED = re.compile(r"怎么|如何|怎样|有何|(?:哪些|什么)(?:任务|措施|举措|工作|安排|部署|路径|行动)")


def asks_quantity(text: str) -> bool:
    """Whether it asks about an amount: for a number, or about a measured quantity."""
    return bool(AMOUNT_ASKED.search(text) or MEASURE_NAMED.search(text))


# What kind of thing a question asks for (its answer is a sentence of that shape, SENTENCE_SHAPES);
# "number" also when it counts ("数量", "哪几").
SHAPES_ASKED = {
    "date": re.compile(r"哪天|哪一天|日期|什么时间|何时|截止|几月几日|when", re.I),
    "place": re.compile(r"哪个县|哪个区|哪个镇|哪里|哪儿|在哪|什么地方|哪个地方|哪些地方|where", re.I),
    "organ": re.compile(r"哪个部门|哪些部门|谁负责|由谁|牵头|负责"),
    "number": re.compile(r"多少|(?<![这那])几|数量|how much|how many", re.I),
}


# How a plan's sentence that gives each of them looks
SENTENCE_SHAPES = {
    "date": re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}-\d{2}-\d{2}"),
    "place": re.compile(r"[\u4e00-\u9fff]{1,6}(?:县|区|镇|港|园|基地|市|乡|村)"),
    "organ": re.compile(r"[\u4e00-\u9fff]{1,10}(?:委|局|厅|办|部门|中心)"),
    "number": re.compile(r"\d"),
}


def shapes_asked(text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in SHAPES_ASKED.items() if pattern.search(text))


# An order of documents asked ("哪个方案最早印发", "哪个更晚出台"): the first or the last by date.
ORDER_ASKED = re.compile(r"最早|最先|最晚|最后|最新|earliest|latest|哪个[^，。？?]{0,6}(?:早|晚|先|后)|(?:更|较)(?:早|晚)", re.I)
LATEST = re.compile(r"最晚|最后|最新|晚|latest", re.I)


def order_asked(text: str) -> str:
    """"latest" / "earliest" when it asks which document came last or first, else ""."""
    if not ORDER_ASKED.search(text):
        return ""
    return "latest" if LATEST.search(text) else "earliest"


# A yes/no question ("是否超过20%", "有没有", "…吗？")
YESNO = re.compile(r"是否|有没有|是不是|能否|会不会|有无|(?:吗|(?<![什怎这那多])么)[？?]?$")
# the difference of two values asked ("相差多少", "高多少")
DIFFERENCE = re.compile(r"相差|差多少|差距|高多少|低多少|多多少|少多少")
# what a question about the collection lists: the documents that are not formally issued, or provinces
INFORMAL_ASKED = re.compile(r"不是正式|征求意见稿|解读|草案|新闻")
PROVINCES_ASKED = re.compile(r"哪些省|哪几个省|省份")

# A term asked to be defined: "什么是碳达峰", "碳中和是什么意思"
DEFINITION = re.compile(r"^(?:什么是|何谓|何为)(.{2,20}?)[？?]?$|^(.{2,20}?)(?:是什么意思|是什么|指什么|的含义|的定义|什么意思|怎么理解)[？?]?$")


def defined_term(text: str) -> str:
    match = DEFINITION.match(text.strip())
    return ((match.group(1) or match.group(2)) if match else "").strip(" “”\"的")


# ---------------------------------------------------------------- a plan's lists

# the things a plan lists under headings, and how a question asks for them
LISTED = re.compile(r"(行动|工程|任务|措施|项目|重点领域|领域|体系)")
LIST_ASKED = re.compile(r"(?:哪些|哪几|几|多少|什么|[一二三四五六七八九十两\d]大)[个项大条类]?[^，,。？?]{0,6}?" + LISTED.pattern)
# a plan's sentence announcing how many it lists ("实施碳达峰“十大行动”", "三项重点任务")
LIST_COUNTED = re.compile(r"[“\"]?[^，,。；;“”\"]{0,12}?([一二三四五六七八九十两]{1,3}|\d{1,2})(?:大|项|个|类)[^，,。；;“”\"]{0,8}?(?:行动|工程|任务|措施|体系)[”\"]?")
ORDINAL = re.compile(r"第([一二三四五六七八九十\d]{1,3})(?:个|项|大|条)?")


def listed_asked(text: str) -> tuple[str, str]:
    """(the thing listed, the count the question names for it): "津市有哪几大行动" -> ("行动", ""),
    "两大体系是什么" -> ("体系", "两大体系"); ("", "") when it names none."""
    asked = LIST_ASKED.search(text) or LISTED.search(text)
    if not asked:
        return "", ""
    word = asked.group(asked.lastindex)
    counted = re.search(r"[一二三四五六七八九十两\d]{1,3}大" + word, text)
    return word, counted.group() if counted else ""


def ordinal_asked(text: str) -> int | None:
    """"第三个行动" -> 3."""
    import cn2an

    match = ORDINAL.search(text)
    if not match:
        return None
    try:
        return int(cn2an.cn2an(match.group(1), "smart"))
    except (ValueError, KeyError):
        return None


# The notice facts a question asks (文号, dates, issuer …), by the words it asks them with; FACT_NAMES says
# each in an answer.
FACTS = {
    "doc_number": re.compile(r"文号|字号|发文号|文件号|document number", re.I),
    "issued": re.compile(r"(?:印发|发布|出台|签发)[^，。？?]{0,4}(?:最早|最晚|最先|最后)|(?:最早|最晚|最先|最后)[^，。？?]{0,4}(?:印发|发布|出台)"
                         r"|落款|签发|印发日期|印发时间|发布日期|发布时间|成文日期|(?:哪天|何时|什么时候|啥时候|哪年|几月份?)(?:印发|发布|出台|出的|发的|公布)"
                         r"|(?:印发|发布|出台|公布)(?:于|在)?(?:哪天|何时|什么时候|啥时候|哪年|几月)|几月几[号日]|哪一?天|日期|\bsigned\b|\bissued\b"
                         r"|(?:出|发|印发|发布|出台)得?更?(?:早|晚)|(?:更|较)(?:早|晚)(?:出|发|印发|发布|出台)"
                         # a plan's cover gives its compilers and a month: "封面署的时间", "编制时间", "谁编的、什么时候"
                         r"|封面[^，。？?]{0,10}(?:时间|日期|年月)|(?:编制|编写|制定)(?:的)?(?:时间|日期)"
                         r"|(?:什么时候|何时|啥时候|哪年)(?:编制|编写|编的|制定)|[、，,和](?:什么时候|何时|啥时候)[？?]?$", re.I),
    "posted": re.compile(r"网站|网上|挂网|\bposted\b|\bpublished online\b", re.I),
    "issuer": re.compile(r"发文机关|(?:印发|发布|发文)(?:单位|机关|部门)|(?:哪[一两几三四五六]?个|哪家|哪些|什么)(?:单位|部门|机关)[^。？?]{0,8}?(?:印发|发布|发的|出的|发文|制定)"
                         r"|谁印发|谁发布|谁发的|谁出的|issuer|who issued"
                         # the organs a plan's cover names as its compilers ("编制单位"); who drafted a notice's
                         # document ("哪个部门编的") is said in its text, not by its issuer
                         r"|编制(?:单位|机关|部门)|封面[^，。？?]{0,6}(?:单位|部门|机关)", re.I),
    "addressees": re.compile(r"主送|发给哪些|下发给|印发给哪些|addressed to", re.I),
    "meeting": re.compile(r"(?:哪次|什么|哪个)[^，。？?]{0,6}(?:会议|全会|常务会)|审议|会议通过|全会通过", re.I),
    "effective": re.compile(r"施行|生效|起实施|实施日期|有效期"),
    "deadline": re.compile(r"截止|反馈|征求意见.{0,6}(?:之前|以前)|deadline", re.I),
    "kind": re.compile(r"征求意见稿[吗么]|是不是征求意见稿|草案[吗么]|政策解读|解读[吗么]|新闻|什么类型|什么文件|文件类型|正式(?:印发|文件|方案)|原文[吗么]|draft", re.I),
}
FACT_NAMES = {"doc_number": "文号", "issued": "印发日期", "posted": "网站发布时间", "issuer": "发文机关", "addressees": "主送单位",
              "meeting": "审议会议", "effective": "施行日期", "deadline": "征求意见截止日期", "kind": "文件类型"}
# The words a fact is usually asked by, matched by sound as well, so a pinyin keyboard's slip still
# reads ("印发日其" -> 印发日期).
FACT_WORDS = {"doc_number": ("文号", "发文字号"), "issued": ("印发日期", "发布日期", "落款日期"), "issuer": ("发文机关",),
              "deadline": ("截止日期",)}


# which province or city a place belongs to ("津市市是哪个市的", "金堂县属于哪个市"): the divisions table answers
DIVISION_ASKED = re.compile(r"(?:属于|归属|隶属于?|归|位于|是)(?:哪个|哪一个|哪|什么)(?:省|市|州|地区|盟|自治区)|"
                            r"(?:哪个|哪一个)(?:省|市|州)(?:的|管|下辖)|所属(?:省份|城市|地市|地区|省|市)|上级(?:行政区|城市|市)")


# ---------------------------------------------------------------- the answer type

GREETING = re.compile(r"^(?:你好|您好|嗨|哈喽|hi|hello|hey|在吗|谢谢|多谢|感谢|thanks?)[!！。.,，?？~～\s]*|"
                      r"你是谁|你能|您能|你会|能做什么|能干啥|干啥的|怎么用|如何使用|使用说明|帮助|^help\b|who are you|what can you", re.I)
CORPUS = re.compile(r"(?:有|收录|包括|包含|都有|都是|是)(?:了)?哪些(?:城市|地方|地区|省份|省|市|方案|文件|规划|政策)|哪些(?:城市|地方|地区|省份)(?:的)?(?:方案|文件)|"
                    r"收录(?:了)?[^？?]{0,8}的?(?:方案|文件)(?:吗|么)|(?:哪些|哪几个)[^？?]{0,8}(?:不是正式|征求意见稿|政策解读|解读|草案)|"
                    r"(?:方案|文件)(?:列表|清单)|多少(?:个|份)(?:方案|文件)|几(?:个|份)(?:方案|文件)|"
                    r"哪(?:个|份)(?:方案|文件|规划)(?:最早|最晚|最新|最先|最后)|(?:最早|最晚|最新|最先|最后)(?:印发|发布|出台)?的(?:方案|文件|规划)|list (?:of )?plans", re.I)
COMPARE = re.compile(r"各城市|各市|各地|各省|哪个城市|哪些城市|哪座城市|哪几个城市|所有城市|几个城市|对比|比较|相比|相差|差多少|差距|排名|排序|最高|最低|最多|最少|which cit|compare|all cities", re.I)
# the words of asking across places, besides COMPARE's: not what is asked to be mentioned
ACROSS_WORDS = frozenset("城市 各 哪些 哪个 哪座 提到 提及 涉及 包括 包含 对比 比较 相比 所有 几个 五个 各地 各市 各省 都 了 有 地方 方案 省份".split())
HIGHEST = re.compile(r"最高|最多|最大|highest|most", re.I)
LOWEST = re.compile(r"最低|最少|最小|lowest|least", re.I)
LIST = re.compile(r"(?:几|多少|哪些|哪几|什么)[个项大条类方面]?[^，,。？?]{0,6}?(?:行动|工程|任务|措施|项目|重点|领域|体系)|"
                  r"(?:行动|工程|任务|项目|体系)[^，,。？?]{0,3}(?:有哪些|是什么|有几|包括|分别|清单)|第[一二三四五六七八九十\d]{1,3}(?:个|项|大|条)?(?:行动|工程|任务|项)|"
                  r"(?:行动|工程|任务|项目)的?第[一二三四五六七八九十\d]{1,3}|[一二三四五六七八九十两\d]{1,3}大[\u4e00-\u9fff]{1,4}[”\"]?(?:是|有|包括|分别)|"
                  r"排第[一二三四五六七八九十\d]{1,3}|第[一二三四五六七八九十\d]{1,3}(?:个|项)?(?:是|为)")
WHERE = re.compile(r"在哪|哪里|哪儿|什么地方|哪个地方|哪些地方|哪几?个(?:县|区|镇|市|园区|港|基地|地方)|哪些(?:县|区|镇|市|园区|港|基地)|where", re.I)
ACTUAL = re.compile(r"现在|目前|现状|当前|已经达到|已达到|基期|基准年")


# ---------------------------------------------------------------- documents and follow-ups

# a genre word names one kind of document ("实施意见", "可再生能源规划"); a bare 方案 is how staff say "the plan"
NAMES_DOCUMENT = re.compile("|".join([g for g in GENRES if g != "方案"] + ["行动方案", "工作方案", "实施方案", "通知", "解读", "征求意见稿"]))
# what a question says of a document right after naming it ("的文号", "里", "提出", "是什么", "有哪些")
SAID_OF = r"(?=的|里|中|提|对|是|说|有|要|怎|什|哪|何|几|多|\s|[，,？?]|$)"
# a kind of document named as a document: followed by what a question says of it ("实施意见的文号", "规划里"),
# not a verb ("计划建设"); a notice (通知) prints every document, it is no kind of its own
DOCUMENT_NAMED = re.compile("((?:实施)?(?:" + "|".join(w for w in sorted(NAMES_DOCUMENT.pattern.split("|"), key=len, reverse=True)
                                             if w != "通知") + "))" + SAID_OF)
# the word ending a document's name in a question, a bare 方案 too ("成都能源结构方案里…", "广东绿色建筑规划中…")
DOCUMENT_WORD = re.compile("(" + "|".join(GENRES) + ")" + SAID_OF)
# words that name any plan, not one in particular
GENERIC_TITLE = re.compile("实施方案|方案|实施|关于|工作|人民政府|印发|通知|[的和与及省市县区]")
FILLER = re.compile(
    r"那么|那|呢|吗|嘛|呀|啊|吧|又|再|也|还有|的|是|有|多少|几|怎么样|怎样|如何|情况|目标|要求|换成|改成|换|"
    r"如果是|看看|看|对于|关于|请问|方面|年份|年|中|里|这个|那个|这一|该|指标|同样|一样|数据|数字|"
    r"[\s，,。．.？?！!、：:；;“”\"'‘’（）()]"
)
# What is left of a question once its places, years and these words are gone is the indicator it asks about
INDICATOR_FILLER = re.compile("是多少|" + ASKING_WORDS.pattern + "|" + TARGET_WORDS.pattern
                              + r"|提高到|提升到|的|到|计划|预计|方案|提出|规划|为|是|有|年|分别|[^\w]|\d")
# Words pointing back at what the previous answer listed or named
DEICTIC = re.compile(r"这个|那个|这些|那些|其中|它|排第|第[一二三四五六七八九十\d]|哪一个|上述|以上")
# Words that mark a question as a follow-up to the previous one: "…呢？", "那…", "还有…".
FOLLOW_UP_MARK = re.compile(r"呢|^(?:那么?|还有|换成|改成|如果是)")
