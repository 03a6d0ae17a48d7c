"""Regimen items: what a clinician has set for a person to take, per dose and when.

A regimen item is entered by a clinician; Taperline checks that its form and unit belong
together (the same rules as dose logs) and computes the daily amount. It never proposes one.
Plans and taper schedules that hold these items come with the plans module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from taperline.domain.doses import make_dose
from taperline.domain.errors import InvalidInput
from taperline.domain.types import Category
from taperline.domain.units import Amount


@dataclass(frozen=True, slots=True)
class RegimenItem:
    category: Category
    form: str | None
    product: str
    amount_per_dose: Amount
    times: tuple[dt.time, ...]  # local times of day, in order

    @property
    def daily_amount(self) -> Amount:
        return Amount(
            self.amount_per_dose.value * Decimal(len(self.times)), self.amount_per_dose.unit
        )


def make_regimen_item(
    *,
    category: object,
    form: object | None,
    product: str,
    amount_per_dose: Amount,
    times: list[dt.time],
    field: str = "item",
) -> RegimenItem:
    if not times:
        raise InvalidInput(f"{field}.times", "give at least one time of day")
    ordered = tuple(sorted(times))
    if len(set(ordered)) != len(ordered):
        raise InvalidInput(f"{field}.times", "the same time is listed twice")
    # The dose rules decide which forms and units belong together.
    checked = make_dose(
        category=category,
        form=form,
        product=product,
        amount=amount_per_dose,
        taken_on=dt.date.min,
        taken_time=None,
        field=field,
    )
    return RegimenItem(
        category=checked.category,
        form=checked.form,
        product=checked.product,
        amount_per_dose=checked.amount,
        times=ordered,
    )
