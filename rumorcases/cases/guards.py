"""Guard conditions of the case workflow.

Each is a side-effect-free function of the case that django-fsm evaluates; its
`message` is what staff are told when it does not hold. Each costs one query.
"""

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from rumorcases.cases.choices import RUMOUR_VERDICTS, Resolution, Verdict


def guard(message):
    def decorate(func):
        func.message = message
        return func

    return decorate


@guard(_("A finding with verdict false or misleading, backed by at least one evidence item, is needed."))
def has_rumour_finding_with_evidence(case) -> bool:
    return case.findings.filter(verdict__in=RUMOUR_VERDICTS, evidence__isnull=False).exists()


@guard(_("A finding with verdict true is needed to clear the case."))
def has_true_finding(case) -> bool:
    return case.findings.filter(verdict=Verdict.TRUE).exists()


@guard(_("A debunk notice approved by someone other than its author is needed."))
def has_notice_approved_by_another(case) -> bool:
    from rumorcases.notices.choices import NoticeStatus

    return (
        case.notices.filter(status=NoticeStatus.APPROVED, approved_by__isnull=False)
        .exclude(approved_by=F("created_by"))
        .exists()
    )


@guard(_("Every penalty must be decided (none proposed or under appeal)."))
def all_penalties_decided(case) -> bool:
    from rumorcases.disposal.choices import PenaltyStatus

    return not case.penalties.filter(status__in=[PenaltyStatus.PROPOSED, PenaltyStatus.APPEALED]).exists()


@guard(_("Every platform order must be closed: executed, or waived with a reason."))
def all_orders_closed(case) -> bool:
    from rumorcases.disposal.choices import ORDER_CLOSED_STATES

    return not case.orders.exclude(status__in=ORDER_CLOSED_STATES).exists()


@guard(_("The case must be in an exposure bulletin published since it began waiting for exposure."))
def in_published_bulletin(case) -> bool:
    from rumorcases.bulletins.choices import BulletinStatus

    # A bulletin from before a reopen exposed the case as it was then, not as it is now.
    return case.bulletin_entries.filter(bulletin__status=BulletinStatus.PUBLISHED,
                                        bulletin__published_at__gte=case.stage_started_at).exists()


@guard(_("A case closed as a duplicate cannot be reopened; reopen the case it was merged into."))
def not_a_duplicate(case) -> bool:
    return case.resolution != Resolution.DUPLICATE
