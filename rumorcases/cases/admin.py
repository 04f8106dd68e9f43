"""Admin for cases and what hangs off them.

Case transitions are offered twice, both through `cases.workflow.TRANSITION_SERVICES`:
as buttons on the case page (the transitions the user may fire now, each asking for
a reason) and as changelist actions on selected cases.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from rumorcases.bulletins.models import BulletinEntry
from rumorcases.cases import services
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.models import (
    Campaign,
    Case,
    CaseComment,
    CaseParty,
    CaseTransition,
    Consultation,
    EvidenceItem,
    Finding,
    Report,
    StageDeadline,
)
from rumorcases.cases.workflow import REASON_REQUIRED_FOR, TRANSITION_SERVICES
from rumorcases.core import roles
from rumorcases.core.admin import (
    BaseAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceAdmin,
    fsm_permission,
    pretty_json,
    service_action,
)
from rumorcases.core.exceptions import GUARD_FAILED, ApplicationError
from rumorcases.core.fsm import available_transitions, changed_meanwhile, refusal
from rumorcases.core.fsm import transition_label as fsm_transition_label
from rumorcases.core.selectors import audit_trail_for_case
from rumorcases.disposal.models import DisposalOrder, Penalty
from rumorcases.notices.models import DebunkNotice

# The audit trail on a case page shows at most this many events, newest first.
AUDIT_TRAIL_LIMIT = 200


def transition_label(name: str):
    return fsm_transition_label(Case, name)


def _compact(data) -> str:
    """An audit event's data on one line, for the case page's audit trail."""
    return "; ".join(f"{key}={value}" for key, value in sorted((data or {}).items()))


def _working_staff():
    """Users a case may be assigned to: active, with a role other than auditor."""
    working = [role for role in roles.ALL_ROLES if role != roles.AUDITOR]
    return get_user_model().objects.filter(is_active=True, groups__name__in=working).distinct().order_by("username")


# --- inlines of the case page (all read-only) -------------------------------------------


class CaseTransitionInline(ReadOnlyInline):
    model = CaseTransition
    fields = ["created_at", "name", "source", "target", "actor", "reason"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    show_change_link = False
    verbose_name_plural = _("transition history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ["external_id", "platform", "author", "posted_at", "views", "reposts", "match_reason", "received_at"]
    readonly_fields = fields
    ordering = ["-received_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("platform", "author")


class EvidenceInline(ReadOnlyInline):
    model = EvidenceItem
    fields = ["original_name", "kind", "sha256", "size", "content_type", "description", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    ordering = ["-uploaded_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = ["verdict", "reasoning", "evidence_hashes", "recorded_by", "recorded_at"]
    readonly_fields = fields
    ordering = ["-recorded_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by").prefetch_related("evidence")

    @admin.display(description=_("evidence (SHA-256)"))
    def evidence_hashes(self, obj):
        return ", ".join(item.sha256[:16] for item in obj.evidence.all()) or "—"


class ConsultationInline(ReadOnlyInline):
    model = Consultation
    fields = ["authority_name", "question", "due_at", "answered_at", "answer"]
    readonly_fields = fields


class CommentInline(ReadOnlyInline):
    model = CaseComment
    fields = ["created_at", "author", "body"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class PartyInline(ReadOnlyInline):
    """Victims and reporters: shown only to users with `view_caseparty` (the admin checks it)."""

    model = CaseParty
    fields = ["role", "name", "contact", "notes"]
    readonly_fields = fields


class NoticeInline(ReadOnlyInline):
    model = DebunkNotice
    fk_name = "case"
    fields = ["document_number", "current_version", "status", "created_by", "approved_by", "published_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("current_version", "created_by", "approved_by")


class PenaltyInline(ReadOnlyInline):
    model = Penalty
    fields = ["account", "role", "measure", "duration_days", "legal_provision", "prior_offences", "status"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "legal_provision")


class OrderInline(ReadOnlyInline):
    model = DisposalOrder
    fields = ["reference", "platform", "status", "due_at", "issued_at", "waived_reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("platform")


class BulletinEntryInline(ReadOnlyInline):
    model = BulletinEntry
    fields = ["bulletin", "headline"]
    readonly_fields = fields
    verbose_name_plural = _("exposure bulletins")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bulletin")


# --- the case -------------------------------------------------------------------------


class CaseTransitionForm(forms.Form):
    """What the transition buttons post: the reason, the state the user saw, and for a merge the target."""

    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    target = forms.CharField(label=_("Merge into case (reference)"), max_length=32)
    expected_status = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, name: str, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        if name != "merge_into":
            del self.fields["target"]
        self.fields["reason"].required = name in REASON_REQUIRED_FOR
        self.fields["expected_status"].initial = case.status

    def clean_target(self):
        reference = self.cleaned_data["target"].strip()
        target = Case.objects.filter(reference=reference).first()
        if target is None:
            raise forms.ValidationError(gettext("There is no case %(ref)s.") % {"ref": reference})
        return target


def _transition_action(name: str):
    service = TRANSITION_SERVICES[name]
    return service_action(
        lambda case, user, reason: service(case=case, by=user, reason=reason),
        name=f"transition_{name}", description=transition_label(name), permission=fsm_permission(Case, name),
        needs_reason=name in REASON_REQUIRED_FOR,
    )


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["title", "claim", "category", "priority", "assignee", "campaigns"]


@admin.register(Case)
class CaseAdmin(ServiceAdmin):
    """Opening goes through `case_open`; priority, assignee and campaigns through their services;
    the state only ever moves through the workflow services."""

    form = CaseForm
    add_perm = "cases.open_case"
    change_perms = ("cases.change_case", "cases.assign_case", "cases.work_case")
    change_form_template = "admin/cases/case/change_form.html"
    list_display = ["reference", "short_title", "status", "priority", "category", "assignee", "stage_deadline",
                    "overdue", "created_at"]
    list_display_links = ["reference", "short_title"]
    view_on_site = False
    list_filter = ["status", "priority", "category", "resolution", "campaigns"]
    list_select_related = ["assignee"]
    search_fields = ["reference", "title", "claim"]
    search_help_text = _("Reference, title or claim.")
    date_hierarchy = "created_at"
    filter_horizontal = ["campaigns"]
    actions = [_transition_action(name) for name in TRANSITION_SERVICES if name != "merge_into"]
    @admin.display(description=_("title"), ordering="title")
    def short_title(self, obj):
        return Truncator(obj.title).chars(40)

    inlines = [CaseTransitionInline, ReportInline, EvidenceInline, FindingInline, ConsultationInline, CommentInline,
               PartyInline, NoticeInline, PenaltyInline, OrderInline, BulletinEntryInline]
    add_fieldsets = [(None, {"fields": ["title", "claim", "category", "priority", "campaigns"]})]
    workflow_fields = ["reference", "status", "resolution", "merged_into", "stage_started_at", "stage_deadline",
                       "closed_at", "created_by", "created_at", "updated_at"]

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        fieldsets = [
            (None, {"fields": ["title", "claim", "category", "priority", "assignee", "campaigns"]}),
            (_("Workflow"), {"fields": self.workflow_fields}),
        ]
        if request.user.has_perm("core.view_auditevent"):
            fieldsets.append((_("Audit trail"), {"fields": ["audit_trail"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        user = request.user
        readonly = [*self.workflow_fields, "audit_trail"]
        if not user.has_perm("cases.change_case"):
            readonly += ["title", "claim", "category"]
        if not user.has_perm("cases.assign_case"):
            readonly += ["priority", "assignee"]
        if not user.has_perm("cases.work_case"):
            readonly += ["campaigns"]
        return readonly

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = _working_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj):
        """The case's audit events, newest first: one query (AuditEvent has no key to the case)."""
        events = list(audit_trail_for_case(case_reference=obj.reference)[:AUDIT_TRAIL_LIMIT])
        if not events:
            return "—"
        rows = format_html_join(
            "", "<tr><td><a href=\"{}\">#{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (reverse("admin:core_auditevent_change", args=[event.pk]), event.seq,
                 timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"), event.actor_label,
                 event.action, Truncator(_compact(event.data)).chars(160))
                for event in events
            ),
        )
        everything = reverse("admin:core_auditevent_changelist") + "?" + urlencode({"case_reference": obj.reference})
        return format_html(
            '<table class="audit-trail"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>'
            '</thead><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            gettext("when"), gettext("who"), gettext("action"), gettext("data"), rows, everything,
            gettext("All audit events of this case"),
        )

    # --- writes through services ---

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return services.case_open(by=request.user, title=data["title"], claim=data["claim"],
                                  category=data["category"], priority=data["priority"], campaigns=data["campaigns"])

    def change_through_services(self, request, obj, form):
        changed, data, user = set(form.changed_data), form.cleaned_data, request.user
        if "priority" in changed:
            services.case_set_priority(case=obj, priority=data["priority"], by=user)
        if "assignee" in changed:
            services.case_assign(case=obj, assignee=data["assignee"], by=user)
        if "campaigns" in changed:
            services.case_tag_campaigns(case=obj, campaigns=list(data["campaigns"]), by=user)
        details = {name: data[name] for name in ("title", "claim", "category") if name in changed}
        if details:
            services.case_update_details(case=obj, by=user, **details)

    # --- transitions ---

    def get_urls(self):
        custom = [
            path("<path:object_id>/transition/<str:name>/", self.admin_site.admin_view(self.transition_view),
                 name="cases_case_transition"),
        ]
        return custom + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add:
            context["workflow"] = self._workflow(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _workflow(self, request, case):
        """The buttons: what this user may fire now, and what their role could fire but a guard blocks."""
        names = available_transitions(case, request.user)
        buttons = [
            {"name": name, "label": transition_label(name), "needs_reason": name in REASON_REQUIRED_FOR,
             "is_merge": name == "merge_into",
             "url": reverse("admin:cases_case_transition", args=[case.pk, name])}
            for name in names if name in TRANSITION_SERVICES
        ]
        blocked = []
        for transition in case.get_all_status_transitions():
            if transition.source != case.status or transition.name in names:
                continue
            problem = refusal(case, transition.name, request.user)
            if problem is not None and problem.code == GUARD_FAILED:
                blocked.append({"label": transition_label(transition.name), "message": problem.message})
        return {"status": case.status, "status_label": case.get_status_display(), "buttons": buttons,
                "blocked": blocked}

    def transition_view(self, request, object_id, name):
        """Fire transition `name` on the case (POST), or show the form asking for its reason (GET)."""
        service = TRANSITION_SERVICES.get(name)
        if service is None:
            raise Http404
        case = self.get_object(request, unquote(object_id))
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        change_url = reverse("admin:cases_case_change", args=[case.pk])
        form = CaseTransitionForm(request.POST if request.method == "POST" else None, name=name, case=case)
        if request.method == "POST" and form.is_valid():
            try:
                self._fire(request, case, name, service, form.cleaned_data)
            except ConcurrentTransition:
                messages.error(request, changed_meanwhile(case).message)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, gettext("%(ref)s: %(action)s done; the case is now %(state)s.") % {
                    "ref": case.reference, "action": transition_label(name),
                    "state": CaseStatus(case.status).label})
            return HttpResponseRedirect(change_url)
        return TemplateResponse(request, "admin/cases/case/transition.html", {
            **self.admin_site.each_context(request),
            "title": f"{transition_label(name)}: {case.reference}",
            "opts": self.opts,
            "original": case,
            "form": form,
            "label": transition_label(name),
            "change_url": change_url,
        })

    def _fire(self, request, case, name, service, data):
        expected = data.get("expected_status")
        if expected and expected != case.status:
            # The page the user acted on showed another state: someone moved the case meanwhile.
            raise changed_meanwhile(case)
        kwargs = {"reason": data.get("reason", "")}
        if name == "merge_into":
            kwargs["target"] = data["target"]
        with transaction.atomic():
            service(case=case, by=request.user, **kwargs)


