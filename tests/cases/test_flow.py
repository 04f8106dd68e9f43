from rumorcases.cases.choices import CaseStatus, Resolution
from rumorcases.cases.models import CaseTransition
from rumorcases.core.audit import audit_chain_problems
from rumorcases.core.models import AuditEvent, Notification


def test_it_walks_a_case_from_discovery_to_exposure(build, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = build.closed_exposed()
    assert case.status == CaseStatus.CLOSED
    assert case.resolution == Resolution.EXPOSED
    names = list(CaseTransition.objects.filter(case=case).order_by("created_at", "id").values_list("name", flat=True))
    assert names == ["start_verification", "confirm_rumour", "publish_debunk", "complete_disposal", "mark_exposed"]
    notice = case.notices.get()
    assert notice.status == "published"
    assert notice.document_number.startswith("沪网信辟〔")
    assert list(audit_chain_problems()) == []
    assert AuditEvent.objects.filter(case_reference=case.reference, action__startswith="case.").count() >= 6
    # Whoever acts next was told, once per transition (the actor is never told of their own act).
    verifiers = Notification.objects.filter(case_reference=case.reference, recipient=build.c.verifier)
    assert verifiers.count() == 1
    editors = Notification.objects.filter(case_reference=case.reference, recipient=build.c.editor)
    assert editors.filter(title__contains="debunking").exists() or editors.count() >= 1
    assert not Notification.objects.filter(recipient=build.c.intake, case_reference=case.reference).exists()
