"""Property-based tests (hypothesis) for the text normaliser, the privacy gate's detectors and the
report validator: invariants their docstrings promise, over generated inputs. No database."""

import datetime

from django.utils import timezone
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rumorcases.cases.normalise import normalise, tokens_for_matching
from rumorcases.cases.services import AuthorInput, ReportInput, report_validate
from rumorcases.core.exceptions import INVALID, ApplicationError
from rumorcases.core.privacy import (
    BANK_CARD,
    ID_NUMBER,
    LANDLINE,
    MOBILE,
    find_personal_data,
    finding_message,
    is_resident_id,
)

FAST = settings(max_examples=200, deadline=None)

# --- shared strategies -------------------------------------------------------------------

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
CJK_TEXT = st.text(CJK, min_size=1, max_size=30)
CHINESE_PUNCT = "，。！？、；：“”‘’（）《》…— \u3000"
# Chinese prose around a number: ideographs, Chinese punctuation and spaces, no digits or Latin.
CHINESE_PROSE = st.text(st.one_of(CJK, st.sampled_from(CHINESE_PUNCT)), max_size=40)

# Pieces that exercise every rule of the normaliser, mixed with arbitrary text.
WEIBO_PIECES = st.sampled_from([
    "//@", "//@张三:", "// @李四：", "@", "@name ", "#", "#话题#", "#tag ", "[泪]", "[doge]", "[图1]",
    "http://t.cn/abc ", "https://weibo.com/1/2?x=y", "www.example.com", "t.cn/A6x", "转发微博", "转发", "转",
    "Repost", "Repost Weibo", "repost", "网页链接", "来自iPhone客户端", "(分享自 @优酷)", "分享自@腾讯新闻",
    "via @贝月森", " via weibo.com", "a@b.com", "１２：（）＃＠", "ＡＢＣ", "薴", "乾隆", "發", "İ", "ß", "\u0301",
    " ", "\n", "_", "-", "。", "，", "😀", "12", "x",
])
WEIBO_TEXT = st.lists(st.one_of(WEIBO_PIECES, CJK_TEXT, st.text(max_size=10)), max_size=12).map("".join)
ANY_TEXT = st.one_of(st.text(), WEIBO_TEXT)

FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)} | {0x20: 0x3000}
HALFWIDTH = {v: k for k, v in FULLWIDTH.items()}


def ascii_digits(value: str) -> str:
    return "".join(ch for ch in value.translate(HALFWIDTH) if ch in "0123456789")


# =========================================================================================
# 1. normalise
# =========================================================================================


@FAST
@given(ANY_TEXT)
def test_normalise_never_raises_and_keeps_only_letters_and_digits(text):
    # Rule 9: every character that is not a letter or a digit goes (whitespace, punctuation, marks…).
    norm = normalise(text)
    assert isinstance(norm, str)
    assert all(ch.isalnum() for ch in norm), norm
    assert "_" not in norm


@FAST
@given(ANY_TEXT)
def test_normalise_is_idempotent(text):
    norm = normalise(text)
    assert normalise(norm) == norm


def test_normalise_empty():
    assert normalise("") == ""
    assert tokens_for_matching("") == []


@FAST
@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_normalise_keeps_digits_and_folds_fullwidth_ones(digits):
    # Rule 9 keeps digits; rule 1 makes "１２" equal "12".
    assert normalise(digits) == digits
    assert normalise(digits.translate(FULLWIDTH)) == digits


@FAST
@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40))
def test_normalise_fullwidth_ascii_equals_ascii(text):
    # Rule 1: full-width letters, digits and marks become ASCII before any other rule.
    assert normalise(text.translate(FULLWIDTH)) == normalise(text)


@FAST
@given(st.lists(st.one_of(CJK_TEXT, st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ", max_size=10)),
                min_size=1, max_size=6).map("".join))
def test_normalise_is_case_insensitive_for_latin(text):
    # Rule 2.
    assert normalise(text.upper()) == normalise(text) == normalise(text.title())


@FAST
@given(st.lists(st.tuples(CJK, st.text(st.sampled_from("，。！？、；：“”…— ,.!?;:\t\n\u3000"), max_size=3)),
                min_size=1, max_size=30))
def test_normalise_ignores_punctuation_and_spacing(pairs):
    # Rule 9: re-punctuated or re-spaced copies compare equal.
    plain = "".join(ch for ch, _punct in pairs)
    punctuated = "".join(ch + punct for ch, punct in pairs)
    assert normalise(punctuated) == normalise(plain)


MENTION_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20)
DECORATION = st.one_of(
    MENTION_NAME.map(lambda name: f" @{name} "),  # rule 8
    CJK_TEXT.map(lambda topic: f"#{topic}#"),  # rule 7
    st.sampled_from(["[泪]", "[哈哈]", "[doge]"]),  # rule 4
    st.sampled_from([" http://t.cn/A6abc ", " https://weibo.com/123/abc?x=1 ", " www.example.com/a "]),  # rule 3
    st.sampled_from(["(分享自 @优酷)", "分享自 @腾讯新闻 "]),  # rule 6
)


