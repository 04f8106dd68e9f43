"""Debunk notices: drafting, review (four-eyes), publication, withdrawal and correction."""

from django.conf import settings
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from rumorcases.cases.choices import RUMOUR_VERDICTS, CaseStatus
from rumorcases.cases.services import _clean_sources, _invalid, require_perm
from rumorcases.core import roles
from rumorcases.core.audit import audit_record
from rumorcases.core.exceptions import FOUR_EYES, INVALID, REASON_REQUIRED, ApplicationError
from rumorcases.core.fsm import fire, refusal
from rumorcases.core.models import NotificationKind
from rumorcases.core.privacy import PublicText, field_label, privacy_gate
from rumorcases.core.services import counter_next, notification_send
from rumorcases.documents.services import document_queue_for_notice
from rumorcases.notices.choices import NoticeStatus, ReviewDecision
from rumorcases.notices.models import DebunkNotice, NoticeCorrection, NoticeReview, NoticeVersion
from rumorcases.public.cache import public_pages_changed

CONTENT_FIELDS = ("title", "claim", "verdict", "body", "sources", "title_en", "body_en")
ACTIVE_STATES = [NoticeStatus.DRAFT, NoticeStatus.IN_REVIEW, NoticeStatus.APPROVED]


def _validated_content(content: dict) -> dict:
    unknown = set(content) - set(CONTENT_FIELDS)
    if unknown:
        raise _invalid({name: [_("Unknown field.")] for name in sorted(unknown)})
    errors = {}
    for name in ("title", "claim", "body"):
        if not str(content.get(name, "")).strip():
            errors[name] = [_("This field is required.")]
    if len(str(content.get("title", ""))) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if content.get("verdict") not in RUMOUR_VERDICTS:
        errors["verdict"] = [_("A debunk notice's verdict is false or misleading.")]
    if errors:
        raise _invalid(errors)
    cleaned = {name: str(content.get(name, "")).strip() for name in CONTENT_FIELDS if name != "sources"}
    cleaned["sources"] = _clean_sources(content.get("sources") or [])
    return cleaned


