"""Several people pressing buttons on the same case at the same moment, on PostgreSQL.

Each press runs in its own thread with its own connection and transaction, as gunicorn
workers would, and all are released together: exactly one transition happens, the others
are told the case changed meanwhile, nobody gets a server error or a deadlock, and the
records, the audit chain and the notifications show one transition, never two. SQLite
serialises writers on the whole file, so these tests mean something only on PostgreSQL.
"""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from rumorcases.bulletins import services as bulletins
from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin
from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus, Priority, Resolution
from rumorcases.cases.deadlines import DEFAULT_HOURS
from rumorcases.cases.models import Case, CaseTransition
from rumorcases.core import roles
from rumorcases.core.audit import audit_chain_problems
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent, Notification
from rumorcases.notices.choices import NoticeStatus
from tests.conftest import make_user, report_input

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises all writers"),
]

PEOPLE = 6
ROUNDS = 3  # each round is a fresh case: more chances for the threads to interleave differently


@pytest.fixture(autouse=True)
def _evidence_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def race(*presses):
    """Run every press in its own thread and connection, released together by a barrier.

    A press is a function that loads its own fresh copies (before the barrier) and returns
    the action to run (after it). Returns each action's outcome: "done", the code of the
    ApplicationError it raised, or the repr of anything else (a server error).
    """
    barrier = threading.Barrier(len(presses))
    outcomes = [None] * len(presses)

    def run(index, press):
        try:
            action = press()
            barrier.wait(timeout=30)
            try:
                action()
                outcomes[index] = "done"
            except ApplicationError as error:
                outcomes[index] = error.code
        except Exception as error:
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, press)) for i, press in enumerate(presses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a press never finished"
    return outcomes


def pressing(name, case, person, **extra):
    def load():
        mine = Case.objects.get(pk=case.pk)
        me = get_user_model().objects.get(pk=person.pk)
        return lambda: workflow.TRANSITION_SERVICES[name](case=mine, by=me, reason="同时处理", **extra)

    return load


def people_with(role, prefix):
    return [make_user(f"{prefix}{n}", role) for n in range(PEOPLE)]


def assert_one_winner(case, outcomes, *names):
    assert sorted(outcomes) == ["changed_meanwhile"] * (len(outcomes) - 1) + ["done"], outcomes
    assert CaseTransition.objects.filter(case=case, name__in=names).count() == 1
    assert AuditEvent.objects.filter(case_reference=case.reference,
                                     action__in=[f"case.{name}" for name in names]).count() == 1
    assert list(audit_chain_problems()) == []


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_only_one_of_several_starts_verification(build, round_):
    case = build.discovered()
    verifiers = people_with(roles.VERIFIER, "verifier-")

    outcomes = race(*[pressing("start_verification", case, person) for person in verifiers])

    assert_one_winner(case, outcomes, "start_verification")
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFYING
    winner = CaseTransition.objects.get(case=case).actor
    # Whoever must act next was told once, by the one transition that happened.
    told = dict(Notification.objects.filter(case_reference=case.reference).values_list("recipient__username")
                .annotate(n=Count("id")))
    assert told == {user.username: 1 for user in [*verifiers, build.c.verifier] if user != winner}


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_only_one_of_several_confirms_the_rumour(build, round_):
    case = build.verifying()
    build.add_rumour_finding(case)

    outcomes = race(*[pressing("confirm_rumour", case, person) for person in people_with(roles.VERIFIER, "v-")])

    assert_one_winner(case, outcomes, "confirm_rumour")
    case.refresh_from_db()
    assert case.status == CaseStatus.DEBUNKING


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_only_one_of_several_publishes_the_debunk(build, round_):
    # The winner publishes the notice, so it is no longer "approved": whoever checks the guard
    # after that must still hear "changed meanwhile", not "a notice must be approved".
    case = build.debunking()
    notice = build.approved_notice(case)

    outcomes = race(*[pressing("publish_debunk", case, person) for person in people_with(roles.PUBLISHER, "p-")])

    assert_one_winner(case, outcomes, "publish_debunk")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert AuditEvent.objects.filter(case_reference=case.reference, action="notice.published").count() == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_only_one_of_several_ways_out_of_a_state_wins(build, round_):
    case = build.discovered()
    target = build.discovered(content=f"另一条传言第{round_}号：某水库即将决堤")
    supervisors = people_with(roles.SUPERVISOR, "s-")
    ways = [("start_verification", {}), ("dismiss", {}), ("merge_into", {"target": target})]

    outcomes = race(*[pressing(*ways[i % 3][:1], case, person, **ways[i % 3][1])
                      for i, person in enumerate(supervisors)])

    assert_one_winner(case, outcomes, "start_verification", "dismiss", "merge_into")
    case.refresh_from_db()
    won = CaseTransition.objects.get(case=case).name
    assert (case.status, case.resolution) == {
        "start_verification": (CaseStatus.VERIFYING, ""),
        "dismiss": (CaseStatus.CLOSED, Resolution.OUT_OF_SCOPE),
        "merge_into": (CaseStatus.CLOSED, Resolution.DUPLICATE),
    }[won]
    assert case.reports.exists() is (won != "merge_into")


@pytest.mark.parametrize("round_", range(5))
def test_publishing_a_bulletin_while_its_case_is_closed_otherwise(build, round_):
    # The bulletin locks the chain head (its audit event) and then each case; closing a case
    # locks the case and then the chain head. Taken in opposite orders, those two deadlocked.
    case = build.exposing()
    today = timezone.localdate()
    bulletin = bulletins.bulletin_create(by=build.c.publisher, title="曝光台", period_start=today, period_end=today)
    bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=build.c.publisher, headline="h",
                                 rumour_summary="r", finding_summary="f")
    bulletins.bulletin_submit(bulletin=bulletin, by=build.c.publisher)

    def publish():
        mine = Bulletin.objects.get(pk=bulletin.pk)
        me = get_user_model().objects.get(pk=build.c.publisher2.pk)
        return lambda: bulletins.bulletin_publish(bulletin=mine, by=me)

    outcomes = race(publish, pressing("close_without_exposure", case, build.c.supervisor))

    assert_one_winner(case, outcomes, "mark_exposed", "close_without_exposure")
    case.refresh_from_db()
    bulletin.refresh_from_db()
    if outcomes[0] == "done":
        assert (case.resolution, bulletin.status) == (Resolution.EXPOSED, BulletinStatus.PUBLISHED)
    else:
        assert (case.resolution, bulletin.status) == (Resolution.DISPOSED_NOT_EXPOSED, BulletinStatus.IN_REVIEW)
        assert bulletin.issue_number is None


