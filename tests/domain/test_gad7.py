"""GAD-7: a worked example, the item 2 answer-code trap and the optional difficulty item (what
it shares with PHQ-9 and the two-item screens is in test_frequency_scales.py)."""

from __future__ import annotations

from taperline.domain.instruments.base import WordingStatus
from taperline.domain.instruments.gad7 import GAD7


def test_it_scores_a_worked_example_by_summing_the_seven_items() -> None:
    # 2 + 1 + 3 + 0 + 1 + 2 + 0 = 9
    score = GAD7.score([2, 1, 3, 0, 1, 2, 0])
    assert score.total == 9
    assert score.band == "mild"


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
