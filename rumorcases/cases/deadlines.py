"""How long a case may stay in each stage, by priority (hours)."""

from datetime import timedelta

from rumorcases.cases.choices import CaseStatus, Priority

DEFAULT_HOURS = {
    CaseStatus.DISCOVERED: {Priority.P1: 2, Priority.P2: 8, Priority.P3: 24},
    CaseStatus.VERIFYING: {Priority.P1: 24, Priority.P2: 72, Priority.P3: 168},
    CaseStatus.DEBUNKING: {Priority.P1: 12, Priority.P2: 48, Priority.P3: 120},
    CaseStatus.DISPOSING: {Priority.P1: 48, Priority.P2: 120, Priority.P3: 240},
    CaseStatus.EXPOSING: {Priority.P1: 168, Priority.P2: 336, Priority.P3: 720},
}


def stage_hours(stage: str, priority: str) -> int | None:
    """Hours allowed in `stage` at `priority`: the office's override, else the default. One query."""
    from rumorcases.cases.models import StageDeadline

    if stage == CaseStatus.CLOSED:
        return None
    override = StageDeadline.objects.filter(stage=stage, priority=priority).values_list("hours", flat=True).first()
    return override if override is not None else DEFAULT_HOURS[stage][priority]


def stage_deadline(stage: str, priority: str, started_at):
    hours = stage_hours(stage, priority)
    return None if hours is None else started_at + timedelta(hours=hours)
