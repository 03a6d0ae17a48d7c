"""A person's day-by-day series and weekly summaries. Pure (no I/O, no clock).

One `Day` per calendar day from `start` to `end`. A value is None when nothing was recorded:
a gap stays a gap, it is never filled or counted as zero. Rules (docs/progress.md):

- Daily values (kratom, SOWS, craving, activities, adjuncts) need a daily check-in that day.
  With a check-in, an adjunct or activity that was not logged counts as not taken / not done
  (the check-in asks about them); without one it is unknown (None).
- Kratom is the amount logged, in the plan target's unit, as `domain.adherence.kratom`
  computes it (so the same unit rules apply); a day it cannot compare stays None.
- Sleep values come from the sleep diary dated that morning: they describe the night that
  ended on the morning of the day. The diary's own metrics are used as stored
  (`domain.instruments.sleep_diary`), never recomputed here.
- PHQ-9 and GAD-7 are weekly and COWS is rated at visits: they appear on the day they were
  taken only.
- Weekly summaries run in 7-day blocks from `start`. "Change" compares the mean of the last
  7 days with data (after the baseline, never overlapping it) against a baseline: the first 7
  days of the taper ("since start") or the 7 days up to and including the last visit ("since
  the last visit"). These windows are a software choice for summarising, not a clinical
  definition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from taperline.domain.adherence import DayLog, kratom
from taperline.domain.plans import PlanContent
from taperline.domain.types import Category, CheckinKind

WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class Metric:
    id: str
    label: str
    unit: str
    group: str  # dose, withdrawal, mood, sleep, activity, use
    higher_is: str = ""  # "better", "worse" or "" (neither: an amount, a yes/no)


METRICS: tuple[Metric, ...] = (
    Metric("kratom", "Kratom taken", "", "dose"),
    Metric("target", "Taper target", "", "dose"),
    Metric("sows", "Withdrawal (SOWS total, 0-64)", "points", "withdrawal", "worse"),
    Metric("craving", "Craving (0-10)", "points", "withdrawal", "worse"),
    Metric("cows", "COWS at the visit (0-48)", "points", "withdrawal", "worse"),
    Metric("phq9", "Mood (PHQ-9, 0-27)", "points", "mood", "worse"),
    Metric("gad7", "Anxiety (GAD-7, 0-21)", "points", "mood", "worse"),
    Metric("total_sleep_time", "Total sleep time", "min", "sleep", "better"),
    Metric("sleep_efficiency", "Sleep efficiency", "%", "sleep", "better"),
    Metric("sleep_onset_latency", "Time to fall asleep", "min", "sleep", "worse"),
    Metric("wake_after_sleep_onset", "Time awake in the night", "min", "sleep", "worse"),
    Metric("sleep_quality", "Sleep quality (1-5)", "points", "sleep", "better"),
    Metric("melatonin", "Melatonin taken", "yes/no", "activity"),
    Metric("magnesium", "Magnesium taken", "yes/no", "activity"),
    Metric("exercise_minutes", "Exercise", "min", "activity"),
    Metric("meditation_minutes", "Meditation", "min", "activity"),
    Metric("counseling", "Counseling session", "yes/no", "activity"),
    Metric("support_meeting", "Support meeting", "yes/no", "activity"),
    Metric("opioid_use", "Non-prescribed opioid use", "yes/no", "use", "worse"),
)
BY_ID = {metric.id: metric for metric in METRICS}
SLEEP_METRICS = {
    # series metric -> the sleep diary's stored metric (or answer, for quality)
    "total_sleep_time": "total_sleep_time",
    "sleep_efficiency": "sleep_efficiency",
    "sleep_onset_latency": "sleep_onset_latency",
    "wake_after_sleep_onset": "wake_after_sleep_onset",
}
SUMMARISED = (
    "kratom",
    "sows",
    "craving",
    "cows",
    "phq9",
    "gad7",
    "total_sleep_time",
    "sleep_efficiency",
    "sleep_onset_latency",
    "wake_after_sleep_onset",
    "sleep_quality",
    "exercise_minutes",
    "meditation_minutes",
)


@dataclass(frozen=True, slots=True)
class Response:
    """One stored instrument response, as the service reads it."""

    date: dt.date
    kind: str  # "daily" or "visit"
    instrument: str
    total: int | None
    metrics: Mapping[str, object] = field(default_factory=dict)
    answers: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Day:
    date: dt.date
    checked_in: bool
    step: int | None  # taper step in force (0 before the first cut); None without a taper
    values: Mapping[str, float | None]

    def get(self, metric: str) -> float | None:
        return self.values.get(metric)


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    start: dt.date
    end: dt.date
    daily: float


@dataclass(frozen=True, slots=True)
class WeekSummary:
    start: dt.date
    end: dt.date
    mean: float | None
    low: float | None
    high: float | None
    days_reported: int


@dataclass(frozen=True, slots=True)
class Change:
    metric: str
    baseline: float
    latest: float
    baseline_days: int
    latest_days: int

    @property
    def difference(self) -> float:
        return self.latest - self.baseline


@dataclass(frozen=True, slots=True)
class PersonSeries:
    start: dt.date
    end: dt.date
    days: tuple[Day, ...]
    kratom_unit: str | None
    steps: tuple[Step, ...]
    plan_start: dt.date | None
    last_visit: dt.date | None
    weeks: Mapping[str, tuple[WeekSummary, ...]]
    since_start: tuple[Change, ...]
    since_visit: tuple[Change, ...]

    def values(self, metric: str) -> list[float | None]:
        return [day.get(metric) for day in self.days]

    @property
    def checkin_days(self) -> int:
        return sum(day.checked_in for day in self.days)


def _number(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def build(
    start: dt.date,
    end: dt.date,
    logs: Mapping[dt.date, DayLog],
    responses: Sequence[Response],
    content: PlanContent | None,
    *,
    opioid_use: Mapping[dt.date, bool] | None = None,
    plan_start: dt.date | None = None,
    summaries: bool = True,
) -> PersonSeries:
    """The day series from `start` to `end` (both included).

    `logs` are the adherence day logs (check-in, doses, activities), `responses` the stored
    instrument responses in the range, `opioid_use` the days a daily check-in said
    non-prescribed opioids were used (True) or not (False). With `summaries` False only the
    days are built (no weekly summaries or changes): the caseload's risk column needs no more.
    """
    if end < start:
        raise ValueError("end is before start")
    by_day: dict[dt.date, dict[str, float | None]] = {}
    visits: list[dt.date] = []
    for response in sorted(responses, key=lambda r: r.date):
        found = by_day.setdefault(response.date, {})
        if response.instrument == "sleep_diary":
            for name, key in SLEEP_METRICS.items():
                found[name] = _number(response.metrics.get(key))
            found["sleep_quality"] = _number(response.answers.get("quality"))
        elif response.instrument in ("sows", "craving", "phq9", "gad7", "cows"):
            found[response.instrument] = _number(response.total)
        if response.kind == CheckinKind.VISIT.value:
            visits.append(response.date)

    schedule = content.schedule() if content is not None else None
    adherence = kratom(content, logs, start, end) if content is not None else None
    kratom_by_day = {d.date: d for d in adherence.days} if adherence is not None else {}
    unit: str | None = None
    for planned in kratom_by_day.values():
        if planned.target is not None:
            unit = planned.target.unit.value
            break

    days: list[Day] = []
    total = (end - start).days + 1
    for offset in range(total):
        date = start + dt.timedelta(days=offset)
        log = logs.get(date)
        checked = bool(log and log.checked_in)
        values: dict[str, float | None] = {metric.id: None for metric in METRICS}
        values.update(by_day.get(date, {}))
        kratom_day = kratom_by_day.get(date)
        if kratom_day is not None:
            values["target"] = (
                float(kratom_day.target.value) if kratom_day.target is not None else None
            )
            values["kratom"] = (
                float(kratom_day.logged.value) if kratom_day.logged is not None else None
            )
        if checked and log is not None:
            categories = {dose.category for dose in log.doses}
            values["melatonin"] = 1.0 if Category.MELATONIN in categories else 0.0
            values["magnesium"] = 1.0 if Category.MAGNESIUM in categories else 0.0
            activities = log.activities
            values["exercise_minutes"] = float(int(activities.get("exercise_minutes", 0)))
            values["meditation_minutes"] = float(int(activities.get("meditation_minutes", 0)))
            values["counseling"] = 1.0 if activities.get("counseling") else 0.0
            values["support_meeting"] = 1.0 if activities.get("support_meeting") else 0.0
            if opioid_use is not None and date in opioid_use:
                values["opioid_use"] = 1.0 if opioid_use[date] else 0.0
        step: int | None = None
        if schedule is not None:
            in_force = schedule.step_on(date)
            step = 0 if in_force is None else in_force.number
        days.append(Day(date=date, checked_in=checked, step=step, values=values))

    steps = (
        tuple(
            Step(s.number, s.start, s.end, float(s.daily.value))
            for s in schedule.steps
            if s.start <= end and s.end >= start
        )
        if schedule is not None
        else ()
    )
    if plan_start is None and content is not None and content.taper is not None:
        plan_start = content.taper.start
    last_visit = max((v for v in visits if v <= end), default=None)
    weeks = {metric: weekly(days, metric, start) for metric in SUMMARISED} if summaries else {}
    since_start = (
        tuple(
            c for m in SUMMARISED if (c := change(days, m, baseline_start=plan_start)) is not None
        )
        if plan_start is not None and summaries
        else ()
    )
    since_visit = (
        tuple(
            c
            for m in SUMMARISED
            if (
                c := change(days, m, baseline_start=last_visit - dt.timedelta(days=WINDOW_DAYS - 1))
            )
            is not None
        )
        if last_visit is not None and summaries
        else ()
    )
    return PersonSeries(
        start=start,
        end=end,
        days=tuple(days),
        kratom_unit=unit,
        steps=steps,
        plan_start=plan_start,
        last_visit=last_visit,
        weeks=weeks,
        since_start=since_start,
        since_visit=since_visit,
    )


def weekly(days: Sequence[Day], metric: str, start: dt.date) -> tuple[WeekSummary, ...]:
    """Mean, lowest, highest and the number of days reported, per 7-day block from `start`."""
    blocks: dict[int, list[float]] = {}
    last_block = 0
    for day in days:
        block = (day.date - start).days // WINDOW_DAYS
        last_block = max(last_block, block)
        value = day.get(metric)
        blocks.setdefault(block, [])
        if value is not None:
            blocks[block].append(value)
    summaries = []
    for block in range(last_block + 1):
        found = blocks.get(block, [])
        first = start + dt.timedelta(days=block * WINDOW_DAYS)
        summaries.append(
            WeekSummary(
                start=first,
                end=first + dt.timedelta(days=WINDOW_DAYS - 1),
                mean=round(fmean(found), 2) if found else None,
                low=min(found) if found else None,
                high=max(found) if found else None,
                days_reported=len(found),
            )
        )
    return tuple(summaries)


def change(days: Sequence[Day], metric: str, *, baseline_start: dt.date) -> Change | None:
    """Mean of the latest 7 days with this metric (never reaching back into the baseline)
    against the mean of the 7 days from `baseline_start`. None when either has no value."""
    baseline_end = baseline_start + dt.timedelta(days=WINDOW_DAYS - 1)
    baseline = [
        v
        for d in days
        if baseline_start <= d.date <= baseline_end and (v := d.get(metric)) is not None
    ]
    after = [d for d in days if d.date > baseline_end and d.get(metric) is not None]
    if not baseline or not after:
        return None
    latest_start = after[-1].date - dt.timedelta(days=WINDOW_DAYS - 1)
    latest = [v for d in after if d.date >= latest_start and (v := d.get(metric)) is not None]
    return Change(
        metric=metric,
        baseline=round(fmean(baseline), 2),
        latest=round(fmean(latest), 2),
        baseline_days=len(baseline),
        latest_days=len(latest),
    )
