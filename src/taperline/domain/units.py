"""Amounts with units. Grams, milligrams and capsules are never mixed up silently.

Mass units convert into each other exactly (Decimal arithmetic). Count units (capsules,
tablets, films) and volume (mL) never convert into mass: the content of a capsule or a
millilitre of extract differs between products, so any such conversion raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from taperline.domain.errors import InvalidInput

MAX_AMOUNT = Decimal(1_000_000)  # far above any real dose, far below any storage limit


class Dimension(StrEnum):
    MASS = "mass"
    COUNT = "count"
    VOLUME = "volume"


class Unit(StrEnum):
    G = "g"
    MG = "mg"
    MCG = "mcg"
    CAPSULE = "capsule"
    TABLET = "tablet"
    FILM = "film"
    ML = "mL"

    @property
    def dimension(self) -> Dimension:
        return _DIMENSION[self]


_DIMENSION: dict[Unit, Dimension] = {
    Unit.G: Dimension.MASS,
    Unit.MG: Dimension.MASS,
    Unit.MCG: Dimension.MASS,
    Unit.CAPSULE: Dimension.COUNT,
    Unit.TABLET: Dimension.COUNT,
    Unit.FILM: Dimension.COUNT,
    Unit.ML: Dimension.VOLUME,
}

# Micrograms per unit, for the mass units only.
_MICROGRAMS: dict[Unit, Decimal] = {
    Unit.G: Decimal(1_000_000),
    Unit.MG: Decimal(1_000),
    Unit.MCG: Decimal(1),
}

_ALIASES: dict[str, Unit] = {
    "g": Unit.G,
    "gram": Unit.G,
    "grams": Unit.G,
    "mg": Unit.MG,
    "milligram": Unit.MG,
    "milligrams": Unit.MG,
    "mcg": Unit.MCG,
    "µg": Unit.MCG,
    "ug": Unit.MCG,
    "microgram": Unit.MCG,
    "micrograms": Unit.MCG,
    "capsule": Unit.CAPSULE,
    "capsules": Unit.CAPSULE,
    "caps": Unit.CAPSULE,
    "tablet": Unit.TABLET,
    "tablets": Unit.TABLET,
    "film": Unit.FILM,
    "films": Unit.FILM,
    "ml": Unit.ML,
    "millilitre": Unit.ML,
    "milliliter": Unit.ML,
}


def parse_unit(text: str, *, field: str = "unit") -> Unit:
    """Read a unit the way people write it ("g", "grams", "caps", "mL")."""
    unit = _ALIASES.get(text.strip().lower())
    if unit is None:
        known = ", ".join(u.value for u in Unit)
        raise InvalidInput(field, f"'{text}' is not a unit Taperline knows (use one of: {known})")
    return unit


def parse_decimal(value: object, *, field: str) -> Decimal:
    """Read a non-negative finite number without float rounding surprises."""
    if isinstance(value, bool):
        raise InvalidInput(field, "must be a number")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(field, f"'{value}' is not a number") from None
    if not number.is_finite():
        raise InvalidInput(field, "must be a finite number")
    if number < 0:
        raise InvalidInput(field, "cannot be negative")
    if number > MAX_AMOUNT:
        raise InvalidInput(field, f"is too large (at most {MAX_AMOUNT})")
    return number


@dataclass(frozen=True, slots=True)
class Amount:
    """A non-negative quantity with its unit."""

    value: Decimal
    unit: Unit

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal):
            raise TypeError("Amount.value must be a Decimal")
        if not self.value.is_finite() or self.value < 0:
            raise InvalidInput("amount", "must be a finite number, zero or more")

    @classmethod
    def parse(cls, value: object, unit: str | Unit, *, field: str = "amount") -> Amount:
        parsed_unit = unit if isinstance(unit, Unit) else parse_unit(unit, field=f"{field}.unit")
        return cls(parse_decimal(value, field=field), parsed_unit)

    @property
    def dimension(self) -> Dimension:
        return self.unit.dimension

    def to(self, unit: Unit) -> Amount:
        """The same amount in another unit; only mass converts to mass."""
        if unit == self.unit:
            return self
        if self.dimension is not Dimension.MASS or unit.dimension is not Dimension.MASS:
            raise InvalidInput(
                "unit",
                f"cannot convert {self.unit.value} to {unit.value}: "
                "the content of a capsule, tablet, film or millilitre depends on the product",
            )
        micrograms = self.value * _MICROGRAMS[self.unit]
        return Amount((micrograms / _MICROGRAMS[unit]).normalize() + Decimal(0), unit)

    def __add__(self, other: Amount) -> Amount:
        if not isinstance(other, Amount):
            return NotImplemented
        return Amount(self.value + other.to(self.unit).value, self.unit)

    def __str__(self) -> str:
        text = format(self.value.normalize(), "f")
        if self.unit.dimension is Dimension.COUNT:
            noun = self.unit.value if self.value == 1 else f"{self.unit.value}s"
            return f"{text} {noun}"
        return f"{text} {self.unit.value}"


def total(amounts: list[Amount], unit: Unit) -> Amount:
    """Sum amounts into one unit; raises if any cannot be converted."""
    result = Amount(Decimal(0), unit)
    for amount in amounts:
        result = result + amount
    return result
