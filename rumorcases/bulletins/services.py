"""Exposure bulletins: drafting, entries, review and publication (four-eyes)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin, BulletinEntry
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.models import Case
from rumorcases.cases.services import _invalid, require_perm
from rumorcases.cases.workflow import case_mark_exposed
from rumorcases.core.audit import audit_record
from rumorcases.core.exceptions import FOUR_EYES, GUARD_FAILED, INVALID, REASON_REQUIRED, ApplicationError
from rumorcases.core.fsm import fire, refusal
from rumorcases.core.privacy import PublicText, field_label, privacy_gate
from rumorcases.core.services import counter_next
from rumorcases.disposal.choices import PenaltyStatus
from rumorcases.documents.services import document_queue_for_bulletin
from rumorcases.public.cache import public_pages_changed

ENTRY_TEXT_FIELDS = ("headline", "rumour_summary", "finding_summary", "measures_summary")


def _entry_texts(texts: dict, *, prefix: str = "", where: str = "") -> list[PublicText]:
    """An entry's public texts for the privacy gate, named as the entry form's fields (`prefix`
    and `where` place them in the whole bulletin)."""
    return [PublicText(prefix + name, where + field_label(BulletinEntry, name, capitalise=not where),
                       texts.get(name) or "")
            for name in ENTRY_TEXT_FIELDS]


def bulletin_public_texts(bulletin: Bulletin, entries: list[BulletinEntry]) -> list[PublicText]:
    """Everything of a bulletin the public reads: its title, introduction and each entry's texts."""
    texts = [PublicText(name, field_label(Bulletin, name), getattr(bulletin, name) or "")
             for name in ("title", "title_en", "introduction")]
    for number, entry in enumerate(entries, start=1):
        where = _("Entry %(n)s (%(ref)s), ") % {"n": number, "ref": entry.case.reference}
        texts += _entry_texts({name: getattr(entry, name) for name in ENTRY_TEXT_FIELDS},
                              prefix=f"entries.{number}.", where=where)
    return texts


def _entry_gate(bulletin: Bulletin, case, texts: dict) -> None:
    """An entry is checked against the names listed in every case of its bulletin: a victim of
    one case named in another's entry is refused at publication too."""
    cases = [case, *Case.objects.filter(bulletin_entries__bulletin=bulletin).exclude(pk=case.pk)]
    privacy_gate(texts=_entry_texts(texts), cases=cases)


def _require_draft(bulletin: Bulletin) -> None:
    if bulletin.status != BulletinStatus.DRAFT:
        raise ApplicationError(INVALID, _("Only a draft bulletin can be changed."), status_code=409)


def _refuse_if_not(bulletin: Bulletin, transition: str, by) -> None:
    """State and role first, as `fire` would: the privacy gate answers only those who may act."""
    problem = refusal(bulletin, transition, by)
    if problem is not None:
        raise problem


@transaction.atomic
def bulletin_create(*, by, title: str, period_start, period_end, introduction: str = "",
                    title_en: str = "") -> Bulletin:
    require_perm(by, "bulletins.draft_bulletin")
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if period_start is None or period_end is None:
        errors["period_end"] = [_("The period needs a start and an end.")]
    elif period_end < period_start:
        errors["period_end"] = [_("The period ends before it starts.")]
    if errors:
        raise _invalid(errors)
    privacy_gate(texts=[PublicText(name, field_label(Bulletin, name), (value or "").strip()) for name, value in
                        (("title", title), ("title_en", title_en), ("introduction", introduction))])
    bulletin = Bulletin.objects.create(title=title.strip(), title_en=title_en.strip(), period_start=period_start,
                                       period_end=period_end, introduction=introduction.strip(), drafted_by=by)
    audit_record(actor=by, action="bulletin.drafted", obj=bulletin,
                 data={"period": [period_start.isoformat(), period_end.isoformat()]})
    return bulletin


