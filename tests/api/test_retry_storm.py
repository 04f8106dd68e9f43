"""A platform's retry storm, on PostgreSQL: the same batch sent three times at once.

Each send runs in its own thread with its own connection, as three gunicorn workers would,
released together. Every report is stored exactly once, every answer names the same report
and the same case for each item, and no case is opened that no report belongs to.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from rumorcases.cases.models import Case, Report
from rumorcases.core.audit import audit_chain_problems
from rumorcases.core.models import AuditEvent
from tests.api.conftest import PlatformClient, make_token

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises all writers"),
]

SENDS = 3
REPORTS = 50


def batch():
    posted = (timezone.now() - timedelta(hours=1)).isoformat()
    reports = []
    for n in range(REPORTS):
        # Every fifth report repeats the rumour of the one before in other words: it joins that case.
        rumour = n - 1 if n % 5 == 4 else n
        reports.append({
            "external_id": f"storm-{n}",
            "content": f"网传第{rumour}号谣言：某地发生重大事故" + ("！！" if rumour != n else ""),
            "posted_at": posted,
            "url": f"https://weibo.example/status/storm-{n}",
            "author": {"account_id": f"u-{n % 7}", "handle": f"h{n % 7}"},
            "metrics": {"views": 100 + n, "reposts": n},
        })
    return {"reports": reports}


def test_the_same_batch_three_times_at_once_stores_each_report_once(platform):
    raw = make_token(platform)[1]
    body = batch()
    barrier = threading.Barrier(SENDS)
    answers = [None] * SENDS

    def send(index):
        try:
            client = PlatformClient(raw)
            barrier.wait(timeout=30)
            response = client.post("/api/v1/reports/batch/", body)
            answers[index] = (response.status_code, response.json())
        except Exception as error:  # recorded, so the assertion below names it
            answers[index] = (None, repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(SENDS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a send never finished"

    assert [status for status, _ in answers] == [200] * SENDS, answers
    named = [[(r["outcome"] in ("created", "existing"), r["id"], r["case"]["reference"])
              for r in json["results"]] for _, json in answers]
    assert all(all(ok for ok, _, _ in answer) for answer in named), [a[1]["counts"] for a in answers]
    assert named[0] == named[1] == named[2]  # every answer names the same reports and cases
    assert sum(a[1]["counts"]["created"] for a in answers) == REPORTS  # each created exactly once

    assert Report.objects.count() == REPORTS
    assert Report.objects.values("external_id").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert Case.objects.count() == REPORTS - REPORTS // 5
    assert not Case.objects.filter(reports__isnull=True).exists(), "a case was opened for nothing"
    assert AuditEvent.objects.filter(action="report.received").count() == REPORTS
    assert list(audit_chain_problems()) == []
