"""What GAD-7, PHQ-9 and their two-item screens (GAD-2, PHQ-2) share: items answered 0 to 3,
scored by summing, every band boundary, and answers checked item by item."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import ItemScale
from taperline.domain.instruments.gad2 import GAD2
from taperline.domain.instruments.gad7 import GAD7
from taperline.domain.instruments.phq2 import PHQ2
from taperline.domain.instruments.phq9 import PHQ9

SCALES = [GAD7, PHQ9, GAD2, PHQ2]
SCREENS = [GAD2, PHQ2]


def _id(value: object) -> str | None:
    return value.id if isinstance(value, ItemScale) else None


def answers_with_total(total: int, count: int, fill: int) -> list[int]:
    """`count` answers summing to `total`, filled from item 1 up to item `fill`."""
    values = [0] * count
    remaining = total
    for index in range(fill):
        values[index] = min(3, remaining)
        remaining -= values[index]
    assert remaining == 0
    return values


@pytest.mark.parametrize(
    ("scale", "low", "high", "lowest", "highest"),
    [
        (GAD7, 0, 21, "minimal", "severe"),
        (PHQ9, 0, 27, "none-minimal", "severe"),
        (GAD2, 0, 6, "negative screen", "positive screen"),
        (PHQ2, 0, 6, "negative screen", "positive screen"),
    ],
    ids=_id,
)
def test_all_zero_and_all_max_score_the_ends_of_the_range(
    scale: ItemScale, low: int, high: int, lowest: str, highest: str
) -> None:
    items = len(scale.scored_items)
    none = scale.score([0] * items)
    assert (none.total, none.band) == (low, lowest)
    most = scale.score([3] * items)
    assert (most.total, most.band) == (high, highest)
    assert (scale.min_total, scale.max_total) == (low, high)


@pytest.mark.parametrize(
    ("scale", "item"),
    [(scale, item) for scale in SCALES for item in range(1, len(scale.scored_items) + 1)],
    ids=_id,
)
def test_each_item_at_max_with_the_others_at_0_scores_3(scale: ItemScale, item: int) -> None:
    answers = [0] * len(scale.scored_items)
    answers[item - 1] = 3
    assert scale.score(answers).total == 3


@pytest.mark.parametrize(
    ("scale", "fill", "total", "band"),
    [
        (GAD7, 7, 0, "minimal"),
        (GAD7, 7, 4, "minimal"),
        (GAD7, 7, 5, "mild"),
        (GAD7, 7, 9, "mild"),
        (GAD7, 7, 10, "moderate"),
        (GAD7, 7, 14, "moderate"),
        (GAD7, 7, 15, "severe"),
        (GAD7, 7, 21, "severe"),
        # PHQ-9 with item 9 (the safety item) at 0
        (PHQ9, 8, 0, "none-minimal"),
        (PHQ9, 8, 4, "none-minimal"),
        (PHQ9, 8, 5, "mild"),
        (PHQ9, 8, 9, "mild"),
        (PHQ9, 8, 10, "moderate"),
        (PHQ9, 8, 14, "moderate"),
        (PHQ9, 8, 15, "moderately severe"),
        (PHQ9, 8, 19, "moderately severe"),
        (PHQ9, 8, 20, "severe"),
        (PHQ9, 8, 24, "severe"),
    ],
    ids=_id,
)
def test_it_puts_each_side_of_every_cut_point_in_the_right_band(
    scale: ItemScale, fill: int, total: int, band: str
) -> None:
    score = scale.score(answers_with_total(total, len(scale.scored_items), fill))
    assert (score.total, score.band) == (total, band)


@pytest.mark.parametrize(
    ("screen", "answers", "total", "band", "positive"),
    [
        (GAD2, [2, 2], 4, "positive screen", True),
        (PHQ2, [1, 2], 3, "positive screen", True),
        (GAD2, [0, 0], 0, "negative screen", False),
        (PHQ2, [0, 0], 0, "negative screen", False),
        (GAD2, [3, 3], 6, "positive screen", True),
        (PHQ2, [3, 3], 6, "positive screen", True),
        (GAD2, [3, 0], 3, "positive screen", True),
        (GAD2, [0, 3], 3, "positive screen", True),
        (PHQ2, [3, 0], 3, "positive screen", True),
        (PHQ2, [0, 3], 3, "positive screen", True),
        # a total of 2 is negative and 3 is positive
        (GAD2, [2, 0], 2, "negative screen", False),
        (GAD2, [2, 1], 3, "positive screen", True),
        (PHQ2, [1, 1], 2, "negative screen", False),
        (PHQ2, [2, 1], 3, "positive screen", True),
    ],
    ids=_id,
)
def test_a_screen_is_positive_at_a_total_of_3_or_more(
    screen: ItemScale, answers: list[int], total: int, band: str, positive: bool
) -> None:
    score = screen.score(answers)
    assert (score.total, score.band, score.positive_screen) == (total, band, positive)


@pytest.mark.parametrize(
    ("scale", "given"), [(GAD7, 6), (PHQ9, 8), (GAD2, 0), (GAD2, 1), (PHQ2, 1)], ids=_id
)
def test_it_rejects_too_few_answers_naming_where_they_stop(scale: ItemScale, given: int) -> None:
    with pytest.raises(InvalidInput) as error:
        scale.score([0] * given)
    assert error.value.field == "answers"
    assert f"item {given + 1} onward is missing" in error.value.problem


# The item each scale's tests put a bad answer in.
BAD_ITEMS = [(GAD7, 3), (PHQ9, 3), (GAD2, 2), (PHQ2, 1), (PHQ2, 2)]


@pytest.mark.parametrize(("scale", "item"), BAD_ITEMS, ids=_id)
def test_it_rejects_none_in_a_required_slot_naming_the_item(scale: ItemScale, item: int) -> None:
    answers: list[int | None] = [0] * len(scale.scored_items)
    answers[item - 1] = None
    with pytest.raises(InvalidInput) as error:
        scale.score(answers)
    assert error.value.field == f"item {item}"
    assert error.value.problem.startswith("is missing")


@pytest.mark.parametrize(("scale", "item"), BAD_ITEMS, ids=_id)
@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (-1, "-1 is out of range (0 to 3)"),
        (4, "4 is out of range (0 to 3)"),
        ("x", "'x' is not a whole number"),
        (1.5, "'1.5' is not a whole number"),
        (True, "must be a whole number, not true/false"),
    ],
)
def test_it_rejects_answer_out_of_range_naming_the_item(
    scale: ItemScale, item: int, bad: object, problem: str
) -> None:
    answers: list[object] = [0] * len(scale.scored_items)
    answers[item - 1] = bad
    with pytest.raises(InvalidInput) as error:
        scale.score(answers)
    assert error.value.field == f"item {item}"
    assert error.value.problem == problem


@pytest.mark.parametrize("scale", SCALES, ids=_id)
@given(data=st.data())
def test_any_in_range_answers_score_within_the_range_and_to_a_band(
    scale: ItemScale, data: st.DataObject
) -> None:
    items = len(scale.scored_items)
    answers = data.draw(st.lists(st.integers(0, 3), min_size=items, max_size=items))
    score = scale.score(answers)
    assert score.total is not None
    assert scale.min_total <= score.total <= scale.max_total
    assert score.band in {band.label for band in scale.bands}


@pytest.mark.parametrize("screen", SCREENS, ids=_id)
@given(answers=st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=2))
def test_any_in_range_answers_screen_positive_exactly_at_3_or_more(
    screen: ItemScale, answers: list[int]
) -> None:
    score = screen.score(answers)
    assert score.total is not None
    assert score.positive_screen is (score.total >= 3)
