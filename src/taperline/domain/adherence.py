"""Adherence: what was logged, set against what the plan asks. Pure (no I/O, no clock).

Four reports, each over a date range (both ends included), built from `DayLog`s that the
caller assembles from stored check-ins and dose logs. Design decisions are recorded in
docs/decisions/0007-adherence.md. The rules, in short:

- A day without a daily check-in is *unknown*. It is never counted as zero: a missing
  check-in says nothing about what was taken or done.
- A day with a check-in and no kratom dose logged is zero kratom: the check-in asks about
  kratom explicitly.
- Kratom amounts are compared in the target's unit. Masses convert (mg to g); counts only
  match the same unit; a dose of another kratom form than the plan's (extract against a
  leaf-powder taper) or in a unit that cannot be compared (capsules against grams) makes the
  day "not_comparable". Nothing is ever converted between a count and a mass.
- With a taper, "on target" is a band one smallest measurable step wide:
  target - smallest_step < logged <= target. Without a taper, logged must equal the target.
- Melatonin counts as taken "as planned" when a dose was within 60 minutes (by default) of a
  planned time. The 60 minutes is a software choice for the report, not a clinical fact.
- Magnesium spacing reads its hours from the knowledge base (`other_before_hours`,
  `other_after_hours`); this module holds no clinical numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from taperline.domain.doses import DoseEntry
from taperline.domain.errors import InvalidInput
from taperline.domain.plans import PlanContent
from taperline.domain.regimen import RegimenItem
from taperline.domain.safety.knowledge import Interaction, Knowledge, Substance
from taperline.domain.safety.substances import Present, of_dose
from taperline.domain.types import Category
from taperline.domain.units import Amount, Dimension, Unit

MINUTES_PER_DAY = 24 * 60
DEFAULT_MELATONIN_TOLERANCE_MINUTES = 60  # a software choice, not a clinical threshold


@dataclass(frozen=True, slots=True)
class DayLog:
    """Everything known about one day. Build one per day; a missing day is unknown."""

    date: dt.date
    checked_in: bool  # a daily check-in exists for that day
    doses: tuple[DoseEntry, ...] = ()  # everything logged as taken that day
    # exercise_minutes, meditation_minutes, counseling, support_meeting
    activities: Mapping[str, int | bool] = field(default_factory=dict)
    bedtime: dt.time | None = None  # "tried to sleep" that evening (next morning's diary)


@dataclass(frozen=True, slots=True)
class SignedAmount:
    """A difference between two amounts; unlike `Amount` it may be negative."""

    value: Decimal
    unit: Unit

    def __str__(self) -> str:
        sign = "+" if self.value > 0 else "-" if self.value < 0 else "±"
        return f"{sign}{abs(self.value).normalize():f} {self.unit.value}"


# --- Kratom ---------------------------------------------------------------------------------


class KratomStatus(StrEnum):
    ON_TARGET = "on_target"
    ABOVE = "above"
    BELOW = "below"
    UNKNOWN = "unknown"  # no daily check-in that day
    NO_TARGET = "no_target"  # the plan sets no kratom amount
    NOT_COMPARABLE = "not_comparable"  # a dose (or the plan) cannot be set against the target


@dataclass(frozen=True, slots=True)
class KratomDay:
    date: dt.date
    target: Amount | None  # None: no target (see status)
    logged: Amount | None  # in the target's unit; None when unknown or not comparable
    difference: SignedAmount | None  # logged - target, in the target's unit
    status: KratomStatus
    note: str = ""  # why a day is unknown or not comparable, in words


@dataclass(frozen=True, slots=True)
class KratomAdherence:
    start: dt.date
    end: dt.date
    smallest_step: Amount | None  # the on-target band's width; None without a taper
    days: tuple[KratomDay, ...]
    current_streak: int  # on-target days in a row, ending at `end`
    longest_streak: int
    counts: Mapping[KratomStatus, int]  # every status, zero included


@dataclass(frozen=True, slots=True)
class _Target:
    """What a day's kratom is compared with, or why there is nothing to compare with."""

    amount: Amount | None
    forms: frozenset[str]  # the kratom forms the target is in
    problem: str = ""  # set when the plan's kratom cannot be added into one amount


