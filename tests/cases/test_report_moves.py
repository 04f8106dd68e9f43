"""Staff move a report to another case or split it into a new one; `rematch` runs matching again.

Every move is audited on both cases; a refusal changes nothing; staff decisions survive `rematch`.
"""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from rumorcases.cases import services, workflow
from rumorcases.cases.choices import CaseStatus, Category, Priority
from rumorcases.cases.models import Case, Report
from rumorcases.core.audit import audit_chain_problems
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent
from tests.conftest import report_input

RUMOUR = "网传某小区自来水被污染，喝了会中毒"


def ingest(platform, external_id, content, **extra):
    return services.report_ingest(platform=platform, data=report_input(external_id=external_id, content=content,
                                                                        **extra))


def state(report):
    report.refresh_from_db()
    return report.case_id, report.match_reason, report.match_score


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def two_cases(platform):
    first = ingest(platform, "m-1", "网传某地地铁停运一周").report
    second = ingest(platform, "m-2", "网传某医院拒收发热病人").report
    assert first.case_id != second.case_id
    return first, second


# --- report_move -------------------------------------------------------------------------------


def test_it_moves_a_report_and_audits_it_on_both_cases(cast, two_cases):
    report, other = two_cases
    source, target = report.case, other.case

    moved = services.report_move(report=report, target_case=target, by=cast.intake, reason="同一谣言的不同说法")

    assert moved.case == target
    assert state(report) == (target.pk, "moved_by_staff", None)
    recorded = events("report.moved")
    assert [e.case_reference for e in recorded] == [source.reference, target.reference]
    for event in recorded:
        assert event.actor == cast.intake
        assert event.object_id == str(report.pk)
        assert event.data["from_case"] == source.reference
        assert event.data["to_case"] == target.reference
        assert event.data["reason"] == "同一谣言的不同说法"
    # The emptied case stays open for staff to dismiss or merge.
    source.refresh_from_db()
    assert source.status == CaseStatus.DISCOVERED and not source.reports.exists()
    assert list(audit_chain_problems()) == []


@pytest.mark.parametrize("problem", ["no_reason", "no_role", "same_case", "closed_target", "closed_source"])
def test_it_refuses_a_move_and_changes_nothing(cast, two_cases, problem):
    report, other = two_cases
    target = other.case
    kwargs = {"report": report, "target_case": target, "by": cast.intake, "reason": "理由"}
    if problem == "no_reason":
        kwargs["reason"] = "  "
    elif problem == "no_role":
        kwargs["by"] = cast.editor
    elif problem == "same_case":
        kwargs["target_case"] = report.case
    elif problem == "closed_target":
        workflow.case_dismiss(case=target, by=cast.supervisor, reason="不属于谣言")
    elif problem == "closed_source":
        workflow.case_dismiss(case=report.case, by=cast.supervisor, reason="不属于谣言")
    before = state(report)
    audit_count = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as refused:
        services.report_move(**kwargs)

    expected = {"no_reason": "reason_required", "no_role": "not_your_role"}.get(problem, "invalid")
    assert refused.value.code == expected
    assert state(report) == before
    assert AuditEvent.objects.count() == audit_count


# --- report_split ------------------------------------------------------------------------------


def test_it_splits_a_report_into_a_new_case(cast, platform):
    first = ingest(platform, "s-1", "网传某地地铁停运一周", url="https://weibo.example/shared").report
    second = ingest(platform, "s-2", "网传某地地铁票价上涨三倍", url="https://weibo.example/shared",
                    views=6000).report
    source = first.case
    assert second.case_id == source.pk  # joined on the URL alone

    new_case = services.report_split(report=second, by=cast.verifier, reason="另一条谣言")

    assert new_case.pk != source.pk
    assert new_case.status == CaseStatus.DISCOVERED
    assert new_case.title == "网传某地地铁票价上涨三倍"
    assert new_case.claim == "网传某地地铁票价上涨三倍"
    assert new_case.priority == Priority.P1  # the report spread past the legal threshold
    assert new_case.created_by == cast.verifier
    assert state(second) == (new_case.pk, "moved_by_staff", None)
    assert state(first)[0] == source.pk
    assert [e.case_reference for e in events("report.split")] == [source.reference, new_case.reference]
    assert events("case.opened")[-1].case_reference == new_case.reference
    assert list(audit_chain_problems()) == []


def test_a_split_takes_the_title_given(cast, two_cases):
    report, _ = two_cases
    new_case = services.report_split(report=report, by=cast.supervisor, reason="另案处理", title="  新标题 ")
    assert new_case.title == "新标题"
    assert new_case.category == Category.RUMOUR


@pytest.mark.parametrize("problem", ["no_reason", "no_role", "closed_source"])
def test_it_refuses_a_split_and_changes_nothing(cast, two_cases, problem):
    report, _ = two_cases
    kwargs = {"report": report, "by": cast.intake, "reason": "理由"}
    if problem == "no_reason":
        kwargs["reason"] = ""
    elif problem == "no_role":
        kwargs["by"] = cast.nobody
    else:
        workflow.case_dismiss(case=report.case, by=cast.supervisor, reason="不属于谣言")
    before, cases, audit_count = state(report), Case.objects.count(), AuditEvent.objects.count()

    with pytest.raises(ApplicationError):
        services.report_split(**kwargs)

    assert state(report) == before
    assert (Case.objects.count(), AuditEvent.objects.count()) == (cases, audit_count)


# --- rematch -----------------------------------------------------------------------------------


