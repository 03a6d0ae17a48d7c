"""A plan as a clinician enters it (JSON or prompts), and its conversion to domain values."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from taperline.domain.errors import InvalidInput
from taperline.domain.plans import WEEKDAYS, Activities, Monitoring, PlanContent
from taperline.domain.regimen import make_regimen_item
from taperline.domain.taper import DoseTime, Method, Pause, TaperParams
from taperline.domain.units import Amount
from taperline.schemas import parse
from taperline.schemas.base import (
    AmountValue,
    LocalDateTime,
    LocalTime,
    SaneDate,
    StrictModel,
)


class _Strict(StrictModel):
    pass


class AmountIn(_Strict):
    amount: AmountValue
    unit: str


class RegimenItemIn(_Strict):
    category: str
    form: str | None = None
    product: str = ""
    amount: AmountValue = Field(description="Per dose")
    unit: str
    times: list[LocalTime] = Field(min_length=1)


class DoseTimeIn(_Strict):
    time: LocalTime
    share: int = Field(default=1, ge=1, le=100)


class PauseIn(_Strict):
    start: SaneDate
    days: int = Field(ge=1, le=365)


class TaperIn(_Strict):
    form: str = Field(description="leaf_powder or capsules")
    start: SaneDate
    current: AmountIn
    target: AmountIn
    method: Method
    step: Decimal = Field(gt=0, le=1_000_000, allow_inf_nan=False)
    step_days: int = Field(ge=1, le=365)
    smallest_step: AmountIn
    doses: list[DoseTimeIn] = Field(min_length=1)
    long_term_use: bool = Field(default=True, strict=True)
    pauses: list[PauseIn] = Field(default_factory=list)


class ActivitiesIn(_Strict):
    counseling_sessions_per_week: int = Field(default=0, ge=0, le=21)
    exercise_minutes_per_week: int = Field(default=0, ge=0, le=5000)
    meditation_minutes_per_day: int = Field(default=0, ge=0, le=600)
    support_meetings_per_week: int = Field(default=0, ge=0, le=21)
    wake_time: LocalTime | None = None
    sleep_goals: list[str] = Field(default_factory=list)


class MonitoringIn(_Strict):
    daily_checkin_time: LocalTime = dt.time(9, 0)
    weekly_questionnaires_day: str = "monday"
    visits: list[LocalDateTime] = Field(default_factory=list)

    @field_validator("weekly_questionnaires_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        if value.strip().lower() not in WEEKDAYS:
            raise ValueError(f"use a day of the week ({', '.join(WEEKDAYS)})")
        return value.strip().lower()

    @field_validator("visits")
    @classmethod
    def _local(cls, visits: list[dt.datetime]) -> list[dt.datetime]:
        if any(v.tzinfo is not None for v in visits):
            raise ValueError("give visit times as local times without an offset")
        return visits


class PlanInput(_Strict):
    regimen: list[RegimenItemIn] = Field(default_factory=list)
    taper: TaperIn | None = None
    activities: ActivitiesIn = Field(default_factory=ActivitiesIn)
    monitoring: MonitoringIn = Field(default_factory=MonitoringIn)
    goals: list[str] = Field(default_factory=list)


def _amount(value: AmountIn, field: str) -> Amount:
    return Amount.parse(value.amount, value.unit, field=f"{field}.amount")


def to_taper(t: TaperIn) -> TaperParams:
    """The taper's domain parameters (not yet validated: `build_schedule` does that)."""
    return TaperParams(
        start=t.start,
        current=_amount(t.current, "taper.current"),
        target=_amount(t.target, "taper.target"),
        method=t.method,
        step=t.step,
        step_days=t.step_days,
        smallest_step=_amount(t.smallest_step, "taper.smallest_step"),
        doses=tuple(DoseTime(d.time, d.share) for d in t.doses),
        long_term_use=t.long_term_use,
        pauses=tuple(Pause(p.start, p.days) for p in t.pauses),
    )


def to_content(plan: PlanInput, *, check_schedule: bool = True) -> PlanContent:
    """Domain values, with every problem named by its field (the taper schedule's too, unless
    `check_schedule` is off: for a stored version, checked when it was stored)."""
    items = tuple(
        make_regimen_item(
            category=item.category,
            form=item.form,
            product=item.product,
            amount_per_dose=Amount.parse(item.amount, item.unit, field=f"regimen[{i}].amount"),
            times=item.times,
            field=f"regimen[{i}]",
        )
        for i, item in enumerate(plan.regimen)
    )
    taper = to_taper(plan.taper) if plan.taper is not None else None
    content = PlanContent(
        items=items,
        kratom_form=plan.taper.form if plan.taper else None,
        taper=taper,
        activities=Activities(
            counseling_sessions_per_week=plan.activities.counseling_sessions_per_week,
            exercise_minutes_per_week=plan.activities.exercise_minutes_per_week,
            meditation_minutes_per_day=plan.activities.meditation_minutes_per_day,
            support_meetings_per_week=plan.activities.support_meetings_per_week,
            wake_time=plan.activities.wake_time,
            sleep_goals=tuple(plan.activities.sleep_goals),
        ),
        monitoring=Monitoring(
            daily_checkin_time=plan.monitoring.daily_checkin_time,
            weekly_questionnaires_day=WEEKDAYS.index(plan.monitoring.weekly_questionnaires_day),
            visits=tuple(sorted(plan.monitoring.visits)),
        ),
        goals=tuple(plan.goals),
    )
    if not check_schedule:
        return content
    try:
        content.schedule()  # every schedule problem surfaces here, before anything is stored
    except InvalidInput as error:
        raise InvalidInput(f"taper.{error.field}", error.problem) from None
    return content


STORED_CONTENTS_KEPT = 4096  # plan contents remembered (about one per person served)


def stored_content(document: Mapping[str, Any] | str) -> PlanContent:
    """A stored plan version's content as domain values.

    A stored version's document never changes, and the same document always gives the same
    content, so the content is remembered by the document itself, with its taper schedule once
    built: as the JSON text the database gave (the caseload reads it so, undecoded), or, for a
    decoded document, its canonical JSON. Either way the key is the text, which keeps "0.25"
    and "0.250" apart. The caseload reads every listed person's plan on every request; each is
    parsed only the first time."""
    if not isinstance(document, str):
        document = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return _stored_content(document)


def stored_content_unscheduled(document: Mapping[str, Any]) -> PlanContent:
    """A stored version's items, activities and monitoring, without building its taper
    schedule (and not remembered): for bulk reads that never look at the schedule."""
    return to_content(parse(PlanInput, document), check_schedule=False)


@functools.lru_cache(maxsize=STORED_CONTENTS_KEPT)
def _stored_content(document: str) -> PlanContent:
    return to_content(parse(PlanInput, json.loads(document)))