def kratom(
    content: PlanContent, logs: Mapping[dt.date, DayLog], start: dt.date, end: dt.date
) -> KratomAdherence:
    """One row per day from `start` to `end`, with streaks and counts per status.

    The target is the taper's daily amount on that day when a taper is set, else the sum of
    the plan's kratom items, else there is none. On target means
    target - smallest_step < logged <= target with a taper, and logged == target without.
    """
    schedule = content.schedule()
    step = schedule.params.smallest_step if schedule is not None else None
    fixed = None if schedule is not None else _regimen_target(content.items)
    rows: list[KratomDay] = []
    for date in _dates(start, end):
        if schedule is not None:
            assert content.kratom_form is not None  # PlanContent requires it with a taper
            target = _Target(schedule.daily_on(date), frozenset({content.kratom_form}))
        else:
            assert fixed is not None
            target = fixed
        rows.append(_kratom_day(date, logs.get(date), target, step))
    counts = dict.fromkeys(KratomStatus, 0)
    for row in rows:
        counts[row.status] += 1
    longest = run = 0
    for row in rows:
        run = run + 1 if row.status is KratomStatus.ON_TARGET else 0
        longest = max(longest, run)
    return KratomAdherence(
        start=start,
        end=end,
        smallest_step=step,
        days=tuple(rows),
        current_streak=run,  # the run still open at `end`
        longest_streak=longest,
        counts=counts,
    )


def _regimen_target(items: tuple[RegimenItem, ...]) -> _Target:
    kratom_items = [i for i in items if i.category is Category.KRATOM]
    if not kratom_items:
        return _Target(None, frozenset())
    forms = frozenset(i.form or "" for i in kratom_items)
    if len(forms) > 1:
        return _Target(
            None, forms, "the plan's kratom is in more than one form, which do not add up"
        )
    total = kratom_items[0].daily_amount
    for item in kratom_items[1:]:
        if not _comparable(item.daily_amount.unit, total.unit):
            return _Target(None, forms, "the plan's kratom items are in units that cannot be added")
        total = total + item.daily_amount
    return _Target(total, forms)


def _kratom_day(
    date: dt.date, log: DayLog | None, target: _Target, step: Amount | None
) -> KratomDay:
    doses = [d for d in (log.doses if log else ()) if d.category is Category.KRATOM]
    if log is None or not log.checked_in:
        note = "no check-in"
        if doses:
            note += f"; {len(doses)} kratom dose(s) logged, but the day's total is not known"
        return KratomDay(date, target.amount, None, None, KratomStatus.UNKNOWN, note)
    if target.amount is None:
        if target.problem:
            return KratomDay(date, None, None, None, KratomStatus.NOT_COMPARABLE, target.problem)
        return KratomDay(date, None, _sum_alone(doses), None, KratomStatus.NO_TARGET)
    goal = target.amount
    strangers = [
        d for d in doses if d.form not in target.forms or not _comparable(d.amount.unit, goal.unit)
    ]
    if strangers:
        what = ", ".join(f"{d.amount} of {d.form}" for d in strangers)
        forms = " or ".join(sorted(target.forms))
        return KratomDay(
            date,
            goal,
            None,
            None,
            KratomStatus.NOT_COMPARABLE,
            f"{what} cannot be compared with a target in {goal.unit.value} of {forms}",
        )
    logged = Amount(Decimal(0), goal.unit)
    for dose in doses:
        logged = logged + dose.amount
    logged = Amount(logged.value.normalize() + Decimal(0), goal.unit)
    difference = SignedAmount((logged.value - goal.value).normalize() + Decimal(0), goal.unit)
    if logged.value > goal.value:
        status = KratomStatus.ABOVE
    elif step is None:
        status = KratomStatus.ON_TARGET if logged.value == goal.value else KratomStatus.BELOW
    elif logged.value > goal.value - step.to(goal.unit).value:
        status = KratomStatus.ON_TARGET
    else:
        status = KratomStatus.BELOW
    return KratomDay(date, goal, logged, difference, status)


def _comparable(unit: Unit, target: Unit) -> bool:
    """Masses convert into each other; counts and volumes only match their own unit."""
    if unit.dimension is Dimension.MASS and target.dimension is Dimension.MASS:
        return True
    return unit is target


