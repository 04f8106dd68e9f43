"""The platform API's bodies: what platforms send (strict: shape and format only, the rules
are the services') and what they get back (only what is theirs to see)."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rumorcases.api.fields import (
    AwareDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictRegexField,
    StrictURLField,
)
from rumorcases.cases.choices import CaseStatus, Category, ContentType, ReportSource, Resolution
from rumorcases.cases.intake import MAX_BATCH
from rumorcases.cases.services import AuthorInput, ReportInput
from rumorcases.disposal.choices import AccountType, Measure, OrderItemKind, OrderItemOutcome, OrderStatus

EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
MAX_CONTENT = 20_000
MAX_EVIDENCE_URLS = 20
# What a platform may say about where a report came from; `staff_monitoring` is the office's own.
PLATFORM_SOURCES = [(s.value, s.label) for s in ReportSource if s != ReportSource.STAFF_MONITORING]
SUBMIT_OUTCOMES = [("created", "created"), ("existing", "existing"), ("updated", "updated")]
BATCH_OUTCOMES = [*SUBMIT_OUTCOMES, ("invalid", "invalid"), ("conflict", "conflict")]
ORDER_STATUS_FILTERS = ["open", *OrderStatus.values]


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know (422), together with every other problem of the body:
    a misspelt `evidence_url` must not be dropped in silence."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {str(key): [_("Unknown field.")] for key in data if key not in writable}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({**error.detail, **unknown}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


# --- reports: in ------------------------------------------------------------------


class AuthorSerializer(StrictSerializer):
    """The account that posted the content, as the platform identifies it."""

    account_id = StrictCharField(source="platform_account_id", max_length=128,
                                 help_text="The platform's own id of the account.")
    handle = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
    display_name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
    account_type = StrictChoiceField(choices=AccountType.choices, required=False, default=AccountType.INDIVIDUAL)
    followers = StrictIntegerField(min_value=0, required=False, default=0)
    verified = StrictBooleanField(required=False, default=False)


class MetricsSerializer(StrictSerializer):
    """Spread figures as the platform counts them now. A figure left out counts as 0."""

    views = StrictIntegerField(min_value=0, required=False, default=0)
    reposts = StrictIntegerField(min_value=0, required=False, default=0)
    comments = StrictIntegerField(min_value=0, required=False, default=0)
    likes = StrictIntegerField(min_value=0, required=False, default=0)


class ReportSubmissionSerializer(StrictSerializer):
    """One suspected rumour as a platform reports it."""

    external_id = StrictRegexField(
        EXTERNAL_ID_PATTERN, max_length=128,
        help_text="The platform's own id of the post; unique per platform, the idempotency key. "
                  "1 to 128 of A-Z a-z 0-9 . _ : -",
        error_messages={"invalid": _("1 to 128 characters from A-Z, a-z, 0-9 and . _ : -")},
    )
    content = StrictCharField(max_length=MAX_CONTENT, help_text="The text of the post, at most 20,000 characters.")
    posted_at = AwareDateTimeField(help_text="When it was posted: ISO 8601 with a UTC offset, not in the future.")
    url = StrictURLField(required=False, allow_blank=True, default="")
    title = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    content_type = StrictChoiceField(choices=ContentType.choices, required=False, default=ContentType.TEXT)
    language = StrictRegexField(r"^([A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*)?$", max_length=16, required=False,
                                allow_blank=True, default="", help_text="A language tag such as zh-CN.")
    author = AuthorSerializer(required=False)
    metrics = MetricsSerializer(required=False)
    category = StrictChoiceField(choices=Category.choices, required=False, default=Category.RUMOUR)
    reason = StrictCharField(max_length=5000, required=False, allow_blank=True, default="",
                             help_text="Why the platform reports it.")
    source = StrictChoiceField(choices=PLATFORM_SOURCES, required=False, default=ReportSource.USER_REPORT)
    evidence_urls = serializers.ListField(child=StrictURLField(), max_length=MAX_EVIDENCE_URLS, required=False,
                                          default=list, help_text="At most 20 http(s) URLs.")

    def report_input(self) -> ReportInput:
        """The validated body as the intake services take it."""
        return report_input_from(self.validated_data)


def report_input_from(data: dict) -> ReportInput:
    """Validated report fields as the intake services take them."""
    author = data.get("author")
    metrics = data.get("metrics") or {}
    return ReportInput(
        external_id=data["external_id"], content=data["content"], posted_at=data["posted_at"],
        url=data["url"], title=data["title"], content_type=data["content_type"], language=data["language"],
        author=AuthorInput(
            account_id=author["platform_account_id"], handle=author["handle"],
            display_name=author["display_name"], account_type=author["account_type"],
            followers=author["followers"], verified=author["verified"],
        ) if author else None,
        views=metrics.get("views", 0), reposts=metrics.get("reposts", 0), comments=metrics.get("comments", 0),
        likes=metrics.get("likes", 0), category=data["category"], reason=data["reason"], source=data["source"],
        evidence_urls=list(data["evidence_urls"]),
    )


class ReportBatchSerializer(StrictSerializer):
    """Up to 1,000 reports, each answered on its own.

    Only describes the body: the view reads it with `batch_reports` and each report with
    `ReportSubmissionSerializer`, so that one bad report does not refuse the others.
    """

    reports = serializers.ListField(child=ReportSubmissionSerializer(), min_length=1, max_length=MAX_BATCH)


# --- reports and cases: out ----------------------------------------------------------


class CaseRefSerializer(serializers.Serializer):
    reference = serializers.CharField(read_only=True, help_text="e.g. RC-2026-000123")
    status = serializers.ChoiceField(choices=CaseStatus.choices, read_only=True)


class ReportOutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    external_id = serializers.CharField(read_only=True)
    outcome = serializers.ChoiceField(choices=SUBMIT_OUTCOMES, read_only=True,
                                      help_text="created: new report; existing: the same report again, nothing "
                                                "changed; updated: the same report with new spread figures.")
    case = CaseRefSerializer(read_only=True)


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(read_only=True, help_text="Position of the report in the request, from 0.")
    external_id = serializers.CharField(read_only=True, allow_null=True,
                                        help_text="As sent, when it was a string.")
    outcome = serializers.ChoiceField(choices=BATCH_OUTCOMES, read_only=True)
    id = serializers.IntegerField(read_only=True, allow_null=True, help_text="null when invalid or conflict.")
    case = CaseRefSerializer(read_only=True, allow_null=True)
    message = serializers.CharField(read_only=True, allow_null=True, help_text="Why, when invalid or conflict.")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), read_only=True,
                                   help_text="Field errors, by field name (dotted for nested fields).")


class BatchCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField(read_only=True)
    existing = serializers.IntegerField(read_only=True)
    updated = serializers.IntegerField(read_only=True)
    invalid = serializers.IntegerField(read_only=True)
    conflict = serializers.IntegerField(read_only=True)


class BatchResponseSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True, read_only=True)
    counts = BatchCountsSerializer(read_only=True)


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    external_id = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    content = serializers.CharField(read_only=True)
    content_type = serializers.ChoiceField(choices=ContentType.choices, read_only=True)
    language = serializers.CharField(read_only=True)
    posted_at = serializers.DateTimeField(read_only=True)
    author = AuthorSerializer(read_only=True, allow_null=True)
    metrics = MetricsSerializer(source="*", read_only=True)
    category = serializers.ChoiceField(choices=Category.choices, read_only=True)
    reason = serializers.CharField(read_only=True)
    source = serializers.ChoiceField(choices=PLATFORM_SOURCES, read_only=True)
    evidence_urls = serializers.ListField(child=serializers.CharField(), read_only=True)
    received_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change: new figures, or a case merge.")
    case = CaseRefSerializer(read_only=True)


class CaseSerializer(serializers.Serializer):
    reference = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=CaseStatus.choices, read_only=True)
    resolution = serializers.ChoiceField(choices=Resolution.choices, read_only=True, allow_null=True,
                                         help_text="How the case was closed; null while open.")
    notice_url = serializers.CharField(read_only=True, allow_null=True,
                                       help_text="Path of the published debunk notice on the office's public "
                                                 "site; null until one is published.")


# --- orders ------------------------------------------------------------------------


class ItemAccountSerializer(serializers.Serializer):
    account_id = serializers.CharField(source="platform_account_id", read_only=True)
    handle = serializers.CharField(read_only=True)


class LegalBasisSerializer(serializers.Serializer):
    """The provision of the office's catalogue the penalty cites."""

    code = serializers.CharField(read_only=True, help_text="The catalogue's code, e.g. csl-12.")
    law = serializers.CharField(read_only=True, help_text="e.g. 中华人民共和国网络安全法")
    article = serializers.CharField(read_only=True, help_text="e.g. 第十二条")


class ItemPenaltySerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=Measure.choices, read_only=True)
    duration_days = serializers.IntegerField(read_only=True, allow_null=True,
                                             help_text="For measures that last: bans, restrictions.")
    legal_basis = LegalBasisSerializer(source="legal_provision", read_only=True)


class ItemReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    external_id = serializers.CharField(read_only=True)


class OrderItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=OrderItemKind.choices, read_only=True)
    url = serializers.CharField(read_only=True, help_text="The post to remove (remove_content).")
    report = serializers.SerializerMethodField(help_text="Your report of the post, when you reported it.")
    account = ItemAccountSerializer(read_only=True, allow_null=True)
    penalty = ItemPenaltySerializer(read_only=True, allow_null=True,
                                    help_text="What to do to the account (act_on_account).")
    outcome = serializers.ChoiceField(choices=OrderItemOutcome.choices, read_only=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True)

    @extend_schema_field(ItemReportSerializer(allow_null=True))
    def get_report(self, item) -> dict | None:
        report = item.report
        if report is None or report.source == ReportSource.STAFF_MONITORING:
            return None  # the office's own record, not one of the platform's reports
        return {"id": report.pk, "external_id": report.external_id}


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True, help_text="e.g. DO-2026-000045")
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    case = CaseRefSerializer(read_only=True)
    instructions = serializers.CharField(read_only=True)
    issued_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    acknowledged_at = serializers.DateTimeField(read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    rejected_reason = serializers.CharField(read_only=True, help_text="Why it was rejected: your notes on the "
                                                                      "items not executed. Empty otherwise.")
    waived_reason = serializers.CharField(read_only=True, help_text="Why the office waived it. Empty otherwise.")
    items = OrderItemSerializer(many=True, read_only=True)


class ItemResultSerializer(StrictSerializer):
    """What was done for one item."""

    item = StrictIntegerField(min_value=1, help_text="The id of an item of this order.")
    executed = StrictBooleanField(help_text="Whether the item was carried out.")
    at = AwareDateTimeField(required=False, help_text="When; now if left out. Not in the future.")
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class OrderCompletionSerializer(StrictSerializer):
    """What was done for each item of the order; every item needs exactly one answer."""

    results = serializers.ListField(child=ItemResultSerializer(), min_length=1, max_length=MAX_BATCH)

    def service_results(self) -> list[dict]:
        return [{"item": r["item"], "executed": r["executed"], "at": r.get("at"), "note": r["note"]}
                for r in self.validated_data["results"]]


# --- query strings -----------------------------------------------------------------


class QuerySerializer(serializers.Serializer):
    """Reads a query string as plain values: a parameter given empty (`?since=`) is a value
    to check, not a parameter left out. Parameters it does not list are ignored (the query
    string also carries the cursor and the page size)."""

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            data = {key: data.get(key) for key in data}  # the last value of a repeated parameter
        return super().to_internal_value(data)


class ReportFilterSerializer(QuerySerializer):
    external_id = StrictRegexField(EXTERNAL_ID_PATTERN, max_length=128, required=False)
    since = AwareDateTimeField(required=False, past_only=False)


class OrderFilterSerializer(QuerySerializer):
    status = StrictChoiceField(choices=ORDER_STATUS_FILTERS, required=False)


# --- errors ------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers, whatever the status."""

    code = serializers.CharField(read_only=True, help_text="Stable, for programs: see the error codes in the guide.")
    message = serializers.CharField(read_only=True, help_text="For people.")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), read_only=True,
                                   help_text="Field errors by field name (dotted for nested fields); "
                                             "empty when the error is not about fields.")


def batch_reports(data) -> list:
    """The `reports` list of a batch body; 422 for a body of the wrong shape.

    The length is not checked here: over `MAX_BATCH` is the view's 413.
    """
    if not isinstance(data, Mapping):
        raise serializers.ValidationError({"non_field_errors": [_('Send an object: {"reports": [...]}.')]})
    errors = {str(key): [_("Unknown field.")] for key in data if key != "reports"}
    reports = data.get("reports")
    if "reports" not in data:
        errors["reports"] = [_("This field is required.")]
    elif not isinstance(reports, list):
        errors["reports"] = [_("A list of reports.")]
    elif not reports:
        errors["reports"] = [_("At least one report.")]
    if errors:
        raise serializers.ValidationError(errors)
    return reports
