"""Who may open and who may send what in the staff UI: an access matrix over every URL of
`rumorcases/staff/urls.py`, for anonymous visitors, each role, the auditor, the office head and a
signed-in user without a role.

RULES is the specification, written from docs/staff.md ("Who can do what" and the transition
table), docs/operations.md (the office head reads what the auditor reads) and
rumorcases/core/roles.py. The URL names are read from the URL configuration itself, so a URL added
without a rule fails `test_every_staff_url_has_a_rule`; likewise a transition or a dashboard chart
added without a rule.

What a rule means, for a caller signed in with one role (or none):
- GET: 200 for the roles named, 403 for the others; a form page is only for those who may send it.
- POST: the roles named are not refused (the answer may be the form again with its errors, a
  redirect, or 409: the world's objects are not in the state every action needs); the others get
  403 and nothing is written.
- NOT_SERVED: the URL does not answer that method (405) — for anyone, anonymous included, since
  the method is checked before the sign-in.
An anonymous visitor is sent to the sign-in page from every URL that serves the method.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rumorcases.bulletins import services as bulletins
from rumorcases.cases import services as case_services
from rumorcases.cases.workflow import TRANSITION_SERVICES
from rumorcases.core import roles
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole, OrderItemKind
from rumorcases.disposal.models import Subject
from rumorcases.operations.roles import OFFICE_HEAD
from rumorcases.staff.dashboard import CHARTS
from rumorcases.staff.urls import urlpatterns
from tests.conftest import PNG, make_user
from tests.staff.test_read_only_roles import PAYLOAD

INTAKE, VERIFIER, EDITOR, REVIEWER = roles.INTAKE_OFFICER, roles.VERIFIER, roles.NOTICE_EDITOR, roles.REVIEWER
DISPOSAL, PUBLISHER, SUPERVISOR, AUDITOR = roles.DISPOSAL_OFFICER, roles.PUBLISHER, roles.SUPERVISOR, roles.AUDITOR
HEAD = OFFICE_HEAD
NO_ROLE = "no_role"
ANONYMOUS = "anonymous"

WORKERS = frozenset({INTAKE, VERIFIER, EDITOR, REVIEWER, DISPOSAL, PUBLISHER, SUPERVISOR})
READERS = WORKERS | {AUDITOR, HEAD}  # "every role reads every case"
EVERYONE = READERS | {NO_ROLE, ANONYMOUS}
CALLERS = [INTAKE, VERIFIER, EDITOR, REVIEWER, DISPOSAL, PUBLISHER, SUPERVISOR, AUDITOR, HEAD, NO_ROLE]

NOT_SERVED = 405
SIGN_IN_PAGE = "sign-in page"  # the page for anonymous visitors; the signed-in are sent on to their work
BY_TRANSITION = "by transition"  # one rule per transition, in TRANSITIONS
BY_CHART = "by chart"  # every chart of the dashboard (CHARTS) under the one rule


def who(*names):
    return frozenset(names)


@dataclass(frozen=True)
class Rule:
    get: frozenset | int | str
    post: frozenset | int | str


RULES = {
    "login": Rule(SIGN_IN_PAGE, EVERYONE),
    "logout": Rule(NOT_SERVED, EVERYONE),
    # My work, discovery, the workbench.
    "my_work": Rule(READERS, NOT_SERVED),
    "report_new": Rule(who(INTAKE, SUPERVISOR), who(INTAKE, SUPERVISOR)),
    "report_relocate": Rule(NOT_SERVED, who(INTAKE, VERIFIER, SUPERVISOR)),
    "case_new": Rule(who(SUPERVISOR), who(SUPERVISOR)),
    "case_detail": Rule(READERS, NOT_SERVED),
    "case_edit": Rule(who(INTAKE, VERIFIER, SUPERVISOR), who(INTAKE, VERIFIER, SUPERVISOR)),
    "case_transition": Rule(NOT_SERVED, BY_TRANSITION),
    "case_assign": Rule(NOT_SERVED, who(SUPERVISOR)),
    "case_priority": Rule(NOT_SERVED, who(SUPERVISOR)),
    "case_campaigns": Rule(NOT_SERVED, WORKERS),
    "case_comment": Rule(NOT_SERVED, WORKERS),
    # The reader's own bookkeeping: the auditor and the office head too.
    "notifications": Rule(READERS, NOT_SERVED),
    "notifications_read": Rule(NOT_SERVED, READERS),
    "notification_preferences": Rule(READERS, READERS),
    # Verification.
    "case_verification": Rule(READERS, NOT_SERVED),
    "evidence_add": Rule(NOT_SERVED, WORKERS),
    "evidence_download": Rule(READERS, NOT_SERVED),
    "finding_add": Rule(NOT_SERVED, who(VERIFIER, SUPERVISOR)),
    "consultation_ask": Rule(NOT_SERVED, WORKERS),
    "consultation_answer": Rule(NOT_SERVED, WORKERS),
    # Debunk notices; the live preview writes nothing but serves only those who write notices.
    "case_notice": Rule(READERS, NOT_SERVED),
    "notice_detail": Rule(READERS, NOT_SERVED),
    "notice_diff": Rule(READERS, NOT_SERVED),
    "notice_create": Rule(NOT_SERVED, who(EDITOR, SUPERVISOR)),
    "notice_preview": Rule(NOT_SERVED, who(EDITOR, SUPERVISOR)),
    "notice_preview_existing": Rule(NOT_SERVED, who(EDITOR, SUPERVISOR)),
    "notice_edit": Rule(NOT_SERVED, who(EDITOR, SUPERVISOR)),
    "notice_submit": Rule(NOT_SERVED, who(EDITOR, SUPERVISOR)),
    "notice_review": Rule(NOT_SERVED, who(REVIEWER, SUPERVISOR)),
    "notice_publish": Rule(NOT_SERVED, who(PUBLISHER, SUPERVISOR)),
    "notice_withdraw": Rule(NOT_SERVED, who(SUPERVISOR)),
    "notice_correct": Rule(NOT_SERVED, who(SUPERVISOR)),
    # Disposal.
    "case_disposal": Rule(READERS, NOT_SERVED),
    "penalty_propose": Rule(NOT_SERVED, who(DISPOSAL, SUPERVISOR)),
    "penalty_approve": Rule(NOT_SERVED, who(SUPERVISOR)),
    "penalty_revoke": Rule(NOT_SERVED, who(SUPERVISOR)),
    "order_issue": Rule(NOT_SERVED, who(DISPOSAL, SUPERVISOR)),
    "order_detail": Rule(READERS, NOT_SERVED),
    "order_waive": Rule(NOT_SERVED, who(SUPERVISOR)),
    # Exposure bulletins.
    "bulletin_list": Rule(READERS, NOT_SERVED),
    "bulletin_detail": Rule(READERS, NOT_SERVED),
    "bulletin_create": Rule(who(PUBLISHER, SUPERVISOR), who(PUBLISHER, SUPERVISOR)),
    "bulletin_entry_add": Rule(who(PUBLISHER, SUPERVISOR), who(PUBLISHER, SUPERVISOR)),
    "bulletin_entry_edit": Rule(who(PUBLISHER, SUPERVISOR), who(PUBLISHER, SUPERVISOR)),
    "bulletin_entry_move": Rule(NOT_SERVED, who(PUBLISHER, SUPERVISOR)),
    "bulletin_entry_remove": Rule(NOT_SERVED, who(PUBLISHER, SUPERVISOR)),
    "bulletin_submit": Rule(NOT_SERVED, who(PUBLISHER, SUPERVISOR)),
    "bulletin_send_back": Rule(NOT_SERVED, who(PUBLISHER, SUPERVISOR)),
    "bulletin_publish": Rule(NOT_SERVED, who(PUBLISHER, SUPERVISOR)),
    # Accounts and subjects.
    "account_list": Rule(READERS, NOT_SERVED),
    "account_detail": Rule(READERS, NOT_SERVED),
    "subject_link": Rule(NOT_SERVED, who(DISPOSAL, SUPERVISOR)),
    "subject_unlink": Rule(NOT_SERVED, who(DISPOSAL, SUPERVISOR)),
    "subject_detail": Rule(READERS, NOT_SERVED),
    # The dashboard and its CSVs.
    "dashboard": Rule(READERS, NOT_SERVED),
    "dashboard_csv": Rule(BY_CHART, NOT_SERVED),
}

# docs/staff.md, the case workbench's table of transitions.
TRANSITIONS = {
    "start_verification": who(INTAKE, VERIFIER, SUPERVISOR),
    "dismiss": who(SUPERVISOR),
    "merge_into": who(INTAKE, VERIFIER, SUPERVISOR),
    "confirm_rumour": who(VERIFIER, SUPERVISOR),
    "clear": who(VERIFIER, SUPERVISOR),
    "close_unverifiable": who(SUPERVISOR),
    "publish_debunk": who(PUBLISHER, SUPERVISOR),
    "return_to_verification": who(VERIFIER, REVIEWER, SUPERVISOR),
    "complete_disposal": who(DISPOSAL, SUPERVISOR),
    "mark_exposed": who(PUBLISHER, SUPERVISOR),
    "close_without_exposure": who(SUPERVISOR),
    "reopen": who(SUPERVISOR),
}

# What an allowed POST may answer: done (302), the form again with its errors (200), or the
# object's state says no (409). Never refused for the role, never a lost object or a wrong method.
NOT_REFUSED = {200, 302, 409}


def test_every_staff_url_has_a_rule():
    names = [pattern.name for pattern in urlpatterns]
    assert len(names) == len(set(names)), "two staff URLs share a name"
    assert set(names) == set(RULES)
    assert set(TRANSITION_SERVICES) == set(TRANSITIONS)
    assert set(roles.ALL_ROLES) | {HEAD} < set(CALLERS)
    for pattern in urlpatterns:
        # Every argument comes from the world, but `name`: the transitions' or the charts' names.
        converters = set(pattern.pattern.converters)
        assert converters - {"name"} <= set(ARGUMENTS), pattern.name
        rule = RULES[pattern.name]
        assert ("name" in converters) == bool({BY_TRANSITION, BY_CHART} & {rule.get, rule.post}), pattern.name


@pytest.fixture
def world(build, cast, provision, platform):
    """One of everything a staff URL names, made by the cast: a disposing case with its report,
    account (linked to a subject), evidence, consultation, published notice, a proposed posting ban
    and an open order; a draft bulletin holding an exposing case. The callers of the matrix are
    other people, so that no four-eyes rule stands in for a role check."""
    case = build.disposing()
    report = case.reports.get()
    account = report.author
    subject = Subject.objects.create(name="某主体")
    disposal.subject_link_account(account=account, subject=subject, by=cast.disposal)
    penalty = disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR,
                                       measure=Measure.POSTING_BAN, duration_days=7, legal_provision=provision,
                                       reasoning="r", by=cast.disposal)
    order = disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(days=1),
                                 by=cast.disposal, items=[{"kind": OrderItemKind.REMOVE_CONTENT, "report": report}])
    evidence = case.evidence.first() or case_services.evidence_add(
        case=case, upload=SimpleUploadedFile("shot.png", PNG), by=cast.verifier)
    consultation = case_services.consultation_ask(case=case, authority="police", authority_name="某分局",
                                                  question="q", due_at=timezone.now() + timedelta(days=1),
                                                  by=cast.verifier)
    today = timezone.localdate()
    bulletin = bulletins.bulletin_create(by=cast.publisher, title="曝光", period_start=today, period_end=today)
    entry = bulletins.bulletin_add_entry(bulletin=bulletin, case=build.exposing(), by=cast.publisher,
                                         headline="h", rumour_summary="r", finding_summary="f")
    return {
        "case": case, "report": report, "account": account, "subject": subject, "penalty": penalty,
        "order": order, "evidence": evidence, "consultation": consultation, "notice": case.notices.get(),
        "bulletin": bulletin, "entry": entry, "platform": platform,
    }


# Each URL argument, from the world; `pk` is the object the URL's name starts with.
ARGUMENTS = {
    "reference": lambda world, name: world["case"].reference,
    "report_id": lambda world, name: world["report"].pk,
    "account_id": lambda world, name: world["account"].pk,
    "platform": lambda world, name: world["platform"].slug,
    "order_reference": lambda world, name: world["order"].reference,
    "entry_pk": lambda world, name: world["entry"].pk,
    "pk": lambda world, name: next(
        world[kind].pk for prefix, kind in PK_OF if name.startswith(prefix)),
}
PK_OF = [("bulletin", "bulletin"), ("penalty", "penalty"), ("notice", "notice"), ("evidence", "evidence"),
         ("consultation", "consultation"), ("subject_detail", "subject"), ("account", "account"),
         ("subject_", "account")]


@dataclass(frozen=True)
class Cell:
    label: str  # the URL name, with the transition or chart when there is one
    url: str
    get: frozenset | int | str
    post: frozenset | int | str


def cells(world) -> list[Cell]:
    """Every URL of the staff UI with a real object behind it, and its rule."""
    found = []
    for pattern in urlpatterns:
        rule = RULES[pattern.name]
        kwargs = {key: ARGUMENTS[key](world, pattern.name) for key in pattern.pattern.converters if key != "name"}
        if rule.post == BY_TRANSITION:
            for transition, allowed in TRANSITIONS.items():
                url = reverse(f"staff:{pattern.name}", kwargs={**kwargs, "name": transition})
                found.append(Cell(f"{pattern.name}:{transition}", url, rule.get, allowed))
        elif rule.get == BY_CHART:
            for chart in CHARTS:
                url = reverse(f"staff:{pattern.name}", kwargs={**kwargs, "name": chart})
                found.append(Cell(f"{pattern.name}:{chart}", url, READERS, rule.post))
        else:
            found.append(Cell(pattern.name, reverse(f"staff:{pattern.name}", kwargs=kwargs), rule.get, rule.post))
    return found


def stored() -> dict:
    """Every row of the product's own tables: a refused request must change none, not even a field."""
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for config in apps.get_app_configs() if config.name.startswith("rumorcases.")
            for model in config.get_models()}


