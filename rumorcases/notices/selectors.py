"""Reads of debunk notices: for the staff tab, the version diff and the public page."""

import difflib
import re

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice, NoticeVersion

PUBLIC_STATES = [NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN]


def notice_public_path(notice: DebunkNotice) -> str:
    """Where the public reads the notice."""
    return reverse("notices:notice_public", kwargs={"public_id": notice.public_id})


def notice_published_for_case(case) -> DebunkNotice | None:
    """The case's published debunk notice (the latest, should there be several), or None. One query."""
    return (DebunkNotice.objects.filter(case=case, status=NoticeStatus.PUBLISHED)
            .order_by("-published_at", "-id").first())


def office_name() -> str:
    """The office as the public reads its name, in the language of the page."""
    if (translation.get_language() or "").startswith("en"):
        return settings.OFFICE_NAME_EN
    return settings.OFFICE_NAME


# --- staff ---------------------------------------------------------------------


def notice_list_for_case(case) -> QuerySet:
    """The case's notices, newest first, each with its current version and version count. One query."""
    return (case.notices.select_related("current_version", "created_by", "approved_by", "published_by")
            .annotate(version_count=Count("versions")).order_by("-created_at", "-id"))


def notice_draft_start(case) -> dict:
    """What a new draft starts from: the case's claim, and the verdict and sources of its latest
    finding that calls the claim a rumour. One query."""
    from rumorcases.cases.choices import RUMOUR_VERDICTS

    initial = {"claim": case.claim}
    finding = case.findings.filter(verdict__in=RUMOUR_VERDICTS).order_by("-recorded_at", "-id").first()
    if finding is not None:
        initial.update(verdict=finding.verdict, sources=finding.sources)
    return initial


def notice_get_for_case(case, *, pk: int) -> DebunkNotice:
    """One of the case's notices (404 for any other). One query."""
    notice = (case.notices.select_related("case", "current_version", "created_by", "approved_by", "published_by")
              .filter(pk=pk).first())
    if notice is None:
        raise Http404
    return notice


def notice_versions(notice: DebunkNotice) -> list[NoticeVersion]:
    """Every version, newest first, with its author and correction note if any. One query."""
    return list(notice.versions.select_related("author", "correction").order_by("-number"))


def notice_reviews(notice: DebunkNotice) -> list:
    """The reviews, newest first, with reviewer and version. One query."""
    return list(notice.reviews.select_related("reviewer", "version"))


# --- differences between two versions ----------------------------------------------

# A Latin word, a run of white space, or any other single character (a Chinese character is a word).
_TOKEN = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.DOTALL)
DIFF_FIELDS = ("title", "claim", "verdict", "body", "sources", "title_en", "body_en")


def _field_text(version: NoticeVersion, name: str) -> str:
    if name == "verdict":
        return str(version.get_verdict_display())
    if name == "sources":
        return "\n".join(" | ".join(p for p in (s.get("title", ""), s.get("url", ""), s.get("publisher", "")) if p)
                         for s in version.sources or [])
    return getattr(version, name) or ""


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """`old` → `new` as (op, text) pieces, op one of "equal", "delete", "insert". The text is
    plain: templates escape it and mark the ops with <del>/<ins>."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    pieces: list[tuple[str, str]] = []

    def add(op: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if pieces and pieces[-1][0] == op:
            pieces[-1] = (op, pieces[-1][1] + text)
        else:
            pieces.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return pieces


def notice_version_diff(old: NoticeVersion, new: NoticeVersion) -> list[dict]:
    """Field by field: {"name", "label", "changed", "ops"} from `old` to `new`."""
    fields = []
    for name in DIFF_FIELDS:
        before, after = _field_text(old, name), _field_text(new, name)
        fields.append({
            "name": name,
            "label": NoticeVersion._meta.get_field(name).verbose_name,
            "changed": before != after,
            "ops": text_diff(before, after),
        })
    return fields


def notice_version_pair(notice: DebunkNotice, *, a: int, b: int) -> tuple[NoticeVersion, NoticeVersion]:
    """Versions number `a` and `b` of the notice (404 if either is missing). One query."""
    versions = {v.number: v for v in notice.versions.filter(number__in=[a, b])}
    if a not in versions or b not in versions:
        raise Http404
    return versions[a], versions[b]


# --- the public page -------------------------------------------------------------------


def notice_get_public(*, public_id) -> DebunkNotice:
    """A notice the public may ask for: published, or withdrawn (answered with its statement).
    Drafts and notices in review do not exist for the public (404). One query."""
    notice = (DebunkNotice.objects.select_related("current_version")
              .filter(public_id=public_id, status__in=PUBLIC_STATES).first())
    if notice is None:
        raise Http404
    return notice


def notice_public_corrections(notice: DebunkNotice) -> list:
    """The public corrections, newest first (date and note only are public). One query."""
    return list(notice.corrections.order_by("-created_at", "-id"))


# --- the public site: lists, search, structured data -------------------------------------

SEARCH_MAX_TERMS = 8
SEARCH_MAX_LENGTH = 100


def notice_public_list() -> QuerySet:
    """Published notices, newest first, with their current version. One query a page.
    Withdrawn notices answer 410 on their own page but are listed nowhere."""
    return (DebunkNotice.objects.select_related("current_version").filter(status=NoticeStatus.PUBLISHED)
            .order_by("-published_at", "-id"))


def notice_public_search(query: str) -> QuerySet:
    """Published notices whose current title, claim or facts hold every word of `query`
    (Chinese has no spaces, so a phrase is one word). An empty query lists them all. One query a page."""
    notices = notice_public_list()
    for term in (query or "")[:SEARCH_MAX_LENGTH].split()[:SEARCH_MAX_TERMS]:
        notices = notices.filter(Q(current_version__title__icontains=term) | Q(current_version__claim__icontains=term)
                                 | Q(current_version__body__icontains=term))
    return notices


def notice_public_stamp(*, public_id) -> tuple | None:
    """What changes when the public page of the notice must change — status, current version,
    dates — or None when the public may not see it. One indexed query; no content read."""
    rows = (DebunkNotice.objects.filter(public_id=public_id, status__in=PUBLIC_STATES)
            .values_list("pk", "status", "current_version_id", "current_version__created_at", "published_at",
                         "withdrawn_at")[:1])
    return rows[0] if rows else None


def notices_public_stamp() -> tuple:
    """What changes when any public list of notices must change. One aggregate query."""
    row = DebunkNotice.objects.filter(status__in=PUBLIC_STATES).aggregate(
        count=Count("id"), version=Max("current_version_id"), published=Max("published_at"),
        changed=Max("current_version__created_at"), withdrawn=Max("withdrawn_at"))
    return tuple(row[k] for k in ("count", "version", "published", "changed", "withdrawn"))


def notice_first_appearance(notice: DebunkNotice) -> dict | None:
    """The earliest post of the rumour with a public URL: {"url", "posted_at"} only — never its
    author. None when no report of the case has a URL. One query."""
    from rumorcases.cases.models import Report

    row = (Report.objects.filter(case_id=notice.case_id).exclude(url="").order_by("posted_at", "id")
           .values("url", "posted_at").first())
    return row
