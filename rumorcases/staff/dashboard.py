"""The dashboard's figures: reads only, each a fixed number of queries whatever the number of cases.

Every selector takes `now` (default: the current time) so a test can pin the clock. Weeks run
Monday to Sunday in the office's time zone (settings.TIME_ZONE, Asia/Shanghai); "the window" is
the last `WEEKS` weeks including the current one. Medians are computed in Python from rows bounded
by the window (SQLite has no median), never from the whole history.

The second half of the module turns each selector's figures into a `Chart`: the same numbers as
a table (for the page, the screen reader and the CSV) and as a Chart.js spec (for
static/staff/dashboard.js). Page and CSV read the same `Chart`, so they cannot disagree.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import mean, median

from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncWeek
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from rumorcases.cases.choices import OPEN_STATES, CaseStatus, Priority
from rumorcases.cases.models import Campaign, Case, CaseTransition
from rumorcases.cases.selectors import access_case_read
from rumorcases.core.db_router import reads_from_replica
from rumorcases.disposal.choices import OrderStatus, PenaltyStatus
from rumorcases.disposal.models import DisposalOrder, Penalty

WEEKS = 12
TOP_OFFENDERS = 10
CAMPAIGNS_SHOWN = 20
OPEN_ORDER_STATES = [OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED, OrderStatus.OVERDUE]
# Penalties that count as offences, as `disposal.services.prior_penalties` counts them.
NOT_STANDING = [PenaltyStatus.REVOKED, PenaltyStatus.PROPOSED]


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def week_starts(now: datetime | None = None) -> list[date]:
    """The Mondays (office time) of the window's weeks, oldest first."""
    today = timezone.localtime(_now(now), timezone.get_default_timezone()).date()
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]


def window_start(now: datetime | None = None) -> datetime:
    """Midnight, office time, of the window's first Monday."""
    return datetime.combine(week_starts(now)[0], time.min, tzinfo=timezone.get_default_timezone())


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _median(values: list[float]) -> float | None:
    return _round(median(values)) if values else None


def _mean(values: list[float]) -> float | None:
    return _round(mean(values)) if values else None


def _localised(name: str, name_en: str) -> str:
    """A platform's or campaign's name in the reader's language (the Chinese name is the default)."""
    return name_en if name_en and (get_language() or "").startswith("en") else name


# --- the selectors -----------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    week: date  # the Monday, office time
    opened: int
    closed: int


def cases_per_week(*, now: datetime | None = None) -> list[WeekCount]:
    """Cases opened (created_at) and closed (closed_at) in each week of the window. Two queries.

    A case reopened since no longer has a `closed_at`, so it counts as closed only once it closes again.
    """
    start, tz = window_start(now), timezone.get_default_timezone()

    def per_week(field_name: str) -> dict[date, int]:
        rows = (Case.objects.filter(**{f"{field_name}__gte": start})
                .annotate(week=TruncWeek(field_name, tzinfo=tz)).values("week")
                .annotate(n=Count("id")).order_by("week").values_list("week", "n"))
        return {timezone.localtime(week, tz).date(): n for week, n in rows}

    opened, closed = per_week("created_at"), per_week("closed_at")
    return [WeekCount(week, opened.get(week, 0), closed.get(week, 0)) for week in week_starts(now)]


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


def cases_by_state() -> list[StateCount]:
    """Open cases in each open state now, every open state listed (zero included). One query."""
    counts = dict(Case.objects.filter(status__in=OPEN_STATES).values("status").annotate(n=Count("id"))
                  .order_by().values_list("status", "n"))
    return [StateCount(state.value, str(state.label), counts.get(state.value, 0)) for state in OPEN_STATES]


@dataclass(frozen=True)
class StageTime:
    state: str
    label: str
    stays: int  # completed stays counted
    median_hours: float | None
    mean_hours: float | None


def stage_times(*, now: datetime | None = None) -> list[StageTime]:
    """How long cases stayed in each open stage: completed stays only (entered, then left by a
    transition within the window). Cases still in a stage are not counted here; their lateness
    is what `overdue_cases` shows. One query.

    A stay starts at the case's previous transition, or at its creation for the first stage.
    """
    start, end = window_start(now), _now(now)
    previous = (CaseTransition.objects.filter(case=OuterRef("case"), id__lt=OuterRef("id"))
                .order_by("-id").values("created_at")[:1])
    rows = (CaseTransition.objects.filter(created_at__gte=start, created_at__lte=end, source__in=OPEN_STATES)
            .annotate(entered_at=Coalesce(Subquery(previous), F("case__created_at")))
            .order_by().values_list("source", "entered_at", "created_at"))
    stays: dict[str, list[float]] = {state.value: [] for state in OPEN_STATES}
    for source, entered_at, left_at in rows:
        stays[source].append(max(0.0, _hours(left_at - entered_at)))
    return [StageTime(state.value, str(state.label), len(stays[state.value]), _median(stays[state.value]),
                      _mean(stays[state.value])) for state in OPEN_STATES]


