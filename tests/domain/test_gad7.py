"""GAD-7: totals, every band boundary, the item 2 answer-code trap, and validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import WordingStatus
from taperline.domain.instruments.gad7 import GAD7


def answers_with_total(total: int) -> list[int]:
    values = [0] * 7
    remaining = total
    for index in range(7):
        values[index] = min(3, remaining)
        remaining -= values[index]
    assert remaining == 0
    return values


def test_it_scores_a_worked_example_by_summing_the_seven_items() -> None:
    # 2 + 1 + 3 + 0 + 1 + 2 + 0 = 9
    score = GAD7.score([2, 1, 3, 0, 1, 2, 0])
    assert score.total == 9
    assert score.band == "mild"


def test_all_zero_is_0_minimal() -> None:
    score = GAD7.score([0] * 7)
    assert (score.total, score.band) == (0, "minimal")


def test_all_max_is_21_severe() -> None:
    score = GAD7.score([3] * 7)
    assert (score.total, score.band) == (21, "severe")


@pytest.mark.parametrize("item", range(1, 8))
def test_each_item_at_max_with_the_others_at_0_scores_3(item: int) -> None:
    answers = [0] * 7
    answers[item - 1] = 3
    assert GAD7.score(answers).total == 3


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_it_puts_each_side_of_every_cut_point_in_the_right_band(total: int, band: str) -> None:
    score = GAD7.score(answers_with_total(total))
    assert (score.total, score.band) == (total, band)


def test_item_2_option_2_is_shown_as_more_than_half_the_days_but_coded_la18938_3() -> None:
    item2 = GAD7.items[1]
    option = item2.option(2)
    assert option.label == "More than half the days"
    assert option.loinc == "LA18938-3"
    assert "More days than not" in item2.note
    assert "LA18938-3" in item2.note


def test_the_other_items_use_la6570_1_for_option_2() -> None:
    for item in GAD7.scored_items:
        if item.number != 2:
            assert item.option(2).loinc == "LA6570-1"


def test_the_optional_difficulty_item_is_unscored_and_has_no_loinc_code() -> None:
    difficulty = GAD7.items[-1]
    assert difficulty.scored is False
    assert difficulty.required is False
    assert difficulty.loinc is None
    assert difficulty.wording is WordingStatus.UNVERIFIED
    assert "UNVERIFIED" in difficulty.note
    score = GAD7.score([1] * 7 + [2])
    assert score.total == 7


def test_it_rejects_too_few_answers() -> None:
    with pytest.raises(InvalidInput) as error:
        GAD7.score([0] * 6)
    assert error.value.field == "answers"
    assert "item 7 onward is missing" in error.value.problem


def test_it_rejects_none_in_a_required_slot() -> None:
    answers: list[int | None] = [0] * 7
    answers[2] = None
    with pytest.raises(InvalidInput) as error:
        GAD7.score(answers)
    assert error.value.field == "item 3"
    assert error.value.problem.startswith("is missing")


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
def test_it_rejects_answer_out_of_range_naming_the_item(bad: object, problem: str) -> None:
    answers: list[object] = [0] * 7
    answers[2] = bad
    with pytest.raises(InvalidInput) as error:
        GAD7.score(answers)
    assert error.value.field == "item 3"
    assert error.value.problem == problem


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=7, max_size=7))
def test_any_in_range_answers_score_within_the_range_and_to_a_band(answers: list[int]) -> None:
    score = GAD7.score(answers)
    assert score.total is not None
    assert GAD7.min_total <= score.total <= GAD7.max_total
    assert score.band in {band.label for band in GAD7.bands}