@FAST
@given(CJK_TEXT, DECORATION, CJK_TEXT)
def test_normalise_drops_links_emoji_codes_hashtags_mentions_and_share_boilerplate(before, decoration, after):
    assert normalise(before + decoration + after) == normalise(before + after)


@FAST
@given(CJK_TEXT, MENTION_NAME, st.one_of(CJK_TEXT, WEIBO_TEXT))
def test_normalise_keeps_only_the_reporters_comment_of_a_repost_chain(comment, name, chain):
    # Rule 5: everything from the first "//@" goes when the reporter's own comment is not empty.
    assume(normalise(comment))
    assert normalise(f"{comment}//@{name}: {chain}") == normalise(comment)


@FAST
@given(MENTION_NAME, CJK_TEXT)
def test_normalise_keeps_the_nearest_comment_when_the_reporters_is_empty(name, quoted):
    # Rule 5: a pasted chain with nothing of the reporter's own keeps the nearest non-empty comment.
    assume(normalise(quoted))
    for own in ("", "转发微博", "Repost", " "):
        assert normalise(f"{own}//@{name}:{quoted}") == normalise(quoted)


@FAST
@given(ANY_TEXT, st.integers(min_value=2, max_value=5))
def test_tokens_for_matching_are_the_ngrams_of_the_normalised_text(text, n):
    norm = normalise(text)
    tokens = tokens_for_matching(text, n)
    if not norm:
        assert tokens == []
    elif len(norm) < 2:
        assert tokens == [norm]
    else:
        size = n if len(norm) >= n else 2
        assert all(len(token) == size for token in tokens)
        assert len(tokens) == len(norm) - size + 1
        # In order, repeats kept: consecutive n-grams overlap and rebuild the text.
        assert tokens[0] + "".join(token[-1] for token in tokens[1:]) == norm


# =========================================================================================
# 2. privacy detectors
# =========================================================================================

PROVINCES = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
             "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]
ID_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # ISO 7064 MOD 11-2: 7 9 10 5 8 4 2 1 6 3 …


def iso7064_check(first17: str) -> str:
    value = (12 - sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11) % 11
    return "X" if value == 10 else str(value)


@st.composite
def resident_ids(draw) -> str:
    province = draw(st.sampled_from(PROVINCES))
    area = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    born = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=timezone.localdate()))
    sequence = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    first17 = f"{province}{area}{born:%Y%m%d}{sequence}"
    number = first17 + iso7064_check(first17)
    if number.endswith("X") and draw(st.booleans()):
        number = number[:-1] + "x"
    return number


def written(number: str, separator: str, fullwidth: bool) -> str:
    """An 18-character ID as people write it: 6-8-4, optionally spaced, optionally full-width."""
    text = separator.join([number[:6], number[6:14], number[14:]])
    return text.translate(FULLWIDTH) if fullwidth else text


def test_iso7064_helper_matches_known_ids():
    # The well-known sample numbers, so the generator itself is right.
    assert iso7064_check("11010519491231002") == "X"
    assert iso7064_check("44052418800101001") == "4"


@FAST
@given(CHINESE_PROSE, resident_ids(), st.sampled_from(["", " ", "-"]), st.booleans(), CHINESE_PROSE)
def test_valid_resident_ids_in_chinese_text_are_found(before, number, separator, fullwidth, after):
    shown = written(number, separator, fullwidth)
    text = before + shown + after
    ids = [f for f in find_personal_data(text) if f.kind == ID_NUMBER]
    assert [(f.start, f.end, f.text) for f in ids] == [(len(before), len(before) + len(shown), shown)]


@FAST
@given(CHINESE_PROSE, resident_ids(), st.data(), st.sampled_from(["", " "]), CHINESE_PROSE)
def test_resident_ids_with_a_wrong_check_character_are_not_ids(before, number, data, separator, after):
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[-1].upper()]))
    bad = number[:-1] + wrong
    assert not is_resident_id(bad)
    text = before + written(bad, separator, False) + after
    assert [f for f in find_personal_data(text) if f.kind == ID_NUMBER] == []


