"""COWS: clinician-rated, non-contiguous anchor points, bands at 5/13/25/37."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import Rater
from taperline.domain.instruments.cows import COWS

# The anchor points of each item, from shared/clinical/instruments.md §2.
POINTS = {
    1: (0, 1, 2, 4),
    2: (0, 1, 2, 3, 4),
    3: (0, 1, 3, 5),
    4: (0, 1, 2, 5),
    5: (0, 1, 2, 4),
    6: (0, 1, 2, 4),
    7: (0, 1, 2, 3, 5),
    8: (0, 1, 2, 4),
    9: (0, 1, 2, 4),
    10: (0, 1, 2, 4),
    11: (0, 3, 5),
}
MAXIMA = [max(POINTS[n]) for n in range(1, 12)]  # 4,4,5,5,4,4,5,4,4,4,5 = 48


def answers_with_total(total: int) -> list[int]:
    """Eleven valid anchor points summing to `total` (greedy, largest anchors first)."""
    values = [0] * 11
    remaining = total
    for index in range(11):
        for point in sorted(POINTS[index + 1], reverse=True):
            if point <= remaining:
                values[index] = point
                remaining -= point
                break
    assert remaining == 0, f"could not build a total of {total}"
    return values


def test_it_is_rated_by_a_clinician() -> None:
    assert COWS.rater is Rater.CLINICIAN


def test_each_item_accepts_exactly_its_published_anchor_points() -> None:
    assert {item.number: item.values for item in COWS.items} == POINTS


def test_each_anchor_carries_its_published_wording() -> None:
    assert COWS.items[0].option(4).label == "pulse rate greater than 120"
    assert COWS.items[2].option(5).label == "unable to sit still for more than a few seconds"
    assert COWS.items[3].option(5).label == (
        "pupils so dilated that only the rim of the iris is visible"
    )
    assert COWS.items[10].option(3).label == (
        "piloerection of skin can be felt or hairs standing up on arms"
    )
    assert COWS.items[10].option(5).label == "prominent piloerection"


def test_its_range_is_0_to_48() -> None:
    assert (COWS.min_total, COWS.max_total) == (0, 48)


def test_it_scores_a_worked_example() -> None:
    # pulse 1 + sweat 2 + restless 3 + pupils 1 + aches 2 + nose 1 + GI 2 + tremor 1
    # + yawning 1 + anxiety 2 + gooseflesh 0 = 16
    score = COWS.score([1, 2, 3, 1, 2, 1, 2, 1, 1, 2, 0])
    assert score.total == 16
    assert score.band == "moderate"


def test_all_zero_is_0_and_no_clinically_relevant_withdrawal() -> None:
    score = COWS.score([0] * 11)
    assert (score.total, score.band) == (0, "no clinically relevant withdrawal")


def test_all_max_is_48_severe() -> None:
    score = COWS.score(MAXIMA)
    assert (score.total, score.band) == (48, "severe")


@pytest.mark.parametrize("item", range(1, 12))
def test_each_item_at_its_max_with_the_others_at_0_scores_that_max(item: int) -> None:
    answers = [0] * 11
    answers[item - 1] = MAXIMA[item - 1]
    assert COWS.score(answers).total == MAXIMA[item - 1]


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "no clinically relevant withdrawal"),
        (4, "no clinically relevant withdrawal"),
        (5, "mild"),
        (12, "mild"),
        (13, "moderate"),
        (24, "moderate"),
        (25, "moderately severe"),
        (36, "moderately severe"),
        (37, "severe"),
        (48, "severe"),
    ],
)
def test_it_puts_each_side_of_every_cut_point_in_the_right_band(total: int, band: str) -> None:
    answers = answers_with_total(total)
    score = COWS.score(answers)
    assert (score.total, score.band) == (total, band)


def test_the_bands_are_not_shifted_by_one_step() -> None:
    assert COWS.band_for(4) != "mild"
    assert COWS.band_for(12) == "mild"
    assert COWS.band_for(24) == "moderate"


def test_it_has_no_loinc_code_and_warns_that_72514_3_is_a_pain_score() -> None:
    assert COWS.loinc_panel is None
    assert COWS.loinc_total is None
    assert all(item.loinc is None for item in COWS.items)
    assert any("72514-3" in note and "pain" in note for note in COWS.notes)


def test_its_citation_has_pmid_and_doi() -> None:
    assert COWS.citation.pmid == "12924748"
    assert COWS.citation.doi == "10.1080/02791072.2003.10400007"


@pytest.mark.parametrize(
    ("item", "bad", "allowed"),
    [
        (1, 3, "(0, 1, 2, 4)"),
        (3, 2, "(0, 1, 3, 5)"),
        (3, 4, "(0, 1, 3, 5)"),
        (4, 3, "(0, 1, 2, 5)"),
        (7, 4, "(0, 1, 2, 3, 5)"),
        (11, 1, "(0, 3, 5)"),
        (11, 4, "(0, 3, 5)"),
    ],
)
def test_it_rejects_a_value_that_is_not_one_of_the_items_anchors(
    item: int, bad: int, allowed: str
) -> None:
    answers = [0] * 11
    answers[item - 1] = bad
    with pytest.raises(InvalidInput) as error:
        COWS.score(answers)
    assert error.value.field == f"item {item}"
    assert error.value.problem == f"{bad} is not one of this item's points {allowed}"


def test_it_rejects_too_few_answers() -> None:
    with pytest.raises(InvalidInput) as error:
        COWS.score([0] * 10)
    assert error.value.field == "answers"
    assert "item 11 onward is missing" in error.value.problem


def test_it_rejects_none_in_a_required_slot() -> None:
    answers: list[int | None] = [0] * 11
    answers[2] = None
    with pytest.raises(InvalidInput) as error:
        COWS.score(answers)
    assert error.value.field == "item 3"
    assert error.value.problem.startswith("is missing")


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (-1, "-1 is not one of this item's points (0, 1, 3, 5)"),
        (6, "6 is not one of this item's points (0, 1, 3, 5)"),
        ("x", "'x' is not a whole number"),
        (1.5, "'1.5' is not a whole number"),
        (True, "must be a whole number, not true/false"),
    ],
)
def test_it_rejects_answer_out_of_range_naming_the_item(bad: object, problem: str) -> None:
    answers: list[object] = [0] * 11
    answers[2] = bad
    with pytest.raises(InvalidInput) as error:
        COWS.score(answers)
    assert error.value.field == "item 3"
    assert error.value.problem == problem


@given(st.tuples(*(st.sampled_from(POINTS[n]) for n in range(1, 12))))
def test_any_valid_anchor_points_score_within_the_range_and_to_a_band(
    answers: tuple[int, ...],
) -> None:
    score = COWS.score(list(answers))
    assert score.total == sum(answers)
    assert 0 <= score.total <= 48
    assert score.band in {band.label for band in COWS.bands}
