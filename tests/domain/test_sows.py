"""SOWS: 16 items scored 0-4, total 0-64, no bands, item 16 a local adaptation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import WordingStatus
from taperline.domain.instruments.sows import SOWS


def test_it_has_16_items_scored_0_to_4() -> None:
    assert len(SOWS.items) == 16
    assert all(item.values == (0, 1, 2, 3, 4) for item in SOWS.items)


def test_its_total_range_is_0_to_64() -> None:
    assert (SOWS.min_total, SOWS.max_total) == (0, 64)


def test_it_has_no_bands_so_every_score_has_no_band() -> None:
    assert SOWS.bands == ()
    assert SOWS.has_bands is False
    assert SOWS.score([2] * 16).band is None


def test_it_scores_a_worked_example_by_summing_the_items() -> None:
    # 1+0+2+1+3+0+0+1+1+2+4+0+0+1+2+3 = 21
    answers = [1, 0, 2, 1, 3, 0, 0, 1, 1, 2, 4, 0, 0, 1, 2, 3]
    score = SOWS.score(answers)
    assert score.total == 21
    assert score.band is None


def test_all_zero_is_0() -> None:
    assert SOWS.score([0] * 16).total == 0


def test_all_max_is_64() -> None:
    assert SOWS.score([4] * 16).total == 64


@pytest.mark.parametrize("item", range(1, 17))
def test_each_item_at_max_with_the_others_at_0_scores_4(item: int) -> None:
    answers = [0] * 16
    answers[item - 1] = 4
    assert SOWS.score(answers).total == 4


def test_item_16_is_a_local_adaptation_of_shooting_up() -> None:
    item16 = SOWS.items[15]
    assert item16.text == "I feel like using now."
    assert item16.wording is WordingStatus.LOCAL
    assert "I feel like shooting up now." in item16.note


def test_items_1_to_15_are_marked_unverified() -> None:
    assert all(item.wording is WordingStatus.UNVERIFIED for item in SOWS.items[:15])


def test_only_the_end_anchors_are_sourced() -> None:
    statuses = {option.value: option.wording for option in SOWS.items[0].options}
    assert statuses[0] is WordingStatus.SOURCED
    assert statuses[4] is WordingStatus.SOURCED
    assert {statuses[1], statuses[2], statuses[3]} == {WordingStatus.UNVERIFIED}
    assert SOWS.items[0].option(0).label == "Not at all"
    assert SOWS.items[0].option(4).label == "Extremely"


def test_it_has_no_loinc_code() -> None:
    assert SOWS.loinc_panel is None
    assert SOWS.loinc_total is None
    assert all(item.loinc is None for item in SOWS.items)


def test_its_citation_marks_pmid_and_doi_unverified() -> None:
    assert SOWS.citation.pmid == "3687892"
    assert "UNVERIFIED" in SOWS.citation.note
    assert "3687892" in SOWS.citation.note


def test_its_notes_say_off_label_for_kratom_and_licence_uncertain() -> None:
    notes = " ".join(SOWS.notes)
    assert "off-label for kratom" in notes
    assert "Licence uncertain" in notes
    assert "UNVERIFIED" in SOWS.licence


def test_it_rejects_15_answers() -> None:
    with pytest.raises(InvalidInput) as error:
        SOWS.score([0] * 15)
    assert error.value.field == "answers"
    assert "item 16 onward is missing" in error.value.problem


def test_it_rejects_none_in_a_required_slot() -> None:
    answers: list[int | None] = [0] * 16
    answers[2] = None
    with pytest.raises(InvalidInput) as error:
        SOWS.score(answers)
    assert error.value.field == "item 3"
    assert error.value.problem.startswith("is missing")


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (-1, "-1 is out of range (0 to 4)"),
        (5, "5 is out of range (0 to 4)"),
        ("x", "'x' is not a whole number"),
        (1.5, "'1.5' is not a whole number"),
        (True, "must be a whole number, not true/false"),
    ],
)
def test_it_rejects_answer_out_of_range_naming_the_item(bad: object, problem: str) -> None:
    answers: list[object] = [0] * 16
    answers[2] = bad
    with pytest.raises(InvalidInput) as error:
        SOWS.score(answers)
    assert error.value.field == "item 3"
    assert error.value.problem == problem


@given(st.lists(st.integers(min_value=0, max_value=4), min_size=16, max_size=16))
def test_any_in_range_answers_score_within_0_to_64_with_no_band(answers: list[int]) -> None:
    score = SOWS.score(answers)
    assert score.total == sum(answers)
    assert 0 <= score.total <= 64
    assert score.band is None
