"""Batch intake in bulk: the same answers and records as `report_ingest` item by item, in a
number of queries that does not grow with the batch.

Each equivalence test builds the same starting data twice inside savepoints, runs the batch once
through `report_ingest_batch` and once through the item-by-item reference path, and compares
everything the two leave behind: the answers, reports, cases (by reference, which the rolled-back
counter makes identical), accounts, counters and the audit events the batch wrote.
"""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rumorcases.cases import intake, services, workflow
from rumorcases.cases.choices import CaseStatus, Priority
from rumorcases.cases.intake import _report_ingest_one_by_one, report_ingest_batch
from rumorcases.cases.models import Case, Report, StageDeadline
from rumorcases.cases.services import AuthorInput, ReportInput, report_ingest
from rumorcases.core import roles
from rumorcases.core.audit import AuditEntry, audit_chain_problems, audit_record, audit_record_many
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditChainHead, AuditEvent, Counter
from rumorcases.core.services import counter_next, counter_reserve
from rumorcases.disposal.models import Account
from rumorcases.platforms.models import Platform
from tests.conftest import make_user

POSTED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def item(external_id, content, *, url="", author=None, **extra):
    return ReportInput(external_id=external_id, content=content, posted_at=POSTED, url=url, author=author, **extra)


def author(account_id, **extra):
    return AuthorInput(account_id=account_id, **extra)


def parse_failure():
    return ApplicationError("invalid", "Some fields are not valid.", fields={"posted_at": ["Not a date."]})


# --- what a run leaves behind -------------------------------------------------------------


def snapshot(results, events_after: int) -> dict:
    """Everything observable, with database ids replaced by stable names."""
    reports = {r.pk: r for r in Report.objects.select_related("platform", "case", "author")}
    cases = {c.pk: c for c in Case.objects.all()}

    def report_name(report):
        return (report.platform.slug, report.external_id)

    def object_name(event):
        if event.object_type == "cases.report":
            return report_name(reports[int(event.object_id)])
        if event.object_type == "cases.case":
            return cases[int(event.object_id)].reference
        return event.object_type

    return {
        "answers": [
            (r.index, r.outcome, report_name(r.report) if r.report else None,
             r.case.reference if r.case else None, r.case.status if r.case else None, r.errors, str(r.message))
            for r in results
        ],
        "reports": sorted(
            (report_name(r), r.case.reference, r.author.platform_account_id if r.author else None, r.title,
             r.content, r.content_hash, r.url, r.posted_at, r.content_type, r.language, r.category, r.reason,
             r.source, r.evidence_urls, r.views, r.reposts, r.comments, r.likes, r.match_score, r.match_reason,
             r.submitted_by_id)
            for r in reports.values()
        ),
        "cases": sorted(
            (c.reference, c.title, c.claim, c.category, c.priority, c.status, c.resolution, c.created_by_id,
             c.stage_deadline - c.stage_started_at if c.stage_deadline else None,
             cases[c.merged_into_id].reference if c.merged_into_id else None)
            for c in cases.values()
        ),
        "accounts": sorted(
            Account.objects.values_list("platform__slug", "platform_account_id", "handle", "display_name",
                                        "account_type", "followers", "verified")
        ),
        "counters": sorted(Counter.objects.values_list("name", "value")),
        "events": [
            (e.seq, e.action, e.object_type, object_name(e), e.case_reference, e.data, e.actor_id, e.actor_label)
            for e in AuditEvent.objects.filter(seq__gt=events_after).order_by("seq")
        ],
        "chain_problems": [p.message for p in audit_chain_problems()],
    }


def run_both(setup, items, *, platform, submitted_by=None):
    """The batch through the bulk path and through the reference path, each on the same fresh start."""
    taken = {}
    for name, path in (("bulk", report_ingest_batch), ("one_by_one", _report_ingest_one_by_one)):
        savepoint = transaction.savepoint()
        setup()
        events_after = AuditChainHead.objects.get(id=1).last_seq
        results = path(platform=platform, items=items, submitted_by=submitted_by)
        taken[name] = snapshot(results, events_after)
        transaction.savepoint_rollback(savepoint)
    return taken["bulk"], taken["one_by_one"]