@dataclass(frozen=True)
class OverdueCases:
    state: str
    label: str
    by_priority: dict[str, int]  # every priority, zero included

    @property
    def total(self) -> int:
        return sum(self.by_priority.values())


def overdue_cases(*, now: datetime | None = None) -> list[OverdueCases]:
    """Open cases past their stage deadline, by state and priority; every open state listed. One query."""
    counts = {(status, priority): n for status, priority, n in (
        Case.objects.filter(status__in=OPEN_STATES, stage_deadline__lt=_now(now))
        .values("status", "priority").annotate(n=Count("id")).order_by().values_list("status", "priority", "n"))}
    return [OverdueCases(state.value, str(state.label),
                         {p.value: counts.get((state.value, p.value), 0) for p in Priority})
            for state in OPEN_STATES]


@dataclass(frozen=True)
class OverdueOrders:
    platform: str  # slug
    label: str
    count: int
    most_overdue_hours: float


def overdue_orders(*, now: datetime | None = None) -> list[OverdueOrders]:
    """Open orders (issued, acknowledged, marked overdue) past their due time, by platform, the
    most first; only platforms with any. One query."""
    now = _now(now)
    rows = (DisposalOrder.objects.filter(status__in=OPEN_ORDER_STATES, due_at__lt=now)
            .values("platform__slug", "platform__name", "platform__name_en")
            .annotate(n=Count("id"), oldest=Min("due_at")).order_by("-n", "platform__slug"))
    return [OverdueOrders(row["platform__slug"], _localised(row["platform__name"], row["platform__name_en"]),
                          row["n"], _round(_hours(now - row["oldest"]))) for row in rows]


@dataclass(frozen=True)
class ResponseTime:
    platform: str  # slug
    label: str
    issued: int
    acknowledged: int
    median_ack_hours: float | None  # from issue to acknowledgement, of those acknowledged
    completed: int
    median_completion_hours: float | None  # from issue to completion, of those completed


def platform_response_times(*, now: datetime | None = None) -> list[ResponseTime]:
    """Per platform, for the orders issued within the window: median hours from issue to
    acknowledgement and from issue to completion. Platforms by name. One query."""
    rows = (DisposalOrder.objects.filter(issued_at__gte=window_start(now), issued_at__lte=_now(now))
            .order_by().values_list("platform__slug", "platform__name", "platform__name_en", "issued_at",
                                    "acknowledged_at", "completed_at"))
    platforms: dict[str, dict] = {}
    for slug, name, name_en, issued_at, acknowledged_at, completed_at in rows:
        entry = platforms.setdefault(slug, {"label": _localised(name, name_en), "issued": 0, "ack": [], "done": []})
        entry["issued"] += 1
        if acknowledged_at is not None:
            entry["ack"].append(_hours(acknowledged_at - issued_at))
        if completed_at is not None:
            entry["done"].append(_hours(completed_at - issued_at))
    result = [ResponseTime(slug, e["label"], e["issued"], len(e["ack"]), _median(e["ack"]), len(e["done"]),
                           _median(e["done"])) for slug, e in platforms.items()]
    return sorted(result, key=lambda r: (r.label, r.platform))


@dataclass(frozen=True)
class Offender:
    kind: str  # "subject" or "account" (an account not linked to any subject)
    pk: int
    label: str
    penalties: int
    platforms: int


