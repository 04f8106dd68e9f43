"""Admin for the audit trail and notifications, and the pieces every app's admin shares.

The admin is an interface like any other: anyone with a view permission may read,
but every write goes through a service (which checks the role, writes the audit
event and notifies), FSM state fields are never editable, and history is read-only.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.fsm import changed_meanwhile
from rumorcases.core.models import AuditChainHead, AuditEvent, Counter, Notification

admin.site.site_header = _("rumorcases")
admin.site.site_title = _("rumorcases")
admin.site.index_title = _("Rumour accountability mechanism")


# --- shared building blocks --------------------------------------------------------


def fsm_permission(model, name: str) -> str | None:
    """The permission string django-fsm checks for transition `name` of `model`."""
    transitions = getattr(model, name)._django_fsm.transitions.values()
    return next((t.permission for t in transitions if isinstance(t.permission, str)), None)


def object_label(obj) -> str:
    return getattr(obj, "reference", "") or str(obj)


def run_for_each(modeladmin, request, queryset, call, *, description, reason: str = "") -> None:
    """Call `call(obj, user, reason)` once per selected object, each in its own service transaction,
    and tell the user what happened to each: one success line, one error line per refusal."""
    done = []
    for obj in queryset:
        try:
            call(obj, request.user, reason)
        except ConcurrentTransition:
            modeladmin.message_user(request, f"{object_label(obj)}: {changed_meanwhile(obj).message}",
                                    messages.ERROR)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{object_label(obj)}: {exc.message}", messages.ERROR)
        else:
            done.append(object_label(obj))
    if done:
        modeladmin.message_user(
            request,
            gettext("%(action)s: done for %(objects)s.") % {"action": description, "objects": ", ".join(done)},
            messages.SUCCESS,
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))


def service_action(call, *, name: str, description, permission: str | None, needs_reason: bool = False,
                   reason_label=None):
    """A changelist action that runs a service on each selected object.

    `call(obj, user, reason)` calls the service. With `needs_reason`, the action first
    shows a page asking for the reason (like the delete confirmation), then applies it
    to every selected object. `permission` hides the action from users who lack it;
    the service still checks each object itself.
    """

    def action(modeladmin, request, queryset):
        reason = ""
        if needs_reason:
            form = ReasonForm(request.POST if "apply" in request.POST else None)
            if reason_label is not None:
                form.fields["reason"].label = reason_label
            if not form.is_valid():
                return TemplateResponse(request, "admin/action_with_reason.html", {
                    **modeladmin.admin_site.each_context(request),
                    "title": description,
                    "opts": modeladmin.model._meta,
                    "objects": list(queryset),
                    "form": form,
                    "action_name": name,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                })
            reason = form.cleaned_data["reason"]
        run_for_each(modeladmin, request, queryset, call, description=description, reason=reason)
        return None

    action.__name__ = name
    action.short_description = description
    action.required_permission = permission
    return action


class BaseAdmin(admin.ModelAdmin):
    """Hides actions whose `required_permission` the user lacks."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {
            key: value for key, value in actions.items()
            if getattr(value[0], "required_permission", None) is None
            or request.user.has_perm(value[0].required_permission)
        }


class ReadOnlyAdmin(BaseAdmin):
    """History and bookkeeping: shown to whoever may view it; never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdmin(BaseAdmin):
    """An admin whose add and change forms write through services.

    `add_perm`: the permission the creating service checks (None: no adding here).
    `change_perms`: any of these lets the user open the form for the fields a service edits.
    Subclasses implement `create_through_service(request, form)` and
    `change_through_services(request, obj, form)`. A refusal (`ApplicationError`)
    rolls the whole request back and shows the form again with the service's message.
    Records are never deleted here.
    """

    add_perm: str | None = None
    change_perms: tuple[str, ...] = ()

    def has_add_permission(self, request):
        return self.add_perm is not None and request.user.has_perm(self.add_perm)

    def has_change_permission(self, request, obj=None):
        return any(request.user.has_perm(perm) for perm in self.change_perms)

    def has_delete_permission(self, request, obj=None):
        return False

    def create_through_service(self, request, form):
        raise NotImplementedError

    def change_through_services(self, request, obj, form):
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ApplicationError, ConcurrentTransition) as exc:
            # The atomic block around the form view has rolled everything back; show the
            # form again, bound to what was posted, with the service's answer on it. A save
            # that found the state moved since the form loaded the object is "changed meanwhile".
            request._service_error = exc if isinstance(exc, ApplicationError) else changed_meanwhile(self.model)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_service_error", None)
        if error is None:
            return form_class

        class ServiceRefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                self.add_error(None, error.message)
                for field, field_errors in error.fields.items():
                    name = field if field in self.fields else None
                    for message in field_errors:
                        self.add_error(name, message if name else f"{field}: {message}")
                return cleaned

        return ServiceRefusedForm

    def save_model(self, request, obj, form, change):
        if change:
            self.change_through_services(request, obj, form)
            return
        created = self.create_through_service(request, form)
        # The admin goes on with `obj` (its log entry, its redirect): make it the created row.
        obj.__dict__.update(created.__dict__)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields are set by the services; inlines here are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


def pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))


# --- core models ---------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The append-only audit trail: nobody adds, edits or deletes events, superusers included."""

    list_display = ["seq", "occurred_at", "actor_label", "action", "object_type", "object_id", "case_reference"]
    list_filter = ["action", "object_type"]
    search_fields = ["=case_reference", "=object_id", "action", "actor_label"]
    search_help_text = _("Case reference or object id (exact), action or username.")
    date_hierarchy = "occurred_at"
    ordering = ["-seq"]
    # The table only grows: counting it twice per page is wasted work.
    show_full_result_count = False
    fields = ["seq", "occurred_at", "actor", "actor_label", "action", "object_type", "object_id", "case_reference",
              "event_data", "prev_hash", "hash"]
    readonly_fields = fields
    actions = None

    @admin.display(description=_("data"))
    def event_data(self, obj):
        return pretty_json(obj.data)


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["id", "last_seq", "last_hash"]
    actions = None


@admin.register(Counter)
class CounterAdmin(ReadOnlyAdmin):
    list_display = ["name", "value"]
    search_fields = ["name"]
    actions = None


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "case_reference", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient"]
    search_fields = ["=case_reference", "title", "recipient__username"]
    date_hierarchy = "created_at"
    actions = None


from rumorcases.core.models import TaskFailure  # noqa: E402 - appended with its admin


@admin.register(TaskFailure)
class TaskFailureAdmin(ReadOnlyAdmin):
    """Background tasks that failed for good (rumorcases/core/tasks_base.py): what did not happen, and why."""

    list_display = ["failed_at", "task_name", "args", "exception_type", "retries"]
    list_filter = ["task_name", "exception_type"]
    search_fields = ["=task_id", "task_name", "message"]
    date_hierarchy = "failed_at"
    fields = ["failed_at", "task_name", "task_id", "args", "kwargs", "retries", "exception_type", "message",
              "traceback"]
    readonly_fields = fields
    actions = None
