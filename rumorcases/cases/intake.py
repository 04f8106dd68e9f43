"""Batch intake: many reports from one platform, each answered on its own."""

from dataclasses import dataclass, field

from django.db import transaction

from rumorcases.cases.models import Case, Report
from rumorcases.cases.services import ReportInput, report_ingest
from rumorcases.core.exceptions import ApplicationError

MAX_BATCH = 1000


@dataclass
class BatchItemResult:
    index: int
    outcome: str  # created / existing / updated / invalid / conflict
    report: Report | None = None
    case: Case | None = None
    errors: dict = field(default_factory=dict)
    message: str = ""


def report_ingest_batch(*, platform, items: list[ReportInput | ApplicationError],
                        submitted_by=None) -> list[BatchItemResult]:
    """Ingest each item as `report_ingest` would, in order; one bad item never sinks the batch.

    An item may already be an `ApplicationError` (it failed parsing upstream): it is answered
    `invalid` with its field errors. The same `external_id` twice in one batch behaves as a retry.
    """
    results = []
    for index, item in enumerate(items):
        if isinstance(item, ApplicationError):
            results.append(BatchItemResult(index, "invalid", errors=item.fields, message=item.message))
            continue
        try:
            with transaction.atomic():
                done = report_ingest(platform=platform, data=item, submitted_by=submitted_by)
        except ApplicationError as error:
            outcome = "conflict" if error.code == "conflict" else "invalid"
            results.append(BatchItemResult(index, outcome, errors=error.fields, message=error.message))
        else:
            results.append(BatchItemResult(index, done.outcome, report=done.report, case=done.case))
    return results
