"""A person's plan: regimen, kratom taper, activities, monitoring and goals. Pure.

A clinician drafts a version; the safety engine reviews it; a clinician who cares for the
person approves it. The person always sees the approved version. Versions are kept and can be
compared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from taperline.domain.errors import InvalidInput
from taperline.domain.regimen import RegimenItem
from taperline.domain.taper import TaperParams, TaperSchedule, build_schedule, split
from taperline.domain.types import Category

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class Activities:
    counseling_sessions_per_week: int = 0
    exercise_minutes_per_week: int = 0
    meditation_minutes_per_day: int = 0
    support_meetings_per_week: int = 0
    wake_time: dt.time | None = None  # a fixed wake time (sleep hygiene)
    sleep_goals: tuple[str, ...] = ()  # other sleep-hygiene goals, in words


@dataclass(frozen=True, slots=True)
class Monitoring:
    daily_checkin_time: dt.time = dt.time(9, 0)  # the daily short check-in (craving, SOWS, diary)
    weekly_questionnaires_day: int = 0  # PHQ-9 and GAD-7, weekly; 0 = Monday
    visits: tuple[dt.datetime, ...] = ()  # clinic visits (COWS is rated there), local times


@dataclass(frozen=True, slots=True)
class PlanContent:
    items: tuple[RegimenItem, ...] = ()  # everything except kratom when a taper is set
    kratom_form: str | None = None  # the form the taper is in (leaf_powder, capsules)
    taper: TaperParams | None = None
    activities: Activities = field(default_factory=Activities)
    monitoring: Monitoring = field(default_factory=Monitoring)
    goals: tuple[str, ...] = ()
    # The schedule, once built: the content is immutable and the same content is shared by
    # many requests (schemas.plans.stored_content), so it is built once per content.
    _schedule: list[TaperSchedule | None] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.taper is not None and any(i.category is Category.KRATOM for i in self.items):
            raise InvalidInput("regimen", "with a taper set, kratom comes from the taper schedule")
        if self.taper is not None and self.kratom_form not in ("leaf_powder", "capsules"):
            raise InvalidInput("taper.form", "a taper is set for kratom leaf_powder or capsules")
        if not 0 <= self.monitoring.weekly_questionnaires_day <= 6:
            raise InvalidInput(
                "monitoring.weekly_questionnaires_day", "use 0 (Monday) to 6 (Sunday)"
            )

    def schedule(self) -> TaperSchedule | None:
        if not self._schedule:
            self._schedule.append(build_schedule(self.taper) if self.taper is not None else None)
        return self._schedule[0]

    def regimen_on(self, date: dt.date) -> tuple[RegimenItem, ...]:
        """Everything planned for `date`, the taper's kratom doses included."""
        schedule = self.schedule()
        if schedule is None or self.taper is None:
            return self.items
        step = schedule.step_on(date)
        doses = (
            step.doses
            if step is not None
            else split(
                self.taper.current,
                self.taper.doses,
                self.taper.smallest_step.to(self.taper.current.unit).value,
            )
        )
        kratom = tuple(
            RegimenItem(Category.KRATOM, self.kratom_form, "", amount, (time,))
            for time, amount in doses
            if amount.value > 0
        )
        return self.items + kratom


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    before: str
    after: str

    def __str__(self) -> str:
        if not self.before:
            return f"{self.field}: added {self.after}"
        if not self.after:
            return f"{self.field}: removed {self.before}"
        return f"{self.field}: {self.before} → {self.after}"


def describe_item(item: RegimenItem) -> str:
    times = ", ".join(t.strftime("%H:%M") for t in item.times)
    what = item.product or (
        f"{item.category.value} ({item.form})" if item.form else item.category.value
    )
    return f"{what} {item.amount_per_dose} at {times}"


def describe_taper(taper: TaperParams | None) -> str:
    if taper is None:
        return ""
    step = (
        f"{taper.step.normalize():f}% of the current amount"
        if taper.method.value == "percent"
        else f"{taper.step.normalize():f} {taper.current.unit.value}"
    )
    pauses = f"; paused {sum(p.days for p in taper.pauses)} days" if taper.pauses else ""
    return (
        f"from {taper.current} a day to {taper.target}, {step} every {taper.step_days} days "
        f"starting {taper.start.isoformat()} (smallest step {taper.smallest_step}){pauses}"
    )


def diff(before: PlanContent | None, after: PlanContent) -> list[Change]:
    """What changed between two versions, in words."""
    old = before or PlanContent()
    changes: list[Change] = []
    old_by_key = {(i.category, i.product, i.form): describe_item(i) for i in old.items}
    new_by_key = {(i.category, i.product, i.form): describe_item(i) for i in after.items}
    for key in sorted(set(old_by_key) | set(new_by_key), key=str):
        was, now = old_by_key.get(key, ""), new_by_key.get(key, "")
        if was != now:
            changes.append(Change(f"regimen: {key[0].value}", was, now))
    if describe_taper(old.taper) != describe_taper(after.taper):
        changes.append(Change("taper", describe_taper(old.taper), describe_taper(after.taper)))
    for name in (
        "counseling_sessions_per_week",
        "exercise_minutes_per_week",
        "meditation_minutes_per_day",
        "support_meetings_per_week",
        "wake_time",
        "sleep_goals",
    ):
        was, now = getattr(old.activities, name), getattr(after.activities, name)
        if was != now:
            changes.append(Change(f"activities: {name.replace('_', ' ')}", _text(was), _text(now)))
    for name in ("daily_checkin_time", "weekly_questionnaires_day", "visits"):
        was, now = getattr(old.monitoring, name), getattr(after.monitoring, name)
        if was != now:
            changes.append(Change(f"monitoring: {name.replace('_', ' ')}", _text(was), _text(now)))
    if old.goals != after.goals:
        changes.append(Change("goals", _text(old.goals), _text(after.goals)))
    return changes


def _text(value: object) -> str:
    if value is None or value == () or value == 0:
        return ""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, tuple):
        return "; ".join(_text(v) for v in value)
    return str(value)
