"""The office head: the last step of the escalation ladder.

There is no "office head" among the office's working roles (core/roles.py): the head reads
everything, like the auditor, and is told of deadlines missed long ago. The group is created by
this app's data migration (0002); give it to the head (and a deputy) in the admin.
"""

from rumorcases.core import roles

OFFICE_HEAD = "office_head"

# What the auditor reads, plus the escalations.
OFFICE_HEAD_PERMISSIONS = sorted({*roles.ROLE_PERMISSIONS[roles.AUDITOR], "operations.view_escalation"})


def sync_office_head(apps=None):
    """Create the group and give it exactly its permissions (idempotent)."""
    roles.sync_groups({OFFICE_HEAD: OFFICE_HEAD_PERMISSIONS}, apps)
