"""Every write to cases, reports, evidence, findings and consultations.

Transitions of the case workflow live in `cases.workflow`.
"""

import hashlib
import mimetypes
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import magic
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rumorcases.cases import deadlines, fingerprints, matching
from rumorcases.cases.choices import (
    Authority,
    CaseStatus,
    Category,
    ContentType,
    EvidenceKind,
    PartyRole,
    Priority,
    ReportSource,
    Verdict,
)
from rumorcases.cases.models import Campaign, Case, CaseComment, CaseParty, Consultation, EvidenceItem, Finding, Report
from rumorcases.cases.normalise import normalise
from rumorcases.core import notifications, roles
from rumorcases.core.audit import audit_record
from rumorcases.core.exceptions import (
    EVIDENCE_TOO_LARGE,
    EVIDENCE_TYPE_FORBIDDEN,
    INVALID,
    NOT_YOUR_ROLE,
    REASON_REQUIRED,
    ApplicationError,
)
from rumorcases.core.fsm import changed_meanwhile
from rumorcases.core.models import NotificationKind
from rumorcases.core.services import counter_reserve, notification_send
from rumorcases.disposal.choices import AccountType

# --- helpers ---------------------------------------------------------------


def require_perm(user, perm: str) -> None:
    """Raise `not_your_role` unless `user` holds `perm` (through a role)."""
    if user is None or not user.is_authenticated or not user.has_perm(perm):
        raise ApplicationError(NOT_YOUR_ROLE, _("Your role may not do this."), status_code=403)


def _invalid(errors: dict) -> ApplicationError:
    return ApplicationError(INVALID, _("Some fields are not valid."), fields=errors)


def _require_open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise ApplicationError(INVALID, _("Case %(ref)s is closed.") % {"ref": case.reference}, status_code=409)


def _next_case_reference() -> str:
    return _next_case_references(1)[0]


def _next_case_references(count: int) -> list[str]:
    """`count` consecutive case references at once (batch intake opens many cases)."""
    year = timezone.localdate().year
    return [f"RC-{year}-{number:06d}" for number in counter_reserve(name=f"case-{year}", count=count)]


# --- cases -------------------------------------------------------------------


def _case_create(*, title: str, claim: str, category: str, priority: str, by, campaigns=()) -> Case:
    now = timezone.now()
    case = Case.objects.create(
        reference=_next_case_reference(), title=title[:200], claim=claim, category=category, priority=priority,
        created_by=by, stage_started_at=now,
        stage_deadline=deadlines.stage_deadline(CaseStatus.DISCOVERED, priority, now),
    )
    if campaigns:
        case.campaigns.set(campaigns)
    audit_record(actor=by, action="case.opened", obj=case, case_reference=case.reference,
                 data={"title": case.title, "priority": priority, "category": category})
    return case


@transaction.atomic
def case_open(*, by, title: str, claim: str, category: str = Category.RUMOUR, priority: str = Priority.P3,
              campaigns=()) -> Case:
    """A supervisor opens a case directly, without a report."""
    require_perm(by, "cases.open_case")
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if not (claim or "").strip():
        errors["claim"] = [_("This field is required.")]
    if category not in Category.values:
        errors["category"] = [_("Unknown category.")]
    if priority not in Priority.values:
        errors["priority"] = [_("Unknown priority.")]
    if errors:
        raise _invalid(errors)
    return _case_create(title=title.strip(), claim=claim.strip(), category=category, priority=priority, by=by,
                        campaigns=campaigns)


