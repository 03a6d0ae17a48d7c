"""Daily craving: a local 0-10 rating for kratom and for opioids; the total is the stronger."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import TotalRule, WordingStatus
from taperline.domain.instruments.craving import CRAVING


def test_it_asks_about_kratom_and_opioids_in_the_past_24_hours() -> None:
    assert [item.text for item in CRAVING.items] == [
        "How strong has your craving for kratom been in the past 24 hours?",
        "How strong has your craving for opioids been in the past 24 hours?",
    ]


def test_each_item_runs_0_none_to_10_extreme_with_plain_numbers_between() -> None:
    for item in CRAVING.items:
        assert item.values == tuple(range(11))
        assert item.option(0).label == "None"
        assert item.option(10).label == "Extreme"
        assert [item.option(n).label for n in range(1, 10)] == [str(n) for n in range(1, 10)]


def test_its_wording_is_marked_local_not_validated() -> None:
    assert all(item.wording is WordingStatus.LOCAL for item in CRAVING.items)
    notes = " ".join(CRAVING.notes)
    assert "not a published validated item" in notes
    assert "no norms or thresholds" in notes
    assert "within-person trend" in notes


def test_its_total_is_the_strongest_craving() -> None:
    assert CRAVING.total_rule is TotalRule.MAX
    assert CRAVING.total_label == "Strongest craving"


@pytest.mark.parametrize(
    ("kratom", "opioids", "strongest"),
    [(3, 7, 7), (8, 2, 8), (5, 5, 5), (0, 0, 0), (10, 10, 10), (10, 0, 10), (0, 10, 10)],
)
def test_the_total_is_the_max_of_the_two(kratom: int, opioids: int, strongest: int) -> None:
    score = CRAVING.score([kratom, opioids])
    assert score.total == strongest
    assert score.answers == {"craving_kratom": kratom, "craving_opioids": opioids}


def test_it_has_no_bands() -> None:
    assert CRAVING.bands == ()
    assert CRAVING.score([4, 9]).band is None


def test_its_range_is_0_to_10() -> None:
    assert (CRAVING.min_total, CRAVING.max_total) == (0, 10)


def test_its_citation_is_the_2019_scoping_review() -> None:
    assert CRAVING.citation.doi == "10.1016/j.drugalcdep.2019.107639"
    assert "VAS" in CRAVING.citation.note


def test_it_rejects_a_missing_opioid_rating() -> None:
    with pytest.raises(InvalidInput) as error:
        CRAVING.score([3])
    assert error.value.field == "answers"
    assert "item 2 onward is missing" in error.value.problem


def test_it_rejects_none_for_a_rating() -> None:
    with pytest.raises(InvalidInput) as error:
        CRAVING.score([None, 3])
    assert error.value.field == "item 1"
    assert error.value.problem.startswith("is missing")


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (-1, "-1 is out of range (0 to 10)"),
        (11, "11 is out of range (0 to 10)"),
        ("x", "'x' is not a whole number"),
        (1.5, "'1.5' is not a whole number"),
        (True, "must be a whole number, not true/false"),
    ],
)
def test_it_rejects_answer_out_of_range_naming_the_item(bad: object, problem: str) -> None:
    with pytest.raises(InvalidInput) as error:
        CRAVING.score([0, bad])
    assert error.value.field == "item 2"
    assert error.value.problem == problem


@given(st.integers(min_value=0, max_value=10), st.integers(min_value=0, max_value=10))
def test_any_in_range_ratings_give_the_stronger_one_and_no_band(kratom: int, opioids: int) -> None:
    score = CRAVING.score([kratom, opioids])
    assert score.total == max(kratom, opioids)
    assert CRAVING.min_total <= score.total <= CRAVING.max_total
    assert score.band is None
