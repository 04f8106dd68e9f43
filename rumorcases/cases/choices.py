from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    DISCOVERED = "discovered", _("Discovered")
    VERIFYING = "verifying", _("Verifying")
    DEBUNKING = "debunking", _("Debunking")
    DISPOSING = "disposing", _("Disposing")
    EXPOSING = "exposing", _("Exposing")
    CLOSED = "closed", _("Closed")


OPEN_STATES = [s for s in CaseStatus if s != CaseStatus.CLOSED]


class Resolution(models.TextChoices):
    EXPOSED = "exposed", _("Exposed")
    DISPOSED_NOT_EXPOSED = "disposed_not_exposed", _("Disposed, not exposed")
    NOT_A_RUMOUR = "not_a_rumour", _("Not a rumour")
    UNVERIFIABLE = "unverifiable", _("Unverifiable")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    DUPLICATE = "duplicate", _("Duplicate")


class Priority(models.TextChoices):
    P1 = "P1", _("P1 urgent")
    P2 = "P2", _("P2")
    P3 = "P3", _("P3")


class Category(models.TextChoices):
    RUMOUR = "rumour", _("False information / rumour")
    PERSONAL_ATTACK = "personal_attack", _("Personal attack")
    PRIVACY_VIOLATION = "privacy_violation", _("Privacy infringement / doxxing")
    DISCRIMINATION_HARASSMENT = "discrimination_harassment", _("Discrimination / harassment")
    OTHER = "other", _("Other")


class ContentType(models.TextChoices):
    TEXT = "text", _("Text")
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    LIVE = "live", _("Live stream")
    OTHER = "other", _("Other")


class ReportSource(models.TextChoices):
    USER_REPORT = "user_report", _("User report")
    PLATFORM_REVIEW = "platform_review", _("Platform review")
    AUTOMATED_DETECTION = "automated_detection", _("Automated detection")
    TRUSTED_FLAGGER = "trusted_flagger", _("Trusted flagger")
    STAFF_MONITORING = "staff_monitoring", _("Office monitoring")


class Verdict(models.TextChoices):
    FALSE = "false", _("False")
    MISLEADING = "misleading", _("Misleading")
    TRUE = "true", _("True")
    UNVERIFIABLE = "unverifiable", _("Unverifiable")


RUMOUR_VERDICTS = [Verdict.FALSE, Verdict.MISLEADING]


class EvidenceKind(models.TextChoices):
    FILE = "file", _("File")
    WEB_CAPTURE = "web_capture", _("Web capture")


class Authority(models.TextChoices):
    POLICE = "police", _("Public security")
    HEALTH = "health", _("Health commission")
    EMERGENCY = "emergency", _("Emergency management")
    MARKET = "market", _("Market regulation")
    EDUCATION = "education", _("Education")
    TRANSPORT = "transport", _("Transport")
    WEATHER = "weather", _("Meteorological bureau")
    DISTRICT = "district", _("District government")
    OTHER = "other", _("Other authority")


class PartyRole(models.TextChoices):
    VICTIM = "victim", _("Victim")
    REPORTER = "reporter", _("Reporter")
    WITNESS = "witness", _("Witness")
