"""The office's roles, as Django groups, and what each may do.

Synced by a data migration; a change here needs a new migration calling `sync_roles`.
"""

from django.utils.translation import gettext_lazy as _

INTAKE_OFFICER = "intake_officer"
VERIFIER = "verifier"
NOTICE_EDITOR = "notice_editor"
REVIEWER = "reviewer"
DISPOSAL_OFFICER = "disposal_officer"
PUBLISHER = "publisher"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"

ROLE_LABELS = {
    INTAKE_OFFICER: _("Intake officer"),
    VERIFIER: _("Verifier"),
    NOTICE_EDITOR: _("Notice editor"),
    REVIEWER: _("Reviewer"),
    DISPOSAL_OFFICER: _("Disposal officer"),
    PUBLISHER: _("Publisher"),
    SUPERVISOR: _("Supervisor"),
    AUDITOR: _("Auditor"),
}

_READ = [
    "cases.view_case", "cases.view_report", "cases.view_evidenceitem", "cases.view_finding",
    "cases.view_consultation", "cases.view_casetransition", "cases.view_casecomment", "cases.view_campaign",
    "notices.view_debunknotice", "notices.view_noticeversion", "notices.view_noticereview",
    "notices.view_noticecorrection", "disposal.view_account", "disposal.view_subject",
    "disposal.view_penalty", "disposal.view_disposalorder", "disposal.view_orderitem",
    "disposal.view_legalprovision", "bulletins.view_bulletin", "bulletins.view_bulletinentry",
    "platforms.view_platform",
]

ROLE_PERMISSIONS = {
    INTAKE_OFFICER: _READ + [
        "cases.submit_report", "cases.start_verification", "cases.merge_case", "cases.work_case",
        "cases.change_case",
    ],
    VERIFIER: _READ + [
        "cases.start_verification", "cases.merge_case", "cases.confirm_rumour", "cases.clear_case",
        "cases.work_case", "cases.record_finding", "cases.return_to_verification", "cases.change_case",
    ],
    NOTICE_EDITOR: _READ + ["notices.draft_notice", "cases.work_case"],
    REVIEWER: _READ + ["notices.review_notice", "cases.return_to_verification", "cases.work_case"],
    DISPOSAL_OFFICER: _READ + [
        "disposal.propose_penalty", "disposal.issue_order", "cases.complete_disposal", "cases.work_case",
        "disposal.change_account", "disposal.change_subject", "disposal.add_subject",
    ],
    PUBLISHER: _READ + [
        "cases.publish_debunk", "notices.publish_notice", "bulletins.draft_bulletin",
        "bulletins.publish_bulletin", "cases.mark_exposed", "cases.work_case",
    ],
    AUDITOR: _READ + ["core.view_auditevent", "cases.view_caseparty", "platforms.view_apitoken",
                      "platforms.view_webhookdelivery", "platforms.view_webhookattempt"],
}
# The supervisor can do everything the others can, plus reopen, dismiss and close.
ROLE_PERMISSIONS[SUPERVISOR] = sorted(
    {perm for role, perms in ROLE_PERMISSIONS.items() if role != AUDITOR for perm in perms}
    | {
        "cases.dismiss_case", "cases.close_unverifiable", "cases.close_without_exposure", "cases.reopen_case",
        "cases.assign_case", "cases.open_case", "cases.view_caseparty", "cases.add_caseparty",
        "disposal.approve_penalty", "disposal.revoke_penalty", "disposal.waive_order",
        "notices.withdraw_notice", "core.view_auditevent", "core.view_notification",
        # Platforms' API credentials and the log of webhook deliveries.
        "platforms.view_apitoken", "platforms.add_apitoken", "platforms.view_webhookdelivery",
        "platforms.change_webhookdelivery", "platforms.view_webhookattempt",
    }
)
ALL_ROLES = list(ROLE_LABELS)


def sync_groups(role_permissions: dict[str, list[str]], apps=None) -> None:
    """Create each group and give it exactly its permissions (idempotent)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, perms in role_permissions.items():
        group, _created = group_model.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def sync_roles(apps=None):
    """The office's working roles, each with exactly its permissions (idempotent)."""
    sync_groups(ROLE_PERMISSIONS, apps)