def case_with_report(platform, external_id, content, *, title):
    """A case opened by hand with one report, as if matching had missed the others."""
    from django.db import transaction

    with transaction.atomic():
        case = services._case_create(title=title, claim=content, category=Category.RUMOUR, priority=Priority.P3,
                                     by=None)
    report = Report.objects.create(
        platform=platform, external_id=external_id, case=case, content=content,
        content_hash=services.matching.content_hash(content), url=f"https://weibo.example/{external_id}",
        posted_at=report_input().posted_at, match_reason="new_case",
    )
    return case, report


def rematch(*args):
    out = StringIO()
    call_command("rematch", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def missed(platform):
    """Two cases carrying the same text (the older one first), and an unrelated third."""
    older, early = case_with_report(platform, "r-1", RUMOUR, title="旧案")
    newer, late = case_with_report(platform, "r-2", RUMOUR.replace("，", ", ") + "！", title="新案")
    _, unrelated = case_with_report(platform, "r-3", "网传某景区门票全免", title="无关")
    return older, newer, early, late, unrelated


def test_rematch_joins_reports_of_the_same_text_and_a_second_run_moves_nothing(missed):
    older, newer, early, late, unrelated = missed

    output = rematch()

    # Matching takes the most recently opened case carrying the text.
    assert state(early) == (newer.pk, "exact_text", 1.0)
    assert state(late)[0] == newer.pk
    assert state(unrelated)[1] == "new_case"
    assert "examined 3, moved 1, unchanged 2" in output
    [*recorded] = events("report.rematched")
    assert [e.case_reference for e in recorded] == [older.reference, newer.reference]
    assert all(e.actor is None and e.actor_label == "system" for e in recorded)
    assert recorded[0].data["was"] == "new_case"

    assert "moved 0" in rematch()
    assert len(events("report.rematched")) == 2
    assert list(audit_chain_problems()) == []


def test_rematch_dry_run_moves_nothing(missed):
    older, newer, early, *_ = missed
    before = state(early)

    output = rematch("--dry-run")

    # Nothing moves, so each report is judged against today's cases: more may show than a run moves.
    assert f"(r-1): {older.reference} → {newer.reference}" in output
    assert state(early) == before
    assert not events("report.rematched")


def test_rematch_leaves_reports_staff_placed(cast, missed):
    older, newer, early, late, _ = missed
    services.report_move(report=late, target_case=older, by=cast.intake, reason="人工判断")
    late.refresh_from_db()
    services.report_move(report=late, target_case=newer, by=cast.intake, reason="改回")
    services.report_split(report=early, by=cast.intake, reason="另案")

    assert "moved 0" in rematch()
    assert state(late)[:2] == (newer.pk, "moved_by_staff")


def test_rematch_can_be_limited_to_a_case_or_a_date(missed):
    older, newer, early, late, _ = missed

    assert "examined 0" in rematch("--since", "2999-01-01")
    # The only other report carrying its text is in the older case.
    assert "examined 1, moved 1" in rematch("--case", newer.reference)
    assert state(late)[0] == older.pk
    assert state(early)[0] == older.pk
    assert "moved 0" in rematch()


def test_a_stale_report_is_not_moved(cast, two_cases):
    report, other = two_cases
    stale = Report.objects.get(pk=report.pk)
    services.report_split(report=report, by=cast.intake, reason="另案")
    with pytest.raises(ApplicationError) as refused:
        services.report_move(report=stale, target_case=other.case, by=cast.intake, reason="理由")
    assert refused.value.code == "changed_meanwhile"


# --- the admin ---------------------------------------------------------------------------------


def test_staff_move_and_split_reports_from_the_report_page(client, cast, two_cases):
    report, other = two_cases
    cast.intake.is_staff = True
    cast.intake.save(update_fields=["is_staff"])
    client.force_login(cast.intake)
    page = client.get(reverse("admin:cases_report_change", args=[report.pk]))
    assert page.status_code == 200
    assert reverse("admin:cases_report_relocate", args=[report.pk, "move"]) in page.content.decode()
    move = reverse("admin:cases_report_relocate", args=[report.pk, "move"])
    assert client.get(move).status_code == 200

    refused = client.post(move, {"target": report.case.reference, "reason": "理由"}, follow=True)
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert state(report)[0] == report.case_id
    client.post(move, {"target": other.case.reference, "reason": "理由"})
    assert state(report)[:2] == (other.case_id, "moved_by_staff")

    split = reverse("admin:cases_report_relocate", args=[report.pk, "split"])
    client.post(split, {"title": "", "reason": "另案"})
    report.refresh_from_db()
    assert report.case_id != other.case_id
    assert report.case.title == "网传某地地铁停运一周"


def test_the_report_list_shows_why_a_report_joined_its_case(client, cast, two_cases):
    cast.auditor.is_staff = True
    cast.auditor.save(update_fields=["is_staff"])
    client.force_login(cast.auditor)
    page = client.get(reverse("admin:cases_report_changelist")).content.decode()
    assert "new_case" in page and two_cases[0].case.reference in page


# --- two first reports of one new rumour at once, on PostgreSQL --------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises all writers")
def test_two_first_reports_of_a_new_rumour_at_once_open_one_case(platform):
    people = 4
    barrier = threading.Barrier(people)
    outcomes = [None] * people

    def submit(index):
        try:
            data = report_input(external_id=f"c-{index}", content=RUMOUR + "！" * index)
            barrier.wait(timeout=30)
            outcomes[index] = services.report_ingest(platform=platform, data=data).case.pk
        except Exception as error:
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert Case.objects.count() == 1
    assert list(audit_chain_problems()) == []
