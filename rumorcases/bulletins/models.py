import uuid

import django_fsm as fsm
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rumorcases.bulletins.choices import BulletinStatus

USER = settings.AUTH_USER_MODEL


class Bulletin(fsm.ConcurrentTransitionMixin, models.Model):
    """A numbered exposure bulletin listing cases the office disposed of in a period.

    Publishing is the approval: the publisher must not be the one who drafted it.
    """

    public_id = models.UUIDField(verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(verbose_name=_("year"), null=True, blank=True)
    issue_number = models.PositiveIntegerField(verbose_name=_("issue number"), null=True, blank=True,
                                               help_text=_("Assigned when published."))
    title = models.CharField(verbose_name=_("title"), max_length=200)
    title_en = models.CharField(verbose_name=_("English title"), max_length=200, blank=True)
    period_start = models.DateField(verbose_name=_("period start"))
    period_end = models.DateField(verbose_name=_("period end"))
    introduction = models.TextField(verbose_name=_("introduction"), blank=True)
    status = fsm.FSMField(verbose_name=_("status"), max_length=16, choices=BulletinStatus.choices,
                          default=BulletinStatus.DRAFT, protected=True, db_index=True)
    drafted_by = models.ForeignKey(USER, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    published_by = models.ForeignKey(USER, verbose_name=_("published by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True, db_index=True)
    review_comments = models.TextField(verbose_name=_("review comments"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("exposure bulletin")
        verbose_name_plural = _("exposure bulletins")
        permissions = [
            ("draft_bulletin", "Can draft exposure bulletins"),
            ("publish_bulletin", "Can approve and publish exposure bulletins"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "issue_number"], name="bulletin_issue_unique_per_year",
                                    condition=models.Q(issue_number__isnull=False))
        ]

    def __str__(self):
        if self.issue_number:
            return f"{self.year}-{self.issue_number:03d} {self.title}"
        return self.title

    def needs_another_publisher(self, user) -> bool:
        """The four-eyes rule: a bulletin is approved and published by someone other than its drafter."""
        return user is not None and user.pk == self.drafted_by_id

    @fsm.transition(field=status, source=BulletinStatus.DRAFT, target=BulletinStatus.IN_REVIEW,
                    permission="bulletins.draft_bulletin")
    def submit(self):
        self.submitted_at = timezone.now()

    @fsm.transition(field=status, source=BulletinStatus.IN_REVIEW, target=BulletinStatus.DRAFT,
                    permission="bulletins.publish_bulletin")
    def send_back(self, *, comments: str):
        self.review_comments = comments

    @fsm.transition(field=status, source=BulletinStatus.IN_REVIEW, target=BulletinStatus.PUBLISHED,
                    permission="bulletins.publish_bulletin")
    def publish(self, *, publisher, year: int, issue_number: int):
        self.published_by = publisher
        self.published_at = timezone.now()
        self.year = year
        self.issue_number = issue_number


class BulletinEntry(models.Model):
    """One case in a bulletin, in the words the public will read."""

    bulletin = models.ForeignKey(Bulletin, verbose_name=_("bulletin"), on_delete=models.CASCADE, related_name="entries")
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="bulletin_entries")
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    headline = models.CharField(verbose_name=_("headline"), max_length=200)
    rumour_summary = models.TextField(verbose_name=_("rumour summary"))
    finding_summary = models.TextField(verbose_name=_("finding summary"))
    measures_summary = models.TextField(verbose_name=_("measures summary"), blank=True,
                                        help_text=_("Accounts acted on, by platform and measure."))

    class Meta:
        ordering = ["bulletin", "position", "id"]
        verbose_name = _("bulletin entry")
        verbose_name_plural = _("bulletin entries")
        constraints = [models.UniqueConstraint(fields=["bulletin", "case"], name="bulletin_entry_case_once")]

    def __str__(self):
        return self.headline
