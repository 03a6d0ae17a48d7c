"""PHQ-9: totals, every band boundary, item 9 safety flag, and answer validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.phq9 import PHQ9

ITEM9_FLAG = "phq9.item9_positive"


def answers_with_total(total: int) -> list[int]:
    """Nine answers summing to `total`, with item 9 at 0, filled from item 1."""
    values = [0] * 9
    remaining = total
    for index in range(8):
        values[index] = min(3, remaining)
        remaining -= values[index]
    assert remaining == 0
    return values


def test_it_scores_a_worked_example_by_summing_items_1_to_9() -> None:
    # 1 + 2 + 0 + 3 + 1 + 0 + 2 + 1 + 0 = 10
    score = PHQ9.score([1, 2, 0, 3, 1, 0, 2, 1, 0])
    assert score.total == 10
    assert score.band == "moderate"
    assert score.flags == ()
    assert score.instrument_id == "phq9"


def test_it_scores_all_zero_as_0_none_minimal() -> None:
    score = PHQ9.score([0] * 9)
    assert score.total == 0
    assert score.band == "none-minimal"


def test_it_scores_all_max_as_27_severe() -> None:
    score = PHQ9.score([3] * 9)
    assert score.total == 27
    assert score.band == "severe"


@pytest.mark.parametrize("item", range(1, 10))
def test_each_item_at_max_with_the_others_at_0_scores_3(item: int) -> None:
    answers = [0] * 9
    answers[item - 1] = 3
    assert PHQ9.score(answers).total == 3


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none-minimal"),
        (4, "none-minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_it_puts_each_side_of_every_cut_point_in_the_right_band(total: int, band: str) -> None:
    score = PHQ9.score(answers_with_total(total))
    assert score.total == total
    assert score.band == band


def test_the_range_is_0_to_27() -> None:
    assert (PHQ9.min_total, PHQ9.max_total) == (0, 27)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_a_non_zero_item_9_sets_the_safety_flag_even_with_a_low_total(item9: int) -> None:
    score = PHQ9.score([0] * 8 + [item9])
    assert ITEM9_FLAG in score.flags
    assert score.band == "none-minimal"


def test_item_9_at_0_does_not_set_the_safety_flag_even_with_a_high_total() -> None:
    score = PHQ9.score([3] * 8 + [0])
    assert score.total == 24
    assert score.band == "severe"
    assert ITEM9_FLAG not in score.flags


def test_it_accepts_the_optional_difficulty_item_without_scoring_it() -> None:
    score = PHQ9.score([1] * 9 + [3])
    assert score.total == 9
    assert score.answers["phq9_difficulty"] == 3


def test_it_accepts_answers_keyed_by_item_key() -> None:
    answers = {f"phq9_{n}": 1 for n in range(1, 10)}
    assert PHQ9.score(answers).total == 9


def test_it_rejects_too_few_answers_naming_where_they_stop() -> None:
    with pytest.raises(InvalidInput) as error:
        PHQ9.score([0] * 8)
    assert error.value.field == "answers"
    assert "item 9 onward is missing" in error.value.problem


def test_it_rejects_too_many_answers() -> None:
    with pytest.raises(InvalidInput) as error:
        PHQ9.score([0] * 11)
    assert error.value.field == "answers"
    assert "10 items but 11 answers" in error.value.problem


def test_it_rejects_none_in_a_required_slot_naming_the_item() -> None:
    answers: list[int | None] = [0] * 9
    answers[2] = None
    with pytest.raises(InvalidInput) as error:
        PHQ9.score(answers)
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
    answers: list[object] = [0] * 9
    answers[2] = bad
    with pytest.raises(InvalidInput) as error:
        PHQ9.score(answers)
    assert error.value.field == "item 3"
    assert error.value.problem == problem


def test_it_rejects_a_string_instead_of_a_list_of_answers() -> None:
    with pytest.raises(InvalidInput) as error:
        PHQ9.score("000000000")
    assert error.value.field == "answers"


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9))
def test_any_in_range_answers_score_within_the_range_and_to_a_band(answers: list[int]) -> None:
    score = PHQ9.score(answers)
    assert score.total is not None
    assert PHQ9.min_total <= score.total <= PHQ9.max_total
    assert score.band in {band.label for band in PHQ9.bands}
    assert (ITEM9_FLAG in score.flags) == (answers[8] >= 1)