def _sum_alone(doses: list[DoseEntry]) -> Amount | None:
    """What was logged when there is no target: masses in grams, or one count unit."""
    if not doses:
        return None
    unit = Unit.G if doses[0].amount.dimension is Dimension.MASS else doses[0].amount.unit
    if not all(_comparable(d.amount.unit, unit) for d in doses):
        return None
    result = Amount(Decimal(0), unit)
    for dose in doses:
        result = result + dose.amount
    return Amount(result.value.normalize() + Decimal(0), unit)


# --- Melatonin ------------------------------------------------------------------------------


class MelatoninStatus(StrEnum):
    AS_PLANNED = "as_planned"  # a dose within the tolerance of a planned time
    OFF_TIME = "off_time"  # taken, but no dose within the tolerance of a planned time
    NOT_TAKEN = "not_taken"  # a check-in and no melatonin logged
    UNKNOWN = "unknown"  # no check-in and nothing logged, or taken at an unrecorded time


@dataclass(frozen=True, slots=True)
class MelatoninDay:
    date: dt.date
    taken: bool | None  # None: no check-in and nothing logged
    times_taken: tuple[dt.time, ...]  # doses logged with a time, in order
    planned_times: tuple[dt.time, ...]
    status: MelatoninStatus
    minutes_from_plan: int | None  # closest timed dose minus its planned time (+ = late)
    bedtime: dt.time | None
    minutes_before_bedtime: int | None  # from the last timed dose; negative = after bedtime


def melatonin(
    content: PlanContent,
    logs: Mapping[dt.date, DayLog],
    start: dt.date,
    end: dt.date,
    tolerance_minutes: int = DEFAULT_MELATONIN_TOLERANCE_MINUTES,
) -> list[MelatoninDay]:
    """One row per day when the plan has melatonin; an empty list when it has none.

    A dose is "as planned" when it was taken within `tolerance_minutes` (default 60) either
    side of a planned time, measured round the clock (23:30 planned, 00:10 taken is 40
    minutes late). The default of 60 minutes is a software choice for this report, not a
    clinical threshold; a clinician may read the minutes off the plan directly.

    `taken` is None only when there is no check-in and no melatonin logged: a logged dose is
    taken even without a check-in, but the absence of one means nothing without it.

    Minutes before bedtime run from the day's last timed dose to that evening's bedtime,
    which is placed on the day itself or after midnight, whichever is nearer the dose (dose
    22:30, bedtime 00:15: 105 minutes; dose 23:00, bedtime 22:30: -30 minutes; a day sleeper's
    dose 08:30, bedtime 09:00: 30 minutes).
    """
    if tolerance_minutes < 0:
        raise InvalidInput("tolerance_minutes", "must be zero or more")
    planned = tuple(
        sorted({t for i in content.items if i.category is Category.MELATONIN for t in i.times})
    )
    dates = _dates(start, end)
    if not planned:
        return []
    return [_melatonin_day(date, logs.get(date), planned, tolerance_minutes) for date in dates]


