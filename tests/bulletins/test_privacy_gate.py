"""The privacy gate on exposure bulletins: every public text, every entry, at publication (no role
skips it), and earlier when a bulletin is drafted, an entry added or changed, the bulletin submitted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from rumorcases.bulletins import services as bulletins
from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin, BulletinEntry
from rumorcases.cases import services as case_services
from rumorcases.cases.choices import CaseStatus, PartyRole
from rumorcases.cases.models import CaseTransition
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent, Counter
from rumorcases.core.privacy import PERSONAL_DATA

ENTRY = {"headline": "编造“公园雷击”谣言", "rumour_summary": "网传某公园雷击致多人死亡",
         "finding_summary": "经核实系编造", "measures": "新浪微博 @hb-1 警示"}


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English; pages ask for English with a cookie."""
    with translation.override("en"):
        yield


def create(by, **kwargs):
    today = timezone.localdate()
    return bulletins.bulletin_create(by=by, period_start=today - timedelta(days=7), period_end=today,
                                     **{"title": "网络谣言曝光台", **kwargs})


def add(bulletin, case, by, **changes):
    return bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=by, **{**ENTRY, **changes})


def refused(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        call()
    assert error.value.code == PERSONAL_DATA
    return error.value


def add_party(case, cast, name, role=PartyRole.VICTIM):
    return case_services.case_party_add(case=case, role=role, name=name, by=cast.supervisor)


@pytest.fixture
def cases(build):
    return [build.exposing(), build.exposing()]


@pytest.fixture
def submitted(cases, cast):
    """Two entries; the second's finding names 林某某, not yet listed as anyone when it was added."""
    bulletin = create(cast.publisher)
    add(bulletin, cases[0], cast.publisher)
    add(bulletin, cases[1], cast.publisher, finding_summary="经核实，林某某系被冒名，谣言系编造")
    bulletins.bulletin_submit(bulletin=bulletin, by=cast.publisher)
    return bulletin


def snapshot(bulletin, cases):
    bulletin.refresh_from_db()
    states = []
    for case in cases:
        case.refresh_from_db()
        states.append(case.status)
    return (bulletin.status, bulletin.year, bulletin.issue_number, bulletin.published_at, states,
            AuditEvent.objects.count(), CaseTransition.objects.count(),
            list(Counter.objects.filter(name__startswith="bulletin-").values_list("value", flat=True)))


# --- publication -----------------------------------------------------------------------------------


def test_a_victims_name_in_an_entry_stops_publication_and_changes_nothing(submitted, cases, cast):
    # The victim is listed on the first case; the name sits in the second case's entry.
    add_party(cases[0], cast, "林某某")
    before = snapshot(submitted, cases)

    error = refused(lambda: bulletins.bulletin_publish(bulletin=submitted, by=cast.publisher2))

    assert list(error.fields) == ["entries.2.finding_summary"]
    [message] = error.fields["entries.2.finding_summary"]
    assert message.startswith(f"Entry 2 ({cases[1].reference}), finding summary: ")
    assert "“林**” at character 5" in message
    assert "林某某" not in message + error.message
    assert "Send the bulletin back" in error.message
    assert snapshot(submitted, cases) == before
    assert before[0] == BulletinStatus.IN_REVIEW and before[2] is None
    assert before[4] == [CaseStatus.EXPOSING, CaseStatus.EXPOSING]
    assert not AuditEvent.objects.filter(action="bulletin.published").exists()


def test_no_role_skips_the_gate_not_even_the_supervisors(submitted, cases, cast):
    add_party(cases[1], cast, "林某某", role=PartyRole.REPORTER)
    refused(lambda: bulletins.bulletin_publish(bulletin=submitted, by=cast.supervisor))
    submitted.refresh_from_db()
    assert submitted.status == BulletinStatus.IN_REVIEW


def test_the_fixed_entry_publishes(submitted, cases, cast):
    add_party(cases[0], cast, "林某某")
    refused(lambda: bulletins.bulletin_publish(bulletin=submitted, by=cast.publisher2))
    bulletins.bulletin_send_back(bulletin=submitted, by=cast.publisher2, comments="删去姓名")
    entry = submitted.entries.get(case=cases[1])
    bulletins.bulletin_update_entry(entry=entry, by=cast.publisher, headline=entry.headline,
                                    rumour_summary=entry.rumour_summary, finding_summary="经核实，谣言系编造",
                                    measures=entry.measures_summary)
    bulletins.bulletin_submit(bulletin=submitted, by=cast.publisher)
    bulletins.bulletin_publish(bulletin=submitted, by=cast.publisher2)
    submitted.refresh_from_db()
    assert submitted.status == BulletinStatus.PUBLISHED and submitted.issue_number == 1
    for case in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.CLOSED


def test_it_checks_the_title_introduction_and_measures_of_the_whole_bulletin(cases, cast, monkeypatch):
    with monkeypatch.context() as patched:  # as drafted before the gate existed
        patched.setattr(bulletins, "privacy_gate", lambda **kwargs: None)
        bulletin = create(cast.publisher, title="曝光台 沪A·12345", introduction="举报邮箱 li.si@example.com")
        add(bulletin, cases[0], cast.publisher, measures="抖音 @dy_13812345678 禁言（7天）")
        bulletins.bulletin_submit(bulletin=bulletin, by=cast.publisher)
    error = refused(lambda: bulletins.bulletin_publish(bulletin=bulletin, by=cast.publisher2))
    assert set(error.fields) == {"title", "introduction", "entries.1.measures_summary"}
    assert "沪A***45" in error.fields["title"][0]
    assert "l***@example.com" in error.fields["introduction"][0]
    assert "138****5678" in error.fields["entries.1.measures_summary"][0]


# --- earlier checks --------------------------------------------------------------------------------


def test_drafting_a_bulletin_with_personal_data_is_refused(cast):
    error = refused(lambda: create(cast.publisher, introduction="详询 021-64371234"))
    assert list(error.fields) == ["introduction"]
    assert not Bulletin.objects.exists()


def test_adding_an_entry_with_an_id_number_is_refused(cases, cast):
    bulletin = create(cast.publisher)
    error = refused(lambda: add(bulletin, cases[0], cast.publisher,
                                rumour_summary="网传身份证号11010519491231002X的男子"))
    assert list(error.fields) == ["rumour_summary"]
    assert "110105********002X" in error.fields["rumour_summary"][0]
    assert not BulletinEntry.objects.exists()


def test_adding_an_entry_naming_a_victim_of_any_case_in_the_bulletin_is_refused(cases, cast):
    bulletin = create(cast.publisher)
    add(bulletin, cases[0], cast.publisher)
    add_party(cases[0], cast, "王某某")
    error = refused(lambda: add(bulletin, cases[1], cast.publisher, headline="攻击王某某的谣言"))
    assert list(error.fields) == ["headline"]
    assert bulletin.entries.count() == 1


def test_changing_an_entry_to_carry_a_card_number_is_refused(cases, cast):
    bulletin = create(cast.publisher)
    entry = add(bulletin, cases[0], cast.publisher)
    refused(lambda: bulletins.bulletin_update_entry(
        entry=entry, by=cast.publisher, headline=entry.headline, rumour_summary=entry.rumour_summary,
        finding_summary=entry.finding_summary, measures="收款卡号 6222 0212 3456 7894"))
    entry.refresh_from_db()
    assert entry.measures_summary == ENTRY["measures"]


def test_submitting_is_refused_when_a_name_was_listed_after_the_entry(cases, cast):
    bulletin = create(cast.publisher)
    add(bulletin, cases[0], cast.publisher, rumour_summary="网传赵某某造谣")
    add_party(cases[0], cast, "赵某某", role=PartyRole.REPORTER)
    error = refused(lambda: bulletins.bulletin_submit(bulletin=bulletin, by=cast.publisher))
    assert list(error.fields) == ["entries.1.rumour_summary"]
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DRAFT


# --- the staff pages ---------------------------------------------------------------------------------


def in_english(client):
    client.cookies["django_language"] = "en"


def test_the_publish_button_shows_which_entry_carries_it(client, submitted, cases, cast):
    add_party(cases[0], cast, "林某某")
    in_english(client)
    client.force_login(cast.publisher2)
    response = client.post(reverse("staff:bulletin_publish", args=[submitted.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Entry 2 ({cases[1].reference}), finding summary: the name of a person listed in the case file" in page
    assert "“林**” at character 5" in page
    submitted.refresh_from_db()
    assert submitted.status == BulletinStatus.IN_REVIEW


def test_the_entry_form_shows_the_finding_beside_the_field(client, cases, cast):
    bulletin = create(cast.publisher)
    entry = add(bulletin, cases[0], cast.publisher)
    in_english(client)
    client.force_login(cast.publisher)
    data = {"headline": entry.headline, "rumour_summary": "网传拨打13812345678可退款",
            "finding_summary": entry.finding_summary, "measures_summary": entry.measures_summary}
    response = client.post(reverse("staff:bulletin_entry_edit", args=[bulletin.pk, entry.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["rumour_summary"] == [
        "Rumour summary: a mobile phone number “138****5678” at character 5."]
    entry.refresh_from_db()
    assert entry.rumour_summary == ENTRY["rumour_summary"]