@pytest.mark.parametrize("round_", range(5))
def test_a_report_past_the_threshold_arriving_during_a_transition(build, round_):
    # Both must go through: the report joins the case and makes it P1, the transition moves
    # it, and the new stage's deadline is the P1 one whichever committed first.
    case = build.verifying()
    build.add_rumour_finding(case)
    data = report_input(external_id=f"viral-{round_}", url=f"https://weibo.example/viral-{round_}",
                        content=case.reports.get().content, views=50_000)

    def ingest():
        return lambda: case_services.report_ingest(platform=build.platform, data=data)

    outcomes = race(ingest, pressing("confirm_rumour", case, build.c.verifier))

    assert outcomes == ["done", "done"]
    case.refresh_from_db()
    assert (case.status, case.priority) == (CaseStatus.DEBUNKING, Priority.P1)
    assert case.reports.filter(external_id=f"viral-{round_}").exists()
    assert case.stage_deadline == case.stage_started_at + timedelta(hours=DEFAULT_HOURS[CaseStatus.DEBUNKING]["P1"])
    assert list(audit_chain_problems()) == []


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_several_stale_copies_of_different_cases_lose_at_the_same_time(build, round_):
    # Every loser reloads its copy. django-fsm reloads a protected state field by switching the
    # field's protection off for a moment, and the field is shared by every case in the process.
    cases = [build.discovered(content=f"第{round_}轮第{n}条传言：某地停水停电") for n in range(PEOPLE)]
    stale = [Case.objects.get(pk=case.pk) for case in cases]
    for case in cases:
        workflow.case_start_verification(case=case, by=build.c.intake)

    def pressing_stale(copy):
        def load():
            me = get_user_model().objects.get(pk=build.c.verifier.pk)
            return lambda: workflow.case_start_verification(case=copy, by=me)

        return load

    outcomes = race(*[pressing_stale(copy) for copy in stale])

    assert outcomes == ["changed_meanwhile"] * PEOPLE
    assert CaseTransition.objects.filter(case__in=cases).count() == PEOPLE
