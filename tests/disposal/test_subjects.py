"""Subjects created from the account page, and the measure suggested for a repeat offender."""

import pytest

from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent
from rumorcases.disposal import selectors
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole, PenaltyStatus
from rumorcases.disposal.models import Subject


def test_it_creates_a_subject(cast, db):
    subject = disposal.subject_create(name=" 张某 ", kind="organisation", by=cast.disposal)
    assert (subject.name, subject.kind) == ("张某", "organisation")
    assert AuditEvent.objects.filter(action="subject.created").count() == 1


@pytest.mark.parametrize("name, kind, field", [("", "person", "name"), ("x" * 201, "person", "name"),
                                               ("张某", "alien", "kind")])
def test_it_checks_a_new_subject(cast, db, name, kind, field):
    with pytest.raises(ApplicationError) as refused:
        disposal.subject_create(name=name, kind=kind, by=cast.disposal)
    assert field in refused.value.fields
    assert Subject.objects.count() == 0


def test_it_creates_and_links_both_or_neither(build, cast):
    account = build.disposing().reports.get().author
    with pytest.raises(ApplicationError):
        disposal.account_link_new_subject(account=account, name="张某", by=cast.auditor)
    with pytest.raises(ApplicationError):
        disposal.account_link_new_subject(account=account, name="", by=cast.disposal)
    assert Subject.objects.count() == 0
    disposal.account_link_new_subject(account=account, name="张某", by=cast.disposal)
    account.refresh_from_db()
    assert account.subject.name == "张某"


def _penalise(case, account, cast, provision, measure, days=None):
    penalty = disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR, measure=measure,
                                       duration_days=days, legal_provision=provision, reasoning="x", by=cast.disposal)
    if penalty.status == PenaltyStatus.PROPOSED:
        disposal.penalty_approve(penalty=penalty, by=cast.supervisor)
    return penalty


def test_it_suggests_one_step_past_the_heaviest_standing_penalty(build, cast, provision):
    first = build.disposing()
    account = first.reports.get().author
    _penalise(first, account, cast, provision, Measure.WARNING)
    _penalise(first, account, cast, provision, Measure.POSTING_BAN, days=10)
    revoked = _penalise(first, account, cast, provision, Measure.CLOSE_ACCOUNT)
    disposal.penalty_revoke(penalty=revoked, by=cast.supervisor, reason="认定有误")
    second = build.disposing()
    suggestion = selectors.penalty_suggestion(account, second)
    assert suggestion.measure == Measure.SUSPEND_UPDATES
    assert suggestion.duration_days == 20
    assert len(suggestion.prior) == 2  # the revoked closure does not count
    # in the case itself nothing counts as prior
    assert selectors.penalty_suggestion(account, first).measure == Measure.WARNING


def test_it_stops_at_the_heaviest_measure(build, cast, provision):
    first = build.disposing()
    account = first.reports.get().author
    _penalise(first, account, cast, provision, Measure.REFER_POLICE)
    assert selectors.penalty_suggestion(account, build.disposing()).measure == Measure.REFER_POLICE
