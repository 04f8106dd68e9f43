import pytest

from rumorcases.cases import services
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent


def test_it_corrects_title_claim_and_category_with_an_audit_event(build):
    case = build.verifying()
    services.case_update_details(case=case, by=build.c.verifier, title="  公园雷击谣言 ", category="other")
    case.refresh_from_db()
    assert (case.title, case.category) == ("公园雷击谣言", "other")
    event = AuditEvent.objects.filter(action="case.edited").get()
    assert event.data == {"fields": ["category", "title"]}


def test_it_writes_nothing_when_nothing_changed(build):
    case = build.verifying()
    services.case_update_details(case=case, by=build.c.verifier, title=case.title)
    assert not AuditEvent.objects.filter(action="case.edited").exists()


@pytest.mark.parametrize("fields", [{"title": "  "}, {"claim": ""}, {"category": "gossip"}, {"title": "长" * 201}])
def test_it_refuses_bad_values_and_changes_nothing(build, fields):
    case = build.verifying()
    before = (case.title, case.claim, case.category)
    with pytest.raises(ApplicationError) as refused:
        services.case_update_details(case=case, by=build.c.verifier, **fields)
    assert refused.value.code == "invalid"
    assert list(refused.value.fields) == list(fields)
    case.refresh_from_db()
    assert (case.title, case.claim, case.category) == before


@pytest.mark.parametrize("role", ["editor", "auditor", "nobody"])
def test_it_is_for_intake_verifiers_and_supervisors(build, role):
    case = build.verifying()
    with pytest.raises(ApplicationError) as refused:
        services.case_update_details(case=case, by=getattr(build.c, role), title="新标题")
    assert refused.value.code == "not_your_role"
    services.case_update_details(case=case, by=build.c.supervisor, title="新标题")
    services.case_update_details(case=case, by=build.c.intake, title="新标题二")
