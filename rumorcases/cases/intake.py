"""Batch intake: many reports from one platform, each answered on its own.

`report_ingest_batch` answers and stores exactly what `report_ingest` called on each item in
order would (the same outcomes, cases joined or opened, case references, accounts, priority
raises and audit events), in a number of queries that does not grow with the batch: some twenty
statements on PostgreSQL for 1,000 reports, transaction control included, where item by item
costs about nine per report. It works in phases:

1. check: every item is validated in Python; a bad one is answered `invalid` at once.
2. read: the reports already stored under the batch's external_ids, the authors' accounts,
   and the candidate cases for its URLs and texts (`matching.BatchMatcher`): four queries.
3. plan: in memory, item by item in order, the decisions `report_ingest` takes: resubmission
   or new report, the case it joins (one opened earlier in the same batch included), what it
   does to its author's account.
4. write, taking row locks in the order every writer takes them: accounts; the joined cases,
   by id, on which priority raises are decided as `case_set_priority` would; the counter of
   case references, all reserved at once; the new cases and reports, inserted in bulk; the audit
   chain head, with every event in one chained insert; then the updates of stored reports and
   cases. A transition locks its case and then the head, and a merge moves reports after
   locking the head, so this order cannot deadlock with either.

Another request may store one of the batch's external_ids between the read and the insert
(a platform retrying a batch that timed out). The insert then fails on the unique constraint,
the batch is rolled back to its savepoint and planned again, and the colliding items become
resubmissions of the stored reports: `report_ingest` answers the same race the same way. Should
that happen twice in a row, the batch goes through `report_ingest` item by item.
"""

from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from rumorcases.cases import deadlines, fingerprints, matching
from rumorcases.cases.choices import CaseStatus, Priority
from rumorcases.cases.models import Case, Report
from rumorcases.cases.services import (
    METRICS,
    SPREAD_REASON,
    AuthorInput,
    ReportInput,
    _new_case_text,
    _next_case_references,
    _report_conflict,
    _serious_spread,
    _spread_makes_urgent,
    claim_batch_matching,
    report_ingest,
    report_validate,
)
from rumorcases.core.audit import AuditEntry, audit_record_many
from rumorcases.core.exceptions import ApplicationError
from rumorcases.disposal.models import Account