@transaction.atomic
def case_update_details(*, case: Case, by, title: str | None = None, claim: str | None = None,
                        category: str | None = None) -> Case:
    """Correct a case's title, claim or category (what is not given stays)."""
    require_perm(by, "cases.change_case")
    _require_open(case)
    new = {"title": title, "claim": claim, "category": category}
    errors = {}
    for name in ("title", "claim"):
        if new[name] is not None and not new[name].strip():
            errors[name] = [_("This field is required.")]
    if title is not None and len(title.strip()) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if category is not None and category not in Category.values:
        errors["category"] = [_("Unknown category.")]
    if errors:
        raise _invalid(errors)
    # Compare with the stored row: a bound form may already have set the new values on `case`.
    stored = Case.objects.filter(pk=case.pk).values("title", "claim", "category").get()
    changed = {}
    for name, value in new.items():
        value = value.strip() if isinstance(value, str) and name != "category" else value
        if value is not None and stored[name] != value:
            changed[name] = value
    if changed:
        for name, value in changed.items():
            setattr(case, name, value)
        case.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=by, action="case.edited", obj=case, case_reference=case.reference,
                     data={"fields": sorted(changed)})
    return case


@transaction.atomic
def case_set_priority(*, case: Case, priority: str, by, reason: str = "") -> Case:
    """Change priority; the current stage's deadline is recomputed from when the stage started."""
    if by is not None:
        require_perm(by, "cases.assign_case")
    if priority not in Priority.values:
        raise _invalid({"priority": [_("Unknown priority.")]})
    _require_open(case)
    old = case.priority
    case.priority = priority
    case.stage_deadline = deadlines.stage_deadline(case.status, priority, case.stage_started_at)
    case.save(update_fields=["priority", "stage_deadline", "updated_at"])
    audit_record(actor=by, action="case.priority_changed", obj=case, case_reference=case.reference,
                 data={"from": old, "to": priority, "reason": reason})
    return case


@transaction.atomic
def case_assign(*, case: Case, assignee, by) -> Case:
    require_perm(by, "cases.assign_case")
    if assignee is not None and not assignee.groups.exclude(name=roles.AUDITOR).exists():
        raise _invalid({"assignee": [_("Cases can be assigned only to office staff with a working role.")]})
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    audit_record(actor=by, action="case.assigned", obj=case, case_reference=case.reference,
                 data={"assignee": assignee.get_username() if assignee else None})
    if assignee is not None:
        transaction.on_commit(lambda: notification_send(
            recipients=[assignee], kind=NotificationKind.CASE_ASSIGNED,
            title=_("Case %(ref)s was assigned to you") % {"ref": case.reference}, case_reference=case.reference,
        ))
    return case


@transaction.atomic
def case_tag_campaigns(*, case: Case, campaigns: list[Campaign], by) -> Case:
    require_perm(by, "cases.work_case")
    case.campaigns.set(campaigns)
    audit_record(actor=by, action="case.campaigns_set", obj=case, case_reference=case.reference,
                 data={"campaigns": sorted(c.slug for c in campaigns)})
    return case


@transaction.atomic
def case_comment_add(*, case: Case, body: str, by) -> CaseComment:
    require_perm(by, "cases.work_case")
    if not (body or "").strip():
        raise _invalid({"body": [_("This field is required.")]})
    comment = CaseComment.objects.create(case=case, author=by, body=body.strip())
    audit_record(actor=by, action="case.commented", obj=comment, case_reference=case.reference)
    return comment


@transaction.atomic
def case_party_add(*, case: Case, role: str, name: str, contact: str = "", notes: str = "", by) -> CaseParty:
    """Record a victim, reporter or witness (internal; feeds the privacy gate)."""
    require_perm(by, "cases.add_caseparty")
    errors = {}
    if role not in PartyRole.values:
        errors["role"] = [_("Unknown role.")]
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    if errors:
        raise _invalid(errors)
    party = CaseParty.objects.create(case=case, role=role, name=name.strip(), contact=contact, notes=notes)
    # The audit trail names the role only: it must not become a copy of personal data.
    audit_record(actor=by, action="case.party_added", obj=party, case_reference=case.reference, data={"role": role})
    return party


# --- reports -----------------------------------------------------------------


@dataclass
class AuthorInput:
    account_id: str
    handle: str = ""
    display_name: str = ""
    account_type: str = "individual"
    followers: int = 0
    verified: bool = False


