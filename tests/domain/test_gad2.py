"""GAD-2: GAD-7 items 1-2, positive screen at 3 or more, no LOINC panel or total."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.gad2 import GAD2
from taperline.domain.instruments.gad7 import GAD7


def test_it_reuses_gad7_items_1_and_2() -> None:
    for gad2_item, gad7_item in zip(GAD2.items, GAD7.items[:2], strict=True):
        assert gad2_item.text == gad7_item.text
        assert gad2_item.options == gad7_item.options
        assert gad2_item.loinc == gad7_item.loinc
    assert [item.loinc for item in GAD2.items] == ["69725-0", "68509-9"]


def test_it_has_no_loinc_panel_or_total_and_says_70272_0_is_unverified() -> None:
    assert GAD2.loinc_panel is None
    assert GAD2.loinc_total is None
    assert any("70272-0" in note and "UNVERIFIED" in note for note in GAD2.notes)


def test_it_scores_a_worked_example() -> None:
    score = GAD2.score([2, 2])
    assert (score.total, score.band, score.positive_screen) == (4, "positive screen", True)


def test_all_zero_is_0_and_negative() -> None:
    score = GAD2.score([0, 0])
    assert (score.total, score.band, score.positive_screen) == (0, "negative screen", False)


def test_all_max_is_6_and_positive() -> None:
    score = GAD2.score([3, 3])
    assert (score.total, score.band, score.positive_screen) == (6, "positive screen", True)


@pytest.mark.parametrize("item", [1, 2])
def test_each_item_at_max_with_the_other_at_0_is_a_positive_screen(item: int) -> None:
    answers = [0, 0]
    answers[item - 1] = 3
    score = GAD2.score(answers)
    assert (score.total, score.positive_screen) == (3, True)


def test_a_total_of_2_is_negative_and_3_is_positive() -> None:
    two = GAD2.score([2, 0])
    three = GAD2.score([2, 1])
    assert (two.total, two.band, two.positive_screen) == (2, "negative screen", False)
    assert (three.total, three.band, three.positive_screen) == (3, "positive screen", True)


def test_its_citation_gives_no_unread_pmid_or_doi() -> None:
    assert GAD2.citation.pmid is None
    assert GAD2.citation.doi is None
    assert "Ann Intern Med 2007;146:317-325" in GAD2.citation.text


def test_it_rejects_a_missing_second_answer() -> None:
    with pytest.raises(InvalidInput) as error:
        GAD2.score([1, None])
    assert error.value.field == "item 2"
    assert error.value.problem.startswith("is missing")


def test_it_rejects_too_few_answers() -> None:
    with pytest.raises(InvalidInput) as error:
        GAD2.score([])
    assert error.value.field == "answers"


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
        GAD2.score([0, bad])
    assert error.value.field == "item 2"
    assert error.value.problem == problem


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=2))
def test_any_in_range_answers_score_within_the_range_and_to_a_band(answers: list[int]) -> None:
    score = GAD2.score(answers)
    assert score.total is not None
    assert GAD2.min_total <= score.total <= GAD2.max_total
    assert score.band in {band.label for band in GAD2.bands}
    assert score.positive_screen is (score.total >= 3)
