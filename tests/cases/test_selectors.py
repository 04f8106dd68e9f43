import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from rumorcases.cases import selectors
from rumorcases.cases import services as case_services
from tests.conftest import report_input


def _page(qs, size):
    cases = selectors.case_report_counts_attach(qs[:size])
    return [(case.reference, case.report_count, case.assignee) for case in cases]


def test_it_lists_a_page_with_its_report_counts_in_two_queries_whatever_its_size(build, django_assert_num_queries):
    for _ in range(6):
        case = build.verifying()
        case_services.case_assign(case=case, assignee=build.c.verifier, by=build.c.supervisor)
    user = build.c.verifier
    user.has_perm("cases.view_case")  # the permission cache is loaded once per request
    with django_assert_num_queries(2):
        small = _page(selectors.case_list_for_user(user), 2)
    with django_assert_num_queries(2):
        large = _page(selectors.case_list_for_user(user), 100)
    assert len(small) == 2
    assert len(large) == 6
    assert all(count == 1 for _, count, _ in large)


def test_it_filters_and_searches(build):
    overdue = build.verifying()
    fresh = build.discovered(content="网传地铁停运消息")
    type(overdue).objects.filter(pk=overdue.pk).update(stage_deadline=overdue.created_at)
    user = build.c.intake
    assert list(selectors.case_list_for_user(user, overdue=True)) == [overdue]
    assert fresh in selectors.case_list_for_user(user, overdue=False)
    assert list(selectors.case_list_for_user(user, search="地铁停运")) == [fresh]
    assert list(selectors.case_list_for_user(user, search=overdue.reference)) == [overdue]
    assert list(selectors.case_list_for_user(user, search=overdue.reference.lower())) == [overdue]
    assert list(selectors.case_list_for_user(user, status="discovered")) == [fresh]


def test_it_refuses_people_without_a_role(build):
    case = build.discovered()
    with pytest.raises(PermissionDenied):
        selectors.case_list_for_user(build.c.nobody)
    with pytest.raises(PermissionDenied):
        selectors.case_get_for_user(build.c.nobody, reference=case.reference)
    with pytest.raises(Http404):
        selectors.case_get_for_user(build.c.auditor, reference="RC-1999-000001")
    assert selectors.case_get_for_user(build.c.auditor, reference=case.reference) == case


def test_the_timeline_costs_the_same_for_a_big_case(build, platform, django_assert_num_queries):
    case = build.debunking()
    for n in range(5):
        case_services.report_ingest(platform=platform, data=report_input(external_id=f"x-{n}", content=case.claim))
        case_services.case_comment_add(case=case, body=f"备注 {n}", by=build.c.verifier)
    case.refresh_from_db()
    with django_assert_num_queries(6):
        timeline = selectors.case_timeline(case)
    kinds = [entry.kind for entry in timeline]
    assert kinds.count("report") == 6
    assert kinds.count("comment") == 5
    assert [entry.at for entry in timeline] == sorted((entry.at for entry in timeline), reverse=True)
