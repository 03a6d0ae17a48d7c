"""Consensus Sleep Diary: validation and hand-computed derived metrics."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import Rater, WordingStatus
from taperline.domain.instruments.sleep_diary import SLEEP_DIARY


def diary(**changes: Any) -> dict[str, Any]:
    """A normal night; `changes` override fields (a value of ... removes the field)."""
    base: dict[str, Any] = {
        "into_bed": "22:45",
        "tried_to_sleep": "23:00",
        "sleep_onset_minutes": 20,
        "awakenings": 1,
        "awake_minutes": 15,
        "final_awakening": "06:30",
        "out_of_bed": "06:50",
        "quality": 4,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


def test_it_is_a_structured_self_rated_instrument_without_bands() -> None:
    assert SLEEP_DIARY.id == "sleep_diary"
    assert SLEEP_DIARY.structured is True
    assert SLEEP_DIARY.has_bands is False
    assert SLEEP_DIARY.rater is Rater.SELF


def test_it_scores_a_normal_night() -> None:
    # TIB 22:45 -> 06:50 = 485; sleep period 23:00 -> 06:30 = 450; TST 450 - 20 - 15 = 415;
    # SE 415 / 485 = 85.57 -> 85.6; TWT 06:30 -> 06:50 = 20.
    score = SLEEP_DIARY.score(diary())
    assert score.metrics == {
        "time_in_bed": 485,
        "sleep_onset_latency": 20,
        "awakenings": 1,
        "wake_after_sleep_onset": 15,
        "terminal_wakefulness": 20,
        "total_sleep_time": 415,
        "sleep_efficiency": 85.6,
    }
    assert score.total is None
    assert score.band is None
    assert score.instrument_id == "sleep_diary"


@pytest.mark.parametrize(
    ("night", "expected"),
    [
        pytest.param(
            # TIB 01:30 -> 09:00 = 450; sleep period 01:45 -> 08:30 = 405;
            # TST 405 - 30 - 25 = 350; SE 350 / 450 = 77.78 -> 77.8; TWT 08:30 -> 09:00 = 30.
            {
                "into_bed": "01:30",
                "tried_to_sleep": "01:45",
                "sleep_onset_minutes": 30,
                "awakenings": 2,
                "awake_minutes": 25,
                "final_awakening": "08:30",
                "out_of_bed": "09:00",
            },
            {
                "time_in_bed": 450,
                "total_sleep_time": 350,
                "sleep_efficiency": 77.8,
                "terminal_wakefulness": 30,
            },
            id="bedtime after midnight",
        ),
        pytest.param(
            # TIB 08:00 -> 15:00 = 420; sleep period 08:00 -> 14:30 = 390;
            # TST 390 - 10 - 20 = 360; SE 360 / 420 = 85.71 -> 85.7; TWT 30.
            {
                "into_bed": "08:00",
                "tried_to_sleep": "08:00",
                "sleep_onset_minutes": 10,
                "awakenings": 1,
                "awake_minutes": 20,
                "final_awakening": "14:30",
                "out_of_bed": "15:00",
            },
            {
                "time_in_bed": 420,
                "total_sleep_time": 360,
                "sleep_efficiency": 85.7,
                "terminal_wakefulness": 30,
            },
            id="a day sleep that does not cross midnight",
        ),
        pytest.param(
            # TIB 23:00 -> 07:00 = 480; sleep period 23:00 -> 07:00 = 480;
            # TST 480 - 20 - 15 = 445; SE 445 / 480 = 92.71 -> 92.7; TWT 0.
            {
                "into_bed": "23:00",
                "tried_to_sleep": "23:00",
                "final_awakening": "07:00",
                "out_of_bed": "07:00",
            },
            {
                "time_in_bed": 480,
                "total_sleep_time": 445,
                "sleep_efficiency": 92.7,
                "terminal_wakefulness": 0,
            },
            id="tried to sleep may equal into bed",
        ),
    ],
)
def test_it_scores_nights_by_the_clock_across_or_within_midnight(
    night: dict[str, Any], expected: dict[str, float]
) -> None:
    metrics = SLEEP_DIARY.score(diary(**night)).metrics
    assert {name: metrics[name] for name in expected} == expected


def test_it_normalises_answers_and_keeps_comments() -> None:
    score = SLEEP_DIARY.score(
        diary(
            into_bed="6:05",
            tried_to_sleep="6:05",
            final_awakening="13:00",
            out_of_bed="13:10",
            comments=" night shift ",
        )
    )
    assert score.answers["into_bed"] == "06:05"
    assert score.answers["comments"] == "night shift"
    assert score.answers["quality"] == 4


def test_it_rejects_tried_to_sleep_before_into_bed_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(into_bed="23:30", tried_to_sleep="23:00"))
    assert error.value.field == "tried_to_sleep"
    assert error.value.problem == (
        "is 23 h 30 min after into_bed; times must be in order: into bed, tried to sleep, "
        "final awakening, out of bed"
    )


def test_it_rejects_final_awakening_before_trying_to_sleep() -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(final_awakening="22:55"))
    assert error.value.field == "final_awakening"
    assert "after tried_to_sleep" in error.value.problem


def test_it_rejects_out_of_bed_before_final_awakening() -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(out_of_bed="06:00"))
    assert error.value.field == "out_of_bed"
    assert "after final_awakening" in error.value.problem


def test_it_rejects_zero_time_in_bed() -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(
            diary(
                into_bed="23:00",
                tried_to_sleep="23:00",
                final_awakening="23:00",
                out_of_bed="23:00",
                sleep_onset_minutes=0,
                awake_minutes=0,
            )
        )
    assert error.value.field == "out_of_bed"
    assert "more than 0 minutes" in error.value.problem


def test_it_rejects_time_in_bed_of_a_day_or_more() -> None:
    # Each step is under 20 h but together they go round the clock more than once.
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(
            diary(
                into_bed="22:00",
                tried_to_sleep="16:00",
                final_awakening="10:00",
                out_of_bed="04:00",
            )
        )
    assert error.value.field == "out_of_bed"
    assert "under 24 hours" in error.value.problem


def test_it_rejects_awake_minutes_that_do_not_fit_the_night() -> None:
    # Sleep period 23:00 -> 06:30 = 450 min; 20 + 431 = 451 > 450.
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(awake_minutes=431))
    assert error.value.field == "awake_minutes"
    assert error.value.problem == (
        "431 min awake plus 20 min to fall asleep is 451 min, longer than the 450 min between "
        "trying to sleep (23:00) and final awakening (06:30)"
    )


def test_awake_minutes_that_exactly_fill_the_night_give_zero_sleep() -> None:
    score = SLEEP_DIARY.score(diary(awake_minutes=430))
    assert score.metrics["total_sleep_time"] == 0
    assert score.metrics["sleep_efficiency"] == 0.0


def test_it_rejects_sleep_onset_longer_than_the_night() -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(sleep_onset_minutes=451, awake_minutes=0))
    assert error.value.field == "sleep_onset_minutes"
    assert "longer than the 450 min" in error.value.problem


@pytest.mark.parametrize("quality", [0, 6])
def test_it_rejects_quality_outside_1_to_5(quality: int) -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(quality=quality))
    assert error.value.field == "quality"
    assert error.value.problem == f"{quality} is out of range (1 to 5)"


@pytest.mark.parametrize("quality", [1, 5])
def test_it_accepts_quality_at_both_ends(quality: int) -> None:
    assert SLEEP_DIARY.score(diary(quality=quality)).answers["quality"] == quality


@pytest.mark.parametrize("bad", ["25:00", "7pm", "12:60", "2300", "23:5", 2300])
def test_it_rejects_a_bad_clock_time_naming_the_field(bad: object) -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(into_bed=bad))
    assert error.value.field == "into_bed"
    assert "is not a clock time" in error.value.problem


def test_it_rejects_an_empty_clock_time_as_missing() -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(out_of_bed=""))
    assert error.value.field == "out_of_bed"
    assert error.value.problem == "is missing"


@pytest.mark.parametrize(
    "key",
    [
        "into_bed",
        "tried_to_sleep",
        "sleep_onset_minutes",
        "awakenings",
        "awake_minutes",
        "final_awakening",
        "out_of_bed",
        "quality",
    ],
)
def test_it_rejects_a_missing_required_field(key: str) -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(**{key: ...}))
    assert error.value.field == key
    assert error.value.problem == "is missing"


def test_comments_are_optional() -> None:
    assert SLEEP_DIARY.score(diary()).answers["comments"] is None


def test_it_rejects_an_unknown_field() -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(naps=2))
    assert error.value.field == "naps"
    assert error.value.problem == "is not a sleep-diary field"


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (-1, "-1 is out of range (must be 0 or more)"),
        ("x", "'x' is not a whole number"),
        (1.5, "'1.5' is not a whole number"),
        (True, "must be a whole number, not true/false"),
    ],
)
def test_it_rejects_a_bad_number_of_minutes(bad: object, problem: str) -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(diary(sleep_onset_minutes=bad))
    assert error.value.field == "sleep_onset_minutes"
    assert error.value.problem == problem


def test_it_rejects_a_list_instead_of_named_fields() -> None:
    with pytest.raises(InvalidInput) as error:
        SLEEP_DIARY.score(["22:45", "23:00"])
    assert error.value.field == "answers"


def test_items_1_to_4_are_sourced_and_5_to_9_unverified() -> None:
    statuses = {item.number: item.wording for item in SLEEP_DIARY.items}
    assert {statuses[n] for n in range(1, 5)} == {WordingStatus.SOURCED}
    assert {statuses[n] for n in range(5, 10)} == {WordingStatus.UNVERIFIED}
    quality = SLEEP_DIARY.items[7]
    assert [option.label for option in quality.options] == [
        "Very poor",
        "Poor",
        "Fair",
        "Good",
        "Very good",
    ]
    assert {option.wording for option in quality.options} == {WordingStatus.UNVERIFIED}


def test_its_items_carry_the_answer_keys_score_reads() -> None:
    assert [item.key for item in SLEEP_DIARY.items] == [
        "into_bed",
        "tried_to_sleep",
        "sleep_onset_minutes",
        "awakenings",
        "awake_minutes",
        "final_awakening",
        "out_of_bed",
        "quality",
        "comments",
    ]


def _clock(minutes: int) -> str:
    minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def valid_diaries(draw: st.DrawFn) -> dict[str, Any]:
    into_bed = draw(st.integers(0, 1439))
    before_trying = draw(st.integers(0, 180))
    sleep_period = draw(st.integers(1, 16 * 60))
    terminal = draw(st.integers(0, 180))
    sol = draw(st.integers(0, sleep_period))
    waso = draw(st.integers(0, sleep_period - sol))
    return {
        "into_bed": _clock(into_bed),
        "tried_to_sleep": _clock(into_bed + before_trying),
        "sleep_onset_minutes": sol,
        "awakenings": draw(st.integers(0, 20)),
        "awake_minutes": waso,
        "final_awakening": _clock(into_bed + before_trying + sleep_period),
        "out_of_bed": _clock(into_bed + before_trying + sleep_period + terminal),
        "quality": draw(st.integers(1, 5)),
    }


@given(valid_diaries())
def test_any_valid_diary_gives_efficiency_0_to_100_and_sleep_within_time_in_bed(
    answers: dict[str, Any],
) -> None:
    metrics = SLEEP_DIARY.score(answers).metrics
    efficiency = metrics["sleep_efficiency"]
    sleep = metrics["total_sleep_time"]
    in_bed = metrics["time_in_bed"]
    assert efficiency is not None and sleep is not None and in_bed is not None
    assert 0 <= efficiency <= 100
    assert 0 <= sleep <= in_bed