def assert_same(bulk, one_by_one):
    for part in one_by_one:
        assert bulk[part] == one_by_one[part], part
    assert bulk["chain_problems"] == []


@pytest.fixture
def douyin(db):
    return Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)


# --- equivalence on chosen batches ----------------------------------------------------------


def test_it_stores_new_reports_like_report_ingest(platform):
    items = [
        item("n-1", "网传某公园发生雷击致多人死亡", url="https://weibo.example/1", title="雷击谣言",
             author=author("a-1", handle="h1", followers=10)),
        item("n-2", "网传地铁二号线明日全线停运", author=author("a-2", display_name="地铁君")),
        item("n-3", "网传某小区水源被污染\n第二行", content_type="video", language="zh", category="other",
             reason="用户举报", source="platform_review", evidence_urls=["https://weibo.example/e/3"],
             views=12, reposts=3, comments=4, likes=5),
        item("n-4", "   网传某校食堂使用过期食材  ", title="   ", author=author("a-1", followers=11, verified=True)),
    ]
    bulk, one_by_one = run_both(lambda: None, items, platform=platform)
    assert_same(bulk, one_by_one)
    assert [answer[1] for answer in bulk["answers"]] == ["created"] * 4
    assert len(bulk["cases"]) == 4
    assert [e[1] for e in bulk["events"]] == ["case.opened", "report.received"] * 4


def test_it_joins_duplicates_inside_the_batch_by_text_and_by_url(platform):
    items = [
        item("d-1", "网传ABC公园2026年发生雷击致多人死亡", url="https://weibo.example/p/1"),
        item("d-2", "网传ＡＢＣ公园２０２６年发生雷击！！致多人死亡。"),  # same text, normalised
        item("d-3", "转发：看看这个", url="https://weibo.example/p/1"),  # same URL
        item("d-4", "别的说法", url="https://weibo.example/p/4"),
        item("d-5", "转发：看看这个"),  # the text of d-3, which joined d-1's case
        item("d-6", "第三种说法", url="https://weibo.example/p/4"),
        item("d-7", "！！！"),  # nothing left once normalised: never matched by text
        item("d-8", "？？？"),
    ]
    bulk, one_by_one = run_both(lambda: None, items, platform=platform)
    assert_same(bulk, one_by_one)
    references = [answer[3] for answer in bulk["answers"]]
    assert references[0] == references[1] == references[2] == references[4]
    assert references[3] == references[5] != references[0]
    assert len(set(references)) == 4


def test_it_answers_resubmissions_like_report_ingest(platform):
    def setup():
        report_ingest(platform=platform, data=item("r-same", "谣言一", views=10, author=author("a-1", followers=5)))
        report_ingest(platform=platform, data=item("r-more", "谣言二", views=10))
        report_ingest(platform=platform, data=item("r-wide", "谣言三", views=10))
        report_ingest(platform=platform, data=item("r-conflict", "谣言四"))

    items = [
        item("r-same", "谣言一", views=10, author=author("a-1", followers=50)),  # existing, author refreshed
        item("r-more", "谣言二", views=900, reposts=40),  # updated
        item("r-wide", "谣言三", views=6000),  # updated past the threshold: the case becomes P1
        item("r-conflict", "完全不同的内容"),  # conflict
        item("r-new", "新谣言", views=10),
        item("r-new", "新谣言", views=10),  # a retry inside the batch: existing
        item("r-new", "新谣言", views=20, reposts=600),  # new figures inside the batch: updated, then P1
        item("r-new", "不一样的新谣言"),  # conflict inside the batch
        item("r-more", "谣言二", views=1000, reposts=40),  # a second update of a stored report
    ]
    bulk, one_by_one = run_both(setup, items, platform=platform)
    assert_same(bulk, one_by_one)
    assert [answer[1] for answer in bulk["answers"]] == [
        "existing", "updated", "updated", "conflict", "created", "existing", "updated", "conflict", "updated"]
    assert [e[1] for e in bulk["events"]] == [
        "report.metrics_updated", "report.metrics_updated", "case.priority_changed",
        "case.opened", "report.received", "report.metrics_updated", "case.priority_changed",
        "report.metrics_updated",
    ]


