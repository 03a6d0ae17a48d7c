"""Review a plan and its taper schedule with the safety engine, step by step. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from taperline.domain.doses import DoseEntry
from taperline.domain.safety.context import (
    CheckinEvent,
    Plan,
    PlanChange,
    Profile,
    SafetyContext,
)
from taperline.domain.safety.engine import evaluate
from taperline.domain.safety.findings import Finding
from taperline.domain.safety.knowledge import Knowledge
from taperline.domain.taper import TaperSchedule, TaperStep


@dataclass(frozen=True, slots=True)
class StepReview:
    step: TaperStep
    findings: tuple[Finding, ...]


def review_schedule(
    schedule: TaperSchedule, knowledge: Knowledge, country: str = "US"
) -> tuple[StepReview, ...]:
    """Each step's pace against the configured guideline bound (taper.too_fast, abrupt stop)."""
    reviews = []
    held = schedule.params.step_days
    for step in schedule.steps:
        change = PlanChange(
            before=step.before,
            after=step.daily,
            original=schedule.params.current,
            step_days=held,
            long_term_use=schedule.params.long_term_use,
            smallest_step=schedule.params.smallest_step,
        )
        context = SafetyContext(today=step.start, event=change, country=country)
        reviews.append(StepReview(step, tuple(evaluate(context, knowledge))))
        held = step.days
    return tuple(reviews)


def review_plan(
    plan: Plan, profile: Profile, knowledge: Knowledge, on: dt.date, country: str = "US"
) -> list[Finding]:
    """The plan's regimen as if taken on `on`: dose limits, interactions, concentrates."""
    doses = tuple(
        DoseEntry(item.category, item.form, item.product, item.amount_per_dose, on, time)
        for item in plan.items
        for time in item.times
    )
    context = SafetyContext(
        today=on,
        profile=profile,
        plan=plan,
        event=CheckinEvent(date=on, doses=doses),
        country=country,
    )
    return evaluate(context, knowledge)