@dataclass
class ReportInput:
    external_id: str
    content: str
    posted_at: datetime
    url: str = ""
    title: str = ""
    content_type: str = ContentType.TEXT
    language: str = ""
    author: AuthorInput | None = None
    views: int = 0
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    category: str = Category.RUMOUR
    reason: str = ""
    source: str = ReportSource.USER_REPORT
    evidence_urls: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    report: Report
    outcome: str  # created / existing / updated
    case: Case


METRICS = ("views", "reposts", "comments", "likes")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)  # used with fullmatch: no trailing newline


# The allowed values, as sets: `Choices.values` builds a new list on every access, and batch
# intake validates a thousand reports at a time.
_REPORT_CHOICES = (("content_type", frozenset(ContentType.values)), ("category", frozenset(Category.values)),
                   ("source", frozenset(ReportSource.values)))
_ACCOUNT_TYPES = frozenset(AccountType.values)


def report_validate(data: ReportInput) -> None:
    """Field-by-field checks; raises `invalid` with every problem at once."""
    errors: dict[str, list[str]] = {}
    if not (data.external_id or "").strip():
        errors["external_id"] = [_("This field is required.")]
    elif len(data.external_id) > 128:
        errors["external_id"] = [_("At most 128 characters.")]
    if not (data.content or "").strip():
        errors["content"] = [_("This field is required.")]
    if not isinstance(data.posted_at, datetime) or timezone.is_naive(data.posted_at):
        errors["posted_at"] = [_("A date and time with a time zone is required.")]
    if data.url and (len(data.url) > 1000 or not _URL.fullmatch(data.url)):
        errors["url"] = [_("Enter a valid http(s) URL of at most 1,000 characters.")]
    if len(data.title or "") > 300:
        errors["title"] = [_("At most 300 characters.")]
    for name, allowed in _REPORT_CHOICES:
        value = getattr(data, name)
        if not isinstance(value, str) or value not in allowed:
            errors[name] = [_("Unknown value.")]
    for name in METRICS:
        value = getattr(data, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[name] = [_("A whole number, zero or more.")]
    if data.author is not None:
        if not (data.author.account_id or "").strip():
            errors["author.account_id"] = [_("This field is required.")]
        if not isinstance(data.author.account_type, str) or data.author.account_type not in _ACCOUNT_TYPES:
            errors["author.account_type"] = [_("Unknown value.")]
        if not isinstance(data.author.followers, int) or data.author.followers < 0:
            errors["author.followers"] = [_("A whole number, zero or more.")]
    if not isinstance(data.evidence_urls, list) or any(not _URL.fullmatch(str(u)) for u in data.evidence_urls):
        errors["evidence_urls"] = [_("A list of http(s) URLs.")]
    if errors:
        raise _invalid(errors)


def _serious_spread(data) -> bool:
    return data.views >= 5000 or data.reposts >= 500


SPREAD_REASON = gettext_lazy("spread past the legal threshold")


def _spread_makes_urgent(case: Case) -> bool:
    """Whether a report past the legal thresholds raises this case to P1 (open and not P1 yet)."""
    return case.priority != Priority.P1 and case.status != CaseStatus.CLOSED


def _new_case_text(data: ReportInput) -> tuple[str, str]:
    """The title and claim of the case a report opens."""
    first_line = ((data.title or "").strip() or data.content.strip()).splitlines()[0]
    return first_line[:80], data.content.strip()[:2000]


def _report_conflict(external_id: str) -> ApplicationError:
    return ApplicationError(
        "conflict",
        _("Report %(id)s was submitted before with different content.") % {"id": external_id},
        fields={"content": [_("Differs from the content stored under this external_id.")]}, status_code=409,
    )


# Advisory locks of matching (PostgreSQL). Per-key locks use the two-int4 form, the intake-wide
# lock the one-bigint form: the two forms never collide.
_MATCH_KEY_SPACE = 20130909
INTAKE_LOCK = 2013090901


def _claim_match_keys(*, url: str, digest: str) -> None:
    """Serialise, until commit, the ingests of reports with this URL or this normalised text.

    Without it two first reports of one new rumour, matched at the same moment, each find no
    case and open two. On PostgreSQL: the intake-wide lock in shared mode (a batch takes it
    exclusively, `claim_batch_matching`), then transaction-level advisory locks per key, taken
    in a fixed order and before any row lock (two ingests cannot deadlock on them). SQLite
    serialises writers.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({f"text:{digest}", *([f"url:{url}"] if url else [])})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [INTAKE_LOCK])
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_MATCH_KEY_SPACE, key])


def claim_batch_matching() -> None:
    """Serialise a batch's matching and writing with every other ingest, until commit.

    A batch matches hundreds of reports at once, near duplicates included, so it takes the
    intake-wide lock exclusively (one lock, not one per key: a thousand per batch would crowd
    PostgreSQL's shared lock table). Batches then run one after another while single reports
    wait; docs/performance.md has what that costs.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INTAKE_LOCK])