# --- the rest of the cases app ----------------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(BaseAdmin):
    list_display = ["name", "name_en", "slug", "starts_on", "ends_on", "running"]
    list_filter = ["starts_on"]
    search_fields = ["name", "name_en", "slug"]
    readonly_fields = ["created_at"]

    @admin.display(description=_("running"), boolean=True)
    def running(self, obj):
        return obj.is_running()

    def has_delete_permission(self, request, obj=None):
        # Cases stay tagged with the campaigns they were handled under; a campaign ends by its end date.
        return False


@admin.register(StageDeadline)
class StageDeadlineAdmin(BaseAdmin):
    list_display = ["stage", "priority", "hours"]
    list_filter = ["stage", "priority"]
    ordering = ["stage", "priority"]


@admin.register(CaseTransition)
class CaseTransitionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "case", "name", "source", "target", "actor"]
    list_filter = ["name", "target"]
    list_select_related = ["case", "actor"]
    search_fields = ["=case__reference", "reason"]
    date_hierarchy = "created_at"
    fields = ["case", "name", "source", "target", "actor", "reason", "transition_data", "created_at"]
    readonly_fields = fields
    actions = None

    @admin.display(description=_("data"))
    def transition_data(self, obj):
        return pretty_json(obj.data)


class ReportMoveForm(forms.Form):
    target = forms.CharField(label=_("Move to case (reference)"), max_length=32)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def clean_target(self):
        reference = self.cleaned_data["target"].strip()
        target = Case.objects.filter(reference=reference).first()
        if target is None:
            raise forms.ValidationError(gettext("There is no case %(ref)s.") % {"ref": reference})
        return target


