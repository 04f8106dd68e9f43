"""Admin for exposure bulletins: drafted through `bulletin_create` and `bulletin_add_entry`,
submitted, sent back and published (four-eyes) through their services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rumorcases.bulletins import services
from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin, BulletinEntry
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.models import Case
from rumorcases.core.admin import ReadOnlyInline, ServiceAdmin, fsm_permission, service_action


class EntryInline(ReadOnlyInline):
    model = BulletinEntry
    fields = ["position", "case", "headline", "measures_summary"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case")


@admin.register(Bulletin)
class BulletinAdmin(ServiceAdmin):
    add_perm = "bulletins.draft_bulletin"
    list_display = ["__str__", "period_start", "period_end", "status", "drafted_by", "published_by", "published_at"]
    list_filter = ["status", "year"]
    list_select_related = ["drafted_by", "published_by"]
    search_fields = ["title", "title_en"]
    date_hierarchy = "period_end"
    inlines = [EntryInline]
    add_fields = ["title", "title_en", "period_start", "period_end", "introduction"]
    record_fields = ["status", "year", "issue_number", "drafted_by", "created_at", "submitted_at", "review_comments",
                     "published_by", "published_at", "public_id"]
    actions = [
        service_action(lambda bulletin, user, reason: services.bulletin_submit(bulletin=bulletin, by=user),
                       name="submit_for_review", description=_("Submit for review"),
                       permission=fsm_permission(Bulletin, "submit")),
        service_action(lambda bulletin, user, reason: services.bulletin_send_back(bulletin=bulletin, by=user,
                                                                                 comments=reason),
                       name="send_back", description=_("Send back to the drafter"),
                       permission=fsm_permission(Bulletin, "send_back"), needs_reason=True,
                       reason_label=_("What must change")),
        service_action(lambda bulletin, user, reason: services.bulletin_publish(bulletin=bulletin, by=user),
                       name="publish", description=_("Approve and publish"),
                       permission=fsm_permission(Bulletin, "publish")),
    ]

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else [*self.add_fields, *self.record_fields]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return services.bulletin_create(by=request.user, title=data["title"], title_en=data["title_en"],
                                        period_start=data["period_start"], period_end=data["period_end"],
                                        introduction=data["introduction"])


@admin.register(BulletinEntry)
class BulletinEntryAdmin(ServiceAdmin):
    """Entries are added to draft bulletins through `bulletin_add_entry` and removed through
    `bulletin_remove_entry`; a submitted or published bulletin's entries stay as they are."""

    add_perm = "bulletins.draft_bulletin"
    list_display = ["headline", "bulletin", "case", "position"]
    list_filter = ["bulletin__status"]
    list_select_related = ["bulletin", "case"]
    search_fields = ["headline", "=case__reference", "bulletin__title"]
    fields = ["bulletin", "case", "headline", "rumour_summary", "finding_summary", "measures_summary", "position"]
    readonly_fields = ["position"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bulletin":
            kwargs["queryset"] = Bulletin.objects.filter(status=BulletinStatus.DRAFT)
        elif db_field.name == "case":
            kwargs["queryset"] = Case.objects.filter(status=CaseStatus.EXPOSING)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if not request.user.has_perm("bulletins.draft_bulletin"):
            return False
        return obj is None or obj.bulletin.status == BulletinStatus.DRAFT

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return services.bulletin_add_entry(
            bulletin=data["bulletin"], case=data["case"], by=request.user, headline=data["headline"],
            rumour_summary=data["rumour_summary"], finding_summary=data["finding_summary"],
            # Left empty, the line is written from the case's executed penalties.
            measures=data["measures_summary"] or None,
        )

    def delete_model(self, request, obj):
        services.bulletin_remove_entry(entry=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset.select_related("bulletin", "case"):
            services.bulletin_remove_entry(entry=entry, by=request.user)