def _add_version(notice: DebunkNotice, content: dict, by) -> NoticeVersion:
    number = (notice.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = NoticeVersion(notice=notice, number=number, author=by, **content)
    version.content_sha256 = version.compute_sha256()
    version.save()
    notice.current_version = version
    notice.save(update_fields=["current_version"])
    return version


def notice_public_texts(content: dict) -> list[PublicText]:
    """The texts of a notice's content (a version's or a correction's) that the public reads,
    named as the content form's fields for the privacy gate."""
    texts = [PublicText(name, field_label(NoticeVersion, name), str(content.get(name) or ""))
             for name in CONTENT_FIELDS if name not in ("verdict", "sources")]
    for number, source in enumerate(content.get("sources") or [], start=1):
        for part in ("title", "url", "publisher"):
            texts.append(PublicText("sources", _("Sources, line %(n)s (%(part)s)") % {"n": number, "part": part},
                                    str(source.get(part) or "")))
    return texts


def _stored_texts(notice: DebunkNotice) -> list[PublicText]:
    """The public texts of the notice's current version as stored now: the caller's copy of the
    notice may predate an edit. One query."""
    current = DebunkNotice.objects.filter(pk=notice.pk).values("current_version")[:1]
    version = NoticeVersion.objects.get(pk=Subquery(current))
    return notice_public_texts({name: getattr(version, name) for name in CONTENT_FIELDS})


def _refuse_if_not(notice: DebunkNotice, transition: str, by) -> None:
    """State and role first, as `fire` would: the privacy gate answers only those who may act."""
    problem = refusal(notice, transition, by)
    if problem is not None:
        raise problem


def notice_authors(notice: DebunkNotice) -> set[int]:
    """Everyone who wrote any version: none of them may approve it. One query."""
    return {notice.created_by_id, *notice.versions.values_list("author_id", flat=True)}


@transaction.atomic
def notice_create(*, case, by, **content) -> DebunkNotice:
    """Start a draft for a case being debunked. One live notice per case at a time."""
    require_perm(by, "notices.draft_notice")
    if case.status != CaseStatus.DEBUNKING:
        raise ApplicationError(INVALID, _("Notices are drafted while the case is in the debunking stage."),
                               status_code=409)
    if case.notices.filter(status__in=ACTIVE_STATES).exists():
        raise ApplicationError(INVALID, _("This case already has a notice in progress."), status_code=409)
    cleaned = _validated_content(content)
    notice = DebunkNotice.objects.create(case=case, created_by=by)
    version = _add_version(notice, cleaned, by)
    audit_record(actor=by, action="notice.drafted", obj=notice, case_reference=case.reference,
                 data={"version": version.number, "sha256": version.content_sha256})
    return notice


@transaction.atomic
def notice_edit(*, notice: DebunkNotice, by, **content) -> NoticeVersion:
    """Save a new version of a draft (versions are never overwritten)."""
    require_perm(by, "notices.draft_notice")
    notice = DebunkNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != NoticeStatus.DRAFT:
        raise ApplicationError(INVALID, _("Only a draft can be edited; published notices are corrected."),
                               status_code=409)
    version = _add_version(notice, _validated_content(content), by)
    audit_record(actor=by, action="notice.edited", obj=notice, case_reference=notice.case.reference,
                 data={"version": version.number, "sha256": version.content_sha256})
    return version


@transaction.atomic
def notice_submit(*, notice: DebunkNotice, by) -> DebunkNotice:
    _refuse_if_not(notice, "submit", by)
    # Publication runs the privacy gate whatever happens here; running it now spares a round trip.
    privacy_gate(texts=_stored_texts(notice), cases=[notice.case],
                 advice=_("Edit the draft, then submit it again."))
    fire(notice, "submit", by=by, update_fields=["submitted_at"], checked=True)
    audit_record(actor=by, action="notice.submitted", obj=notice, case_reference=notice.case.reference,
                 data={"version": notice.current_version.number})
    from django.contrib.auth import get_user_model

    reviewers = get_user_model().objects.filter(groups__name=roles.REVIEWER, is_active=True).exclude(pk=by.pk)
    transaction.on_commit(lambda: notification_send(
        recipients=list(reviewers), kind=NotificationKind.REVIEW_REQUESTED,
        title=_("Debunk notice for %(ref)s awaits review") % {"ref": notice.case.reference},
        case_reference=notice.case.reference,
    ))
    return notice


@transaction.atomic
def notice_review(*, notice: DebunkNotice, by, decision: str, comments: str = "") -> NoticeReview:
    """Approve, or send back with comments. The approver can never be an author."""
    if decision not in ReviewDecision.values:
        raise _invalid({"decision": [_("Unknown decision.")]})
    if decision == ReviewDecision.RETURN and not comments.strip():
        raise ApplicationError(REASON_REQUIRED, _("Say what must change when sending a notice back."),
                               fields={"comments": [_("This field is required.")]})
    if decision == ReviewDecision.APPROVE and by is not None and by.pk in notice_authors(notice):
        raise ApplicationError(FOUR_EYES, _("You wrote this notice; someone else must approve it."),
                               status_code=403)
    version = notice.current_version
    if decision == ReviewDecision.APPROVE:
        _refuse_if_not(notice, "approve", by)
        privacy_gate(texts=_stored_texts(notice), cases=[notice.case],
                     advice=_("Send the notice back so that its editor can change the text."))
        fire(notice, "approve", by=by, update_fields=["approved_by", "approved_at"], checked=True, approver=by)
    else:
        fire(notice, "send_back", by=by, update_fields=["approved_by", "approved_at"])
    review = NoticeReview.objects.create(notice=notice, version=version, reviewer=by, decision=decision,
                                         comments=comments.strip())
    audit_record(actor=by, action=f"notice.review_{decision}", obj=notice, case_reference=notice.case.reference,
                 data={"version": version.number, "comments": comments.strip()})
    return review


def notice_publish(*, notice: DebunkNotice, by) -> DebunkNotice:
    """Publish an approved notice with the next document number. Called by `case_publish_debunk`,
    inside its transaction: a notice is never published apart from its case moving on."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notice_publish runs inside case_publish_debunk's transaction")
    if notice is None:
        raise ApplicationError(INVALID, _("There is no approved notice to publish."), status_code=409)
    if notice.approved_by_id is None or notice.approved_by_id in notice_authors(notice):
        raise ApplicationError(FOUR_EYES, _("The notice must be approved by someone other than its author."),
                               status_code=403)
    _refuse_if_not(notice, "publish", by)
    # No flag and no role skips this: what is published is checked here, every time.
    privacy_gate(texts=_stored_texts(notice), cases=[notice.case],
                 advice=_("The text can only change in a new draft: a reviewer sends the notice back, "
                          "its editor changes it, and it is approved again."))
    year = timezone.localdate().year
    number = counter_next(name=f"notice-{year}")
    document_number = f"{settings.NOTICE_NUMBER_PREFIX}〔{year}〕{number}号"
    fire(notice, "publish", by=by, update_fields=["published_by", "published_at", "document_number"],
         checked=True, publisher=by, document_number=document_number)
    audit_record(actor=by, action="notice.published", obj=notice, case_reference=notice.case.reference,
                 data={"document_number": document_number, "sha256": notice.current_version.content_sha256})
    document_queue_for_notice(notice)
    transaction.on_commit(public_pages_changed)
    return notice


@transaction.atomic
def notice_withdraw(*, notice: DebunkNotice, by, statement: str) -> DebunkNotice:
    """Take a published notice down; the public then reads `statement` in its place."""
    if not (statement or "").strip():
        raise ApplicationError(REASON_REQUIRED, _("A public statement is required to withdraw a notice."),
                               fields={"statement": [_("This field is required.")]})
    _refuse_if_not(notice, "withdraw", by)
    privacy_gate(texts=[PublicText("statement", field_label(DebunkNotice, "withdrawal_statement"), statement.strip())],
                 cases=[notice.case])
    fire(notice, "withdraw", by=by, update_fields=["withdrawn_at", "withdrawal_statement"], checked=True,
         statement=statement.strip())
    audit_record(actor=by, action="notice.withdrawn", obj=notice, case_reference=notice.case.reference,
                 data={"statement": statement.strip()})
    transaction.on_commit(public_pages_changed)
    return notice


@transaction.atomic
def notice_correct(*, notice: DebunkNotice, by, note: str, **content) -> NoticeCorrection:
    """Publish a corrected text with a public correction note; earlier versions stay on record."""
    require_perm(by, "notices.withdraw_notice")
    notice = DebunkNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != NoticeStatus.PUBLISHED:
        raise ApplicationError(INVALID, _("Only a published notice can be corrected."), status_code=409)
    if not (note or "").strip():
        raise ApplicationError(REASON_REQUIRED, _("A public correction note is required."),
                               fields={"note": [_("This field is required.")]})
    cleaned = _validated_content(content)
    privacy_gate(texts=[PublicText("note", field_label(NoticeCorrection, "note"), note.strip()),
                        *notice_public_texts(cleaned)], cases=[notice.case])
    version = _add_version(notice, cleaned, by)
    correction = NoticeCorrection.objects.create(notice=notice, version=version, note=note.strip(), corrected_by=by)
    audit_record(actor=by, action="notice.corrected", obj=notice, case_reference=notice.case.reference,
                 data={"version": version.number, "sha256": version.content_sha256, "note": note.strip()})
    document_queue_for_notice(notice)
    transaction.on_commit(public_pages_changed)
    return correction