@transaction.atomic
def report_ingest(*, platform, data: ReportInput, submitted_by=None) -> IngestResult:
    """Store a report (idempotent on platform + external_id) and attach it to its case.

    Resubmitting the same report answers `existing`; new spread figures answer `updated`;
    different content under the same external_id is a `conflict` (409).
    """
    from rumorcases.disposal.services import account_upsert

    report_validate(data)
    existing = Report.objects.select_related("case").filter(platform=platform, external_id=data.external_id).first()
    if existing is not None:
        return _report_resubmitted(existing, data, submitted_by)
    # Before any row lock (the account's here): a batch holding the intake lock locks accounts.
    _claim_match_keys(url=data.url, digest=matching.content_hash(data.content))
    author = account_upsert(platform=platform, **vars(data.author)) if data.author else None
    found = matching.match_report(url=data.url, text=data.content)
    serious = _serious_spread(data)
    case = found.case
    if case is not None:
        # The case as it is now, locked before the first audit event locks the chain head: a
        # transition locks the case and then the head, so the other order deadlocks; and a copy
        # loaded before a concurrent transition could not save the new priority.
        case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    if case is None:
        title, claim = _new_case_text(data)
        case = _case_create(title=title, claim=claim, category=data.category,
                            priority=Priority.P1 if serious else Priority.P3, by=submitted_by)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                platform=platform, external_id=data.external_id, case=case, author=author, title=data.title,
                content=data.content, content_hash=matching.content_hash(data.content),
                normalised=normalise(data.content), url=data.url, posted_at=data.posted_at,
                content_type=data.content_type, language=data.language,
                category=data.category, reason=data.reason, source=data.source, evidence_urls=data.evidence_urls,
                views=data.views, reposts=data.reposts, comments=data.comments, likes=data.likes,
                match_score=found.score if found.case else None, match_reason=found.reason or "new_case",
                submitted_by=submitted_by,
            )
            if fingerprints.needs_fingerprints(report.match_reason):
                fingerprints.fingerprint_store([report])
    except IntegrityError:
        # The same report arrived twice at once; the other request stored it first.
        existing = Report.objects.select_related("case").get(platform=platform, external_id=data.external_id)
        return _report_resubmitted(existing, data, submitted_by)
    audit_record(actor=submitted_by, action="report.received", obj=report, case_reference=case.reference,
                 data={"platform": platform.slug, "external_id": data.external_id, "match": found.reason or "new_case"})
    if serious and _spread_makes_urgent(case):
        case_set_priority(case=case, priority=Priority.P1, by=None, reason=str(SPREAD_REASON))
    return IngestResult(report=report, outcome="created", case=case)