def measures_summary(case) -> str:
    """The accounts acted on, by platform and measure, as the public may read it: in the
    bulletin's language (the site's), whatever the language of the person assembling it.
    One query."""
    lines = []
    penalties = case.penalties.filter(status=PenaltyStatus.EXECUTED).select_related("account__platform")
    with translation.override(settings.LANGUAGE_CODE):
        for penalty in penalties.order_by("account__platform__name", "id"):
            account = penalty.account
            lines.append(f"{account.platform.name} @{account.handle or account.display_name} "
                         f"{penalty.measure_with_duration()}")
    return "\n".join(lines)


@transaction.atomic
def bulletin_add_entry(*, bulletin: Bulletin, case, by, headline: str, rumour_summary: str, finding_summary: str,
                       measures: str | None = None) -> BulletinEntry:
    """Add a case waiting for exposure; the measures line defaults to its executed penalties."""
    require_perm(by, "bulletins.draft_bulletin")
    _require_draft(bulletin)
    errors = {}
    if case.status != CaseStatus.EXPOSING:
        errors["case"] = [_("Only cases waiting for exposure can be added.")]
    elif bulletin.entries.filter(case=case).exists():
        errors["case"] = [_("The case is already in this bulletin.")]
    for name, value in (("headline", headline), ("rumour_summary", rumour_summary),
                        ("finding_summary", finding_summary)):
        if not (value or "").strip():
            errors[name] = [_("This field is required.")]
    if errors:
        raise _invalid(errors)
    texts = {"headline": headline.strip()[:200], "rumour_summary": rumour_summary.strip(),
             "finding_summary": finding_summary.strip(),
             "measures_summary": measures.strip() if measures is not None else measures_summary(case)}
    _entry_gate(bulletin, case, texts)
    position = bulletin.entries.count() + 1
    entry = BulletinEntry.objects.create(bulletin=bulletin, case=case, position=position, **texts)
    audit_record(actor=by, action="bulletin.entry_added", obj=bulletin, case_reference=case.reference,
                 data={"entry": entry.pk})
    return entry


@transaction.atomic
def bulletin_remove_entry(*, entry: BulletinEntry, by) -> None:
    require_perm(by, "bulletins.draft_bulletin")
    _require_draft(entry.bulletin)
    audit_record(actor=by, action="bulletin.entry_removed", obj=entry.bulletin, case_reference=entry.case.reference,
                 data={"entry": entry.pk})
    entry.delete()


@transaction.atomic
def bulletin_update_entry(*, entry: BulletinEntry, by, headline: str, rumour_summary: str, finding_summary: str,
                          measures: str = "") -> BulletinEntry:
    """Change the public texts of an entry of a draft."""
    require_perm(by, "bulletins.draft_bulletin")
    _require_draft(entry.bulletin)
    errors = {}
    for name, value in (("headline", headline), ("rumour_summary", rumour_summary),
                        ("finding_summary", finding_summary)):
        if not (value or "").strip():
            errors[name] = [_("This field is required.")]
    if len((headline or "").strip()) > 200:
        errors["headline"] = [_("At most 200 characters.")]
    if errors:
        raise _invalid(errors)
    _entry_gate(entry.bulletin, entry.case, {"headline": headline.strip(), "rumour_summary": rumour_summary.strip(),
                                             "finding_summary": finding_summary.strip(),
                                             "measures_summary": (measures or "").strip()})
    entry.headline = headline.strip()
    entry.rumour_summary = rumour_summary.strip()
    entry.finding_summary = finding_summary.strip()
    entry.measures_summary = (measures or "").strip()
    entry.save(update_fields=["headline", "rumour_summary", "finding_summary", "measures_summary"])
    audit_record(actor=by, action="bulletin.entry_changed", obj=entry.bulletin, case_reference=entry.case.reference,
                 data={"entry": entry.pk})
    return entry