def test_it_answers_invalid_items_and_stores_the_others(platform):
    items = [
        parse_failure(),
        item("v-1", "有效的谣言"),
        item("", "  ", url="ftp://not-http", views=-1),
        item("v-2", "另一条有效的谣言", author=author("", followers=-3)),
        ReportInput(external_id="v-3", content="第三条", posted_at=datetime(2026, 1, 1, 8, 0)),  # noqa: DTZ001
        item("v-4", "第四条有效的谣言", category="gossip"),
        item("v-5", "第五条有效的谣言"),
    ]
    bulk, one_by_one = run_both(lambda: None, items, platform=platform)
    assert_same(bulk, one_by_one)
    assert [answer[1] for answer in bulk["answers"]] == [
        "invalid", "created", "invalid", "invalid", "invalid", "invalid", "created"]
    assert set(bulk["answers"][2][5]) == {"external_id", "content", "url", "views"}


def test_it_raises_stored_cases_as_report_ingest_does(platform, cast, settings):
    StageDeadline.objects.create(stage=CaseStatus.VERIFYING, priority=Priority.P1, hours=5)

    def setup():
        report_ingest(platform=platform, data=item("s-1", "低优先级的谣言", views=10))
        verifying = report_ingest(platform=platform, data=item("s-2", "核查中的谣言", views=10)).case
        workflow.case_start_verification(case=verifying, by=cast.intake)
        report_ingest(platform=platform, data=item("s-3", "已经紧急的谣言", views=99999))
        closed = report_ingest(platform=platform, data=item("s-4", "刚结案的谣言")).case
        workflow.case_dismiss(case=closed, by=cast.supervisor, reason="不属于本辖区")
        old = report_ingest(platform=platform, data=item("s-5", "很久以前结案的谣言")).case
        workflow.case_dismiss(case=old, by=cast.supervisor, reason="不属于本辖区")
        Case.objects.filter(pk=old.pk).update(
            closed_at=timezone.now() - timedelta(days=settings.MATCH_RECENTLY_CLOSED_DAYS + 1))
        merged = report_ingest(platform=platform, data=item("s-6", "被合并的谣言")).case
        target = report_ingest(platform=platform, data=item("s-7", "合并目标谣言")).case
        workflow.case_merge_into(case=merged, target=target, by=cast.supervisor, reason="同一谣言")

    items = [
        item("b-1", "低优先级的谣言", reposts=500),  # joins a P3 case and raises it
        item("b-2", "低优先级的谣言", views=5000),  # the case is P1 already
        item("b-3", "核查中的谣言", views=5000),  # raised while verifying: the deadline of that stage
        item("b-4", "已经紧急的谣言", views=5000),
        item("b-5", "刚结案的谣言", views=5000),  # joins a recently closed case, which stays as it was
        item("b-6", "很久以前结案的谣言", views=5000),  # closed long ago: a new case, opened P1
        item("b-7", "被合并的谣言"),  # the reports moved to the target: joins the target
        item("b-8", "新开的谣言", views=10),
        item("b-9", "新开的谣言", views=6000),  # raises the case the batch opened
    ]
    bulk, one_by_one = run_both(setup, items, platform=platform)
    assert_same(bulk, one_by_one)
    assert [e[1] for e in bulk["events"]].count("case.priority_changed") == 3


