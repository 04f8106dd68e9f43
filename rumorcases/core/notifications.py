"""One function per kind of message: whom it goes to is the caller's business, what it says and
how it travels is decided here.

Each message is rendered from `templates/notifications/<kind>_subject.txt` and `<kind>.txt` in
each recipient's own language (`operations.NotificationPreference.language`, else the office's
default, zh-hans), stored in-app through `core.services.notification_send` (deduplicated by a
source key, so a re-run never notifies twice) and, for the recipients who chose that kind by
e-mail and have an address, sent with Django's mail backend once the transaction commits.
"""

import logging
from collections import defaultdict
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from rumorcases.core.models import Notification, NotificationKind
from rumorcases.core.services import notification_send

logger = logging.getLogger(__name__)

# Kinds sent through this module; `core.models.NotificationKind` holds the older ones.
CASE_TRANSITION = NotificationKind.CASE_TRANSITION.value
CASE_OVERDUE = "case_overdue"
ORDER_OVERDUE = "order_overdue"
CONSULTATION_DUE = "consultation_due"

# The kinds a user may also receive by e-mail (the preferences page), in the order shown.
EMAIL_KINDS = {
    CASE_TRANSITION: _("A case I work on moved on"),
    CASE_OVERDUE: _("A case missed its stage deadline (escalations)"),
    ORDER_OVERDUE: _("A platform order is overdue (escalations)"),
    CONSULTATION_DUE: _("A consultation is past its due date"),
}


def _absolute(url: str) -> str:
    return f"{settings.EMAIL_LINK_BASE_URL}{url}" if url else ""


def _preferences(users) -> dict:
    from rumorcases.operations.models import NotificationPreference

    return {p.user_id: p for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users])}


def _send_emails(messages: list[tuple[str, str, str]]) -> None:
    for subject, body, address in messages:
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # one unreachable relay or bad address must not lose the others
            logger.exception("notification e-mail to %s failed", address)


def deliver(*, kind: str, recipients, context: dict, url: str = "", case_reference: str = "",
            source_key: str) -> list[Notification]:
    """Render `kind` for each recipient's language, store it in-app, e-mail it to those who
    chose to get `kind` by e-mail (after the commit). Returns the new notifications.

    Two queries for the preferences and the duplicates, one insert per language.
    """
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not users:
        return []
    preferences = _preferences(users.values())
    by_language = defaultdict(list)
    for user in users.values():
        preference = preferences.get(user.pk)
        by_language[preference.language if preference else settings.LANGUAGE_CODE].append(user)
    context = {**context, "link": _absolute(url)}
    created, emails = [], []
    for language, group in sorted(by_language.items()):
        with translation.override(language):
            subject = " ".join(render_to_string(f"notifications/{kind}_subject.txt", context).split())
            body = render_to_string(f"notifications/{kind}.txt", context).strip()
        rows = notification_send(recipients=group, kind=kind, title=subject, body=body, url=url,
                                 case_reference=case_reference, source_key=source_key)
        created.extend(rows)
        for row in rows:
            preference = preferences.get(row.recipient_id)
            if preference and kind in preference.email_kinds and row.recipient.email:
                emails.append((subject, body, row.recipient.email))
    if emails:
        # robust: the in-app notifications are committed whatever the mail relay does.
        transaction.on_commit(partial(_send_emails, emails), robust=True)
    return created


def transition_notice(*, transition, recipients) -> list[Notification]:
    """A case moved to a new stage: tell whoever acts next. Keyed by the transition."""
    from rumorcases.cases.choices import CaseStatus

    case = transition.case
    return deliver(
        kind=CASE_TRANSITION, recipients=recipients, url=case.get_absolute_url(), case_reference=case.reference,
        source_key=f"case-transition:{transition.pk}",
        context={"case": case, "transition": transition, "source": CaseStatus(transition.source).label,
                 "target": CaseStatus(transition.target).label},
    )


def case_overdue(*, escalation, recipients) -> list[Notification]:
    """A case is past its stage deadline (escalation level 1, 2 or 3). Keyed by the escalation."""
    from rumorcases.cases.choices import CaseStatus

    case = escalation.case
    return deliver(
        kind=CASE_OVERDUE, recipients=recipients, url=case.get_absolute_url(), case_reference=case.reference,
        source_key=f"escalation:{escalation.pk}",
        context={"case": case, "escalation": escalation, "stage": CaseStatus(escalation.stage).label,
                 "priority": case.get_priority_display()},
    )


def order_overdue(*, escalation, recipients) -> list[Notification]:
    """A platform order is past its due time (escalation level 1, 2 or 3). Keyed by the escalation."""
    order = escalation.order
    return deliver(
        kind=ORDER_OVERDUE, recipients=recipients, url=order.case.get_absolute_url(),
        case_reference=order.case.reference, source_key=f"escalation:{escalation.pk}",
        context={"order": order, "case": order.case, "platform": order.platform, "escalation": escalation},
    )


def consultation_due(*, escalation, recipients) -> list[Notification]:
    """A question to an authority is past its due date without an answer. Keyed by the escalation."""
    consultation = escalation.consultation
    case = consultation.case
    return deliver(
        kind=CONSULTATION_DUE, recipients=recipients, url=case.get_absolute_url(), case_reference=case.reference,
        source_key=f"escalation:{escalation.pk}",
        context={"consultation": consultation, "case": case, "escalation": escalation},
    )
