"""Account and subject pages: search, an account's cases and penalties, linking accounts to the
subject behind them across platforms."""

import re

import pytest
from django.urls import reverse

from rumorcases.core.models import AuditEvent
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole, SubjectKind
from rumorcases.disposal.models import Account, Subject
from rumorcases.platforms.models import Platform


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def douyin(db):
    return Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)


@pytest.fixture
def case(build):
    return build.disposing()


@pytest.fixture
def account(case):
    return case.reports.get().author


def url(name, *args):
    return reverse(f"staff:{name}", args=args)


def state():
    return (Subject.objects.count(), AuditEvent.objects.count(),
            list(Account.objects.order_by("pk").values_list("subject_id", flat=True)))


# --- the list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "intake", "disposal"])
def test_it_lists_accounts_to_every_role(client, cast, account, who):
    client.force_login(getattr(cast, who))
    response = client.get(url("account_list"))
    assert response.status_code == 200
    assert f"@{account.handle}" in response.content.decode()


def test_it_refuses_people_without_a_role(client, cast, db):
    client.force_login(cast.nobody)
    assert client.get(url("account_list")).status_code == 403


def test_it_searches_by_handle_account_id_and_platform(client, cast, platform, douyin, db):
    Account.objects.create(platform=platform, platform_account_id="wb-100", handle="rumour_king", display_name="谣王")
    Account.objects.create(platform=douyin, platform_account_id="dy-200", handle="rumour_queen")
    Account.objects.create(platform=douyin, platform_account_id="dy-300", handle="bystander")
    client.force_login(cast.auditor)

    def found(**query):
        body = client.get(url("account_list"), query).content.decode()
        return {h for h in ("rumour_king", "rumour_queen", "bystander") if f"@{h}" in body}

    assert found(q="rumour") == {"rumour_king", "rumour_queen"}
    assert found(q="@rumour_k") == {"rumour_king"}
    assert found(q="dy-300") == {"bystander"}
    assert found(q="谣王") == {"rumour_king"}
    assert found(platform="douyin") == {"rumour_queen", "bystander"}
    assert found(q="rumour", platform="douyin") == {"rumour_queen"}


def test_it_pages_with_flat_queries(client, cast, platform, django_assert_max_num_queries, db):
    def make(start, count):
        Account.objects.bulk_create([Account(platform=platform, platform_account_id=f"n-{n}", handle=f"n{n:03d}")
                                     for n in range(start, start + count)])

    make(0, 5)
    client.force_login(cast.auditor)
    with django_assert_max_num_queries(20) as few:
        client.get(url("account_list"))
    make(5, 120)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("account_list"))
    body = response.content.decode()
    assert "Page 1 of 3" in body
    last = client.get(url("account_list"), {"page": 3}).content.decode()
    assert len(re.findall(r'href="/staff/accounts/\d+/"', last)) == 25


def test_it_escapes_handles_and_names_from_the_internet(client, cast, platform, db):
    hostile = Account.objects.create(platform=platform, platform_account_id="<i>id</i>",
                                     handle="<script>alert(1)</script>", display_name="<img src=x onerror=alert(2)>")
    client.force_login(cast.auditor)
    for page in (url("account_list"), url("account_detail", hostile.pk)):
        body = client.get(page).content.decode()
        assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<img src=x" not in body and "<i>id</i>" not in body


# --- an account --------------------------------------------------------------------------------


def test_it_shows_an_accounts_cases_and_penalties(client, cast, case, account, provision):
    disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR, measure=Measure.WARNING,
                             legal_provision=provision, reasoning="x", by=cast.disposal)
    client.force_login(cast.auditor)
    body = client.get(url("account_detail", account.pk)).content.decode()
    assert case.reference in body and case.title in body
    assert "Warning" in body and "新浪微博" in body
    assert url("subject_link", account.pk) not in body  # the auditor cannot link


def test_it_answers_404_for_an_unknown_account_or_subject(client, cast, db):
    client.force_login(cast.auditor)
    assert client.get(url("account_detail", 999)).status_code == 404
    assert client.get(url("subject_detail", 999)).status_code == 404


# --- linking to subjects -----------------------------------------------------------------------


def test_it_links_an_account_to_a_new_subject(client, cast, account):
    client.force_login(cast.disposal)
    assert url("subject_link", account.pk) in client.get(url("account_detail", account.pk)).content.decode()
    response = client.post(url("subject_link", account.pk), {"new_name": "张某", "new_kind": SubjectKind.PERSON})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.subject.name == "张某"
    assert AuditEvent.objects.filter(action__in=["subject.created", "account.subject_linked"]).count() == 2


def test_it_links_an_account_to_an_existing_subject_and_unlinks(client, cast, account):
    person = Subject.objects.create(name="李某")
    client.force_login(cast.disposal)
    response = client.post(url("subject_link", account.pk), {"subject": str(person.pk), "new_kind": "person"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.subject == person
    assert client.post(url("subject_unlink", account.pk)).status_code == 302
    account.refresh_from_db()
    assert account.subject is None


def test_it_needs_one_subject_not_both_nor_none(client, cast, account):
    person = Subject.objects.create(name="李某")
    client.force_login(cast.disposal)
    before = state()
    response = client.post(url("subject_link", account.pk), {"subject": "", "new_name": "", "new_kind": "person"})
    assert response.status_code == 200
    assert "Choose an existing subject or name a new one." in response.content.decode()
    response = client.post(url("subject_link", account.pk), {"subject": str(person.pk), "new_name": "<b>王某</b>",
                                                             "new_kind": "person"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "not both" in body and 'value="&lt;b&gt;王某&lt;/b&gt;"' in body
    assert state() == before


@pytest.mark.parametrize("who", ["auditor", "intake", "publisher"])
def test_it_refuses_linking_by_other_roles(client, cast, account, who):
    person = Subject.objects.create(name="李某")
    client.force_login(getattr(cast, who))
    before = state()
    assert client.post(url("subject_link", account.pk), {"new_name": "张某", "new_kind": "person"}).status_code == 403
    assert client.post(url("subject_link", account.pk), {"subject": str(person.pk),
                                                         "new_kind": "person"}).status_code == 403
    assert client.post(url("subject_unlink", account.pk)).status_code == 403
    assert state() == before


# --- a subject ---------------------------------------------------------------------------------


def test_it_shows_a_subjects_accounts_and_penalties_on_every_platform(client, cast, build, douyin, provision):
    first, second = build.disposing(), build.disposing()
    weibo_account = first.reports.get().author
    douyin_account = Account.objects.create(platform=douyin, platform_account_id="dy-1", handle="dy_person")
    person = Subject.objects.create(name="张某")
    for acc in (weibo_account, douyin_account):
        disposal.subject_link_account(account=acc, subject=person, by=cast.disposal)
    for case, acc in ((first, weibo_account), (second, douyin_account)):
        disposal.penalty_propose(case=case, account=acc, role=OffenderRole.ORIGINATOR, measure=Measure.WARNING,
                                 legal_provision=provision, reasoning="x", by=cast.disposal)
    client.force_login(cast.auditor)
    body = client.get(url("subject_detail", person.pk)).content.decode()
    assert f"@{weibo_account.handle}" in body and "@dy_person" in body
    assert "新浪微博" in body and "抖音" in body
    assert first.reference in body and second.reference in body
    assert "2 standing penalties across all platforms" in body