def _changed(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def expected(rule, caller: str):
    """The status the rule promises `caller` (for a POST by an allowed caller: NOT_REFUSED)."""
    if isinstance(rule, int):
        return rule
    if rule == SIGN_IN_PAGE:
        return 200 if caller == ANONYMOUS else 302
    if caller in rule:
        return "allowed"
    return "sign-in" if caller == ANONYMOUS else 403


def answered(response) -> object:
    """What a response is, in the terms of `expected`."""
    status = response.status_code
    if status == 302 and response["Location"].startswith(reverse("staff:login") + "?next="):
        return "sign-in"
    return status


def matches(want, got, method: str) -> bool:
    if want == "allowed":
        return got == 200 if method == "GET" else got in NOT_REFUSED
    return want == got


def sweep(client, world, caller, *, sign_in=None) -> tuple[dict, list]:
    """GET every URL, then POST to every one (the world is untouched while it is read). Returns
    the mismatches against the rules and the refused POSTs that wrote something."""
    wrong, wrote = {}, []
    all_cells = cells(world)
    for method in ("GET", "POST"):
        for cell in all_cells:
            want = expected(cell.get if method == "GET" else cell.post, caller)
            before = stored() if method == "POST" and want != "allowed" else None
            response = client.get(cell.url) if method == "GET" else client.post(cell.url, PAYLOAD)
            got = answered(response)
            if not matches(want, got, method):
                wrong[(cell.label, method)] = (got, want)
            if before is not None and (changes := _changed(before, stored())):
                wrote.append((cell.label, changes))
            if cell.label == "logout" and method == "POST" and sign_in is not None:
                sign_in()
    return wrong, wrote


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    before = stored()
    wrong, wrote = sweep(client, world, ANONYMOUS)
    assert not wrong, wrong
    assert not wrote, wrote
    assert not _changed(before, stored())


@pytest.mark.parametrize("caller", CALLERS)
def test_the_access_matrix(client, world, caller):
    user = make_user(f"matrix-{caller}", *([] if caller == NO_ROLE else [caller]))
    client.force_login(user)
    wrong, wrote = sweep(client, world, caller, sign_in=lambda: client.force_login(user))
    assert not wrong, wrong
    assert not wrote, wrote
