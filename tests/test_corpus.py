"""Adding plans: manifest entries, detection when missing, HTML pages, bad files."""
import shutil
from dataclasses import replace

import pytest

from rag.corpus import CorpusError, load_plans
from rag.index import build_index, load_index


def test_manifest_describes_every_shipped_plan(plans):
    assert {p.city for p in plans.values()} == {"南昌市", "江门市", "江阴市", "津市市", "共青城市"}
    assert {p.kind for p in plans.values()} == {"实施方案", "征求意见稿", "政策解读"}
    assert plans["jiangmen"].source_file == "001_c0e6d776a2bf4146.txt" and plans["jiangmen"].issued == "2023-07-03"


def test_plan_without_entry_is_detected_with_a_warning(settings, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    (corpus / "wuhu.html").write_text(
        "<html><head><script>var x=1;</script></head><body><nav>首页 > 政策</nav>"
        "<h1>芜湖市碳达峰实施方案</h1><p>一、主要目标</p><p>到2025年,非化石能源消费比重达到18%。</p></body></html>",
        encoding="utf-8",
    )
    with pytest.warns(UserWarning, match="wuhu.html"):
        loaded = {p.plan_id: p for p in load_plans(corpus)}
    wuhu = loaded["wuhu"]
    assert (wuhu.city, wuhu.title) == ("芜湖市", "芜湖市碳达峰实施方案")
    assert "var x" not in wuhu.text and "非化石能源消费比重达到18%" in wuhu.text


def test_undecodable_file_is_a_clear_error_and_build_changes_nothing(index, settings, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    (corpus / "broken.txt").write_bytes("碳达峰".encode("gbk"))
    with pytest.raises(CorpusError, match="broken.txt.*UTF-8"):
        load_plans(corpus)
    before = load_index(settings).manifest
    with pytest.raises(CorpusError):
        build_index(replace(settings, corpus_dir=corpus), progress=False)
    assert load_index(settings).manifest == before