MAX_BATCH = 1000
BULK_ATTEMPTS = 2
ACCOUNT_FIELDS = ("handle", "display_name", "account_type", "followers", "verified")


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
    A constant number of queries per batch (see the module's docstring).
    """
    results: list[BatchItemResult | None] = [None] * len(items)
    valid = []
    for index, item in enumerate(items):
        if isinstance(item, ApplicationError):
            results[index] = BatchItemResult(index, "invalid", errors=item.fields, message=item.message)
            continue
        try:
            report_validate(item)
        except ApplicationError as error:
            results[index] = BatchItemResult(index, "invalid", errors=error.fields, message=error.message)
        else:
            valid.append((index, item))
    if valid:
        for result in _ingest_valid(platform=platform, valid=valid, submitted_by=submitted_by):
            results[result.index] = result
    return results


def _ingest_valid(*, platform, valid, submitted_by) -> list[BatchItemResult]:
    for _attempt in range(BULK_ATTEMPTS):
        try:
            with transaction.atomic():
                return _Batch(platform=platform, submitted_by=submitted_by).ingest(valid)
        except _Collision:
            continue  # rolled back to the savepoint; the other request's reports are visible now
        except OperationalError as error:
            # Two batches inserting the same new external_ids in opposite orders: PostgreSQL
            # aborts one of them, which starts again.
            if getattr(error.__cause__, "pgcode", None) != "40P01":  # deadlock_detected
                raise
    done = _report_ingest_one_by_one(platform=platform, items=[item for _, item in valid], submitted_by=submitted_by)
    return [replace(result, index=index) for (index, _), result in zip(valid, done, strict=True)]


def _report_ingest_one_by_one(*, platform, items, submitted_by=None) -> list[BatchItemResult]:
    """The reference behaviour: `report_ingest` on each item in turn, each in its own savepoint.

    The fallback after repeated collisions, and what the tests compare the bulk path with.
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


class _Collision(Exception):
    """Another transaction stored one of the batch's reports between its read and its insert.

    Ingests serialise on the intake lock (`claim_batch_matching`), so only a writer that skips
    it could cause this; kept as the safety net for such a writer."""


@dataclass(eq=False)
class _NewCase:
    """A case the batch opens; its row is built once the references are reserved."""

    data: ReportInput
    priority: str  # as opened; a later report of the batch may still raise it
    row: Case | None = None


@dataclass(eq=False)
class _Known:
    """A report under one external_id: stored before the batch, or new in it."""

    report: Report
    case: int | _NewCase  # a stored case's id, or the case the batch opens
    author_key: str | None
    is_new: bool
    changed: set = field(default_factory=set)  # metrics updated by the batch (stored reports)


class _Batch:
    """One attempt at a batch, inside one savepoint (see the module's docstring for the phases)."""

    def __init__(self, *, platform, submitted_by):
        self.platform = platform
        self.submitted_by = submitted_by
        self.now = timezone.now()
        self.known: dict[str, _Known] = {}
        self.accounts: dict[str, Account] = {}  # account_id -> row (stored, or built to be inserted)
        self.author_inputs: dict[str, list[AuthorInput]] = {}  # what `account_upsert` would apply, in order
        self.cases: dict[int, Case] = {}  # stored cases by id
        self.to_lock: set[int] = set()  # stored cases `report_ingest` would lock
        self.new_cases: list[_NewCase] = []
        self.steps: list[tuple] = []  # what happened, in order: the audit events to write
        self.planned: list[tuple] = []  # (index, outcome, _Known | None, error | None)
        self.hours: dict[tuple, int | None] = {}

    def ingest(self, valid) -> list[BatchItemResult]:
        self._read(valid)
        for index, data in valid:
            self._plan(index, data)
        self._write_accounts()
        self._lock_cases()
        self._open_cases()
        entries, raised = self._replay()
        self._insert_reports()
        audit_record_many(entries=entries)
        self._update_stored(raised)
        return [self._result(*planned) for planned in self.planned]

    # --- read ----------------------------------------------------------------

    def _read(self, valid) -> None:
        self.matcher = matching.BatchMatcher()
        self.matcher.prepare(data.content for _, data in valid)  # pure computation: before the lock
        # No other ingest stores a report from here to the commit: it would go unseen by the
        # matching below (two cases for one rumour) or collide with the insert.
        claim_batch_matching()
        stored = (Report.objects.select_related("case", "author")
                  .filter(platform=self.platform, external_id__in={data.external_id for _, data in valid}))
        for report in stored:
            self.known[report.external_id] = _Known(
                report=report, case=report.case_id, is_new=False,
                author_key=report.author.platform_account_id if report.author else None)
            self.cases[report.case_id] = report.case
        keys = {data.author.account_id for _, data in valid if data.author is not None}
        if keys:
            self.accounts = {account.platform_account_id: account for account in
                             Account.objects.filter(platform=self.platform, platform_account_id__in=keys)}
        # Only reports not stored yet are matched; a resubmission keeps its case.
        self.matcher.read((data.url, data.content) for _, data in valid if data.external_id not in self.known)

    # --- plan ----------------------------------------------------------------

    def _plan(self, index: int, data: ReportInput) -> None:
        digest = self.matcher.content_hash(data.content)
        known = self.known.get(data.external_id)
        if known is not None:
            self._plan_resubmission(index, data, known, digest)
            return
        author_key = self._author(data.author) if data.author is not None else None
        found = self.matcher.match(url=data.url, text=data.content)
        serious = _serious_spread(data)
        if found.case is None:
            case = _NewCase(data=data, priority=Priority.P1 if serious else Priority.P3)
            self.new_cases.append(case)
            self.steps.append(("opened", case))
        else:
            case = found.case
            if isinstance(case, int):
                self.to_lock.add(case)  # `report_ingest` locks the stored case a report joins
        self.matcher.add(url=data.url, text=data.content, case=case, reason=found.reason or "new_case")
        report = Report(
            platform=self.platform, external_id=data.external_id, title=data.title,
            content=data.content, content_hash=digest, normalised=self.matcher.normalised(data.content),
            url=data.url, posted_at=data.posted_at,
            content_type=data.content_type, language=data.language, category=data.category, reason=data.reason,
            source=data.source, evidence_urls=data.evidence_urls, views=data.views, reposts=data.reposts,
            comments=data.comments, likes=data.likes, match_score=found.score if found.case else None,
            match_reason=found.reason or "new_case", submitted_by=self.submitted_by,
        )
        known = self.known[data.external_id] = _Known(report=report, case=case, author_key=author_key, is_new=True)
        self.steps.append(("received", known))
        if serious:
            self.steps.append(("spread", case))
        self.planned.append((index, "created", known, None))

    def _plan_resubmission(self, index: int, data: ReportInput, known: _Known, digest: str) -> None:
        """As `_report_resubmitted`."""
        report = known.report
        if report.content_hash != digest:
            self.planned.append((index, "conflict", None, _report_conflict(data.external_id)))
            return
        if data.author is not None and known.author_key == data.author.account_id:
            self._author(data.author)  # fresh follower figures
        changed = {name: getattr(data, name) for name in METRICS if getattr(data, name) != getattr(report, name)}
        if not changed:
            self.planned.append((index, "existing", known, None))
            return
        for name, value in changed.items():
            setattr(report, name, value)
        known.changed.update(changed)
        self.steps.append(("metrics", known, changed))
        if _serious_spread(report):
            if isinstance(known.case, int):
                self.to_lock.add(known.case)
            self.steps.append(("spread", known.case))
        self.planned.append((index, "updated", known, None))

    def _author(self, author: AuthorInput) -> str:
        self.author_inputs.setdefault(author.account_id, []).append(author)
        return author.account_id

    # --- accounts ------------------------------------------------------------

    def _write_accounts(self) -> None:
        """`account_upsert` for every author input, in order, folded into one write per account."""
        changed: dict[str, set] = {}
        for key, inputs in self.author_inputs.items():
            if key in self.accounts:
                changed[key] = _account_refresh(self.accounts[key], inputs)
        missing = sorted(set(self.author_inputs) - set(self.accounts))
        if missing:
            # Sorted, so two batches inserting the same new accounts wait for each other in one order.
            built = [_account_new(self.platform, key, self.author_inputs[key]) for key in missing]
            Account.objects.bulk_create(built, ignore_conflicts=True)
            # Read back for the ids; a row another request inserted meanwhile is refreshed instead.
            self.accounts.update((account.platform_account_id, account) for account in
                                 Account.objects.filter(platform=self.platform, platform_account_id__in=missing))
            for mine in built:
                key = mine.platform_account_id
                stored = self.accounts[key]
                if any(getattr(stored, name) != getattr(mine, name) for name in ACCOUNT_FIELDS):
                    # Not ours: `account_upsert` would have found it and refreshed it with every input.
                    changed[key] = _account_refresh(stored, self.author_inputs[key])
        to_update = [self.accounts[key] for key, names in changed.items() if names]
        if to_update:
            # Row locks in id order before the update: two batches refreshing the same accounts
            # in another order would otherwise deadlock.
            ids = [account.pk for account in sorted(to_update, key=lambda account: account.pk)]
            list(Account.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))
            for account in to_update:
                account.updated_at = self.now
            names = set().union(*changed.values())
            _update_rows(Account, to_update, [*sorted(names), "updated_at"])

    # --- cases ---------------------------------------------------------------

    def _lock_cases(self) -> None:
        """The stored cases the batch joins or raises, as they are now, locked in id order."""
        if self.to_lock:
            locked = Case.objects.select_for_update(no_key=True).filter(pk__in=self.to_lock).order_by("pk")
            self.cases.update((case.pk, case) for case in locked)

    def _open_cases(self) -> None:
        if not self.new_cases:
            return
        references = _next_case_references(len(self.new_cases))
        for new, reference in zip(self.new_cases, references, strict=True):
            title, claim = _new_case_text(new.data)
            new.row = Case(
                reference=reference, title=title[:200], claim=claim, category=new.data.category,
                priority=new.priority, created_by=self.submitted_by, stage_started_at=self.now,
                stage_deadline=self._deadline(CaseStatus.DISCOVERED, new.priority, self.now),
            )

    def _case(self, key) -> Case:
        return key.row if isinstance(key, _NewCase) else self.cases[key]

    def _deadline(self, stage, priority, started_at):
        """`deadlines.stage_deadline`, reading each (stage, priority) override once per batch."""
        if (stage, priority) not in self.hours:
            self.hours[stage, priority] = deadlines.stage_hours(stage, priority)
        hours = self.hours[stage, priority]
        return None if hours is None else started_at + timedelta(hours=hours)

    # --- replay: priority raises and audit events, in the order they happened --

    def _replay(self) -> tuple[list[AuditEntry], list[Case]]:
        entries, raised = [], []
        actor = self.submitted_by
        for step in self.steps:
            kind = step[0]
            if kind == "opened":
                case = step[1].row
                entries.append(AuditEntry(actor, "case.opened", case, case_reference=case.reference,
                                          data={"title": case.title, "priority": case.priority,
                                                "category": case.category}))
            elif kind == "received":
                known = step[1]
                entries.append(AuditEntry(actor, "report.received", known.report,
                                          case_reference=self._case(known.case).reference,
                                          data={"platform": self.platform.slug,
                                                "external_id": known.report.external_id,
                                                "match": known.report.match_reason}))
            elif kind == "metrics":
                known, changed = step[1], step[2]
                entries.append(AuditEntry(actor, "report.metrics_updated", known.report,
                                          case_reference=self._case(known.case).reference, data=changed))
            elif kind == "spread":
                # As `case_set_priority` on the locked row; a case the batch opens is simply
                # inserted with the raised priority.
                case = self._case(step[1])
                if _spread_makes_urgent(case):
                    old = case.priority
                    case.priority = Priority.P1
                    case.stage_deadline = self._deadline(case.status, Priority.P1, case.stage_started_at)
                    if case.pk is not None:
                        raised.append(case)
                    entries.append(AuditEntry(None, "case.priority_changed", case, case_reference=case.reference,
                                              data={"from": old, "to": Priority.P1, "reason": str(SPREAD_REASON)}))
        return entries, raised

    # --- write -----------------------------------------------------------------

    def _insert_reports(self) -> None:
        if self.new_cases:
            Case.objects.bulk_create([new.row for new in self.new_cases])
        new = [known for known in self.known.values() if known.is_new]
        for known in new:
            known.report.case = self._case(known.case)
            if known.author_key is not None:
                known.report.author = self.accounts[known.author_key]
        try:
            Report.objects.bulk_create([known.report for known in new])
        except IntegrityError as error:
            raise _Collision from error
        fingerprints.fingerprint_store([known.report for known in new
                                        if fingerprints.needs_fingerprints(known.report.match_reason)],
                                       keys_of=lambda report: self.matcher.band_keys(report.content))

    def _update_stored(self, raised: list[Case]) -> None:
        """Metrics of stored reports and priorities of stored cases (locked rows), after the
        audit head: a merge locks the head and then moves reports, so this order is its order."""
        updated = [known.report for known in self.known.values() if not known.is_new and known.changed]
        if updated:
            for report in updated:
                report.updated_at = self.now
            names = set().union(*(known.changed for known in self.known.values() if not known.is_new))
            _update_rows(Report, updated, [*sorted(names), "updated_at"])
        if raised:
            for case in raised:
                case.updated_at = self.now
            _update_rows(Case, raised, ["priority", "stage_deadline", "updated_at"])

    def _result(self, index, outcome, known, error) -> BatchItemResult:
        if error is not None:
            return BatchItemResult(index, outcome, errors=error.fields, message=error.message)
        return BatchItemResult(index, outcome, report=known.report, case=self._case(known.case))


