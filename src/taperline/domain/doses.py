"""Dose log entries and the unit rules for each kind of substance.

The unit rules stop silent mix-ups: kratom leaf powder is logged by mass, capsules by count,
and a count is never added to a mass. Which units a form allows is a data-entry rule, not a
clinical threshold; dose limits live in the safety knowledge base.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from taperline.domain.errors import InvalidInput
from taperline.domain.types import Category, KratomForm, MagnesiumForm, parse_enum
from taperline.domain.units import Amount, Unit

_MASS = frozenset({Unit.G, Unit.MG, Unit.MCG})

# Which units each category (and, for kratom and magnesium, each form) may be logged in.
_KRATOM_UNITS: dict[KratomForm, frozenset[Unit]] = {
    KratomForm.LEAF_POWDER: _MASS,
    KratomForm.CAPSULES: frozenset({Unit.CAPSULE}),
    KratomForm.EXTRACT: _MASS | {Unit.ML, Unit.TABLET, Unit.CAPSULE},
    KratomForm.SEVEN_OH: _MASS | {Unit.ML, Unit.TABLET, Unit.CAPSULE},
}
_CATEGORY_UNITS: dict[Category, frozenset[Unit]] = {
    Category.MOUD: _MASS | {Unit.ML, Unit.TABLET, Unit.FILM},
    Category.MELATONIN: _MASS,
    Category.MAGNESIUM: _MASS,
    Category.OTHER_MEDICATION: frozenset(Unit),
}


@dataclass(frozen=True, slots=True)
class DoseEntry:
    category: Category
    form: str | None
    product: str
    amount: Amount
    taken_on: dt.date
    taken_time: dt.time | None = None


def make_dose(
    *,
    category: object,
    form: object | None,
    product: str,
    amount: Amount,
    taken_on: dt.date,
    taken_time: dt.time | None,
    field: str = "dose",
) -> DoseEntry:
    """Check a dose's category, form and unit against each other."""
    parsed_category = parse_enum(Category, category, field=f"{field}.category")
    parsed_form: str | None = None
    allowed: frozenset[Unit]
    if parsed_category is Category.KRATOM:
        if form is None or str(form).strip() == "":
            raise InvalidInput(
                f"{field}.form",
                "is needed for kratom (leaf_powder, capsules, extract or seven_oh)",
            )
        kratom_form = parse_enum(KratomForm, form, field=f"{field}.form")
        parsed_form = kratom_form.value
        allowed = _KRATOM_UNITS[kratom_form]
    else:
        if parsed_category is Category.MAGNESIUM and form not in (None, ""):
            parsed_form = parse_enum(MagnesiumForm, form, field=f"{field}.form").value
        elif form not in (None, ""):
            parsed_form = str(form).strip().lower()
        allowed = _CATEGORY_UNITS[parsed_category]
    if amount.unit not in allowed:
        names = ", ".join(sorted(unit.value for unit in allowed))
        what = f"kratom {parsed_form}" if parsed_category is Category.KRATOM else parsed_category
        raise InvalidInput(f"{field}.unit", f"{what} is logged in {names}, not {amount.unit.value}")
    if amount.value == 0:
        raise InvalidInput(f"{field}.amount", "must be more than zero (leave out doses not taken)")
    return DoseEntry(
        category=parsed_category,
        form=parsed_form,
        product=product.strip(),
        amount=amount,
        taken_on=taken_on,
        taken_time=taken_time,
    )


def to_thousandths(amount: Amount, *, field: str = "amount") -> int:
    """Exact integer storage; more than three decimal places is refused, never rounded."""
    scaled = amount.value * 1000
    if scaled != scaled.to_integral_value():
        raise InvalidInput(field, "use at most three decimal places")
    return int(scaled)


def from_thousandths(value: int, unit: str) -> Amount:
    return Amount(Decimal(value) / 1000, Unit(unit))


def totals_by_unit(doses: list[DoseEntry], category: Category) -> list[Amount]:
    """What was taken of one category: masses summed in grams or milligrams, each count or
    volume unit summed on its own (capsules are never added to grams)."""
    sums: dict[Unit, Amount] = {}
    mass_unit = Unit.G if category is Category.KRATOM else Unit.MG
    for dose in doses:
        if dose.category is not category:
            continue
        key = mass_unit if dose.amount.unit in _MASS else dose.amount.unit
        sums[key] = sums.get(key, Amount(Decimal(0), key)) + dose.amount
    return list(sums.values())