def test_it_refreshes_accounts_like_account_upsert(platform, douyin):
    def setup():
        report_ingest(platform=platform, data=item(
            "x-1", "账号谣言一", author=author("a-old", handle="old", display_name="老账号", followers=100)))
        report_ingest(platform=douyin, data=item("x-1", "账号谣言一", author=author("a-old", handle="elsewhere")))

    items = [
        item("y-1", "账号谣言二", author=author("a-old", followers=200, account_type="self_media")),
        item("y-2", "账号谣言三", author=author("a-new", handle="fresh", followers=1)),
        item("y-3", "账号谣言四", author=author("a-new", display_name="新人", followers=2, verified=True)),
        item("y-4", "账号谣言五", author=author("a-old", handle="renamed", account_type="mcn")),
        item("x-1", "账号谣言一", author=author("a-old", followers=300)),  # resubmission: refreshes its author
        item("x-1", "账号谣言一", author=author("a-other", followers=999)),  # another author: left alone
        item("y-5", "账号谣言六"),
    ]
    bulk, one_by_one = run_both(setup, items, platform=platform)
    assert_same(bulk, one_by_one)
    accounts = {row[:2]: row[2:] for row in bulk["accounts"]}
    assert accounts["weibo", "a-old"] == ("renamed", "老账号", "individual", 300, False)
    assert accounts["weibo", "a-new"] == ("fresh", "新人", "individual", 2, True)
    assert accounts["douyin", "a-old"][0] == "elsewhere"
    assert ("weibo", "a-other") not in accounts


def test_it_records_the_person_who_submitted(platform, cast):
    items = [item("p-1", "工作人员报送的谣言", views=10), item("p-2", "工作人员报送的谣言", views=6000)]
    bulk, one_by_one = run_both(lambda: None, items, platform=platform, submitted_by=cast.intake)
    assert_same(bulk, one_by_one)
    assert {(e[1], e[7]) for e in bulk["events"]} == {
        ("case.opened", "alice"), ("report.received", "alice"), ("case.priority_changed", "system")}


# --- equivalence on random batches ----------------------------------------------------------

TEXTS = ["网传某公园发生雷击致多人死亡", "网传某公园发生雷击，致多人死亡！", "网传地铁二号线明日全线停运",
         "网传某小区水源被污染", "网传ＡＢＣ小区水源被污染", "网传abc小区水源被污染", "！！！", "转发：看看这个"]
URLS = ["", "", "", "https://weibo.example/u/1", "https://weibo.example/u/2", "https://weibo.example/u/3"]


def random_item(rng: random.Random, external_ids: int):
    roll = rng.random()
    if roll < 0.04:
        return parse_failure()
    data = item(
        f"e-{rng.randrange(external_ids)}", rng.choice(TEXTS), url=rng.choice(URLS),
        views=rng.choice([0, 10, 4999, 5000, 20000]), reposts=rng.choice([0, 0, 499, 500]),
        comments=rng.choice([0, 3]), likes=rng.choice([0, 7]), title=rng.choice(["", "", "标题", "  "]),
        author=None if rng.random() < 0.2 else author(
            f"a-{rng.randrange(6)}", handle=rng.choice(["", "h1", "h2"]), display_name=rng.choice(["", "名"]),
            followers=rng.randrange(3), verified=rng.random() < 0.5,
            account_type=rng.choice(["individual", "self_media"])),
    )
    if roll < 0.08:
        data.views = -1
    return data