def _report_resubmitted(report: Report, data: ReportInput, submitted_by) -> IngestResult:
    from rumorcases.disposal.services import account_upsert

    if report.content_hash != matching.content_hash(data.content):
        raise _report_conflict(data.external_id)
    if data.author is not None and report.author is not None \
            and report.author.platform_account_id == data.author.account_id:
        account_upsert(platform=report.platform, **vars(data.author))  # fresh follower figures
    changed = {name: getattr(data, name) for name in METRICS if getattr(data, name) != getattr(report, name)}
    if not changed:
        return IngestResult(report=report, outcome="existing", case=report.case)
    for name, value in changed.items():
        setattr(report, name, value)
    # The case row first, as transitions and merges take it (case, then audit head, then reports):
    # saving the report before would hold its row while waiting for the head a merge holds.
    report.case = Case.objects.select_for_update(no_key=True).get(pk=report.case_id)
    moved_to = Report.objects.filter(pk=report.pk).values_list("case_id", flat=True).get()
    if moved_to != report.case_id:  # merged into another case meanwhile
        report.case = Case.objects.get(pk=moved_to)
    report.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=submitted_by, action="report.metrics_updated", obj=report,
                 case_reference=report.case.reference, data=changed)
    if _serious_spread(report) and _spread_makes_urgent(report.case):
        case_set_priority(case=report.case, priority=Priority.P1, by=None, reason=str(SPREAD_REASON))
    return IngestResult(report=report, outcome="updated", case=report.case)


@transaction.atomic
def report_submit_by_staff(*, by, platform, data: ReportInput) -> IngestResult:
    """A post found by the office's own monitoring, recorded as a report."""
    require_perm(by, "cases.submit_report")
    data.source = ReportSource.STAFF_MONITORING
    if not data.external_id:
        data.external_id = f"office-{uuid.uuid4().hex[:16]}"
    return report_ingest(platform=platform, data=data, submitted_by=by)


def report_record_by_staff(*, by, platform, data: ReportInput, screenshots=()) -> IngestResult:
    """A post from the office's monitoring with its screenshots, all or nothing: a refused
    screenshot (type, size, a closed case) leaves no report, no case and no stored file."""
    stored = []
    try:
        with transaction.atomic():
            result = report_submit_by_staff(by=by, platform=platform, data=data)
            for upload in screenshots:
                item = evidence_add(case=result.case, upload=upload, by=by, report=result.report,
                                    source_url=result.report.url,
                                    description=_("Screenshot recorded with the report"))
                stored.append(item.file.name)
    except Exception:
        for name in stored:  # the rows rolled back; their files must go too
            default_storage.delete(name)
        raise
    return result


# --- evidence ----------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


def _clean_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    return _SAFE_NAME.sub("_", base).strip(" .")[:200] or "upload"


def _read_capped(upload) -> bytes:
    cap = settings.EVIDENCE_MAX_BYTES
    declared = getattr(upload, "size", None)
    if declared is not None and declared > cap:
        raise ApplicationError(EVIDENCE_TOO_LARGE, _("The file is larger than the %(cap)s-byte limit.") % {"cap": cap},
                               fields={"file": [_("Too large.")]}, status_code=413)
    chunks, total = [], 0
    source = upload.chunks() if hasattr(upload, "chunks") else iter([upload.read()])
    for chunk in source:
        total += len(chunk)
        if total > cap:
            raise ApplicationError(EVIDENCE_TOO_LARGE,
                                   _("The file is larger than the %(cap)s-byte limit.") % {"cap": cap},
                                   fields={"file": [_("Too large.")]}, status_code=413)
        chunks.append(chunk)
    return b"".join(chunks)


def evidence_detect_type(content: bytes) -> str:
    """The content type read from the bytes themselves, never from the file name."""
    return magic.from_buffer(content[:65536], mime=True)


