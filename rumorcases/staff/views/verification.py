"""Staff pages: the verification tab of a case (evidence, findings, consultations)."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from rumorcases.cases import services
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.selectors import case_get_for_user
from rumorcases.core.exceptions import (
    EVIDENCE_TOO_LARGE,
    EVIDENCE_TYPE_FORBIDDEN,
)
from rumorcases.staff.access import require_perm, staff_view
from rumorcases.staff.forms.base import attempt, refusal_status
from rumorcases.staff.forms.verification import (
    ConsultationAnswerForm,
    ConsultationForm,
    EvidenceForm,
    FindingForm,
)


def _verification_page(request, case, *, status=200, evidence_form=None, finding_form=None,
                       consultation_form=None, answer_forms=None):
    user = request.user
    evidence = list(case.evidence.select_related("uploaded_by"))
    findings = list(case.findings.select_related("recorded_by").prefetch_related("evidence"))
    consultations = list(case.consultations.select_related("asked_by", "answer_recorded_by"))
    is_open = case.status != CaseStatus.CLOSED
    may_work = is_open and user.has_perm("cases.work_case")
    may_find = case.status == CaseStatus.VERIFYING and user.has_perm("cases.record_finding")
    answer_forms = answer_forms or {}
    for consultation in consultations:
        if may_work and not consultation.is_answered:
            consultation.answer_form = answer_forms.get(consultation.pk) or ConsultationAnswerForm(
                prefix=f"answer-{consultation.pk}")
    context = {
        "case": case,
        "tab": "verification",
        "evidence": evidence,
        "findings": findings,
        "consultations": consultations,
        # A form sent back with a refusal is shown even when the case has moved on meanwhile.
        "evidence_form": evidence_form or (EvidenceForm() if may_work else None),
        "finding_form": finding_form or (FindingForm(case=case) if may_find else None),
        "consultation_form": consultation_form or (ConsultationForm() if may_work else None),
    }
    return render(request, "staff/verification/page.html", context, status=status)


def _back(case):
    return redirect(reverse("staff:case_verification", args=[case.reference]))


@staff_view
def case_verification(request, reference):
    case = case_get_for_user(request.user, reference=reference)
    return _verification_page(request, case)


@staff_view(methods=("POST",))
def evidence_add(request, reference):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "cases.work_case")
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        item, refused = attempt(form, lambda: services.evidence_add(
            case=case, upload=data["file"], by=request.user, original_name=data["file"].name,
            kind=data["kind"], source_url=data["source_url"], description=data["description"]))
        if item is not None:
            messages.success(request, _("Evidence “%(name)s” stored. SHA-256: %(sha)s") % {
                "name": item.original_name, "sha": item.sha256})
            return _back(case)
        if refused.code in (EVIDENCE_TOO_LARGE, EVIDENCE_TYPE_FORBIDDEN):
            form.add_error("file", refused.message)  # the limit or the type, not just "too large"
        return _verification_page(request, case, evidence_form=form, status=refusal_status(refused))
    return _verification_page(request, case, evidence_form=form)


@staff_view
def evidence_download(request, reference, pk):
    """Evidence is internal: it reaches staff only through here, never as plain media, and
    always as a download the browser must not render or sniff."""
    case = case_get_for_user(request.user, reference=reference)
    item = get_object_or_404(case.evidence, pk=pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=item.original_name or "evidence",
                            content_type=item.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view(methods=("POST",))
def finding_add(request, reference):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "cases.record_finding")
    form = FindingForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        finding, refused = attempt(form, lambda: services.finding_record(
            case=case, verdict=data["verdict"], reasoning=data["reasoning"], by=request.user,
            sources=data["sources"], evidence=list(data["evidence"])))
        if finding is not None:
            messages.success(request, _("Finding recorded: %(verdict)s.") % {"verdict": finding.get_verdict_display()})
            return _back(case)
        return _verification_page(request, case, finding_form=form, status=refusal_status(refused))
    return _verification_page(request, case, finding_form=form)


@staff_view(methods=("POST",))
def consultation_ask(request, reference):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "cases.work_case")
    form = ConsultationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        consultation, refused = attempt(form, lambda: services.consultation_ask(
            case=case, authority=data["authority"], authority_name=data["authority_name"],
            question=data["question"], due_at=data["due_at"], by=request.user))
        if consultation is not None:
            messages.success(request, _("Question sent to %(name)s.") % {"name": consultation.authority_name})
            return _back(case)
        return _verification_page(request, case, consultation_form=form, status=refusal_status(refused))
    return _verification_page(request, case, consultation_form=form)


@staff_view(methods=("POST",))
def consultation_answer(request, reference, pk):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "cases.work_case")
    consultation = get_object_or_404(case.consultations, pk=pk)
    form = ConsultationAnswerForm(request.POST, prefix=f"answer-{pk}")
    status = 200
    if form.is_valid():
        answered, refused = attempt(form, lambda: services.consultation_answer(
            consultation=consultation, answer=form.cleaned_data["answer"], by=request.user))
        if answered is not None:
            messages.success(request, _("Answer from %(name)s recorded.") % {"name": answered.authority_name})
            return _back(case)
        if refused.status_code == 409:
            # Answered by someone else meanwhile: no form is left to show the refusal on.
            messages.warning(request, refused.message)
            return _back(case)
        status = refusal_status(refused)
    return _verification_page(request, case, answer_forms={pk: form}, status=status)

urlpatterns = [
    path("cases/<str:reference>/verification/", case_verification, name="case_verification"),
    path("cases/<str:reference>/verification/evidence/", evidence_add, name="evidence_add"),
    path("cases/<str:reference>/evidence/<int:pk>/download/", evidence_download, name="evidence_download"),
    path("cases/<str:reference>/verification/findings/", finding_add, name="finding_add"),
    path("cases/<str:reference>/verification/consultations/", consultation_ask, name="consultation_ask"),
    path("cases/<str:reference>/verification/consultations/<int:pk>/answer/", consultation_answer,
         name="consultation_answer"),
]
