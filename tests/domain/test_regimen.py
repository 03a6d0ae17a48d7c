from __future__ import annotations

import datetime as dt

import pytest

from taperline.domain.errors import InvalidInput
from taperline.domain.regimen import make_regimen_item
from taperline.domain.units import Amount

MORNING, NOON, EVENING = dt.time(8), dt.time(13), dt.time(19)


def test_a_regimen_item_gives_its_daily_amount_in_its_own_unit() -> None:
    powder = make_regimen_item(
        category="kratom",
        form="leaf_powder",
        product="",
        amount_per_dose=Amount.parse("2.25", "g"),
        times=[EVENING, MORNING, NOON],
    )
    assert str(powder.daily_amount) == "6.75 g"
    assert powder.times == (MORNING, NOON, EVENING)
    capsules = make_regimen_item(
        category="kratom",
        form="capsules",
        product="",
        amount_per_dose=Amount.parse("3", "capsules"),
        times=[MORNING, EVENING],
    )
    assert str(capsules.daily_amount) == "6 capsules"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"category": "kratom", "form": "capsules", "amount_per_dose": Amount.parse("1", "g")},
            "item.unit",
        ),
        (
            {
                "category": "magnesium",
                "form": "glycinate",
                "amount_per_dose": Amount.parse("2", "tablets"),
            },
            "item.unit",
        ),
        (
            {"category": "kratom", "form": None, "amount_per_dose": Amount.parse("1", "g")},
            "item.form",
        ),
    ],
)
def test_a_regimen_item_with_the_wrong_unit_or_form_is_refused(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        make_regimen_item(product="", times=[MORNING], **kwargs)  # type: ignore[arg-type]
    assert error.value.field == field


def test_a_regimen_item_needs_distinct_times() -> None:
    with pytest.raises(InvalidInput, match="at least one"):
        make_regimen_item(
            category="melatonin",
            form=None,
            product="",
            amount_per_dose=Amount.parse("1", "mg"),
            times=[],
        )
    with pytest.raises(InvalidInput, match="twice"):
        make_regimen_item(
            category="melatonin",
            form=None,
            product="",
            amount_per_dose=Amount.parse("1", "mg"),
            times=[EVENING, EVENING],
        )
