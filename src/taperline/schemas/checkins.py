"""Check-in input as JSON or prompts give it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from taperline.domain.types import CheckinKind


class DoseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(description="kratom, moud, melatonin, magnesium or other_medication")
    form: str | None = Field(default=None, description="For kratom: leaf_powder, capsules, …")
    product: str = Field(default="", max_length=200)
    amount: Decimal = Field(ge=0, allow_inf_nan=False)
    unit: str
    date: dt.date | None = Field(default=None, description="Defaults to the check-in's date")
    time: dt.time | None = None


class ActivitiesLog(BaseModel):
    """What the person did that day; leave out what was not done or not reported."""

    model_config = ConfigDict(extra="forbid")

    exercise_minutes: int | None = Field(default=None, ge=0, le=1440)
    meditation_minutes: int | None = Field(default=None, ge=0, le=1440)
    counseling: bool | None = None
    support_meeting: bool | None = None


class CheckinCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person: str | None = Field(default=None, description="The person's handle")
    date: dt.date
    kind: CheckinKind = CheckinKind.DAILY
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=100)
    doses: list[DoseCreate] = Field(default_factory=list)
    responses: dict[str, Any] = Field(default_factory=dict)
    note: str = Field(default="", max_length=2000)
    red_flags: list[str] = Field(
        default_factory=list, description="Red-flag ids the person answered yes to"
    )
    used_non_prescribed_opioids: bool = False
    activities: ActivitiesLog = Field(default_factory=ActivitiesLog)
