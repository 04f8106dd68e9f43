"""Normalisation of Weibo-style posts for same-rumour matching (no database)."""

import pytest

from rumorcases.cases.normalise import normalise, tokens_for_matching

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is in requirements-test.txt
    given = None

# A rumour from the Weibo CED data set (posts.jsonl id 0), shortened.
RUMOUR = "人间惨剧：今天下午约14点，宁波妇儿医院，一妇女携带一婴儿在住院楼跳楼，后抢救无效死亡。"
RUMOUR_NORM = "人间惨剧今天下午约14点宁波妇儿医院一妇女携带一婴儿在住院楼跳楼后抢救无效死亡"


def trigram_overlap(a: str, b: str) -> float:
    ta, tb = set(tokens_for_matching(a)), set(tokens_for_matching(b))
    return len(ta & tb) / len(ta | tb)


# --- one test per rule -------------------------------------------------------------------


def test_repost_chain_keeps_only_the_reporters_comment():
    text = "这个不是谣言，只不过不是今天罢了。//@王思聪:窦评论猿，你还是回学校进修个几年经济学再出张嘴吧。//@某人: 转"
    assert normalise(text) == "这个不是谣言只不过不是今天罢了"


def test_repost_chain_with_full_width_marks_and_spaces():
    assert normalise("求证！ ／／＠太阳红彤彤2：邓亚萍向红衣主教下跪") == "求证"
    assert normalise("求证！// @太阳红彤彤2: 邓亚萍向红衣主教下跪") == "求证"


def test_repost_chain_without_own_comment_keeps_nearest_comment():
    text = "//@太阳红彤彤2: 邓亚萍 中国共产党党员 日前向红衣主教下跪皈依天主教//@别人: 真的吗"
    assert normalise(text) == "邓亚萍中国共产党党员日前向红衣主教下跪皈依天主教"
    # No colon after the name, as in some old reposts.
    assert normalise("//@永强的小博 昨天一兄弟言及金融三大板块") == "昨天一兄弟言及金融三大板块"
    # A placeholder comment does not count as the reporter's own.
    assert normalise("转发微博//@某网友: 紧急扩散！//@别人: 哈哈") == "紧急扩散"
    assert normalise("Repost //@someone: Urgent, please share") == "urgentpleaseshare"
    assert normalise("//@a: //@b: [泪]") == ""


@pytest.mark.parametrize("placeholder", ["转发微博", "轉發微博", "Repost", "Repost Weibo", "repost"])
def test_repost_placeholders(placeholder):
    assert normalise(placeholder) == ""
    assert normalise(f"{placeholder} {RUMOUR}") == RUMOUR_NORM


def test_weibo_hashtags_are_removed_with_their_text():
    assert normalise("#IT大爆炸#【手把手教你恢复被删资料！】一不小心") == "手把手教你恢复被删资料一不小心"
    assert normalise("被判刑——_基层党建网河南频道#西祠热帖# ") == "被判刑基层党建网河南频道"
    assert normalise("#Happy26GDay##权志龙0818生日快乐#") == ""
    assert normalise("#Apple 发布会# 新手机会爆炸") == "新手机会爆炸"


def test_english_hashtags_are_removed():
    assert normalise("Coca-Cola contains carbendazim #fakenews #health") == "cocacolacontainscarbendazim"
    assert normalise("I love #python and #django") == "iloveand"


def test_emoji_codes_are_removed():
    text = "带着刚满月的宝宝从12楼跳楼身亡。[蜡烛] 国人的性命何等脆弱！[泪][哈哈][doge]"
    assert normalise(text) == "带着刚满月的宝宝从12楼跳楼身亡国人的性命何等脆弱"


def test_bracketed_numbers_are_not_emoji():
    assert normalise("见[1]和[图2]") == "见1和图2"


def test_mentions_are_removed():
    assert normalise("@幸福就是每天能自然醒 @BMW_石筱怡 @刘----婷 快看这个") == "快看这个"
    assert normalise("请@平安北京：核实一下") == "请核实一下"


def test_email_address_is_not_a_mention():
    assert normalise("举报邮箱 jubao@example.cn") == "举报邮箱jubaoexamplecn"


def test_links_are_removed():
    assert normalise("苍井空退出微博 http://t.cn/zWeA0vz 真的吗") == "苍井空退出微博真的吗"
    assert normalise("详情见https://news.example.com/a/b?id=3&x=%E4（原文）") == "详情见原文"
    assert normalise("原文地址：t.cn/zjcgxnz") == "原文地址"
    assert normalise("看 www.example.com/rumour 这里") == "看这里"


def test_share_boilerplate_is_removed():
    text = "中国人民也是有底线的。 --从长江网分享  http://t.cn/zWeA0vz  （分享自 @长江网官方微博）"
    assert normalise(text) == "中国人民也是有底线的从长江网分享"
    text = "MH370系于2014年3月8日凌晨2...(全文见图，分享自@长围脖 iPhone客户端)"
    assert normalise(text) == "mh370系于2014年3月8日凌晨2"
    assert normalise("视频：某地发生爆炸 分享自 @腾讯新闻") == "视频某地发生爆炸"


def test_via_boilerplate_is_removed():
    assert normalise("最先爆料者李元龙失踪了（转）via @贝月森") == "最先爆料者李元龙失踪了转"
    text = "Toothpaste colour strips reveal chemicals via weibo.com"
    assert normalise(text) == "toothpastecolourstripsrevealchemicals"