class ReportSplitForm(forms.Form):
    title = forms.CharField(label=_("Title of the new case"), max_length=200, required=False,
                            help_text=_("Empty: the report's title or first line."))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """What platforms and monitoring submitted: a record, never edited here, except that staff
    may move a report to another case or split it into a new one (`report_move`, `report_split`)."""

    list_display = ["external_id", "platform", "case_link", "match_reason", "match_score", "author", "views",
                    "reposts", "serious", "source", "received_at"]
    list_filter = ["platform", "source", "category", "content_type", "match_reason"]
    list_select_related = ["platform", "case", "author"]
    search_fields = ["external_id", "=case__reference", "url", "content"]
    date_hierarchy = "received_at"
    readonly_fields = ["case_link", "relocate"]
    inlines = [EvidenceInline]

    @admin.display(description=_("serious spread"), boolean=True)
    def serious(self, obj):
        return obj.reaches_serious_threshold

    @admin.display(description=_("case"), ordering="case__reference")
    def case_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:cases_case_change", args=[obj.case_id]), obj.case)

    @admin.display(description=_("move or split"))
    def relocate(self, obj):
        return format_html('<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
                           reverse("admin:cases_report_relocate", args=[obj.pk, "move"]), gettext("Move to case"),
                           reverse("admin:cases_report_relocate", args=[obj.pk, "split"]),
                           gettext("Split into a new case"))

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.has_perm("cases.merge_case") else [f for f in fields if f != "relocate"]

    def get_urls(self):
        custom = [
            path("<path:object_id>/relocate/<str:kind>/", self.admin_site.admin_view(self.relocate_view),
                 name="cases_report_relocate"),
        ]
        return custom + super().get_urls()

    def relocate_view(self, request, object_id, kind):
        """Move the report to another case or split it into a new one (POST), or ask how and why (GET)."""
        if kind not in ("move", "split"):
            raise Http404
        report = self.get_object(request, unquote(object_id))
        if report is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        form_class = ReportMoveForm if kind == "move" else ReportSplitForm
        form = form_class(request.POST if request.method == "POST" else None)
        change_url = reverse("admin:cases_report_change", args=[report.pk])
        label = gettext("Move to case") if kind == "move" else gettext("Split into a new case")
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if kind == "move":
                    services.report_move(report=report, target_case=data["target"], by=request.user,
                                         reason=data["reason"])
                    case = data["target"]
                else:
                    case = services.report_split(report=report, by=request.user, reason=data["reason"],
                                                 title=data["title"])
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, gettext("Report %(report)s is now in case %(ref)s.") % {
                    "report": report.external_id, "ref": case.reference})
            return HttpResponseRedirect(change_url)
        return TemplateResponse(request, "admin/cases/report/relocate.html", {
            **self.admin_site.each_context(request),
            "title": f"{label}: {report.external_id}",
            "opts": self.opts,
            "original": report,
            "form": form,
            "label": label,
            "change_url": change_url,
        })


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ServiceAdmin):
    """Added through `evidence_add` (hash, size and type come from the bytes); only the description
    can change afterwards; never deleted."""

    add_perm = "cases.work_case"
    change_perms = ("cases.work_case",)
    list_display = ["original_name", "case", "kind", "sha256", "size", "content_type", "uploaded_by", "uploaded_at"]
    list_filter = ["kind", "content_type"]
    list_select_related = ["case", "uploaded_by"]
    search_fields = ["=sha256", "original_name", "=case__reference"]
    autocomplete_fields = ["case", "report"]
    add_fields = ["case", "report", "kind", "file", "source_url", "description"]
    readonly_on_change = ["case", "report", "kind", "stored_file", "original_name", "sha256", "size", "content_type",
                          "source_url", "uploaded_by", "uploaded_at"]

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else [*self.readonly_on_change, "description"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_on_change

    @admin.display(description=_("stored file"))
    def stored_file(self, obj):
        # Shown as a name, not a link: evidence is never served as plain media.
        return obj.file.name

    def create_through_service(self, request, form):
        data = form.cleaned_data
        upload = data["file"]
        return services.evidence_add(case=data["case"], upload=upload, by=request.user, original_name=upload.name,
                                     kind=data["kind"], source_url=data["source_url"],
                                     description=data["description"], report=data["report"])

    def change_through_services(self, request, obj, form):
        if "description" in form.changed_data:
            services.evidence_update_description(item=obj, description=form.cleaned_data["description"],
                                                 by=request.user)


@admin.register(Finding)
class FindingAdmin(ServiceAdmin):
    add_perm = "cases.record_finding"
    list_display = ["case", "verdict", "recorded_by", "recorded_at"]
    list_filter = ["verdict"]
    list_select_related = ["case", "recorded_by"]
    search_fields = ["=case__reference", "reasoning"]
    autocomplete_fields = ["case", "evidence"]
    fields = ["case", "verdict", "reasoning", "sources", "evidence", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return services.finding_record(case=data["case"], verdict=data["verdict"], reasoning=data["reasoning"],
                                       by=request.user, sources=data["sources"], evidence=data["evidence"])


@admin.register(Consultation)
class ConsultationAdmin(ServiceAdmin):
    """Asked through `consultation_ask`; the answer recorded once through `consultation_answer`."""

    add_perm = "cases.work_case"
    change_perms = ("cases.work_case",)
    list_display = ["case", "authority", "authority_name", "due_at", "answered", "overdue"]
    list_filter = ["authority", ("answered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["case"]
    search_fields = ["=case__reference", "authority_name", "question"]
    autocomplete_fields = ["case"]
    add_fields = ["case", "authority", "authority_name", "question", "due_at"]
    recorded = ["asked_by", "asked_at", "answered_at", "answer_recorded_by"]

    @admin.display(description=_("answered"), boolean=True)
    def answered(self, obj):
        return obj.is_answered

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else [*self.add_fields, "answer", *self.recorded]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.add_fields, *self.recorded, *(["answer"] if obj.is_answered else [])]

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return services.consultation_ask(case=data["case"], authority=data["authority"],
                                         authority_name=data["authority_name"], question=data["question"],
                                         due_at=data["due_at"], by=request.user)

    def change_through_services(self, request, obj, form):
        if "answer" in form.changed_data:
            services.consultation_answer(consultation=obj, answer=form.cleaned_data["answer"], by=request.user)


@admin.register(CaseComment)
class CaseCommentAdmin(ServiceAdmin):
    add_perm = "cases.work_case"
    list_display = ["created_at", "case", "author", "short_body"]
    list_select_related = ["case", "author"]
    search_fields = ["=case__reference", "body"]
    autocomplete_fields = ["case"]
    fields = ["case", "body", "author", "created_at"]
    readonly_fields = ["author", "created_at"]

    @admin.display(description=_("comment"))
    def short_body(self, obj):
        return Truncator(obj.body).chars(80)

    def create_through_service(self, request, form):
        return services.case_comment_add(case=form.cleaned_data["case"], body=form.cleaned_data["body"],
                                         by=request.user)


@admin.register(CaseParty)
class CasePartyAdmin(ServiceAdmin):
    """Victims, reporters, witnesses: internal only, visible to those with `view_caseparty`."""

    add_perm = "cases.add_caseparty"
    list_display = ["case", "role", "name", "created_at"]
    list_filter = ["role"]
    list_select_related = ["case"]
    search_fields = ["=case__reference", "name"]
    autocomplete_fields = ["case"]
    fields = ["case", "role", "name", "contact", "notes", "created_at"]
    readonly_fields = ["created_at"]

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return services.case_party_add(case=data["case"], role=data["role"], name=data["name"],
                                       contact=data["contact"], notes=data["notes"], by=request.user)