def luhn_check_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:  # doubled: every second digit from the right of the full number
            value = value * 2 - 9 if value * 2 > 9 else value * 2
        total += value
    return str((10 - total % 10) % 10)


@st.composite
def card_numbers(draw) -> str:
    length = draw(st.integers(min_value=13, max_value=19))
    body = draw(st.sampled_from("34569")) + draw(st.text(alphabet="0123456789", min_size=length - 2,
                                                           max_size=length - 2))
    number = body + luhn_check_digit(body)
    assume(not is_resident_id(number))  # an ID takes precedence over a card (rare: 15 or 18 digits)
    return number


def grouped(number: str, separator: str) -> str:
    """Groups of four, the last one holding the 3–6 remaining digits ("6222 0212 3456 78955")."""
    groups = [number[i:i + 4] for i in range(0, len(number), 4)]
    if len(groups[-1]) < 3:
        groups[-2:] = [groups[-2] + groups[-1]]
    return separator.join(groups)


def test_luhn_helper_matches_known_cards():
    assert luhn_check_digit("411111111111111") == "1"
    assert luhn_check_digit("555555555555444") == "4"
    assert luhn_check_digit("37828224631000") == "5"


@FAST
@given(CHINESE_PROSE, card_numbers(), st.sampled_from([None, " ", "-"]), CHINESE_PROSE)
def test_luhn_valid_card_numbers_in_chinese_text_are_found(before, number, separator, after):
    shown = number if separator is None else grouped(number, separator)
    text = before + shown + after
    cards = [f for f in find_personal_data(text) if f.kind == BANK_CARD]
    assert [(f.start, f.end, f.text) for f in cards] == [(len(before), len(before) + len(shown), shown)]


@FAST
@given(CHINESE_PROSE, card_numbers(), st.integers(min_value=1, max_value=9), CHINESE_PROSE)
def test_luhn_invalid_card_numbers_are_not_cards(before, number, shift, after):
    bad = number[:-1] + str((int(number[-1]) + shift) % 10)
    text = before + bad + after
    assert [f for f in find_personal_data(text) if f.kind == BANK_CARD] == []


NUMBER_KINDS = (ID_NUMBER, BANK_CARD, MOBILE, LANDLINE)


def assert_masked(finding):
    full = ascii_digits(finding.text)
    shown = ascii_digits(finding.masked)
    assert len(shown) < len(full), (finding, finding.masked)
    assert full not in ascii_digits(finding_message("x", finding))


@FAST
@given(CHINESE_PROSE, st.one_of(resident_ids(), card_numbers()), st.booleans(), CHINESE_PROSE)
def test_masked_snippets_never_show_the_whole_number(before, number, fullwidth, after):
    shown = number.translate(FULLWIDTH) if fullwidth else number
    findings = find_personal_data(before + shown + after)
    assert findings
    for finding in findings:
        assert_masked(finding)
        assert number not in finding.masked


NUMBERISH = st.lists(st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=19), st.sampled_from([" ", "-", "+86", "0086", "(021)", "x"]),
    CJK_TEXT, st.sampled_from(["@qq.com", "a.b@example.cn", "沪A12345", "京A·1234学", "http://x.cn/", "张 三"]),
), max_size=10).map("".join)


@FAST
@given(st.one_of(ANY_TEXT, NUMBERISH), st.lists(st.one_of(st.text(max_size=8), CJK_TEXT), max_size=3))
def test_find_personal_data_never_raises_and_reports_spans_of_the_given_text(text, names):
    findings = find_personal_data(text, names=names)
    starts = [f.start for f in findings]
    assert starts == sorted(starts)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start:finding.end] == finding.text
        assert finding.masked is not None and finding.label
        if finding.kind in NUMBER_KINDS:
            assert_masked(finding)


# =========================================================================================
# 3. report validator
# =========================================================================================

REPORT_FIELDS = {"external_id", "content", "posted_at", "url", "title", "content_type", "category", "source",
                 "views", "reposts", "comments", "likes", "evidence_urls",
                 "author.account_id", "author.account_type", "author.followers"}
GOOD_URLS = st.builds(lambda scheme, host, path: f"{scheme}://{host}.cn/{path}", st.sampled_from(["http", "https"]),
                      st.text(alphabet="abcxyz0123456789", min_size=1, max_size=10),
                      st.text(alphabet="abc/123?=&", max_size=20))
BAD_URLS = st.one_of(st.just("ftp://example.com/"), st.just("example.com"), st.just("http:// space.cn"),
                     st.just("javascript:alert(1)"), GOOD_URLS.map(lambda url: url + " x"))
ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=10),
                     st.lists(st.integers(), max_size=2),
                     st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
