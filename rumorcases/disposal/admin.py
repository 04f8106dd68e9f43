"""Admin for accounts, subjects, legal provisions, penalties and orders to platforms."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from rumorcases.core.admin import (
    BaseAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceAdmin,
    fsm_permission,
    service_action,
)
from rumorcases.disposal import services
from rumorcases.disposal.models import Account, DisposalOrder, LegalProvision, OrderItem, Penalty, Subject


class AccountInline(ReadOnlyInline):
    model = Account
    fields = ["platform", "handle", "display_name", "account_type", "followers", "verified"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("platform")


class AccountPenaltyInline(ReadOnlyInline):
    """The account's record: earlier penalties weigh on the next one."""

    model = Penalty
    fk_name = "account"
    fields = ["case", "role", "measure", "duration_days", "status", "proposed_at"]
    readonly_fields = fields
    verbose_name_plural = _("penalties (the account's record)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case")


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = ["kind", "url", "account", "penalty", "outcome", "done_at", "note"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "penalty__account")


@admin.register(Subject)
class SubjectAdmin(BaseAdmin):
    list_display = ["name", "kind", "account_count", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
    inlines = [AccountInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(account_count=Count("accounts"))

    @admin.display(description=_("accounts"), ordering="account_count")
    def account_count(self, obj):
        return obj.account_count

    def has_delete_permission(self, request, obj=None):
        # Unlinking accounts would hide repeat offences; accounts are relinked through the account page.
        return False


@admin.register(Account)
class AccountAdmin(ServiceAdmin):
    """Accounts come from platform reports; the office only says who is behind one (`subject_link_account`)."""

    change_perms = ("disposal.change_account",)
    list_display = ["handle", "display_name", "platform", "account_type", "followers", "verified", "subject"]
    list_filter = ["platform", "account_type", "verified"]
    list_select_related = ["platform", "subject"]
    search_fields = ["handle", "display_name", "=platform_account_id", "subject__name"]
    autocomplete_fields = ["subject"]
    fields = ["platform", "platform_account_id", "handle", "display_name", "account_type", "followers", "verified",
              "subject", "first_seen_at", "updated_at"]
    readonly_fields = ["platform", "platform_account_id", "handle", "display_name", "account_type", "followers",
                       "verified", "first_seen_at", "updated_at"]
    inlines = [AccountPenaltyInline]

    def change_through_services(self, request, obj, form):
        if "subject" in form.changed_data:
            services.subject_link_account(account=obj, subject=form.cleaned_data["subject"], by=request.user)


@admin.register(LegalProvision)
class LegalProvisionAdmin(BaseAdmin):
    list_display = ["code", "law", "article", "active"]
    list_filter = ["active", "law"]
    search_fields = ["code", "law", "law_en", "article", "text"]

    def has_delete_permission(self, request, obj=None):
        # Penalties cite provisions for good; a provision leaves the catalogue by being made inactive.
        return False


@admin.register(Penalty)
class PenaltyAdmin(ServiceAdmin):
    """Proposed through `penalty_propose` (four-eyes for anything heavier than a warning), then
    approved, revoked, appealed or upheld through their services."""

    add_perm = "disposal.propose_penalty"
    list_display = ["id", "case", "account", "role", "measure", "duration_days", "prior_offences", "status",
                    "proposed_by", "approved_by"]
    list_filter = ["status", "measure", "role"]
    list_select_related = ["case", "account", "proposed_by", "approved_by"]
    search_fields = ["=case__reference", "account__handle", "=account__platform_account_id"]
    autocomplete_fields = ["case", "account"]
    add_fields = ["case", "account", "role", "measure", "duration_days", "legal_provision", "reasoning"]
    record_fields = ["status", "prior_offences", "proposed_by", "proposed_at", "approved_by", "approved_at",
                     "executed_at", "revoked_reason", "status_before_appeal", "appeal_note"]
    actions = [
        service_action(lambda penalty, user, reason: services.penalty_approve(penalty=penalty, by=user),
                       name="approve", description=_("Approve"), permission=fsm_permission(Penalty, "approve")),
        service_action(lambda penalty, user, reason: services.penalty_revoke(penalty=penalty, by=user, reason=reason),
                       name="revoke", description=_("Revoke"), permission=fsm_permission(Penalty, "revoke"),
                       needs_reason=True),
        service_action(lambda penalty, user, reason: services.penalty_appeal(penalty=penalty, by=user, note=reason),
                       name="record_appeal", description=_("Record an appeal"),
                       permission=fsm_permission(Penalty, "appeal"), needs_reason=True,
                       reason_label=_("The appeal")),
        service_action(lambda penalty, user, reason: services.penalty_uphold(penalty=penalty, by=user),
                       name="uphold", description=_("Uphold after appeal"),
                       permission=fsm_permission(Penalty, "uphold")),
    ]

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else [*self.add_fields, *self.record_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "legal_provision":
            kwargs["queryset"] = LegalProvision.objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create_through_service(self, request, form):
        data = form.cleaned_data
        return services.penalty_propose(case=data["case"], account=data["account"], role=data["role"],
                                        measure=data["measure"], legal_provision=data["legal_provision"],
                                        reasoning=data["reasoning"], by=request.user,
                                        duration_days=data["duration_days"])


@admin.register(DisposalOrder)
class DisposalOrderAdmin(ReadOnlyAdmin):
    """Issued through `order_issue` from the staff UI; platforms answer over the API; the office may waive."""

    list_display = ["reference", "case", "platform", "status", "due_at", "overdue", "issued_by", "issued_at"]
    list_filter = ["status", "platform"]
    list_select_related = ["case", "platform", "issued_by"]
    search_fields = ["reference", "=case__reference"]
    date_hierarchy = "issued_at"
    inlines = [OrderItemInline]
    actions = [
        service_action(lambda order, user, reason: services.order_waive(order=order, by=user, reason=reason),
                       name="waive", description=_("Waive"), permission=fsm_permission(DisposalOrder, "waive"),
                       needs_reason=True),
    ]

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue


@admin.register(OrderItem)
class OrderItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "kind", "account", "penalty", "url", "outcome", "done_at"]
    list_filter = ["kind", "outcome"]
    list_select_related = ["order", "account", "penalty__account"]
    search_fields = ["order__reference", "url", "account__handle"]
    actions = None
