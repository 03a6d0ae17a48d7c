"""PHQ-2: items 1-2 of the PHQ-9, positive screen at 3 or more."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.phq2 import PHQ2
from taperline.domain.instruments.phq9 import PHQ9


def test_it_reuses_phq9_items_1_and_2_with_their_wording_options_and_loinc_codes() -> None:
    for phq2_item, phq9_item in zip(PHQ2.items, PHQ9.items[:2], strict=True):
        assert phq2_item.text == phq9_item.text
        assert phq2_item.options == phq9_item.options
        assert phq2_item.loinc == phq9_item.loinc
    assert [item.loinc for item in PHQ2.items] == ["44250-9", "44255-8"]


def test_its_panel_is_55757_9_and_its_total_55758_7() -> None:
    assert PHQ2.loinc_panel == "55757-9"
    assert PHQ2.loinc_total == "55758-7"


def test_it_scores_a_worked_example() -> None:
    score = PHQ2.score([1, 2])
    assert score.total == 3
    assert score.band == "positive screen"
    assert score.positive_screen is True


def test_all_zero_is_0_and_a_negative_screen() -> None:
    score = PHQ2.score([0, 0])
    assert score.total == 0
    assert score.band == "negative screen"
    assert score.positive_screen is False


def test_all_max_is_6_and_a_positive_screen() -> None:
    score = PHQ2.score([3, 3])
    assert score.total == 6
    assert score.band == "positive screen"
    assert score.positive_screen is True


@pytest.mark.parametrize("item", [1, 2])
def test_each_item_at_max_with_the_other_at_0_is_a_positive_screen(item: int) -> None:
    answers = [0, 0]
    answers[item - 1] = 3
    score = PHQ2.score(answers)
    assert score.total == 3
    assert score.positive_screen is True


def test_a_total_of_2_is_negative_and_3_is_positive() -> None:
    two = PHQ2.score([1, 1])
    three = PHQ2.score([2, 1])
    assert (two.total, two.band, two.positive_screen) == (2, "negative screen", False)
    assert (three.total, three.band, three.positive_screen) == (3, "positive screen", True)


def test_it_has_no_safety_item_and_says_the_full_phq9_is_needed_weekly() -> None:
    assert PHQ2.safety_items == ()
    assert any("item 9" in note and "weekly" in note for note in PHQ2.notes)


def test_it_rejects_a_single_answer() -> None:
    with pytest.raises(InvalidInput) as error:
        PHQ2.score([1])
    assert error.value.field == "answers"
    assert "item 2 onward is missing" in error.value.problem


def test_it_rejects_none_in_a_required_slot() -> None:
    with pytest.raises(InvalidInput) as error:
        PHQ2.score([1, None])
    assert error.value.field == "item 2"
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
    with pytest.raises(InvalidInput) as error:
        PHQ2.score([bad, 0])
    assert error.value.field == "item 1"
    assert error.value.problem == problem


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=2))
def test_any_in_range_answers_score_within_the_range_and_to_a_band(answers: list[int]) -> None:
    score = PHQ2.score(answers)
    assert score.total is not None
    assert PHQ2.min_total <= score.total <= PHQ2.max_total
    assert score.band in {band.label for band in PHQ2.bands}
    assert score.positive_screen is (score.total >= 3)
