"""Every item-scored instrument refuses answers of the wrong shape — too few, too many,
out of range, not whole numbers, unknown items, the same questionnaire twice — naming the
instrument and the item; and scores every well-formed answer set."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.checkins import prepare_checkin
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import ItemScale
from taperline.domain.types import CheckinKind

SCALES = [i for i in registry.INSTRUMENTS.values() if isinstance(i, ItemScale)]
IDS = [s.id for s in SCALES]


def _valid(scale: ItemScale) -> st.SearchStrategy[list[int]]:
    return st.tuples(*(st.sampled_from(item.values) for item in scale.items)).map(list)


@pytest.mark.parametrize("scale", SCALES, ids=IDS)
@given(data=st.data())
def test_every_well_formed_answer_set_scores(scale: ItemScale, data: st.DataObject) -> None:
    answers = data.draw(_valid(scale))
    score = scale.score(answers)
    assert score.instrument_id == scale.id and score.total is not None


@pytest.mark.parametrize("scale", SCALES, ids=IDS)
@given(data=st.data())
def test_too_many_answers_are_refused(scale: ItemScale, data: st.DataObject) -> None:
    answers = data.draw(_valid(scale)) + data.draw(st.lists(st.integers(0, 3), min_size=1))
    with pytest.raises(InvalidInput, match=re.escape(f"{scale.name} has {len(scale.items)} items")):
        scale.score(answers)


@pytest.mark.parametrize("scale", SCALES, ids=IDS)
@given(data=st.data())
def test_too_few_answers_are_refused(scale: ItemScale, data: st.DataObject) -> None:
    required = sum(1 for item in scale.items if item.required)
    answers = data.draw(_valid(scale))[: data.draw(st.integers(0, required - 1))]
    with pytest.raises(InvalidInput, match=re.escape(f"{scale.name} needs {required} answers")):
        scale.score(answers)


@pytest.mark.parametrize("scale", SCALES, ids=IDS)
@given(data=st.data())
def test_out_of_range_and_non_integer_answers_name_the_item(
    scale: ItemScale, data: st.DataObject
) -> None:
    answers: list[object] = list(data.draw(_valid(scale)))
    index = data.draw(st.integers(0, len(scale.items) - 1))
    item = scale.items[index]
    bad = data.draw(
        st.one_of(
            st.integers().filter(lambda v: v not in item.values),
            st.floats(allow_nan=True).filter(lambda v: not float(v).is_integer()),
            st.sampled_from(["two", "1.5", "", "x"]) if item.required else st.just("two"),
            st.booleans(),
        )
    )
    answers[index] = bad
    with pytest.raises(InvalidInput) as error:
        scale.score(answers)
    assert error.value.field == f"item {item.number}"


@pytest.mark.parametrize("scale", SCALES, ids=IDS)
def test_unknown_item_names_are_refused(scale: ItemScale) -> None:
    answers: dict[str, object] = {item.key: item.values[0] for item in scale.items}
    answers["item_99"] = 1
    with pytest.raises(InvalidInput, match=re.escape(f"is not an item of {scale.name}")) as error:
        scale.score(answers)
    assert error.value.field == "item_99"


def test_the_same_questionnaire_twice_in_a_check_in_is_refused() -> None:
    today = dt.date(2026, 3, 14)
    with pytest.raises(InvalidInput, match="GAD-7 is answered twice") as error:
        prepare_checkin(
            kind=CheckinKind.DAILY,
            checkin_date=today,
            person_today=today,
            responses={"gad7": [0] * 7, "GAD7": [1] * 7},
            doses=[],
            note="",
            rated_by_clinician=False,
        )
    assert error.value.field == "responses.GAD7"


def test_a_check_in_names_the_instrument_and_the_item() -> None:
    today = dt.date(2026, 3, 14)
    with pytest.raises(InvalidInput) as error:
        prepare_checkin(
            kind=CheckinKind.DAILY,
            checkin_date=today,
            person_today=today,
            responses={"gad7": [0, 0, 4, 0, 0, 0, 0]},
            doses=[],
            note="",
            rated_by_clinician=False,
        )
    assert error.value.field == "responses.gad7.item 3"
    assert "out of range (0 to 3)" in error.value.problem