def test_client_signature_and_link_label_are_removed():
    assert normalise("紧急扩散 来自iPhone客户端") == "紧急扩散"
    assert normalise("緊急擴散 來自 Android 客戶端") == "紧急扩散"
    assert normalise("紧急扩散 网页链接") == "紧急扩散"


def test_whitespace_and_punctuation_differences_vanish():
    assert normalise("【注意了，新骗局来了！！！】 1)真假 快递员？") == normalise("注意了新骗局来了1真假快递员")
    assert normalise("“波音777”——系于…　“2014年”~~~✈️★") == "波音777系于2014年"


def test_full_width_becomes_half_width():
    assert normalise("ＭＨ３７０航班") == "mh370航班"
    assert normalise("①②③") == "123"


def test_traditional_becomes_simplified():
    assert normalise("緊急擴散！臺灣發現新騙局，請轉告身邊的朋友") == "紧急扩散台湾发现新骗局请转告身边的朋友"


def test_latin_is_lower_cased_and_digits_kept():
    assert normalise("CNN: Flight MH370 shot down at 10:48") == "cnnflightmh370shotdownat1048"


# --- whole-text properties ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\t　 ", "   \u3000\r\n"])
def test_empty_and_whitespace_only_give_empty(text):
    assert normalise(text) == ""
    assert tokens_for_matching(text) == []


def test_none_like_empty_input():
    assert normalise("") == ""


SAMPLES = [
    RUMOUR,
    "转发微博",
    "#越南乳瓜# 转发微博 话题详情:http://t.cn/abc",
    "人间惨剧[蜡烛]//@甲:真的假的//@乙: [泪]",
    "(分享自 @优酷) 转 发 微 博",
    "re post",
    "来 自 iphone 客 户 端",
    "薴麻",
    "İstanbul ǅemal ½ ﬁle",
    "Repost//@a:Repost//@b:",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


def test_variants_of_one_rumour_normalise_alike():
    base = (
        "注意了！新骗局来了：1）真假快递员；2）危险的免费钥匙圈；3）神秘的10086电话。"
        "可怕的是这三个骗局已经致使无数人上当受骗"
    )
    reposted = "大家小心！！[怒]//@上海身边事:" + base + " //@某人: 转"
    repost_no_comment = "转发微博//@上海身边事: " + base + "[话筒] http://t.cn/zWeA0vz"
    repunctuated = base.replace("！", "!!!").replace("；", " ").replace("：", ":  ").replace("）", ")")
    traditional = (
        "注意了！新騙局來了：1）真假快遞員；2）危險的免費鑰匙圈；3）神秘的10086電話。"
        "可怕的是這三個騙局已經致使無數人上當受騙"
    )
    full_width_digits = base.replace("10086", "１００８６").replace("1）", "１）")
    tagged = "#防骗指南# @平安上海 " + base + " (分享自 @新浪新闻)"
    truncated = base[:-6] + "..."

    expected = normalise(base)
    for variant in (repost_no_comment, repunctuated, traditional, full_width_digits, tagged):
        assert normalise(variant) == expected, variant
    assert normalise(reposted) == "大家小心"  # the reporter's own comment; the chain is dropped
    assert expected.startswith(normalise(truncated))
    assert trigram_overlap(base, truncated) > 0.8


def test_different_rumours_stay_different():
    a = "【注意】今天下午宁波妇儿医院一妇女携带婴儿跳楼身亡"
    b = "可口可乐被检出含多菌灵，大家不要再喝了"
    c = "2013年新交规：闯黄灯扣6分"
    norms = {normalise(a), normalise(b), normalise(c)}
    assert len(norms) == 3
    assert trigram_overlap(a, b) == 0
    assert trigram_overlap(a, c) == 0


# --- tokens -------------------------------------------------------------------------------


def test_tokens_are_trigrams_of_the_normalised_text():
    assert tokens_for_matching("今天，天气！") == ["今天天", "天天气"]
    assert tokens_for_matching("ABCD", n=2) == ["ab", "bc", "cd"]


def test_tokens_fall_back_for_short_texts():
    assert tokens_for_matching("谣言！") == ["谣言"]
    assert tokens_for_matching("谣") == ["谣"]
    assert tokens_for_matching("[泪]") == []


# --- property test ------------------------------------------------------------------------

if given is None:  # pragma: no cover

    @pytest.mark.skip(reason="hypothesis is not installed")
    def test_property_idempotent_and_clean():
        pass

else:
    _WEIBOISH = st.text(
        alphabet=st.one_of(
            st.sampled_from(list("转发微博網頁链接來自客戶端分享自via Repost#@/[]:：（）()泪哈")),
            st.sampled_from(list("t.cnhtp薴麻１２ＡＢ，。！ \n")),
            st.characters(codec="utf-8"),
        ),
        max_size=60,
    )

    @settings(max_examples=400, deadline=None)
    @given(_WEIBOISH)
    def test_property_idempotent_and_clean(text):
        once = normalise(text)
        assert normalise(once) == once
        assert all(ch.isalnum() for ch in once)
        assert once == once.lower()
        tokens = tokens_for_matching(text)
        assert "".join(t[0] for t in tokens[:-1]) + (tokens[-1] if tokens else "") == once
