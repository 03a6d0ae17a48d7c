from __future__ import annotations

from decimal import Decimal

import pytest

from taperline.domain.errors import InvalidInput
from taperline.domain.units import Amount, Unit, parse_unit, total


def test_mass_converts_exactly() -> None:
    assert Amount.parse("2.5", "g").to(Unit.MG) == Amount(Decimal(2500), Unit.MG)
    assert Amount.parse("250", "mcg").to(Unit.MG) == Amount(Decimal("0.25"), Unit.MG)
    assert Amount.parse("0.1", "g") + Amount.parse("200", "mg") == Amount(Decimal("0.3"), Unit.G)


@pytest.mark.parametrize(
    ("first", "second"), [("capsule", "g"), ("g", "capsule"), ("mL", "mg"), ("tablet", "capsule")]
)
def test_counts_and_volumes_never_convert(first: str, second: str) -> None:
    with pytest.raises(InvalidInput, match="cannot convert"):
        Amount.parse("1", first) + Amount.parse("1", second)


def test_total_refuses_a_mixed_list() -> None:
    with pytest.raises(InvalidInput):
        total([Amount.parse("2", "g"), Amount.parse("3", "capsules")], Unit.G)


@pytest.mark.parametrize("text", ["grams", "G", " mg ", "caps", "µg", "mL"])
def test_common_spellings_of_units_are_understood(text: str) -> None:
    assert isinstance(parse_unit(text), Unit)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("-1", "negative"), ("abc", "not a number"), ("nan", "finite"), (True, "number")],
)
def test_bad_amounts_name_the_problem(value: object, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem) as error:
        Amount.parse(value, "g")
    assert error.value.field == "amount"


def test_an_unknown_unit_names_the_field() -> None:
    with pytest.raises(InvalidInput) as error:
        Amount.parse("1", "scoops", field="doses[0].amount")
    assert error.value.field == "doses[0].amount.unit"


def test_amounts_print_plainly() -> None:
    assert str(Amount.parse("2.50", "g")) == "2.5 g"
    assert str(Amount.parse("1", "capsules")) == "1 capsule"
    assert str(Amount.parse("3", "capsule")) == "3 capsules"
