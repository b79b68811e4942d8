"""How place names are written besides the divisions table's own names: the suffix of a zone that is no
division (经开区, 新区), a central organ that makes a document national (国务院, 国家发展改革委), the level
words of a name written in English or pinyin ("Jiangmen City", "Hunan Sheng")."""
from __future__ import annotations

import re

# the suffix of a jurisdiction that is not a division: 万盛经开区, 两江新区, 屈原管理区
ZONE_SUFFIX = re.compile(r"(?:经济技术开发区|高新技术产业开发区|经济开发区|经开区|高新区|开发区|新区|管理区|试验区)$")
# a central organ opening a title or issuer line: the Party centre, the State Council, a national
# commission, bureau or ministry named without any division before it
CENTRAL_ORGAN = re.compile(r"^(?:中共中央|国务院|全国人民代表大会|全国人大|国家[\u4e00-\u9fff]{1,10}?(?:委员会|委|局|署|部|院)"
                           r"|[\u4e00-\u9fff]{2,8}?部(?=[、，\s]|关于|印发))")
# level words of a name written in English or pinyin
LEVEL_WORDS = re.compile(r"\s*(?:city|province|county|district|municipality|prefecture|autonomous region|shi|sheng|xian|qu)\b", re.I)
