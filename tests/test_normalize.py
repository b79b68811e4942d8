"""Normalization facts, checked on the real scraped pages."""
import re

from rag.normalize import normalize

PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def test_no_pinyin_ruby_left_in_jiangmen(plans):
    text = plans["jiangmen"].text
    assert PINYIN.search(text) is None
    assert "碳达峰" in text and "碳達(dá)峰" not in plans["jiangmen"].text


def test_jiangmen_is_simplified(plans):
    text = plans["jiangmen"].text
    assert "江门市碳达峰实施方案" in text
    for traditional in ("門", "達", "實", "單", "發", "區"):
        assert traditional not in text


def test_mojibake_detected_repaired_or_dropped(plans):
    plan = plans["jiangmen"]
    assert plan.mojibake_spans >= 15
    assert 0 < plan.mojibake_repaired <= plan.mojibake_spans
    assert "?" not in plan.text
    assert "崮" not in plan.text and "鉄犭" not in plan.text
    # bytes that survived are re-aligned (燃?xì)夤芫W(wǎng) -> 管网), the lost 气 settled by 燃气管网
    assert "城镇燃气管网与省主干管网互联互通" in plan.text


def test_page_furniture_removed(plans):
    for plan in plans.values():
        for junk in ("当前位置", "字号", "视力保护色", "扫一扫在手机打开当前页面", "用户名", "验证码", "最新评论", "赣服通", "信息类别"):
            assert junk not in plan.text, (plan.plan_id, junk)
    assert "咨询电话:0792-4357300" in plans["gongqingcheng"].text  # content is kept


def test_whitespace_inside_chinese_removed(plans):
    assert "到2025年,在城市内交通领域,机动车电动化率达到5%" in plans["jinshi"].text
    assert "提升至65%" in plans["jinshi"].text


def test_normalize_is_deterministic():
    raw = "江門市碳達(dá)峰實(shí)施方案\n字号:[ ] [关闭] 视力保护色:\n到2025 年,比重達(dá)到32%左右。\n"
    first, second = normalize(raw), normalize(raw)
    assert first == second
    assert first.text == "江门市碳达峰实施方案\n到2025年,比重达到32%左右。\n"


def test_lost_characters_restored_only_when_a_word_vouches_for_them(plans):
    text = plans["jiangmen"].text
    assert "太阳能、氢能、地热能、海洋能" in text  # 地?zé)崮?、 -> both lost characters settled by 地热能
    assert "恩平等城市燃气管道建设" in text
    assert "翠山湖燃热电产" in text  # 燃?… : no word settles the lost characters, so nothing is invented


def test_page_furniture_in_traditional_characters_is_dropped_like_simplified():
    """Furniture is matched after conversion to simplified characters: one pattern serves both scripts."""
    page = ("當前位置：首頁 > 政務公開\n掃一掃在手機打開當前頁面\n視力保護色\n"
            "到2025年，非化石能源消費比重達到20%左右。\n評論\n用戶名：\n")
    simplified = ("当前位置：首页 > 政务公开\n扫一扫在手机打开当前页面\n视力保护色\n"
                  "到2025年，非化石能源消费比重达到20%左右。\n评论\n用户名：\n")
    for text in (page, simplified):
        cleaned = normalize(text)
        assert cleaned.text.strip() == "到2025年，非化石能源消费比重达到20%左右。" and cleaned.furniture_lines >= 3