def evidence_add(*, case: Case, upload, by, original_name: str = "", kind: str = EvidenceKind.FILE,
                 source_url: str = "", description: str = "", report: Report | None = None) -> EvidenceItem:
    """Store an evidence file: hash and size from the bytes, type from the content, size capped.

    The file gets a fresh random name, so nothing is ever overwritten.
    """
    require_perm(by, "cases.work_case")
    _require_open(case)
    if kind not in EvidenceKind.values:
        raise _invalid({"kind": [_("Unknown value.")]})
    if source_url and not _URL.fullmatch(source_url):
        raise _invalid({"source_url": [_("Enter a valid http(s) URL.")]})
    if report is not None and report.case_id != case.pk:
        raise _invalid({"report": [_("The report belongs to another case.")]})
    content = _read_capped(upload)
    if not content:
        raise _invalid({"file": [_("The file is empty.")]})
    detected = evidence_detect_type(content)
    if detected not in settings.EVIDENCE_ALLOWED_TYPES:
        raise ApplicationError(EVIDENCE_TYPE_FORBIDDEN,
                               _("Files of type %(type)s are not accepted as evidence.") % {"type": detected},
                               fields={"file": [_("Type not accepted.")]}, status_code=415)
    digest = hashlib.sha256(content).hexdigest()
    extension = mimetypes.guess_extension(detected) or ""
    now = timezone.localtime()
    stored_name = default_storage.save(f"evidence/{now:%Y/%m}/{uuid.uuid4().hex}{extension}", ContentFile(content))
    try:
        with transaction.atomic():
            item = EvidenceItem.objects.create(
                case=case, report=report, kind=kind, file=stored_name,
                original_name=_clean_name(original_name or getattr(upload, "name", "")), sha256=digest,
                size=len(content), content_type=detected, source_url=source_url, description=description,
                uploaded_by=by,
            )
            audit_record(actor=by, action="evidence.added", obj=item, case_reference=case.reference,
                         data={"sha256": digest, "size": len(content), "content_type": detected})
    except Exception:
        default_storage.delete(stored_name)
        raise
    return item


@transaction.atomic
def evidence_update_description(*, item: EvidenceItem, description: str, by) -> EvidenceItem:
    """The only edit evidence allows: its description. The bytes and their hash never change."""
    require_perm(by, "cases.work_case")
    item.description = description
    item.save(update_fields=["description"])
    audit_record(actor=by, action="evidence.described", obj=item, case_reference=item.case.reference)
    return item


# --- verification --------------------------------------------------------------


def _clean_sources(sources) -> list[dict]:
    if not isinstance(sources, list):
        raise _invalid({"sources": [_("A list of sources.")]})
    cleaned = []
    for source in sources:
        if not isinstance(source, dict) or not str(source.get("title", "")).strip():
            raise _invalid({"sources": [_("Each source needs a title.")]})
        url = str(source.get("url", "")).strip()
        if url and not _URL.fullmatch(url):
            raise _invalid({"sources": [_("Enter valid http(s) URLs.")]})
        cleaned.append({"title": str(source["title"]).strip(), "url": url,
                        "publisher": str(source.get("publisher", "")).strip()})
    return cleaned


@transaction.atomic
def finding_record(*, case: Case, verdict: str, reasoning: str, by, sources=None, evidence=()) -> Finding:
    require_perm(by, "cases.record_finding")
    if case.status != CaseStatus.VERIFYING:
        raise ApplicationError(INVALID, _("Findings are recorded while the case is being verified."),
                               status_code=409)
    errors = {}
    if verdict not in Verdict.values:
        errors["verdict"] = [_("Unknown verdict.")]
    if not (reasoning or "").strip():
        errors["reasoning"] = [_("This field is required.")]
    evidence = list(evidence)
    if any(item.case_id != case.pk for item in evidence):
        errors["evidence"] = [_("Evidence must belong to this case.")]
    if errors:
        raise _invalid(errors)
    finding = Finding.objects.create(case=case, verdict=verdict, reasoning=reasoning.strip(),
                                     sources=_clean_sources(sources or []), recorded_by=by)
    finding.evidence.set(evidence)
    audit_record(actor=by, action="finding.recorded", obj=finding, case_reference=case.reference,
                 data={"verdict": verdict, "evidence": [item.sha256 for item in evidence]})
    return finding


@transaction.atomic
def consultation_ask(*, case: Case, authority: str, authority_name: str, question: str, due_at, by) -> Consultation:
    require_perm(by, "cases.work_case")
    _require_open(case)
    errors = {}
    if authority not in Authority.values:
        errors["authority"] = [_("Unknown authority.")]
    if not (authority_name or "").strip():
        errors["authority_name"] = [_("This field is required.")]
    if not (question or "").strip():
        errors["question"] = [_("This field is required.")]
    if due_at is None or timezone.is_naive(due_at) or due_at <= timezone.now():
        errors["due_at"] = [_("A due date in the future is required.")]
    if errors:
        raise _invalid(errors)
    consultation = Consultation.objects.create(case=case, authority=authority, authority_name=authority_name.strip(),
                                               question=question.strip(), due_at=due_at, asked_by=by)
    audit_record(actor=by, action="consultation.asked", obj=consultation, case_reference=case.reference,
                 data={"authority": authority, "due_at": due_at.isoformat()})
    return consultation


