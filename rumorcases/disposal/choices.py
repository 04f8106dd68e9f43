from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    SELF_MEDIA = "self_media", _("Self-media")
    ORGANISATION = "organisation", _("Organisation")
    MCN = "mcn", _("MCN")


class SubjectKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class OffenderRole(models.TextChoices):
    """Roles from the 2023 guiding opinions on punishing cyber-violence."""

    ORIGINATOR = "originator", _("Malicious originator")
    ORGANISER = "organiser", _("Organiser")
    AMPLIFIER = "amplifier", _("Malicious amplifier")
    REPEAT_OFFENDER = "repeat_offender", _("Repeat offender")
    SPREADER = "spreader", _("Spreader")


class Measure(models.TextChoices):
    """Penalty measures platforms carry out, lightest first (see SEVERITY)."""

    WARNING = "warning", _("Warning")
    DELETE_CONTENT = "delete_content", _("Deletion of content")
    RESTRICT_FEATURES = "restrict_features", _("Feature restriction")
    POSTING_BAN = "posting_ban", _("Posting ban")
    SUSPEND_UPDATES = "suspend_updates", _("Suspension of updates")
    DEMONETISE = "demonetise", _("Demonetisation")
    RESTRICT_TRAFFIC = "restrict_traffic", _("Traffic restriction")
    CLOSE_ACCOUNT = "close_account", _("Account closure")
    BAN_REREGISTRATION = "ban_reregistration", _("Ban on re-registration")
    REFER_POLICE = "refer_police", _("Referral to public security")


# Measures that run for a number of days and so need `duration_days`.
MEASURES_WITH_DURATION = {Measure.RESTRICT_FEATURES, Measure.POSTING_BAN, Measure.SUSPEND_UPDATES,
                          Measure.DEMONETISE, Measure.RESTRICT_TRAFFIC}
SEVERITY = {measure: rank for rank, measure in enumerate(Measure)}


class PenaltyStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    ORDERED = "ordered", _("Ordered")
    EXECUTED = "executed", _("Executed")
    REVOKED = "revoked", _("Revoked")
    APPEALED = "appealed", _("Appealed")


class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    OVERDUE = "overdue", _("Overdue")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    WAIVED = "waived", _("Waived")


ORDER_CLOSED_STATES = {OrderStatus.COMPLETED, OrderStatus.WAIVED}


class OrderItemKind(models.TextChoices):
    REMOVE_CONTENT = "remove_content", _("Remove content")
    ACT_ON_ACCOUNT = "act_on_account", _("Act on account")


class OrderItemOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    EXECUTED = "executed", _("Executed")
    NOT_EXECUTED = "not_executed", _("Not executed")
