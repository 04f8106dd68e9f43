"""The privacy gate's detectors, one kind of personal data at a time, with what they must not take."""

import pytest
from django.utils import translation

from rumorcases.core import privacy
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.privacy import (
    BANK_CARD,
    EMAIL,
    ID_NUMBER,
    LANDLINE,
    MOBILE,
    NAME,
    PERSONAL_DATA,
    PLATE,
    PublicText,
    find_personal_data,
)

VALID_ID = "11010519491231002X"  # checksum X: 1·7+1·9+0·10+… ≡ 2 (mod 11)


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English; pages ask for English with a cookie."""
    with translation.override("en"):
        yield


def kinds(text, **kwargs):
    return [(f.kind, f.text) for f in find_personal_data(text, **kwargs)]


def only(text, **kwargs):
    [finding] = find_personal_data(text, **kwargs)
    return finding


# --- resident ID numbers -----------------------------------------------------------------

def test_it_computes_the_iso_7064_check_character():
    assert privacy.id_checksum_char(VALID_ID[:17]) == "X"
    assert privacy.id_checksum_char("11010119900307123") == "3"


@pytest.mark.parametrize("text", [
    VALID_ID, VALID_ID.lower(), "110101199003071233", "310104200002291236",  # 29 Feb of a leap year
    "110105 19491231 002X", "110105-19491231-002X",
])
def test_it_finds_resident_id_numbers(text):
    finding = only(f"当事人身份证号{text}，已核实")
    assert finding.kind == ID_NUMBER
    assert finding.text == text
    assert finding.start == 7


@pytest.mark.parametrize("text", [
    "11010519491231003X",  # one digit changed: the checksum fails
    "110105194912310021",  # the check character changed
    "110105194913310021",  # month 13, checksum right
    "110105209901010020",  # born in 2099
    "310104200102291233",  # 29 Feb 2001
    "990105194912310025",  # no such province
    "1101051949123100211",  # 19 digits
    "11010519491231002",  # 17 digits
])
def test_an_18_digit_number_failing_a_check_is_not_an_id(text):
    assert kinds(f"编号{text}") == []


def test_it_finds_15_digit_legacy_ids_with_a_real_date_only():
    assert only("旧证110105491231002").kind == ID_NUMBER
    assert kinds("旧证110105491331002") == []  # month 13
    assert kinds("订单990105491231002") == []  # no such province


def test_it_masks_an_id_keeping_the_region_and_the_last_four():
    assert only(VALID_ID).masked == "110105********002X"
    assert only("110105 19491231 002X").masked == "110105********002X"


# --- mobile numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "13812345678", "19912345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678",
    "0086-138-1234-5678", "8613812345678",
])
def test_it_finds_mobile_numbers(text):
    finding = only(f"联系电话：{text}。")
    assert (finding.kind, finding.text, finding.start) == (MOBILE, text, 5)


@pytest.mark.parametrize("text", [
    "138123456789",  # 12 digits
    "213812345678",  # inside a longer run
    "12812345678",  # no 12x mobile prefix
    "1381234567",  # 10 digits
    "13000000000次",  # a count
])
def test_it_does_not_take_other_numbers_for_mobiles(text):
    assert [k for k, _t in kinds(text)] in ([], [BANK_CARD]) and MOBILE not in [k for k, _t in kinds(text)]


def test_it_masks_a_mobile():
    assert only("13812345678").masked == "138****5678"
    assert only("+86 138-1234-5678").masked == "+86 138****5678"


def test_fullwidth_digits_are_found_at_their_place():
    finding = only("电话１３８１２３４５６７８")
    assert (finding.kind, finding.start, finding.text) == (MOBILE, 2, "１３８１２３４５６７８")
    assert finding.masked == "138****5678"


# --- landlines ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "021-64371234", "02164371234", "(021)64371234", "（021）64371234", "021 6437 1234", "0571-8765432",
    "010-88886666", "+86 21 6437 1234",
])
def test_it_finds_landline_numbers(text):
    finding = only(f"家中电话{text}")
    assert (finding.kind, finding.text) == (LANDLINE, text)


@pytest.mark.parametrize("text", ["2026-11-26", "400-820-8820", "12377", "12345", "110", "0.5", "021-1234567"])
def test_it_does_not_take_dates_or_service_numbers_for_landlines(text):
    assert kinds(f"请拨打{text}") == []


def test_it_masks_a_landline_keeping_the_area_code():
    assert only("021-64371234").masked == "021-****1234"


# --- e-mail ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["zhang.san@example.com", "li+news@mail.example.com.cn", "ZS_2026@example.org"])
def test_it_finds_e_mail_addresses(text):
    finding = only(f"邮箱{text}。")
    assert (finding.kind, finding.text, finding.start) == (EMAIL, text, 2)


@pytest.mark.parametrize("text", ["@热点搬运站2026", "转发@小鱼今天不摸鱼", "user@localhost", "a@b"])
def test_handles_and_bare_at_signs_are_not_e_mail(text):
    assert kinds(text) == []


def test_it_masks_an_e_mail_keeping_the_domain():
    assert only("zhang.san@example.com").masked == "z***@example.com"


# --- bank cards --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "6222 0212 3456 7894", "6222-0212-3456-7894", "6222021234567894", "6222021234567890128",
    "4111 1111 1111 1111", "3782 822463 10005",
])
def test_it_finds_luhn_valid_card_numbers(text):
    finding = only(f"打款至{text}")
    assert (finding.kind, finding.text) == (BANK_CARD, text)


@pytest.mark.parametrize("text", [
    "6222 0212 3456 7895",  # Luhn fails
    "6222021234567895",
    "62220212345678941",  # Luhn-valid 16 digits inside a longer run
    "1234 5678 9012 3452",  # no issuer starts with 1
    "6222 02 12 3456 7894",  # not grouped as a card is
])
def test_it_does_not_take_other_numbers_for_cards(text):
    assert kinds(text) == []


def test_a_card_is_not_also_a_phone_and_an_id_is_not_also_a_card():
    # Runs inside a number grouped as cards are ("0212 3456 7895") are not phones, Luhn or not.
    assert kinds("6222 0212 3456 7895") == []
    assert MOBILE not in [k for k, _t in kinds("6217 138 1234 5678")]
    assert [k for k, _t in kinds("卡6222 0212 3456 7894")] == [BANK_CARD]
    assert [k for k, _t in kinds(VALID_ID)] == [ID_NUMBER]
    assert [k for k, _t in kinds("0086 138 1234 5678")] == [MOBILE]


def test_it_masks_a_card_keeping_the_first_and_last_four():
    assert only("6222 0212 3456 7894").masked == "6222 **** **** 7894"


# --- licence plates ----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "沪A·12345", "沪A12345", "沪AD12345", "粤B 1234F", "京A1234学", "苏E-88J88", "沪a12345",
])
def test_it_finds_licence_plates(text):
    finding = only(f"车牌{text}的车主")
    assert (finding.kind, finding.text) == (PLATE, text)


@pytest.mark.parametrize("text", ["沪网信辟〔2026〕12号", "京ABCDE", "新iPhone15", "沪A股", "沪A1234", "苏州2026年"])
def test_it_does_not_take_other_words_for_plates(text):
    assert kinds(text) == []


def test_it_masks_a_plate():
    assert only("沪A·12345").masked == "沪A***45"


# --- names listed in the case file -------------------------------------------------------

def test_it_finds_listed_names_whatever_they_look_like():
    assert only("女童林某某与家人走散", names=["林某某"]).start == 2
    assert only("张 三称", names=["张三"]).kind == NAME
    assert only("the father, Zhang San, said", names=["Zhang San"]).text == "Zhang San"
    assert only("ZHANG SAN", names=["Zhang San"]).kind == NAME


def test_it_does_not_take_other_words_for_names():
    assert kinds("Zhang Sanfeng said", names=["Zhang San"]) == []
    assert kinds("林某称", names=["林某某"]) == []
    assert kinds("林业局", names=["林", " "]) == []  # a one-character name would refuse half the texts


def test_it_masks_a_name_keeping_its_first_character():
    assert only("林 某 某", names=["林某某"]).masked == "林**"


# --- ordinary notice text ----------------------------------------------------------------

NOTICE = (
    "2026年11月26日14时30分，沪网信辟〔2026〕12号通报：网传视频自2026-11-25 09:30:00起累计播放2630000次、"
    "转发41800次，经核实系编造。约40分钟后找到女童。举报电话12377，政务热线12345。详见"
    "https://weibo.com/1642634100/4951234567890120 与 https://www.shanghai.gov.cn/nw12344/20261126/0001-12344.html"
    "，时间20261126，文号第3号，比例0.35%。"
)


def test_an_ordinary_notice_passes():
    assert kinds(NOTICE) == []


def test_digits_in_urls_count_only_when_they_are_an_id_or_a_mobile():
    card = "4951234567890120"  # Luhn-valid
    assert [k for k, _t in kinds(f"编号{card}")] == [BANK_CARD]
    assert kinds(f"https://weibo.com/1642634100/{card}") == []
    assert kinds("https://x.example/c/021-64371234") == []
    assert [k for k, _t in kinds(f"https://x.example/u/{VALID_ID}")] == [ID_NUMBER]
    assert [k for k, _t in kinds("https://x.example/u/13812345678")] == [MOBILE]


def test_the_offices_public_contacts_are_allowed(settings):
    settings.PRIVACY_PUBLIC_CONTACTS = ["021-64371234", "Jubao@Example.gov.cn"]
    assert kinds("举报电话（021）6437 1234，邮箱jubao@example.gov.cn") == []
    assert [k for k, _t in kinds("电话021-64371235")] == [LANDLINE]


def test_numbers_one_after_another_are_each_found():
    assert [k for k, _t in kinds("电话13812345678 021-64371234、0571-87654321")] == [MOBILE, LANDLINE, LANDLINE]


def test_findings_come_in_text_order():
    text = f"王五 {VALID_ID} 13812345678 a@example.com 沪A12345 6222021234567894 021-64371234"
    assert [f.kind for f in find_personal_data(text, names=["王五"])] == [
        NAME, ID_NUMBER, MOBILE, EMAIL, PLATE, BANK_CARD, LANDLINE]


# --- the gate ----------------------------------------------------------------------------

def test_the_gate_names_the_field_masks_the_finding_and_gives_its_position(db):
    texts = [PublicText("title", "Title", "辟谣"), PublicText("body", "The facts", f"当事人身份证号{VALID_ID}")]
    with pytest.raises(ApplicationError) as refused:
        privacy.privacy_gate(texts=texts, advice="Fix it.")
    error = refused.value
    assert error.code == PERSONAL_DATA
    assert list(error.fields) == ["body"]
    [message] = error.fields["body"]
    assert "The facts" in message and "110105********002X" in message and "character 8" in message
    assert VALID_ID not in message and VALID_ID not in error.message
    assert "The facts" in error.message and error.message.endswith("Fix it.")


def test_the_gate_lets_clean_text_through(db):
    assert privacy.privacy_gate(texts=[PublicText("body", "The facts", NOTICE)]) is None