def repeat_offenders(*, limit: int = TOP_OFFENDERS) -> list[Offender]:
    """The subjects (or, for accounts linked to no subject, the accounts) with the most standing
    penalties (approved, ordered, executed or appealed), on every platform, counting only those
    with two or more: repeat offenders. Two queries.
    """
    standing = Penalty.objects.exclude(status__in=NOT_STANDING)
    subjects = (standing.filter(account__subject__isnull=False)
                .values("account__subject_id", "account__subject__name")
                .annotate(n=Count("id"), platforms=Count("account__platform", distinct=True))
                .filter(n__gte=2).order_by("-n", "account__subject_id")[:limit])
    accounts = (standing.filter(account__subject__isnull=True)
                .values("account_id", "account__handle", "account__platform_account_id", "account__platform__name",
                        "account__platform__name_en")
                .annotate(n=Count("id")).filter(n__gte=2).order_by("-n", "account_id")[:limit])
    result = [Offender("subject", row["account__subject_id"], row["account__subject__name"], row["n"],
                       row["platforms"]) for row in subjects]
    for row in accounts:
        handle = f"@{row['account__handle']}" if row["account__handle"] else row["account__platform_account_id"]
        platform = _localised(row["account__platform__name"], row["account__platform__name_en"])
        # Platform first: a label starting with "@" would read as a formula in a spreadsheet.
        result.append(Offender("account", row["account_id"], f"{platform} · {handle}", row["n"], 1))
    result.sort(key=lambda o: (-o.penalties, o.label, o.kind, o.pk))
    return result[:limit]


@dataclass(frozen=True)
class CampaignProgress:
    slug: str
    label: str
    by_state: dict[str, int]  # every state, closed included, zero included

    @property
    def open(self) -> int:
        return sum(n for state, n in self.by_state.items() if state != CaseStatus.CLOSED)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def campaign_progress() -> list[CampaignProgress]:
    """Cases of each campaign by state, the latest `CAMPAIGNS_SHOWN` campaigns first. One query."""
    counts = {state.value: Count("cases", filter=Q(cases__status=state.value)) for state in CaseStatus}
    campaigns = (Campaign.objects.annotate(**{f"n_{state}": c for state, c in counts.items()})
                 .order_by("-starts_on", "-id")[:CAMPAIGNS_SHOWN])
    return [CampaignProgress(c.slug, _localised(c.name, c.name_en),
                             {state.value: getattr(c, f"n_{state.value}") for state in CaseStatus})
            for c in campaigns]


# --- the charts: the same figures as a table and as a Chart.js spec ---------------------


@dataclass(frozen=True)
class Series:
    key: str  # stable (a state, a priority, ...): dashboard.js picks the colour by it
    label: str
    values: list


@dataclass
class Chart:
    key: str
    title: str
    caption: str
    summary: str  # the canvas's aria-label: the figures in one sentence
    columns: list[str]  # the table's header; the first column labels the rows
    rows: list[list]  # cells: str, int, float or None (no value)
    labels: list[str]  # the chart's categories
    series: list[Series]
    type: str = "bar"
    stacked: bool = False
    horizontal: bool = False
    axis: str = ""  # the value axis' title
    integer: bool = True  # counts, not hours
    label_keys: list[str] = field(default_factory=list)  # colour each bar by its category

    @property
    def has_data(self) -> bool:
        """Anything to draw: a chart of nothing but zeros says so in words instead."""
        return any(value for s in self.series for value in s.values)

    @property
    def script_id(self) -> str:
        return f"chart-data-{self.key}"

    def spec(self) -> dict:
        """What static/staff/dashboard.js needs, rendered with `json_script`."""
        return {
            "type": self.type, "labels": self.labels, "stacked": self.stacked, "horizontal": self.horizontal,
            "axis": self.axis, "integer": self.integer, "labelKeys": self.label_keys,
            "datasets": [{"key": s.key, "label": s.label, "data": s.values} for s in self.series],
        }


def _listing(pairs, limit: int = 12) -> str:
    # The separators are words too: Chinese lists with "；" and puts no space before a figure.
    item = pgettext("dashboard summary item", "%(label)s %(value)s")
    return pgettext("dashboard summary separator", "; ").join(
        item % {"label": label, "value": value} for label, value in list(pairs)[:limit])


def _nothing() -> str:
    return _("No data yet.")


def _weekly_chart(now) -> Chart:
    weeks = cases_per_week(now=now)
    labels = [w.week.isoformat() for w in weeks]
    last = weeks[-1]
    summary = _("Over the last %(weeks)d weeks %(opened)d cases were opened and %(closed)d closed; "
                "this week %(now_opened)d opened and %(now_closed)d closed.") % {
        "weeks": WEEKS, "opened": sum(w.opened for w in weeks), "closed": sum(w.closed for w in weeks),
        "now_opened": last.opened, "now_closed": last.closed}
    return Chart(
        key="weekly", title=_("Cases opened and closed per week"),
        caption=_("The last %(weeks)d weeks, Monday to Sunday, Beijing time.") % {"weeks": WEEKS},
        summary=summary, columns=[_("Week starting"), _("Opened"), _("Closed")],
        rows=[[label, w.opened, w.closed] for label, w in zip(labels, weeks, strict=True)], labels=labels,
        series=[Series("opened", _("Opened"), [w.opened for w in weeks]),
                Series("closed", _("Closed"), [w.closed for w in weeks])],
        axis=_("Cases"),
    )


def _states_chart(now) -> Chart:
    states = cases_by_state()
    return Chart(
        key="states", title=_("Open cases by state"), caption=_("Cases in each open state right now."),
        summary=_("Open cases now: %(total)d. %(listing)s.") % {
            "total": sum(s.count for s in states), "listing": _listing((s.label, s.count) for s in states)},
        columns=[_("State"), _("Cases")], rows=[[s.label, s.count] for s in states],
        labels=[s.label for s in states], series=[Series("cases", _("Cases"), [s.count for s in states])],
        axis=_("Cases"), label_keys=[s.state for s in states],
    )


def _stage_times_chart(now) -> Chart:
    times = stage_times(now=now)
    listed = [(t.label, t.median_hours) for t in times if t.median_hours is not None]
    return Chart(
        key="stage_times", title=_("Time spent in each stage"),
        caption=_("Hours from entering a stage to leaving it, for stays that ended in the last %(weeks)d weeks. "
                  "Cases still in a stage are not counted: see the overdue cases.") % {"weeks": WEEKS},
        summary=(_("Median hours per stage: %(listing)s.") % {"listing": _listing(listed)}) if listed else _nothing(),
        columns=[_("Stage"), _("Completed stays"), _("Median hours"), _("Average hours")],
        rows=[[t.label, t.stays, t.median_hours, t.mean_hours] for t in times],
        labels=[t.label for t in times],
        series=[Series("median", _("Median hours"), [t.median_hours for t in times]),
                Series("mean", _("Average hours"), [t.mean_hours for t in times])],
        axis=_("Hours"), integer=False,
    )


def _overdue_cases_chart(now) -> Chart:
    overdue = overdue_cases(now=now)
    priorities = list(Priority)
    total = sum(o.total for o in overdue)
    return Chart(
        key="overdue_cases", title=_("Overdue cases"),
        caption=_("Open cases past their stage deadline, by state and priority."),
        summary=_("%(total)d open cases are overdue. %(listing)s.") % {
            "total": total, "listing": _listing((o.label, o.total) for o in overdue)},
        columns=[_("State"), *[str(p.label) for p in priorities], _("Total")],
        rows=[[o.label, *[o.by_priority[p.value] for p in priorities], o.total] for o in overdue],
        labels=[o.label for o in overdue],
        series=[Series(p.value, str(p.label), [o.by_priority[p.value] for o in overdue]) for p in priorities],
        stacked=True, axis=_("Cases"),
    )


def _overdue_orders_chart(now) -> Chart:
    orders = overdue_orders(now=now)
    return Chart(
        key="overdue_orders", title=_("Overdue disposal orders"),
        caption=_("Open orders past their due time, by platform."),
        summary=(_("%(total)d open orders are overdue. %(listing)s.") % {
            "total": sum(o.count for o in orders), "listing": _listing((o.label, o.count) for o in orders)}
            if orders else _("No order is overdue.")),
        columns=[_("Platform"), _("Overdue orders"), _("Most overdue (hours)")],
        rows=[[o.label, o.count, o.most_overdue_hours] for o in orders], labels=[o.label for o in orders],
        series=[Series("overdue", _("Overdue orders"), [o.count for o in orders])], axis=_("Orders"),
    )


def _response_times_chart(now) -> Chart:
    times = platform_response_times(now=now)
    return Chart(
        key="response_times", title=_("Platform response times to orders"),
        caption=_("Median hours from issue to acknowledgement and to completion, for orders issued in the last "
                  "%(weeks)d weeks.") % {"weeks": WEEKS},
        summary=(_("Median hours to acknowledge and to complete: %(listing)s.") % {"listing": _listing(
            (t.label, f"{_hours_text(t.median_ack_hours)} / {_hours_text(t.median_completion_hours)}")
            for t in times)}) if times else _nothing(),
        columns=[_("Platform"), _("Orders issued"), _("Acknowledged"), _("Median hours to acknowledge"),
                 _("Completed"), _("Median hours to complete")],
        rows=[[t.label, t.issued, t.acknowledged, t.median_ack_hours, t.completed, t.median_completion_hours]
              for t in times],
        labels=[t.label for t in times],
        series=[Series("ack", _("Median hours to acknowledge"), [t.median_ack_hours for t in times]),
                Series("done", _("Median hours to complete"), [t.median_completion_hours for t in times])],
        axis=_("Hours"), integer=False,
    )


