from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from taperline.domain.checkins import DoseInput, prepare_checkin
from taperline.domain.doses import to_thousandths
from taperline.domain.errors import InvalidInput
from taperline.domain.types import CheckinKind
from taperline.domain.units import Amount

TODAY = dt.date(2026, 3, 14)


def dose(category: str, form: str | None, amount: str, unit: str) -> DoseInput:
    return DoseInput(category, form, "", Amount.parse(amount, unit), None, None)


def prepare(**overrides: object) -> object:
    arguments: dict[str, object] = {
        "kind": CheckinKind.DAILY,
        "checkin_date": TODAY,
        "person_today": TODAY,
        "responses": {},
        "doses": [],
        "note": "",
        "rated_by_clinician": False,
    }
    arguments.update(overrides)
    return prepare_checkin(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (dose("kratom", "leaf_powder", "3", "capsules"), "doses[0].unit"),
        (dose("kratom", "capsules", "3", "g"), "doses[0].unit"),
        (dose("kratom", None, "3", "g"), "doses[0].form"),
        (dose("kratom", "resin", "3", "g"), "doses[0].form"),
        (dose("melatonin", None, "1", "tablet"), "doses[0].unit"),
        (dose("magnesium", "citrate", "1", "capsule"), "doses[0].unit"),
        (dose("magnesium", "fairy dust", "200", "mg"), "doses[0].form"),
        (dose("coffee", None, "1", "mL"), "doses[0].category"),
        (dose("kratom", "leaf_powder", "0", "g"), "doses[0].amount"),
    ],
)
def test_a_dose_in_the_wrong_unit_or_form_names_the_field(given: DoseInput, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        prepare(doses=[given])
    assert error.value.field == field


@pytest.mark.parametrize(
    "given",
    [
        dose("kratom", "leaf_powder", "2.5", "g"),
        dose("kratom", "capsules", "4", "capsules"),
        dose("kratom", "extract", "5", "mL"),
        dose("kratom", "seven_oh", "1", "tablet"),
        dose("moud", "film", "8", "mg"),
        dose("melatonin", None, "500", "mcg"),
        dose("magnesium", "glycinate", "200", "mg"),
    ],
)
def test_a_dose_in_a_sensible_unit_is_accepted(given: DoseInput) -> None:
    prepared = prepare(doses=[given])
    assert len(prepared.doses) == 1  # type: ignore[attr-defined]


def test_answers_are_scored_and_errors_name_instrument_and_item() -> None:
    prepared = prepare(responses={"gad7": [1, 1, 1, 1, 1, 0, 0]})
    assert [(s.instrument_id, s.total, s.band) for s in prepared.scores] == [("gad7", 5, "mild")]  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as error:
        prepare(responses={"gad7": [1, 1, 1, 9, 1, 0, 0]})
    assert error.value.field == "responses.gad7.item 4"
    with pytest.raises(InvalidInput) as error:
        prepare(responses={"bdi": [1]})
    assert error.value.field == "responses.bdi"


def test_an_empty_checkin_and_a_future_date_are_refused() -> None:
    with pytest.raises(InvalidInput, match="at least one"):
        prepare()
    with pytest.raises(InvalidInput) as error:
        prepare(checkin_date=TODAY + dt.timedelta(days=1), note="hi")
    assert error.value.field == "date"


def test_more_than_three_decimals_is_refused_not_rounded() -> None:
    assert to_thousandths(Amount(Decimal("0.125"), Amount.parse("1", "g").unit)) == 125
    with pytest.raises(InvalidInput, match="three decimal places"):
        to_thousandths(Amount.parse("0.1255", "g"))