@transaction.atomic
def consultation_answer(*, consultation: Consultation, answer: str, by) -> Consultation:
    require_perm(by, "cases.work_case")
    consultation = Consultation.objects.select_for_update().select_related("case").get(pk=consultation.pk)
    if consultation.is_answered:
        raise ApplicationError(INVALID, _("This consultation was already answered."), status_code=409)
    if not (answer or "").strip():
        raise _invalid({"answer": [_("This field is required.")]})
    consultation.answer = answer.strip()
    consultation.answered_at = timezone.now()
    consultation.answer_recorded_by = by
    consultation.save(update_fields=["answer", "answered_at", "answer_recorded_by"])
    audit_record(actor=by, action="consultation.answered", obj=consultation,
                 case_reference=consultation.case.reference)
    return consultation


# --- notifications -------------------------------------------------------------

# Who must act when a case arrives in a state.
NEXT_ROLE = {
    CaseStatus.VERIFYING: roles.VERIFIER,
    CaseStatus.DEBUNKING: roles.NOTICE_EDITOR,
    CaseStatus.DISPOSING: roles.DISPOSAL_OFFICER,
    CaseStatus.EXPOSING: roles.PUBLISHER,
}


def notification_for_transition(*, transition):
    """Notify the role that acts next (and the assignee). Idempotent per transition."""
    case = transition.case
    user_model = get_user_model()
    recipients = []
    role = NEXT_ROLE.get(transition.target)
    if role:
        recipients.extend(user_model.objects.filter(groups__name=role, is_active=True))
    if case.assignee_id:
        recipients.append(case.assignee)
    recipients = [u for u in recipients if u.pk != transition.actor_id]
    # Rendered in each recipient's language, e-mailed to those who chose it (docs/operations.md).
    return notifications.transition_notice(transition=transition, recipients=recipients)


# --- moving reports between cases ----------------------------------------------------

# `Report.match_reason` of a report staff placed by hand (moved or split off); `rematch` leaves
# such reports, and those a merge carried ("merged"), where staff put them.
MOVED_BY_STAFF = "moved_by_staff"
STAFF_PLACED = frozenset({MOVED_BY_STAFF, "merged"})


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, _("A reason is required to move a report."),
                               fields={"reason": [_("This field is required.")]})
    return reason


def _lock_report_and_cases(report: Report, *case_ids: int) -> tuple[Report, dict[int, Case]]:
    """The report's case and `case_ids`, locked in id order (as merges lock them), then the report.

    Raises `changed_meanwhile` when the report left its case since `report` was loaded.
    """
    source_id = report.case_id
    cases = {c.pk: c for c in Case.objects.select_for_update(no_key=True)
             .filter(pk__in={source_id, *case_ids}).order_by("pk")}
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.case_id != source_id:
        raise changed_meanwhile(report)
    locked.case = cases[source_id]
    return locked, cases


def _check_move(report: Report, target: Case | None) -> None:
    if report.case.status == CaseStatus.CLOSED:
        # A closed case's reports are its record: reopen the case first.
        raise ApplicationError(INVALID, _("Case %(ref)s is closed; its reports stay with it.")
                               % {"ref": report.case.reference}, fields={"report": [_("The case is closed.")]},
                               status_code=409)
    if target is None:
        return
    if target.pk == report.case_id:
        raise _invalid({"target_case": [_("The report is already in this case.")]})
    if target.status == CaseStatus.CLOSED:
        raise ApplicationError(INVALID, _("Case %(ref)s is closed; move the report to an open case.")
                               % {"ref": target.reference}, fields={"target_case": [_("The case is closed.")]},
                               status_code=409)


