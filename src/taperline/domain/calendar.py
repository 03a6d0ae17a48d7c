"""What is due on a given day of a plan: doses, check-ins, visits and activities. Pure.

Everything comes from the plan a clinician approved; nothing here is proposed. Kratom doses
come from the taper schedule: before the taper starts the current amount holds (split across
the dose times), during the taper the step in force, and after the last step the last step's
amount holds. A dose of zero is not listed. Times are local wall-clock times.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from taperline.domain.plans import PlanContent
from taperline.domain.regimen import RegimenItem
from taperline.domain.taper import TaperSchedule, split
from taperline.domain.types import Category
from taperline.domain.units import Amount

KINDS = ("dose", "checkin", "questionnaire", "visit", "activity")

CHECKIN_TITLE = "Daily check-in"
QUESTIONNAIRES_TITLE = "PHQ-9 and GAD-7 (weekly)"
VISIT_TITLE = "Clinic visit (COWS)"
WEEKLY_GOAL = "this week's goal"

_CATEGORY_NAMES: dict[Category, str] = {
    Category.KRATOM: "Kratom",
    Category.MOUD: "MOUD",
    Category.MELATONIN: "Melatonin",
    Category.MAGNESIUM: "Magnesium",
    Category.OTHER_MEDICATION: "Other medication",
}


@dataclass(frozen=True, slots=True)
class DueItem:
    kind: str  # "dose", "checkin", "questionnaire", "visit", "activity"
    at: dt.time | None  # local wall time, None for all-day items
    title: str  # plain, e.g. "Kratom (leaf powder) 3.75 g", "Daily check-in"
    detail: str = ""


def kratom_form_name(form: str | None) -> str:
    """ "leaf_powder" → "leaf powder"."""
    return (form or "").replace("_", " ")


def kratom_title(form: str | None, amount: Amount) -> str:
    name = kratom_form_name(form)
    return f"Kratom ({name}) {amount}" if name else f"Kratom {amount}"


def item_name(item: RegimenItem) -> str:
    """The item as a person reads it: its product if set, else its category (and form)."""
    if item.product:
        return item.product
    name = _CATEGORY_NAMES.get(item.category, item.category.value.replace("_", " ").capitalize())
    return f"{name} ({item.form.replace('_', ' ')})" if item.form else name


def item_title(item: RegimenItem) -> str:
    return f"{item_name(item)} {item.amount_per_dose}"


def kratom_doses_on(schedule: TaperSchedule, date: dt.date) -> tuple[tuple[dt.time, Amount], ...]:
    """The planned kratom doses on `date`, zero amounts included."""
    step = schedule.step_on(date)
    if step is not None:
        return step.doses
    params = schedule.params
    return split(params.current, params.doses, params.smallest_step.value)


def weekly_goals(content: PlanContent) -> list[str]:
    activities = content.activities
    goals: list[str] = []
    if activities.exercise_minutes_per_week > 0:
        goals.append(f"Exercise: {_count(activities.exercise_minutes_per_week, 'minute')}")
    if activities.counseling_sessions_per_week > 0:
        goals.append(f"Counseling: {_count(activities.counseling_sessions_per_week, 'session')}")
    if activities.support_meetings_per_week > 0:
        goals.append(f"Support meetings: {_count(activities.support_meetings_per_week, 'meeting')}")
    return goals


def due_on(content: PlanContent, date: dt.date) -> list[DueItem]:
    """Everything the plan has due on `date`, timed items first in time order."""
    due: list[DueItem] = []
    schedule = content.schedule()
    if schedule is not None:
        step = schedule.step_on(date)
        detail = (
            f"taper step {step.number}: {step.daily} a day"
            if step is not None
            else f"before the taper: {schedule.params.current} a day"
        )
        for time, amount in kratom_doses_on(schedule, date):
            if amount.value > 0:
                due.append(DueItem("dose", time, kratom_title(content.kratom_form, amount), detail))
    for item in content.items:
        for time in item.times:
            due.append(DueItem("dose", time, item_title(item)))
    monitoring = content.monitoring
    due.append(DueItem("checkin", monitoring.daily_checkin_time, CHECKIN_TITLE))
    if date.weekday() == monitoring.weekly_questionnaires_day:
        due.append(DueItem("questionnaire", monitoring.daily_checkin_time, QUESTIONNAIRES_TITLE))
    for visit in monitoring.visits:
        if visit.date() == date:
            due.append(DueItem("visit", visit.time().replace(tzinfo=None), VISIT_TITLE))
    activities = content.activities
    if activities.wake_time is not None:
        due.append(
            DueItem("activity", activities.wake_time, f"Get up at {activities.wake_time:%H:%M}")
        )
    if activities.meditation_minutes_per_day > 0:
        due.append(
            DueItem(
                "activity",
                None,
                f"Meditation: {_count(activities.meditation_minutes_per_day, 'minute')}",
            )
        )
    for goal in weekly_goals(content):
        due.append(DueItem("activity", None, goal, WEEKLY_GOAL))
    return sorted(due, key=_order)


def _order(item: DueItem) -> tuple[bool, dt.time, str, str]:
    return (item.at is None, item.at or dt.time.min, item.kind, item.title)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
