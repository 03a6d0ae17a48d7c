"""The clinic overview: aggregates over everyone in a clinic, computed with Polars. Pure.

The service fetches a few columns with a few queries and hands them in as frames; nothing
here loops over people in Python. Definitions (docs/progress.md):

- Phase: from the approved plan on `today`: no approved plan, a plan without a taper, the
  taper not started yet, tapering, or at the target (`phase_of`).
- Retention at N days: of the people whose first daily check-in was at least N days ago, the
  share whose last daily check-in is N or more days after their first.
- Change since start: per person, the mean of the last 7 days with a value (ending on their
  last value) minus the mean of their first 7 days (from their first value); only people
  whose two windows do not overlap count. The overview gives the median over people.
- Alert volumes: alerts raised in the last 30 days by severity, and open alerts now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import polars as pl

from taperline.domain.plans import PlanContent
from taperline.domain.taper import TaperParams, build_schedule

RETENTION_DAYS = (30, 60, 90)
WINDOW_DAYS = 7
ALERT_DAYS = 30


class Phase(StrEnum):
    NO_PLAN = "no_plan"
    NO_TAPER = "no_taper"
    NOT_STARTED = "not_started"
    TAPERING = "tapering"
    AT_TARGET = "at_target"


PHASE_LABELS = {
    Phase.NO_PLAN: "No approved plan yet",
    Phase.NO_TAPER: "Plan without a taper",
    Phase.NOT_STARTED: "Taper not started yet",
    Phase.TAPERING: "Tapering",
    Phase.AT_TARGET: "At the taper's target",
}


def phase_of(content: PlanContent | None, today: dt.date) -> Phase:
    if content is None:
        return Phase.NO_PLAN
    return taper_phase(content.taper, today)


@dataclass(frozen=True, slots=True)
class TaperSpan:
    """What the phase of a taper depends on, whatever the day: worked out once per plan."""

    start: dt.date
    last_step: dt.date | None  # None: the schedule has no steps
    reaches_target: bool


def taper_span(taper: TaperParams) -> TaperSpan:
    schedule = build_schedule(taper, with_doses=False)
    last = schedule.steps[-1].start if schedule.steps else None
    return TaperSpan(taper.start, last, schedule.reaches_target)


def span_phase(span: TaperSpan | None, today: dt.date) -> Phase:
    """The phase on `today` of an approved plan whose taper has this span (None: no taper)."""
    if span is None:
        return Phase.NO_TAPER
    if today < span.start:
        return Phase.NOT_STARTED  # the first step starts on the taper's start date
    if span.last_step is None:
        return Phase.NO_TAPER
    if today >= span.last_step and span.reaches_target:
        return Phase.AT_TARGET
    return Phase.TAPERING


def taper_phase(taper: TaperParams | None, today: dt.date) -> Phase:
    """The phase of an approved plan whose taper (or None) is `taper`."""
    return span_phase(taper_span(taper) if taper is not None else None, today)


@dataclass(frozen=True, slots=True)
class Retention:
    days: int
    eligible: int
    retained: int

    @property
    def share(self) -> float | None:
        return None if self.eligible == 0 else round(self.retained / self.eligible, 4)


@dataclass(frozen=True, slots=True)
class MedianChange:
    metric: str
    people: int
    median: float | None


@dataclass(frozen=True, slots=True)
class Overview:
    people: int
    phases: dict[str, int]  # every phase, zero included
    retention: tuple[Retention, ...]
    changes: tuple[MedianChange, ...]
    alerts_raised: dict[str, int]  # last ALERT_DAYS days, by severity
    alerts_open: dict[str, int]  # by severity


PEOPLE_SCHEMA = {"person_id": pl.Int64, "phase": pl.Utf8}
CHECKINS_SCHEMA = {"person_id": pl.Int64, "date": pl.Date}
SCORE_ROWS_SCHEMA = {"person_id": pl.Int64, "date": pl.Date, "value": pl.Float64}
SCORES_SCHEMA = {"person_id": pl.Int64, "date": pl.Date, "metric": pl.Utf8, "value": pl.Float64}
ALERTS_SCHEMA = {"person_id": pl.Int64, "day": pl.Date, "severity": pl.Utf8, "status": pl.Utf8}


def compute(
    people: pl.DataFrame,
    checkins: pl.DataFrame,
    scores: pl.DataFrame,
    alerts: pl.DataFrame,
    today: dt.date,
) -> Overview:
    """people(person_id, phase); checkins(person_id, date) daily only; scores(person_id, date,
    metric, value) for "sows" and "sleep_efficiency"; alerts(person_id, day, severity,
    status)."""
    counts = dict(people.group_by("phase").len().iter_rows())
    phases = {phase.value: int(counts.get(phase.value, 0)) for phase in Phase}

    spans = checkins.group_by("person_id").agg(
        pl.col("date").min().alias("first"), pl.col("date").max().alias("last")
    )
    retention = []
    for days in RETENTION_DAYS:
        row = (
            spans.filter(pl.col("first") <= pl.lit(today - dt.timedelta(days=days)))
            .select(
                pl.len().alias("eligible"),
                ((pl.col("last") - pl.col("first")).dt.total_days() >= days)
                .sum()
                .alias("retained"),
            )
            .row(0)
        )
        retention.append(Retention(days, int(row[0]), int(row[1] or 0)))

    window = pl.duration(days=WINDOW_DAYS - 1)
    per_person = (
        scores.with_columns(
            pl.col("date").min().over("person_id", "metric").alias("first"),
            pl.col("date").max().over("person_id", "metric").alias("last"),
        )
        .filter(pl.col("last") - window > pl.col("first") + window)
        .group_by("person_id", "metric")
        .agg(
            pl.col("value").filter(pl.col("date") <= pl.col("first") + window).mean().alias("base"),
            pl.col("value").filter(pl.col("date") >= pl.col("last") - window).mean().alias("late"),
        )
        .with_columns((pl.col("late") - pl.col("base")).alias("change"))
        .group_by("metric")
        .agg(pl.len().alias("people"), pl.col("change").median().alias("median"))
    )
    found = {row[0]: (int(row[1]), row[2]) for row in per_person.iter_rows()}
    changes = tuple(
        MedianChange(
            metric,
            found.get(metric, (0, None))[0],
            None if found.get(metric, (0, None))[1] is None else round(found[metric][1], 2),
        )
        for metric in ("sows", "sleep_efficiency")
    )

    since = today - dt.timedelta(days=ALERT_DAYS - 1)
    raised = dict(
        alerts.filter(pl.col("day") >= pl.lit(since)).group_by("severity").len().iter_rows()
    )
    open_now = dict(
        alerts.filter(pl.col("status") == "open").group_by("severity").len().iter_rows()
    )
    severities = ("urgent", "warning")
    return Overview(
        people=people.height,
        phases=phases,
        retention=tuple(retention),
        changes=changes,
        alerts_raised={s: int(raised.get(s, 0)) for s in severities},
        alerts_open={s: int(open_now.get(s, 0)) for s in severities},
    )


def to_content(found: Overview) -> dict[str, object]:
    """The overview as plain JSON values, for keeping it (a snapshot) and reading it back."""
    return {
        "people": found.people,
        "phases": dict(found.phases),
        "retention": [[r.days, r.eligible, r.retained] for r in found.retention],
        "changes": [[c.metric, c.people, c.median] for c in found.changes],
        "alerts_raised": dict(found.alerts_raised),
        "alerts_open": dict(found.alerts_open),
    }


def from_content(content: dict[str, Any]) -> Overview:
    """The inverse of `to_content`."""
    return Overview(
        people=int(content["people"]),
        phases={str(k): int(v) for k, v in content["phases"].items()},
        retention=tuple(Retention(int(d), int(e), int(r)) for d, e, r in content["retention"]),
        changes=tuple(
            MedianChange(str(m), int(n), None if v is None else float(v))
            for m, n, v in content["changes"]
        ),
        alerts_raised={str(k): int(v) for k, v in content["alerts_raised"].items()},
        alerts_open={str(k): int(v) for k, v in content["alerts_open"].items()},
    )