def _report_relocate(*, report: Report, source: Case, target: Case, by, action: str, data: dict,
                     match_reason: str, match_score: float | None) -> Report:
    """Put the (locked) report in `target` and write one `action` event on each case's trail."""
    report.case = target
    report.match_reason = match_reason
    report.match_score = match_score
    report.save(update_fields=["case", "match_reason", "match_score", "updated_at"])
    # Its text stays findable in both cases (only one report of a text per case carries keys).
    fingerprints.fingerprint_groups({(source.pk, report.content_hash), (target.pk, report.content_hash)})
    data = {"external_id": report.external_id, "from_case": source.reference, "to_case": target.reference, **data}
    for case in (source, target):
        audit_record(actor=by, action=action, obj=report, case_reference=case.reference, data=data)
    return report


@transaction.atomic
def report_move(*, report: Report, target_case: Case, by, reason: str) -> Report:
    """Staff move a report that matching joined to the wrong case into another open case.

    Neither case may be closed. A case left without reports stays as it is: staff dismiss
    it or merge it. `rematch` never moves the report again (`match_reason` "moved_by_staff").
    """
    require_perm(by, "cases.merge_case")
    reason = _reason_required(reason)
    if target_case is None:
        raise _invalid({"target_case": [_("This field is required.")]})
    report, cases = _lock_report_and_cases(report, target_case.pk)
    target = cases.get(target_case.pk)
    _check_move(report, target)
    return _report_relocate(report=report, source=report.case, target=target, by=by, action="report.moved",
                            data={"reason": reason}, match_reason=MOVED_BY_STAFF, match_score=None)


@transaction.atomic
def report_split(*, report: Report, by, reason: str, title: str = "") -> Case:
    """Staff open a new (discovered) case for a report that carries another rumour, and move it there.

    The new case takes `title` or the report's first line, the report's text as its claim and
    category, and P1 when the report spread past the legal threshold. Returns the new case.
    """
    require_perm(by, "cases.merge_case")
    reason = _reason_required(reason)
    if len((title or "").strip()) > 200:
        raise _invalid({"title": [_("At most 200 characters.")]})
    report, _cases = _lock_report_and_cases(report)
    _check_move(report, None)
    source = report.case
    default_title, claim = _new_case_text(report)
    # After the locks on the source case and the report: opening a case locks the audit head.
    target = _case_create(title=(title or "").strip() or default_title, claim=claim, category=report.category,
                          priority=Priority.P1 if _serious_spread(report) else Priority.P3, by=by)
    _report_relocate(report=report, source=source, target=target, by=by, action="report.split",
                     data={"reason": reason}, match_reason=MOVED_BY_STAFF, match_score=None)
    return target


def report_rematch_target(*, report: Report) -> matching.Match | None:
    """Where matching would put `report` today, when that is another open case; else None.

    None too for a report in a closed case or placed by staff (staff decisions win).
    Costs the two queries of `match_report`.
    """
    if report.match_reason in STAFF_PLACED or report.case.status == CaseStatus.CLOSED:
        return None
    found = matching.match_report(url=report.url, text=report.content, exclude_report_id=report.pk)
    if found.case is None or found.case.pk == report.case_id or found.case.status == CaseStatus.CLOSED:
        return None
    return found


@transaction.atomic
def report_rematch_move(*, report: Report, match: matching.Match) -> Report | None:
    """Move `report` to the case `match` found (from `report_rematch_target`), as the system.

    Checked again under the locks: returns None, moving nothing, when the report was moved,
    placed by staff or its cases closed since it was matched.
    """
    report, cases = _lock_report_and_cases(report, match.case.pk)
    target = cases.get(match.case.pk)
    if report.match_reason in STAFF_PLACED or target is None or target.pk == report.case_id \
            or CaseStatus.CLOSED in (report.case.status, target.status):
        return None
    return _report_relocate(report=report, source=report.case, target=target, by=None, action="report.rematched",
                            data={"match": match.reason, "score": match.score, "was": report.match_reason},
                            match_reason=match.reason, match_score=match.score)