def _update_rows(model, rows: list, names: list[str]) -> None:
    """Write `names` of each row (by primary key) in one statement.

    Django's `bulk_update` builds a CASE WHEN per row and field, and that costs about half a second
    for 1,000 accounts; on PostgreSQL one UPDATE … FROM (VALUES …) does the same in some 20 ms.
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, names)
        return
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    fields = [model._meta.get_field(name) for name in names]
    # Each value cast to its column's type: a VALUES list types its columns from the first row.
    assignments = ", ".join(f"{quote(f.column)} = CAST(v.{quote(f.column)} AS {f.db_type(connection)})"
                            for f in fields)
    columns = ", ".join([pk, *(quote(f.column) for f in fields)])
    row_placeholder = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    params = [value for row in rows for value in (
        row.pk, *(f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} "  # noqa: S608 - names from the model, values as parameters
            f"FROM (VALUES {', '.join([row_placeholder] * len(rows))}) AS v({columns}) WHERE {table}.{pk} = v.{pk}",
            params,
        )


def _account_new(platform, key: str, inputs: list[AuthorInput]) -> Account:
    """The account `account_upsert` creates from the first input and refreshes with the others."""
    first = inputs[0]
    account = Account(platform=platform, platform_account_id=key,
                      **{name: getattr(first, name) for name in ACCOUNT_FIELDS})
    _account_refresh(account, inputs[1:])
    return account


def _account_refresh(account: Account, inputs: list[AuthorInput]) -> set[str]:
    """`account_upsert`'s rules for a known account, applied in memory; the fields changed."""
    changed = set()
    for author in inputs:
        new = {"handle": author.handle or account.handle, "display_name": author.display_name or account.display_name,
               "account_type": author.account_type, "followers": author.followers, "verified": author.verified}
        for name, value in new.items():
            if getattr(account, name) != value:
                setattr(account, name, value)
                changed.add(name)
    return changed
