"""Admin for debunk notices. Drafting happens in the staff UI (`notice_create`, `notice_edit`);
here notices are read, and moved on through their services: submit, approve, send back, withdraw."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rumorcases.core.admin import ReadOnlyAdmin, ReadOnlyInline, fsm_permission, pretty_json, service_action
from rumorcases.notices import services
from rumorcases.notices.choices import ReviewDecision
from rumorcases.notices.models import DebunkNotice, NoticeCorrection, NoticeReview, NoticeVersion


class VersionInline(ReadOnlyInline):
    model = NoticeVersion
    fields = ["number", "title", "verdict", "author", "created_at", "content_sha256"]
    readonly_fields = fields
    ordering = ["-number"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class ReviewInline(ReadOnlyInline):
    model = NoticeReview
    fields = ["created_at", "reviewer", "decision", "version", "comments"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewer", "version")


class CorrectionInline(ReadOnlyInline):
    model = NoticeCorrection
    fields = ["created_at", "corrected_by", "version", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("corrected_by", "version")


def _approve(notice, user, reason):
    services.notice_review(notice=notice, by=user, decision=ReviewDecision.APPROVE, comments=reason)


def _send_back(notice, user, reason):
    services.notice_review(notice=notice, by=user, decision=ReviewDecision.RETURN, comments=reason)


@admin.register(DebunkNotice)
class DebunkNoticeAdmin(ReadOnlyAdmin):
    list_display = ["document_number", "title", "case", "status", "created_by", "approved_by", "published_at"]
    list_display_links = ["document_number", "title"]
    list_filter = ["status"]
    list_select_related = ["case", "current_version", "created_by", "approved_by"]
    search_fields = ["document_number", "=case__reference", "current_version__title"]
    date_hierarchy = "created_at"
    inlines = [VersionInline, ReviewInline, CorrectionInline]
    fieldsets = [
        (None, {"fields": ["case", "status", "document_number", "public_id"]}),
        (_("Current text"), {"fields": ["title", "claim", "verdict", "body", "sources", "content_sha256"]}),
        (_("Who and when"), {"fields": ["created_by", "created_at", "submitted_at", "approved_by", "approved_at",
                                        "published_by", "published_at", "withdrawn_at", "withdrawal_statement"]}),
    ]
    actions = [
        service_action(lambda notice, user, reason: services.notice_submit(notice=notice, by=user),
                       name="submit_for_review", description=_("Submit for review"),
                       permission=fsm_permission(DebunkNotice, "submit")),
        service_action(_approve, name="approve", description=_("Approve"),
                       permission=fsm_permission(DebunkNotice, "approve")),
        service_action(_send_back, name="send_back", description=_("Send back to the editor"),
                       permission=fsm_permission(DebunkNotice, "send_back"), needs_reason=True,
                       reason_label=_("What must change")),
        service_action(lambda notice, user, reason: services.notice_withdraw(notice=notice, by=user,
                                                                             statement=reason),
                       name="withdraw", description=_("Withdraw"),
                       permission=fsm_permission(DebunkNotice, "withdraw"), needs_reason=True,
                       reason_label=_("Public statement")),
    ]

    @admin.display(description=_("title"), ordering="current_version__title")
    def title(self, obj):
        return obj.current_version.title if obj.current_version_id else "—"

    def _current(self, obj, name):
        return getattr(obj.current_version, name) if obj.current_version_id else "—"

    @admin.display(description=_("claim"))
    def claim(self, obj):
        return self._current(obj, "claim")

    @admin.display(description=_("verdict"))
    def verdict(self, obj):
        return obj.current_version.get_verdict_display() if obj.current_version_id else "—"

    @admin.display(description=_("the facts"))
    def body(self, obj):
        return self._current(obj, "body")

    @admin.display(description=_("sources"))
    def sources(self, obj):
        return pretty_json(obj.current_version.sources) if obj.current_version_id else "—"

    @admin.display(description=_("SHA-256 of the text"))
    def content_sha256(self, obj):
        return self._current(obj, "content_sha256")


class NoticeHistoryAdmin(ReadOnlyAdmin):
    actions = None


@admin.register(NoticeVersion)
class NoticeVersionAdmin(NoticeHistoryAdmin):
    list_display = ["notice", "number", "title", "verdict", "author", "created_at", "content_sha256"]
    list_filter = ["verdict"]
    list_select_related = ["notice__current_version", "author"]
    search_fields = ["title", "=content_sha256", "notice__document_number"]


@admin.register(NoticeReview)
class NoticeReviewAdmin(NoticeHistoryAdmin):
    list_display = ["created_at", "notice", "version", "reviewer", "decision"]
    list_filter = ["decision"]
    list_select_related = ["notice__current_version", "version", "reviewer"]
    search_fields = ["notice__document_number", "comments"]


@admin.register(NoticeCorrection)
class NoticeCorrectionAdmin(NoticeHistoryAdmin):
    list_display = ["created_at", "notice", "version", "corrected_by"]
    list_select_related = ["notice__current_version", "version", "corrected_by"]
    search_fields = ["notice__document_number", "note"]
