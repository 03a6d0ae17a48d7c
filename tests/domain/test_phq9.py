"""PHQ-9: a worked example, the item 9 safety flag, the difficulty item, keyed answers, and what
only it refuses (what it shares with GAD-7 and the two-item screens is in
test_frequency_scales.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.phq9 import PHQ9

ITEM9_FLAG = "phq9.item9_positive"


def test_it_scores_a_worked_example_by_summing_items_1_to_9() -> None:
    # 1 + 2 + 0 + 3 + 1 + 0 + 2 + 1 + 0 = 10
    score = PHQ9.score([1, 2, 0, 3, 1, 0, 2, 1, 0])
    assert score.total == 10
    assert score.band == "moderate"
    assert score.flags == ()
    assert score.instrument_id == "phq9"


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


def test_it_rejects_too_many_answers() -> None:
    with pytest.raises(InvalidInput) as error:
        PHQ9.score([0] * 11)
    assert error.value.field == "answers"
    assert "10 items but 11 answers" in error.value.problem


def test_it_rejects_a_string_instead_of_a_list_of_answers() -> None:
    with pytest.raises(InvalidInput) as error:
        PHQ9.score("000000000")
    assert error.value.field == "answers"


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9))
def test_any_in_range_answers_set_the_safety_flag_exactly_when_item_9_is_not_0(
    answers: list[int],
) -> None:
    score = PHQ9.score(answers)
    assert (ITEM9_FLAG in score.flags) == (answers[8] >= 1)
