"""Check-in input as JSON or prompts give it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from taperline.domain.types import CheckinKind
from taperline.schemas.base import AmountValue, LocalTime, SaneDate, StrictModel


class DoseCreate(StrictModel):
    category: str = Field(description="kratom, moud, melatonin, magnesium or other_medication")
    form: str | None = Field(default=None, description="For kratom: leaf_powder, capsules, …")
    product: str = Field(default="", max_length=200)
    amount: AmountValue
    unit: str
    date: SaneDate | None = Field(default=None, description="Defaults to the check-in's date")
    time: LocalTime | None = None


class ActivitiesLog(StrictModel):
    """What the person did that day; leave out what was not done or not reported."""

    exercise_minutes: int | None = Field(default=None, ge=0, le=1440)
    meditation_minutes: int | None = Field(default=None, ge=0, le=1440)
    counseling: bool | None = Field(default=None, strict=True)
    support_meeting: bool | None = Field(default=None, strict=True)


class CheckinCreate(StrictModel):
    person: str | None = Field(default=None, description="The person's handle")
    date: SaneDate
    kind: CheckinKind = CheckinKind.DAILY
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=100)
    doses: list[DoseCreate] = Field(default_factory=list)
    responses: dict[str, Any] = Field(default_factory=dict)
    note: str = Field(default="", max_length=2000)
    red_flags: list[str] = Field(
        default_factory=list, description="Red-flag ids the person answered yes to"
    )
    used_non_prescribed_opioids: bool = Field(default=False, strict=True)
    activities: ActivitiesLog = Field(default_factory=ActivitiesLog)
