"""The hash-chained audit trail: services link events up, and `audit_verify` finds any tampering."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.models import Case, CaseTransition
from rumorcases.core.audit import GENESIS_HASH, audit_record
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditChainHead, AuditEvent
from rumorcases.platforms.models import Platform
from tests.conftest import report_input


def run_audit_verify(*args):
    """(ok, stdout, stderr) of `manage.py audit_verify`."""
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except CommandError:
        return False, out.getvalue(), err.getvalue()
    return True, out.getvalue(), err.getvalue()


def raw_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def trail(build):
    """A few events written by real services: case opened, report received, verification started, comment."""
    case = build.verifying()
    case_services.case_comment_add(case=case, body="先查气象局记录", by=build.c.verifier)
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 4
    return events


def test_it_links_every_event_written_by_the_services(trail):
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    assert trail[0].prev_hash == GENESIS_HASH
    for before, after in zip(trail, trail[1:], strict=False):
        assert after.prev_hash == before.hash
    for event in trail:
        assert event.hash == event.compute_hash()
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (trail[-1].seq, trail[-1].hash)
    actions = [e.action for e in trail]
    assert actions[:3] == ["case.opened", "report.received", "case.start_verification"]
    assert trail[2].actor.username == "alice"
    assert trail[0].actor is None and trail[0].actor_label == "system"


def test_it_verifies_an_intact_trail(trail):
    ok, out, err = run_audit_verify()
    assert ok
    assert f"{len(trail)} events" in out
    assert err == ""


def test_it_refuses_updates_and_deletes_through_the_orm(trail):
    event = trail[1]
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="forged")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(seq=event.seq).update(action="forged")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(seq=event.seq).delete()
    event.action = "forged"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    assert AuditEvent.objects.count() == len(trail)
    assert AuditEvent.objects.get(seq=event.seq).action == "report.received"
    assert run_audit_verify()[0]


def test_it_reports_an_event_whose_data_was_edited(trail):
    raw_sql("UPDATE core_auditevent SET data = '{\"forged\": true}' WHERE seq = %s", [2])
    ok, _out, err = run_audit_verify()
    assert not ok
    assert "BROKEN at #2:" in err
    assert "altered" in err
    # Only the first problem unless --all is asked for.
    assert err.count("BROKEN") == 1


def test_it_reports_an_event_whose_action_was_edited(trail):
    raw_sql("UPDATE core_auditevent SET action = 'case.dismiss' WHERE seq = %s", [3])
    ok, _out, err = run_audit_verify()
    assert not ok
    assert "BROKEN at #3:" in err


def test_it_reports_an_edited_event_even_when_its_hash_was_recomputed(trail):
    event = AuditEvent.objects.get(seq=2)
    event.data = {"forged": True}
    forged_hash = event.compute_hash()
    raw_sql("UPDATE core_auditevent SET data = '{\"forged\": true}', hash = %s WHERE seq = %s", [forged_hash, 2])
    ok, _out, err = run_audit_verify()
    assert not ok
    # The event itself now checks out; the next one no longer links to it.
    assert "BROKEN at #3:" in err
    assert "does not link" in err


def test_it_reports_a_missing_middle_event(trail):
    raw_sql("DELETE FROM core_auditevent WHERE seq = %s", [2])
    ok, _out, err = run_audit_verify()
    assert not ok
    assert "BROKEN at #2:" in err
    assert "missing" in err


def test_it_reports_events_removed_from_the_end(trail):
    last = trail[-1].seq
    raw_sql("DELETE FROM core_auditevent WHERE seq >= %s", [last - 1])
    ok, _out, err = run_audit_verify()
    assert not ok
    assert f"BROKEN at #{last}:" in err
    assert "removed from the end" in err


def test_it_reports_the_last_event_removed(trail):
    last = trail[-1].seq
    raw_sql("DELETE FROM core_auditevent WHERE seq = %s", [last])
    ok, _out, err = run_audit_verify()
    assert not ok
    assert f"BROKEN at #{last}:" in err


def test_it_reports_two_events_swapped(trail):
    raw_sql("UPDATE core_auditevent SET seq = %s WHERE seq = %s", [999999, 2])
    raw_sql("UPDATE core_auditevent SET seq = %s WHERE seq = %s", [2, 3])
    raw_sql("UPDATE core_auditevent SET seq = %s WHERE seq = %s", [3, 999999])
    ok, _out, err = run_audit_verify()
    assert not ok
    assert "BROKEN at #2:" in err
    assert err.count("BROKEN") == 1


def test_it_lists_every_problem_with_all(trail):
    raw_sql("UPDATE core_auditevent SET data = '{\"forged\": 1}' WHERE seq = %s", [2])
    raw_sql("DELETE FROM core_auditevent WHERE seq = %s", [trail[-1].seq])
    ok, _out, err = run_audit_verify("--all")
    assert not ok
    assert "BROKEN at #2:" in err
    assert f"BROKEN at #{trail[-1].seq}:" in err


def test_it_keeps_the_chain_intact_after_more_writes(trail, build):
    build.verifying()
    ok, out, _err = run_audit_verify()
    assert ok
    assert f"{AuditEvent.objects.count()} events" in out


# Not serialized_rollback: after another transactional test's flush has re-created content types
# and permissions, restoring the serialized database fails on duplicates.
@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction():
    platform = Platform.objects.create(slug="douyin", name="抖音")
    heads_before = list(AuditChainHead.objects.values_list("last_seq", "last_hash"))
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=None, action="platform.created", obj=platform)
    assert AuditEvent.objects.count() == 0
    assert list(AuditChainHead.objects.values_list("last_seq", "last_hash")) == heads_before
    assert heads_before in ([], [(0, GENESIS_HASH)])


def test_it_writes_no_event_when_a_service_refuses(build, cast, platform):
    case = build.verifying()
    before = list(AuditEvent.objects.values_list("seq", "hash"))
    transitions = CaseTransition.objects.count()
    refusals = [
        # guard: no rumour finding yet
        lambda: workflow.case_confirm_rumour(case=case, by=cast.verifier),
        # role: an intake officer may not confirm
        lambda: workflow.case_confirm_rumour(case=case, by=cast.intake),
        # state: nothing to publish in verification
        lambda: workflow.case_publish_debunk(case=case, by=cast.publisher),
        # reason required
        lambda: workflow.case_close_unverifiable(case=case, by=cast.supervisor, reason="  "),
        # no role at all
        lambda: case_services.case_comment_add(case=case, body="x", by=cast.nobody),
        # same external_id, other content: conflict
        lambda: case_services.report_ingest(platform=platform, data=report_input(external_id="b-1", content="另一条")),
        # invalid report
        lambda: case_services.report_ingest(platform=platform, data=report_input(external_id="", content="")),
    ]
    for call in refusals:
        with pytest.raises(ApplicationError):
            call()
    assert list(AuditEvent.objects.values_list("seq", "hash")) == before
    assert CaseTransition.objects.count() == transitions
    case.refresh_from_db()
    assert case.status == "verifying"
    assert run_audit_verify()[0]


def test_it_rolls_the_event_back_with_a_service_that_fails_late(build, cast, monkeypatch):
    """The event is written in the transaction of the change: if the service fails after
    writing it, the event goes with the rest."""
    case = build.debunking()
    build.approved_notice(case)
    before = AuditEvent.objects.count()

    def broken_publish(**kwargs):
        raise ApplicationError("boom", "rendering failed")

    monkeypatch.setattr("rumorcases.notices.services.notice_publish", broken_publish)
    with pytest.raises(ApplicationError, match="rendering failed"):
        workflow.case_publish_debunk(case=case, by=cast.publisher)
    assert AuditEvent.objects.count() == before
    assert not AuditEvent.objects.filter(action="case.publish_debunk").exists()
    assert Case.objects.get(pk=case.pk).status == "debunking"
    assert not CaseTransition.objects.filter(case=case, name="publish_debunk").exists()
    assert run_audit_verify()[0]
