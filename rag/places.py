"""Chinese administrative divisions: every province-, prefecture- and county-level name.

The table `divisions.tsv` beside this module is generated from jionlp's
maintained `china_location` dictionary (Apache-2.0), so any of the ~3,500
names resolves without a hand list. To regenerate it:

    python -m rag.places /path/to/jionlp/dictionary/china_location.zip

Jurisdictions that are not divisions but issue plans too — development zones
and new areas (万盛经开区, 两江新区) — are recognised by their suffix right
after a division name (`ZONE`).
"""
from __future__ import annotations

import sys
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .zh.placenames import ZONE_SUFFIX

TABLE = Path(__file__).with_name("divisions.tsv")
LEVELS = ("national", "province", "city", "county", "district", "zone")
LEVEL_NAMES = {"national": "国家级", "province": "省级", "city": "地级", "county": "县级", "district": "区级", "zone": "开发区/新区"}


@dataclass(frozen=True)
class Place:
    """One jurisdiction; `level` is one of LEVELS."""

    name: str  # full name: 湖南省, 岳阳市, 岳阳县, 天河区, 准格尔旗, 万盛经开区
    short: str  # 湖南, 岳阳, 岳阳, 天河, 准格尔, 万盛
    level: str
    province: str  # the province-level unit it belongs to (itself for a province)
    parent: str = ""  # the prefecture a county, district or zone belongs to


# the country: the place of documents issued by central organs (国务院, 国家发展改革委, 生态环境部 …)
NATIONAL = Place("全国", "全国", "national", "")


@dataclass(frozen=True)
class Divisions:
    """The division table with lookups by full and short name."""

    by_name: dict[str, tuple[Place, ...]]
    by_short: dict[str, tuple[Place, ...]]

    def named(self, name: str) -> tuple[Place, ...]:
        """Places a name may mean: a full name first, else a short name (湖南 -> 湖南省)."""
        return self.by_name.get(name) or self.by_short.get(name, ())

    def mentions(self, text: str, levels: tuple[str, ...] = LEVELS) -> list[tuple[int, int, str]]:
        """(start, end, name) of every division named in `text`, longest first, not overlapping:
        full names of any level, short names of the given levels."""
        found, position = [], 0
        while position < len(text):
            for length in range(min(12, len(text) - position), 1, -1):
                word = text[position : position + length]
                if word in self.by_name or (word in self.by_short and self.by_short[word][0].level in levels):
                    found.append((position, position + length, word))
                    position += length
                    break
            else:
                position += 1
        return found

    def ending_at(self, text: str, end: int) -> list[str]:
        """Every name (full or short, 2+ characters) that ends exactly at `end`, longest first."""
        found = []
        for length in range(min(end, 12), 1, -1):
            word = text[end - length : end]
            if word in self.by_name or word in self.by_short:
                found.append(word)
        return found


@lru_cache(maxsize=1)
def divisions() -> Divisions:
    by_name: dict[str, list[Place]] = defaultdict(list)
    by_short: dict[str, list[Place]] = defaultdict(list)
    for line in TABLE.read_text(encoding="utf-8").splitlines()[1:]:
        name, short, level, province, parent = line.split("\t")
        place = Place(name, short, level, province, parent)
        by_name[name].append(place)
        if len(short) >= 2 and short != name:
            by_short[short].append(place)
    # a short name shared by a prefecture and its seat county (岳阳) means the prefecture first
    order = {level: i for i, level in enumerate(LEVELS)}
    return Divisions(
        {k: tuple(sorted(v, key=lambda p: order[p.level])) for k, v in by_name.items()},
        {k: tuple(sorted(v, key=lambda p: order[p.level])) for k, v in by_short.items()},
    )


def short_name(name: str) -> str:
    """湖南省 -> 湖南, 津市市 -> 津市, 万盛经开区 -> 万盛 (names outside the table: strip a level word)."""
    places = divisions().by_name.get(name)
    if places:
        return places[0].short
    if ZONE_SUFFIX.search(name):
        return ZONE_SUFFIX.sub("", name) or name
    return name[:-1] if len(name) > 2 and name[-1] in "省市县区旗盟州" else name


# ---------------------------------------------------------------- generating the table


def generate(location_zip: Path, out: Path = TABLE) -> int:
    """Write divisions.tsv from jionlp's china_location.zip (tab-indented: province > city > county > town)."""
    with zipfile.ZipFile(location_zip) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8")
    rows = ["name\tshort\tlevel\tprovince\tparent"]
    province = city = ""
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        fields = line.strip("\t").split("\t")
        if depth > 2 or len(fields) < 3:
            continue
        name, _code, short = fields[:3]
        if depth == 0:
            province = name
            rows.append(f"{name}\t{short}\tprovince\t{province}\t")
        elif depth == 1:
            city = name if not name.startswith("省直辖") and name != province else ""
            if city:
                rows.append(f"{name}\t{short}\tcity\t{province}\t")
        else:
            level = "district" if name.endswith("区") and not name.endswith(("林区", "特区")) else "county"
            rows.append(f"{name}\t{short}\t{level}\t{province}\t{city}")
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows) - 1


if __name__ == "__main__":
    print(f"{generate(Path(sys.argv[1]))} 个行政区划已写入 {TABLE}")