STRINGS = st.one_of(st.none(), st.text(max_size=20), st.text(min_size=120, max_size=140),
                    st.sampled_from(["", " ", "\n\t", "RC-1", "id:1"]))
NON_NEGATIVE = st.integers(min_value=0, max_value=10**12)


def choice(values):
    return st.one_of(st.sampled_from(values), ANYTHING)


@st.composite
def report_inputs(draw):
    from rumorcases.cases.choices import Category, ContentType, ReportSource
    from rumorcases.disposal.choices import AccountType

    aware = st.datetimes(timezones=st.sampled_from([datetime.UTC, datetime.timezone(datetime.timedelta(hours=8))]))
    posted_at = draw(st.one_of(aware, st.datetimes(), st.dates(), ANYTHING))
    author = draw(st.one_of(st.none(), st.builds(
        AuthorInput, account_id=st.one_of(st.none(), st.text(max_size=10)), handle=st.text(max_size=5),
        display_name=st.text(max_size=5), account_type=choice(AccountType.values),
        followers=st.one_of(NON_NEGATIVE, st.integers(max_value=-1), st.none(), st.floats(), st.text(max_size=3)),
        verified=st.booleans(),
    )))
    metrics = {name: draw(st.one_of(NON_NEGATIVE, NON_NEGATIVE, ANYTHING)) for name in ("views", "reposts",
                                                                                          "comments", "likes")}
    return ReportInput(
        external_id=draw(STRINGS), content=draw(STRINGS), posted_at=posted_at,
        url=draw(st.one_of(st.just(""), st.none(), GOOD_URLS, BAD_URLS, st.just("http://a.cn/" + "x" * 1000))),
        title=draw(st.one_of(st.none(), st.text(max_size=20), st.text(min_size=295, max_size=305))),
        content_type=draw(choice(ContentType.values)), language=draw(st.text(max_size=5)), author=author,
        category=draw(choice(Category.values)), reason=draw(st.text(max_size=10)),
        source=draw(choice(ReportSource.values)),
        evidence_urls=draw(st.one_of(st.lists(GOOD_URLS, max_size=3), st.lists(st.one_of(GOOD_URLS, BAD_URLS),
                                                                                  min_size=1, max_size=3), ANYTHING)),
        **metrics,
    )


def expected_bad_fields(data: ReportInput) -> set[str]:
    """The fields that are unmistakably wrong, by the documented rules (an independent oracle)."""
    from rumorcases.cases.choices import Category, ContentType, ReportSource
    from rumorcases.disposal.choices import AccountType

    bad = set()
    if not (data.external_id or "").strip() or len(data.external_id) > 128:
        bad.add("external_id")
    if not (data.content or "").strip():
        bad.add("content")
    if not isinstance(data.posted_at, datetime.datetime) or data.posted_at.tzinfo is None:
        bad.add("posted_at")
    if data.url and (len(data.url) > 1000 or " " in data.url or not data.url.startswith(("http://", "https://"))):
        bad.add("url")
    if len(data.title or "") > 300:
        bad.add("title")
    for name, allowed in (("content_type", ContentType.values), ("category", Category.values),
                          ("source", ReportSource.values)):
        if not isinstance(getattr(data, name), str) or getattr(data, name) not in allowed:
            bad.add(name)
    for name in ("views", "reposts", "comments", "likes"):
        value = getattr(data, name)
        if type(value) is not int or value < 0:
            bad.add(name)
    if data.author is not None:
        if not (data.author.account_id or "").strip():
            bad.add("author.account_id")
        if not isinstance(data.author.account_type, str) or data.author.account_type not in AccountType.values:
            bad.add("author.account_type")
        if not isinstance(data.author.followers, int) or data.author.followers < 0:
            bad.add("author.followers")
    urls = data.evidence_urls
    if not isinstance(urls, list) or any(not isinstance(u, str) or " " in u
                                         or not u.startswith(("http://", "https://")) for u in urls):
        bad.add("evidence_urls")
    return bad


@FAST
@given(report_inputs())
def test_report_validate_raises_only_invalid_naming_exactly_the_bad_fields(data):
    expected = expected_bad_fields(data)
    try:
        report_validate(data)
    except ApplicationError as error:
        assert error.code == INVALID
        assert set(error.fields) <= REPORT_FIELDS
        assert set(error.fields) == expected, (error.fields, expected)
        assert all(isinstance(messages, list) and messages for messages in error.fields.values())
    else:
        assert expected == set()