def _hours_text(value: float | None) -> str:
    return "—" if value is None else str(value)


def _repeat_offenders_chart(now) -> Chart:
    offenders = repeat_offenders()
    kinds = {"subject": _("Subject"), "account": _("Account")}
    return Chart(
        key="repeat_offenders", title=_("Top repeat offenders"),
        caption=_("Subjects (or accounts linked to no subject) with two or more standing penalties, counted on "
                  "every platform; the top %(n)d.") % {"n": TOP_OFFENDERS},
        summary=(_("Penalties per offender: %(listing)s.") % {
            "listing": _listing((o.label, o.penalties) for o in offenders)}) if offenders else _nothing(),
        columns=[_("Offender"), _("Kind"), _("Penalties"), _("Platforms")],
        rows=[[o.label, kinds[o.kind], o.penalties, o.platforms] for o in offenders],
        labels=[o.label for o in offenders],
        series=[Series("penalties", _("Penalties"), [o.penalties for o in offenders])],
        horizontal=True, axis=_("Penalties"),
    )


def _campaigns_chart(now) -> Chart:
    campaigns = campaign_progress()
    states = list(CaseStatus)
    return Chart(
        key="campaigns", title=_("Progress per campaign"),
        caption=_("Cases tagged to each campaign, by state."),
        summary=(_("Open and closed cases per campaign: %(listing)s.") % {"listing": _listing(
            (c.label, f"{c.open} / {c.by_state[CaseStatus.CLOSED]}") for c in campaigns)})
        if campaigns else _nothing(),
        columns=[_("Campaign"), *[str(s.label) for s in states], _("Total")],
        rows=[[c.label, *[c.by_state[s.value] for s in states], c.total] for c in campaigns],
        labels=[c.label for c in campaigns],
        series=[Series(s.value, str(s.label), [c.by_state[s.value] for c in campaigns]) for s in states],
        stacked=True, horizontal=True, axis=_("Cases"),
    )


CHARTS: dict[str, Callable[[datetime | None], Chart]] = {
    "weekly": _weekly_chart,
    "states": _states_chart,
    "stage_times": _stage_times_chart,
    "overdue_cases": _overdue_cases_chart,
    "overdue_orders": _overdue_orders_chart,
    "response_times": _response_times_chart,
    "repeat_offenders": _repeat_offenders_chart,
    "campaigns": _campaigns_chart,
}


@reads_from_replica
def dashboard_chart(user, name: str, *, now: datetime | None = None) -> Chart:
    """One chart by its key (404 for an unknown one), for any member of staff. At most two queries."""
    access_case_read(user)
    if name not in CHARTS:
        raise Http404
    return CHARTS[name](now)


@dataclass(frozen=True)
class Headline:
    label: str
    value: int
    alert: bool = False


@dataclass(frozen=True)
class Dashboard:
    charts: list[Chart]
    headlines: list[Headline]
    generated_at: datetime


@reads_from_replica
def dashboard_for_user(user, *, now: datetime | None = None) -> Dashboard:
    """Every chart, and a few headline figures taken from them. Ten queries, whatever the data."""
    access_case_read(user)
    now = _now(now)
    charts = {name: build(now) for name, build in CHARTS.items()}
    this_week = charts["weekly"].rows[-1]
    overdue_cases_total = sum(row[-1] for row in charts["overdue_cases"].rows)
    overdue_orders_total = sum(row[1] for row in charts["overdue_orders"].rows)
    headlines = [
        Headline(_("Open cases"), sum(row[1] for row in charts["states"].rows)),
        Headline(_("Opened this week"), this_week[1]),
        Headline(_("Closed this week"), this_week[2]),
        Headline(_("Overdue cases"), overdue_cases_total, alert=overdue_cases_total > 0),
        Headline(_("Overdue orders"), overdue_orders_total, alert=overdue_orders_total > 0),
    ]
    return Dashboard(list(charts.values()), headlines, now)