@pytest.mark.parametrize("seed", range(25))
def test_it_matches_report_ingest_on_random_batches(platform, cast, seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    prior = [random_item(rng, 12) for _ in range(8)]
    moves = [rng.choice(["none", "verify", "dismiss", "merge"]) for _ in range(3)]
    items = [random_item(rng, 24) for _ in range(40)]

    def setup():
        stored = _report_ingest_one_by_one(platform=platform, items=prior)
        cases = list(dict.fromkeys(r.case for r in stored if r.case is not None and r.case.status == "discovered"))
        for move, case in zip(moves, cases, strict=False):
            case.refresh_from_db()
            if case.status != CaseStatus.DISCOVERED:
                continue
            if move == "verify":
                workflow.case_start_verification(case=case, by=cast.intake)
            elif move == "dismiss":
                workflow.case_dismiss(case=case, by=cast.supervisor, reason="不属于本辖区")
            elif move == "merge" and case is not cases[-1]:
                workflow.case_merge_into(case=case, target=cases[-1], by=cast.supervisor, reason="同一谣言")

    bulk, one_by_one = run_both(setup, items, platform=platform)
    assert_same(bulk, one_by_one)


# --- queries ------------------------------------------------------------------------------


def queries_for_new_reports(platform, count: int, prefix: str) -> tuple[int, int]:
    """(queries other than inserts, inserts) for a batch of `count` new reports, each a new case
    by a new author, half of them joined by a second report of the same rumour."""
    items = []
    for n in range(count):
        items.append(item(f"{prefix}-{n}", f"{prefix} 第{n}条谣言", url=f"https://weibo.example/{prefix}/{n}",
                          author=author(f"{prefix}-a{n % 40}", followers=n), views=6000 if n % 3 else 10))
    for n in range(0, count, 2):
        items[n] = item(f"{prefix}-{n}", f"{prefix} 第{n + 1}条谣言", author=author(f"{prefix}-a{n % 40}"))
    with CaptureQueriesContext(connection) as queries:
        results = report_ingest_batch(platform=platform, items=items)
    assert {r.outcome for r in results} == {"created"}
    inserts = sum(1 for q in queries.captured_queries if q["sql"].startswith("INSERT"))
    return len(queries) - inserts, inserts


def test_it_needs_as_many_queries_for_200_reports_as_for_50(platform):
    # Warm up: the first batch may create the audit head's and counter's rows.
    report_ingest_batch(platform=platform, items=[item("warm", "预热")])
    others_50, inserts_50 = queries_for_new_reports(platform, 50, "q50")
    others_200, inserts_200 = queries_for_new_reports(platform, 200, "q200")
    assert others_200 == others_50 <= 16
    if connection.vendor == "postgresql":
        # accounts, cases, reports, audit events (and fingerprints when near-duplicate matching is on)
        assert inserts_200 == inserts_50 == (5 if settings.MATCH_NEAR_DUPLICATES else 4)
    else:
        # SQLite: Django splits inserts to stay under 999 variables a statement.
        assert inserts_200 <= 4 * inserts_50


def test_it_needs_few_queries_for_resubmissions_and_joins(platform):
    first = [item(f"j-{n}", f"第{n}条谣言", author=author(f"a-{n}"), views=10) for n in range(100)]
    report_ingest_batch(platform=platform, items=first)
    again = [item(f"j-{n}", f"第{n}条谣言", author=author(f"a-{n}", followers=n), views=6000) for n in range(100)]
    again += [item(f"k-{n}", f"第{n}条谣言", author=author(f"a-{n}")) for n in range(100)]
    with CaptureQueriesContext(connection) as queries:
        results = report_ingest_batch(platform=platform, items=again)
    assert [r.outcome for r in results] == ["updated"] * 100 + ["created"] * 100
    # SQLite splits the fingerprint insert under 999 variables a statement: 64 rows per report.
    counted = [q for q in queries.captured_queries if "reportfingerprint" not in q["sql"].split("(")[0]]
    assert len(queries) <= 20 if connection.vendor == "postgresql" else len(counted) <= 40
    assert not list(audit_chain_problems())


# --- the pieces -------------------------------------------------------------------------------


def test_counter_reserve_continues_the_series_of_counter_next(db):
    assert counter_next(name="case-2026") == 1
    assert list(counter_reserve(name="case-2026", count=3)) == [2, 3, 4]
    assert counter_next(name="case-2026") == 5
    assert list(counter_reserve(name="fresh", count=2)) == [1, 2]


def test_audit_record_many_extends_the_chain_like_audit_record(platform):
    with transaction.atomic():
        audit_record(actor=None, action="one", obj=platform)
        events = audit_record_many(entries=[AuditEntry(None, "two", platform, data={"n": 2}),
                                            AuditEntry(None, "three", platform, case_reference="RC-1")])
        audit_record(actor=None, action="four", obj=platform)
    assert [e.seq for e in events] == [2, 3]
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["one", "two", "three", "four"]
    assert list(audit_chain_problems()) == []


@pytest.mark.django_db(transaction=True)
def test_audit_record_many_refuses_to_run_outside_a_transaction():
    platform = Platform.objects.create(slug="weibo", name="新浪微博")
    with pytest.raises(RuntimeError):
        audit_record_many(entries=[AuditEntry(None, "x", platform)])


# --- concurrency, on PostgreSQL ---------------------------------------------------------------

def postgres_only(test):
    """Each batch in its own connection and transaction, as gunicorn workers run them. SQLite
    serialises all writers, so these tests mean something only on PostgreSQL."""
    test = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")(test)
    test = pytest.mark.postgres(test)
    return pytest.mark.django_db(transaction=True)(test)


def together(*calls):
    """Each call in its own thread and connection, released together; their results or errors."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a batch never finished"
    return outcomes


def storm_items(order=1):
    items = [item(f"s-{n}", f"风暴第{n % 30}条谣言", author=author(f"a-{n % 17}", followers=n), views=10)
             for n in range(120)]
    return items[::order]


@postgres_only
@pytest.mark.parametrize("order", [1, -1], ids=["same-order", "opposite-order"])
def test_a_retry_storm_stores_each_report_once(order):
    platform = Platform.objects.create(slug="weibo", name="新浪微博")
    outcomes = together(*[lambda o=o: report_ingest_batch(platform=platform, items=storm_items(o))
                          for o in (1, order, 1)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    by_id = {}
    for results in outcomes:
        items = {r.report.external_id: r for r in results}
        for external_id, r in items.items():
            by_id.setdefault(external_id, []).append(r.outcome)
    assert all(sorted(answers) == ["created", "existing", "existing"] for answers in by_id.values()), by_id
    assert Report.objects.count() == 120
    assert Case.objects.count() == 30
    assert Account.objects.count() == 17
    assert list(audit_chain_problems()) == []
    assert AuditEvent.objects.filter(action="report.received").count() == 120
    assert AuditEvent.objects.filter(action="case.opened").count() == 30
    # Each answer names the case its report is stored in.
    stored = dict(Report.objects.values_list("external_id", "case__reference"))
    for results in outcomes:
        assert all(stored[r.report.external_id] == r.case.reference for r in results)


@postgres_only
def test_a_batch_and_a_transition_on_its_cases_do_not_deadlock():
    platform = Platform.objects.create(slug="weibo", name="新浪微博")
    officer = make_user("alice", roles.INTAKE_OFFICER)
    for rounds in range(3):
        first = report_ingest_batch(platform=platform, items=[
            item(f"t{rounds}-{n}", f"第{rounds}轮第{n}条谣言", views=10) for n in range(40)])
        cases = [r.case for r in first]
        batch = [item(f"u{rounds}-{n}", f"第{rounds}轮第{n}条谣言", views=9000) for n in range(40)]

        def transitions(cases=cases):
            for case in reversed(cases[::4]):
                workflow.case_start_verification(case=Case.objects.get(pk=case.pk), by=officer)
            return "done"

        outcomes = together(lambda batch=batch: report_ingest_batch(platform=platform, items=batch), transitions)
        assert outcomes[1] == "done", outcomes[1]
        assert not isinstance(outcomes[0], Exception), outcomes[0]
        assert {r.outcome for r in outcomes[0]} == {"created"}
    assert set(Case.objects.values_list("priority", flat=True)) == {Priority.P1}
    assert list(audit_chain_problems()) == []


def _without_intake_lock(monkeypatch):
    """Single ingests skip the intake lock: the writer that could collide with a batch."""
    monkeypatch.setattr(services, "_claim_match_keys", lambda **keys: None)


@postgres_only
def test_a_collision_is_answered_as_a_resubmission(monkeypatch):
    _without_intake_lock(monkeypatch)
    platform = Platform.objects.create(slug="weibo", name="新浪微博")
    items = [item(f"c-{n}", f"碰撞第{n}条谣言", views=10) for n in range(10)]
    collisions = {"left": 1}
    write_accounts = intake._Batch._write_accounts

    def after_another_request(self):
        # Between the batch's read and its writes, another request stores c-3 (with other
        # figures) and commits.
        if collisions["left"]:
            collisions["left"] -= 1
            together(lambda: report_ingest(platform=platform, data=item("c-3", "碰撞第3条谣言", views=20)))
        return write_accounts(self)

    monkeypatch.setattr(intake._Batch, "_write_accounts", after_another_request)
    results = report_ingest_batch(platform=platform, items=items)
    assert [r.outcome for r in results] == ["created"] * 3 + ["updated"] + ["created"] * 6
    assert Report.objects.count() == 10 and Case.objects.count() == 10
    assert Report.objects.get(external_id="c-3").views == 10
    assert list(audit_chain_problems()) == []


@postgres_only
def test_repeated_collisions_fall_back_to_one_by_one(monkeypatch):
    _without_intake_lock(monkeypatch)
    platform = Platform.objects.create(slug="weibo", name="新浪微博")
    items = [item(f"c-{n}", f"碰撞第{n}条谣言", views=10) for n in range(10)]
    write_accounts = intake._Batch._write_accounts
    taken = iter(range(2, 10))

    def after_another_request(self):
        n = next(taken)
        together(lambda: report_ingest(platform=platform, data=item(f"c-{n}", f"碰撞第{n}条谣言", views=10)))
        return write_accounts(self)

    monkeypatch.setattr(intake._Batch, "_write_accounts", after_another_request)
    results = report_ingest_batch(platform=platform, items=items)
    assert [r.outcome for r in results] == ["created"] * 2 + ["existing"] * 2 + ["created"] * 6
    assert Report.objects.count() == 10
    assert list(audit_chain_problems()) == []


@postgres_only
def test_an_account_created_meanwhile_is_refreshed_not_duplicated(monkeypatch):
    from rumorcases.disposal.services import account_upsert

    platform = Platform.objects.create(slug="weibo", name="新浪微博")
    write_accounts = intake._Batch._write_accounts

    def after_another_request(self):
        together(lambda: account_upsert(platform=platform, account_id="a-race", handle="theirs",
                                        display_name="他们", followers=1))
        return write_accounts(self)

    monkeypatch.setattr(intake._Batch, "_write_accounts", after_another_request)
    results = report_ingest_batch(platform=platform, items=[
        item("r-1", "竞态谣言", author=author("a-race", followers=5)),
        item("r-2", "另一条竞态谣言", author=author("a-race", followers=6, verified=True))])
    assert [r.outcome for r in results] == ["created", "created"]
    account = Account.objects.get()
    # As `account_upsert` on the row the other request stored: blanks keep what was there.
    assert (account.handle, account.display_name, account.followers, account.verified) == ("theirs", "他们", 6, True)
    assert {r.report.author_id for r in results} == {account.pk}


@postgres_only
def test_a_report_arriving_during_a_batch_waits_for_it_and_joins_its_case(monkeypatch):
    platform = Platform.objects.create(slug="weibo", name="新浪微博")
    write_accounts = intake._Batch._write_accounts
    late = {}

    def ingest_late():
        try:
            late["result"] = report_ingest(platform=platform, data=item("late", "等待中的谣言：某地明日停电"))
        finally:
            connection.close()

    waiting = threading.Thread(target=ingest_late)

    def with_a_report_arriving(self):
        waiting.start()
        waiting.join(timeout=1)
        late["blocked"] = waiting.is_alive()  # held back by the batch's intake lock
        return write_accounts(self)

    monkeypatch.setattr(intake._Batch, "_write_accounts", with_a_report_arriving)
    [result] = report_ingest_batch(platform=platform, items=[item("first", "等待中的谣言：某地明日停电！")])
    waiting.join(timeout=60)
    assert late["blocked"] is True
    assert (late["result"].case, late["result"].report.match_reason) == (result.case, "exact_text")
    assert Case.objects.count() == 1


@postgres_only
def test_two_batches_carrying_near_duplicates_of_a_new_rumour_open_one_case(settings):
    settings.MATCH_NEAR_DUPLICATES = True
    platform = Platform.objects.create(slug="weibo", name="新浪微博")
    rumour = "网传本市自来水厂被投毒，今晚十点起全市停水，大家赶快储水，请转告身边的亲人朋友"
    variants = [rumour, "太可怕了！" + rumour[:30], rumour.replace("赶快储水", "快点存水"), rumour[5:] + "转起来"]
    outcomes = together(*[lambda n=n, text=text: report_ingest_batch(platform=platform, items=[item(f"v-{n}", text)])
                          for n, text in enumerate(variants)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Case.objects.count() == 1
    assert sorted(r.report.match_reason for [r] in outcomes).count("new_case") == 1
    assert list(audit_chain_problems()) == []