@transaction.atomic
def bulletin_move_entry(*, entry: BulletinEntry, by, direction: str) -> BulletinEntry:
    """Move an entry of a draft one place up or down; positions are renumbered 1..n."""
    require_perm(by, "bulletins.draft_bulletin")
    if direction not in ("up", "down"):
        raise _invalid({"direction": [_("Up or down.")]})
    # Lock the bulletin row: two people reordering at once take turns instead of mixing positions.
    bulletin = Bulletin.objects.select_for_update().get(pk=entry.bulletin_id)
    _require_draft(bulletin)
    entries = list(bulletin.entries.order_by("position", "id"))
    index = next(i for i, e in enumerate(entries) if e.pk == entry.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(entries):
        entries[index], entries[other] = entries[other], entries[index]
    changed = []
    for position, item in enumerate(entries, start=1):
        if item.position != position:
            item.position = position
            changed.append(item)
    BulletinEntry.objects.bulk_update(changed, ["position"])
    audit_record(actor=by, action="bulletin.entry_moved", obj=bulletin, case_reference=entry.case.reference,
                 data={"entry": entry.pk, "direction": direction})
    return next(e for e in entries if e.pk == entry.pk)


@transaction.atomic
def bulletin_submit(*, bulletin: Bulletin, by) -> Bulletin:
    if not bulletin.entries.exists():
        raise ApplicationError(GUARD_FAILED, _("A bulletin needs at least one entry."))
    _refuse_if_not(bulletin, "submit", by)
    entries = list(bulletin.entries.select_related("case"))
    privacy_gate(texts=bulletin_public_texts(bulletin, entries), cases=[e.case for e in entries])
    fire(bulletin, "submit", by=by, update_fields=["submitted_at"], checked=True)
    audit_record(actor=by, action="bulletin.submitted", obj=bulletin)
    return bulletin


@transaction.atomic
def bulletin_send_back(*, bulletin: Bulletin, by, comments: str) -> Bulletin:
    if not (comments or "").strip():
        raise ApplicationError(REASON_REQUIRED, _("Say what must change."),
                               fields={"comments": [_("This field is required.")]})
    fire(bulletin, "send_back", by=by, update_fields=["review_comments"], comments=comments.strip())
    audit_record(actor=by, action="bulletin.sent_back", obj=bulletin, data={"comments": comments.strip()})
    return bulletin


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin, by) -> Bulletin:
    """Approve and publish: numbered in the year's series, and every case in it closes as exposed."""
    if bulletin.needs_another_publisher(by):
        raise ApplicationError(FOUR_EYES, _("You drafted this bulletin; someone else must approve it."),
                               status_code=403)
    entries = list(bulletin.entries.select_related("case"))
    if not entries:
        raise ApplicationError(GUARD_FAILED, _("A bulletin needs at least one entry."))
    waiting = [e.case.reference for e in entries if e.case.status != CaseStatus.EXPOSING]
    if waiting:
        raise ApplicationError(GUARD_FAILED, _("These cases are no longer waiting for exposure: %(refs)s")
                               % {"refs": ", ".join(waiting)})
    _refuse_if_not(bulletin, "publish", by)
    # No flag and no role skips this: what is published is checked here, every time.
    privacy_gate(texts=bulletin_public_texts(bulletin, entries), cases=[e.case for e in entries],
                 advice=_("Send the bulletin back to its drafter to change the text."))
    year = timezone.localdate().year
    fire(bulletin, "publish", by=by, update_fields=["published_by", "published_at", "year", "issue_number"],
         checked=True, publisher=by, year=year, issue_number=counter_next(name=f"bulletin-{year}"))
    # Lock the cases before the audit event below locks the chain head: a transition on one of
    # them locks its row and then the head, and taking the two the other way round deadlocks.
    # The copies in `entries` stay as loaded, so a case moved meanwhile answers "changed meanwhile".
    list(Case.objects.select_for_update(no_key=True).filter(pk__in=[e.case_id for e in entries]).order_by("pk"))
    audit_record(actor=by, action="bulletin.published", obj=bulletin,
                 data={"issue": f"{bulletin.year}-{bulletin.issue_number}",
                       "cases": [e.case.reference for e in entries]})
    for entry in entries:
        case_mark_exposed(case=entry.case, by=by, system=True,
                          reason=_("Published in bulletin %(year)s-%(n)s") % {"year": year, "n": bulletin.issue_number})
    document_queue_for_bulletin(bulletin)
    transaction.on_commit(public_pages_changed)
    return bulletin
