"""The frozen input the safety rules read. Built by the services (or from a JSON file by
`taperline safety check`); the engine never looks anything up itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from taperline.domain.doses import DoseEntry
from taperline.domain.instruments.base import Score
from taperline.domain.regimen import RegimenItem
from taperline.domain.types import Condition
from taperline.domain.units import Amount


@dataclass(frozen=True, slots=True)
class MedicationFact:
    name: str  # as written: "Suboxone 8 mg film", "Xanax", "oxycodone"
    prescribed: bool = True


@dataclass(frozen=True, slots=True)
class Profile:
    conditions: frozenset[Condition] = frozenset()
    medications: tuple[MedicationFact, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """The approved plan as far as safety needs it."""

    items: tuple[RegimenItem, ...] = ()

    def kratom_daily(self) -> list[Amount]:
        """The planned daily kratom amounts, one per unit in use (grams, capsules, …)."""
        totals: dict[str, Amount] = {}
        for item in self.items:
            if item.category.value != "kratom":
                continue
            daily = item.daily_amount
            key = "mass" if daily.unit.dimension.value == "mass" else daily.unit.value
            totals[key] = totals[key] + daily if key in totals else daily
        return list(totals.values())


@dataclass(frozen=True, slots=True)
class DayRecord:
    """One calendar day of the person's history. None means not reported, never zero."""

    date: dt.date
    checked_in: bool
    kratom_grams: Decimal | None = None
    sows: int | None = None
    craving: int | None = None
    sleep_efficiency: float | None = None
    cows: int | None = None  # a clinician's visit rating that day


@dataclass(frozen=True, slots=True)
class CheckinEvent:
    date: dt.date
    doses: tuple[DoseEntry, ...] = ()  # every dose logged for that date, this check-in's included
    scores: tuple[Score, ...] = ()
    red_flags: frozenset[str] = frozenset()  # red-flag rule ids the person answered yes to
    used_non_prescribed_opioids: bool = False


@dataclass(frozen=True, slots=True)
class PlanChange:
    """A proposed taper step: the planned daily kratom amount from `before` to `after`."""

    before: Amount
    after: Amount
    original: Amount  # the daily amount when the taper started
    step_days: int
    long_term_use: bool  # used for a year or more (CDC 2022: 10% per month or slower)
    smallest_step: Amount | None = None  # the last step to zero from this or less is not abrupt


@dataclass(frozen=True, slots=True)
class SafetyContext:
    today: dt.date
    profile: Profile = field(default_factory=Profile)
    plan: Plan | None = None
    event: CheckinEvent | PlanChange | None = None
    history: tuple[DayRecord, ...] = ()  # oldest first, the event's own day included
    country: str = "US"
