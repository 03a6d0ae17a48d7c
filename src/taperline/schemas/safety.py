"""Input of `taperline safety check`: a described situation, evaluated without storing it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from taperline.schemas.base import AmountValue, LocalTime, SaneDate, StrictModel
from taperline.schemas.checkins import DoseCreate


class _Strict(StrictModel):
    pass


class MedicationInput(_Strict):
    name: str = Field(min_length=1, max_length=200)
    prescribed: bool = Field(default=True, strict=True)


class ProfileInput(_Strict):
    conditions: list[str] = Field(default_factory=list)
    medications: list[MedicationInput | str] = Field(default_factory=list)


class PlanItemInput(_Strict):
    category: str
    form: str | None = None
    product: str = ""
    amount: AmountValue = Field(description="Per dose")
    unit: str
    times: list[LocalTime] = Field(min_length=1)


class PlanInput(_Strict):
    items: list[PlanItemInput] = Field(default_factory=list)


class AmountInput(_Strict):
    amount: AmountValue
    unit: str


class CheckinEventInput(_Strict):
    type: Literal["checkin"]
    date: SaneDate | None = Field(default=None, description="Defaults to today")
    doses: list[DoseCreate] = Field(default_factory=list)
    responses: dict[str, Any] = Field(default_factory=dict)
    red_flags: list[str] = Field(default_factory=list)
    used_non_prescribed_opioids: bool = Field(default=False, strict=True)


class PlanChangeInput(_Strict):
    type: Literal["plan_change"]
    before: AmountInput
    after: AmountInput
    original: AmountInput | None = Field(default=None, description="Defaults to `before`")
    step_days: int = Field(ge=1, le=365)
    long_term_use: bool = Field(default=True, strict=True)


class DayInput(_Strict):
    date: SaneDate
    checked_in: bool = Field(default=True, strict=True)
    kratom_grams: AmountValue | None = None
    sows: int | None = Field(default=None, ge=0, le=64, strict=True)
    craving: int | None = Field(default=None, ge=0, le=10, strict=True)
    sleep_efficiency: float | None = Field(default=None, ge=0, le=100, strict=True)
    cows: int | None = Field(default=None, ge=0, le=48, strict=True)


Event = Annotated[CheckinEventInput | PlanChangeInput, Field(discriminator="type")]


class SafetyCheckInput(_Strict):
    today: SaneDate
    country: str = "US"
    profile: ProfileInput = Field(default_factory=ProfileInput)
    plan: PlanInput | None = None
    event: Event | None = None
    history: list[DayInput] = Field(default_factory=list)