def _melatonin_day(
    date: dt.date, log: DayLog | None, planned: tuple[dt.time, ...], tolerance: int
) -> MelatoninDay:
    doses = [d for d in (log.doses if log else ()) if d.category is Category.MELATONIN]
    bedtime = log.bedtime if log else None
    timed = sorted(
        (d for d in doses if d.taken_time is not None),
        key=lambda d: dt.datetime.combine(d.taken_on, d.taken_time or dt.time()),
    )
    times = tuple(sorted({d.taken_time for d in timed if d.taken_time is not None}))
    taken: bool | None
    if doses:
        taken = True
    elif log is not None and log.checked_in:
        taken = False
    else:
        taken = None
    off: int | None = None
    if times:
        off = min(
            (_around_the_clock(t, p) for t in times for p in planned),
            key=lambda m: (abs(m), m),
        )
    if taken is None:
        status = MelatoninStatus.UNKNOWN
    elif not taken:
        status = MelatoninStatus.NOT_TAKEN
    elif off is not None and abs(off) <= tolerance:
        status = MelatoninStatus.AS_PLANNED
    elif len(timed) < len(doses):  # a dose at an unrecorded time may have been on time
        status = MelatoninStatus.UNKNOWN
    else:
        status = MelatoninStatus.OFF_TIME
    before_bed: int | None = None
    if timed and bedtime is not None:
        last = timed[-1]
        assert last.taken_time is not None
        taken_at = dt.datetime.combine(last.taken_on, last.taken_time)
        # That evening's bedtime falls on the day itself or after midnight: take the nearer.
        gaps = [
            dt.datetime.combine(date + dt.timedelta(days=days), bedtime) - taken_at
            for days in (0, 1)
        ]
        before_bed = int(min(gaps, key=abs).total_seconds() // 60)
    return MelatoninDay(
        date=date,
        taken=taken,
        times_taken=times,
        planned_times=planned,
        status=status,
        minutes_from_plan=off,
        bedtime=bedtime,
        minutes_before_bedtime=before_bed,
    )


def _around_the_clock(taken: dt.time, planned: dt.time) -> int:
    """Signed minutes from `planned` to `taken` on a 24-hour clock, in (-720, 720]."""
    minutes = (_minutes(taken) - _minutes(planned)) % MINUTES_PER_DAY
    return minutes - MINUTES_PER_DAY if minutes > MINUTES_PER_DAY // 2 else minutes


# --- Magnesium spacing ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpacingCheck:
    date: dt.date
    magnesium_time: dt.time
    other: str  # the other medicine's name in the knowledge base
    product: str  # as logged or planned (may be empty)
    other_time: dt.time
    source: str  # "logged" or "plan" (the plan's time, when not logged with a time that day)
    minutes_apart: int  # other minus magnesium: negative = the other was taken before
    rule_id: str
    spacing: str  # the knowledge base's advice, in words
    before_hours: Decimal  # the other must be at least this many hours before magnesium...
    after_hours: Decimal  # ...or at least this many hours after it
    ok: bool

    @property
    def hours_apart(self) -> Decimal:
        """Signed hours, to two decimals (negative = the other was taken before magnesium)."""
        return (Decimal(self.minutes_apart) / 60).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class _Other:
    substance: Substance
    product: str
    at: dt.datetime
    source: str


def magnesium_spacing(
    content: PlanContent,
    logs: Mapping[dt.date, DayLog],
    start: dt.date,
    end: dt.date,
    knowledge: Knowledge,
) -> list[SpacingCheck]:
    """Each timed magnesium dose against each other medicine taken that day that the
    knowledge base says to space from magnesium (interactions with `other_before_hours` and
    `other_after_hours`). The other medicine must come at least `other_before_hours` before
    the magnesium or at least `other_after_hours` after it.

    The other medicines are the day's logged doses with a time, plus the plan's non-kratom
    items at their planned times, except those whose substance was logged with a time that
    day (the log says when it was really taken). Only doses on the same calendar day are
    paired.
    """
    spaced = [
        (interaction, other_side)
        for interaction in knowledge.interactions
        if {"other_before_hours", "other_after_hours"} <= set(interaction.rule.params)
        for other_side in _other_side(interaction)
    ]
    dates = _dates(start, end)
    if not spaced:
        return []
    checks: list[SpacingCheck] = []
    for date in dates:
        log = logs.get(date)
        if log is None:
            continue
        magnesium_doses = sorted(
            (d for d in log.doses if d.category is Category.MAGNESIUM and d.taken_time),
            key=lambda d: dt.datetime.combine(d.taken_on, d.taken_time or dt.time()),
        )
        if not magnesium_doses:
            continue
        others = _others(date, log, content, knowledge)
        for dose in magnesium_doses:
            assert dose.taken_time is not None
            at = dt.datetime.combine(dose.taken_on, dose.taken_time)
            for other in others:
                for interaction, selector in spaced:
                    if not Present(other.substance, other.source).has(selector):
                        continue
                    checks.append(_check(date, at, other, interaction))
    return sorted(checks, key=lambda c: (c.date, c.magnesium_time, c.other_time, c.rule_id))


def _other_side(interaction: Interaction) -> list[str]:
    """The selector opposite magnesium, if magnesium is on one side."""
    if interaction.a == "magnesium":
        return [interaction.b]
    if interaction.b == "magnesium":
        return [interaction.a]
    return []


def _others(date: dt.date, log: DayLog, content: PlanContent, knowledge: Knowledge) -> list[_Other]:
    others: list[_Other] = []
    for dose in log.doses:
        if dose.category in (Category.MAGNESIUM, Category.KRATOM) or dose.taken_time is None:
            continue
        at = dt.datetime.combine(dose.taken_on, dose.taken_time)
        others += [_Other(s, dose.product, at, "logged") for s in of_dose(knowledge, dose)]
    logged = {o.substance.id for o in others}
    for item in content.items:
        if item.category in (Category.MAGNESIUM, Category.KRATOM):
            continue
        for substance in of_dose(knowledge, item):
            if substance.id in logged:
                continue
            others += [
                _Other(substance, item.product, dt.datetime.combine(date, t), "plan")
                for t in item.times
            ]
    return others


def _check(
    date: dt.date, magnesium_at: dt.datetime, other: _Other, interaction: Interaction
) -> SpacingCheck:
    params = interaction.rule.params
    before = Decimal(str(params["other_before_hours"]))
    after = Decimal(str(params["other_after_hours"]))
    minutes = int((other.at - magnesium_at).total_seconds() // 60)
    ok = minutes <= -before * 60 or minutes >= after * 60
    return SpacingCheck(
        date=date,
        magnesium_time=magnesium_at.time(),
        other=other.substance.name,
        product=other.product,
        other_time=other.at.time(),
        source=other.source,
        minutes_apart=minutes,
        rule_id=interaction.rule.id,
        spacing=interaction.spacing,
        before_hours=before,
        after_hours=after,
        ok=ok,
    )


# --- Activities -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    done: int  # on the days reported
    target: int  # 0 when the plan asks for none

    def met(self, days_unknown: int) -> bool | None:
        """True when done reaches the target; False only when no day is unknown; else None
        (the unknown days may hold what is missing)."""
        if self.done >= self.target:
            return True
        return False if days_unknown == 0 else None


@dataclass(frozen=True, slots=True)
class WeekActivity:
    week_start: dt.date  # Monday
    week_end: dt.date  # Sunday
    days_in_range: int  # days of this week inside start..end
    days_reported: int  # of those, days with a check-in
    days_unknown: int  # of those, days without one: not counted as zero
    exercise_minutes: Tally  # target: exercise_minutes_per_week (whole week)
    meditation_minutes: Tally  # target: meditation_minutes_per_day x days_in_range
    counseling_sessions: Tally  # target: counseling_sessions_per_week (whole week)
    support_meetings: Tally  # target: support_meetings_per_week (whole week)

    @property
    def partial(self) -> bool:
        """The range covers only part of this week; weekly targets are still whole-week."""
        return self.days_in_range < 7


def activities(
    content: PlanContent, logs: Mapping[dt.date, DayLog], start: dt.date, end: dt.date
) -> list[WeekActivity]:
    """One row per ISO week (Monday to Sunday) overlapping `start`..`end`.

    Only days with a check-in are counted; the other days in range are reported as unknown,
    never as zero. Weekly targets are the plan's per-week numbers even for a week the range
    only partly covers (see `partial`); meditation's target is per day times the days in range.
    """
    plan = content.activities
    rows: list[WeekActivity] = []
    dates = _dates(start, end)
    week_starts = sorted({d - dt.timedelta(days=d.weekday()) for d in dates})
    for monday in week_starts:
        in_week = [d for d in dates if monday <= d <= monday + dt.timedelta(days=6)]
        reported = [log for d in in_week if (log := logs.get(d)) is not None and log.checked_in]
        rows.append(
            WeekActivity(
                week_start=monday,
                week_end=monday + dt.timedelta(days=6),
                days_in_range=len(in_week),
                days_reported=len(reported),
                days_unknown=len(in_week) - len(reported),
                exercise_minutes=Tally(
                    _total(reported, "exercise_minutes"), plan.exercise_minutes_per_week
                ),
                meditation_minutes=Tally(
                    _total(reported, "meditation_minutes"),
                    plan.meditation_minutes_per_day * len(in_week),
                ),
                counseling_sessions=Tally(
                    _total(reported, "counseling"), plan.counseling_sessions_per_week
                ),
                support_meetings=Tally(
                    _total(reported, "support_meeting"), plan.support_meetings_per_week
                ),
            )
        )
    return rows


def _total(logs: list[DayLog], name: str) -> int:
    """A yes/no answer counts as one; a number counts as itself."""
    return sum(int(log.activities.get(name, 0)) for log in logs)


# --- Shared ---------------------------------------------------------------------------------


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start:
        raise InvalidInput("end", f"{end.isoformat()} is before the start ({start.isoformat()})")
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute
