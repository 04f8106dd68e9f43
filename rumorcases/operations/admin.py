"""Escalations are the sweep's record: read-only. Preferences are the users' own, shown for support."""

from django.contrib import admin

from rumorcases.core.admin import ReadOnlyAdmin
from rumorcases.operations.models import Escalation, NotificationPreference


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "level", "case", "order", "consultation", "stage", "deadline", "recipients"]
    list_filter = ["level", "stage"]
    search_fields = ["case__reference", "order__reference", "consultation__case__reference"]
    list_select_related = ["case", "order", "consultation"]
    readonly_fields = ["case", "order", "consultation", "level", "stage", "deadline", "created_at", "recipients"]
    fields = readonly_fields


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "language", "email_kinds", "updated_at"]
    list_filter = ["language"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "language", "email_kinds", "updated_at"]
    fields = readonly_fields
