"""Progress analytics on constructed series whose right answers are known."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from taperline.domain.adherence import DayLog
from taperline.domain.doses import make_dose
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.sleep_diary import SLEEP_DIARY
from taperline.domain.plans import PlanContent
from taperline.domain.progress import nof1, overview, risk, series
from taperline.domain.progress.series import Day, Response
from taperline.domain.taper import DoseTime, Method, TaperParams
from taperline.domain.units import Amount

START = dt.date(2026, 3, 2)


def on(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def day(
    offset: int, step: int | None = None, checked_in: bool = True, **values: float | None
) -> Day:
    full: dict[str, float | None] = {m.id: None for m in series.METRICS}
    full.update(values)
    return Day(on(offset), checked_in, step, full)


# --- series: sleep metrics against hand-computed diaries -------------------------------------

DIARIES: list[tuple[dict[str, object], dict[str, float]]] = [
    # into bed 22:30, tried 23:00, 30 min to fall asleep, 20 min awake, woke 06:30, up 07:00:
    # TIB 510, sleep period 450, TST 450-30-20 = 400, SE 400/510 = 78.4%
    (
        {
            "into_bed": "22:30",
            "tried_to_sleep": "23:00",
            "sleep_onset_minutes": 30,
            "awakenings": 2,
            "awake_minutes": 20,
            "final_awakening": "06:30",
            "out_of_bed": "07:00",
            "quality": 3,
        },
        {
            "total_sleep_time": 400,
            "sleep_efficiency": 78.4,
            "sleep_onset_latency": 30,
            "wake_after_sleep_onset": 20,
            "sleep_quality": 3,
        },
    ),
    # into bed 01:30 (after midnight), tried 01:30, 10 min, 0 awake, woke 08:30, up 08:30:
    # TIB 420, TST 420-10 = 410, SE 97.6%
    (
        {
            "into_bed": "01:30",
            "tried_to_sleep": "01:30",
            "sleep_onset_minutes": 10,
            "awakenings": 0,
            "awake_minutes": 0,
            "final_awakening": "08:30",
            "out_of_bed": "08:30",
            "quality": 5,
        },
        {
            "total_sleep_time": 410,
            "sleep_efficiency": 97.6,
            "sleep_onset_latency": 10,
            "wake_after_sleep_onset": 0,
            "sleep_quality": 5,
        },
    ),
]


def diary_response(date: dt.date, answers: Mapping[str, object]) -> Response:
    scored = SLEEP_DIARY.score(answers)
    return Response(date, "daily", "sleep_diary", None, scored.metrics, scored.answers)


def test_sleep_values_are_the_diarys_metrics_on_the_morning_they_describe() -> None:
    responses = [diary_response(on(1), DIARIES[0][0]), diary_response(on(3), DIARIES[1][0])]
    logs = {on(i): DayLog(on(i), True) for i in (1, 3)}
    built = series.build(on(0), on(13), logs, responses, None)
    assert [d.date for d in built.days] == [on(i) for i in range(14)]
    for offset, (_, expected) in zip((1, 3), DIARIES, strict=True):
        got = {k: built.days[offset].get(k) for k in expected}
        assert got == pytest.approx(expected)
    # a day without a diary is a gap, never zero
    assert built.days[2].get("sleep_efficiency") is None
    assert built.days[0].checked_in is False and built.days[0].get("exercise_minutes") is None
    week = built.weeks["sleep_efficiency"]
    assert week[0].days_reported == 2 and week[1].days_reported == 0
    assert week[0].mean == pytest.approx((78.4 + 97.6) / 2)
    assert (week[0].low, week[0].high) == (78.4, 97.6)
    assert week[1].mean is None


def test_weekly_summaries_and_change_since_start_and_last_visit() -> None:
    # SOWS 20 every day of week 1, 10 every day of week 3; a visit (COWS 8) on day 13.
    responses = [Response(on(i), "daily", "sows", 20, {}) for i in range(7)]
    responses += [Response(on(i), "daily", "sows", 10, {}) for i in range(14, 21)]
    responses += [Response(on(i), "daily", "sows", 16, {}) for i in range(7, 14)]
    responses.append(Response(on(13), "visit", "cows", 8, {}))
    logs = {on(i): DayLog(on(i), True) for i in range(21)}
    built = series.build(on(0), on(20), logs, responses, None, plan_start=on(0))
    assert [w.mean for w in built.weeks["sows"]] == [20, 16, 10]
    assert [w.days_reported for w in built.weeks["sows"]] == [7, 7, 7]
    since_start = {c.metric: c for c in built.since_start}
    assert since_start["sows"].difference == -10
    assert built.last_visit == on(13)
    since_visit = {c.metric: c for c in built.since_visit}
    assert since_visit["sows"].baseline == 16 and since_visit["sows"].difference == -6
    assert built.days[13].get("cows") == 8


def test_kratom_series_follows_the_taper_and_steps() -> None:
    plan = PlanContent(
        kratom_form="leaf_powder",
        taper=TaperParams(
            start=on(0),
            current=Amount.parse("6", "g"),
            target=Amount.parse("0", "g"),
            method=Method.FIXED,
            step=Decimal("0.5"),
            step_days=7,
            smallest_step=Amount.parse("0.25", "g"),
            doses=(DoseTime(dt.time(8)),),
        ),
    )
    dose = make_dose(
        category="kratom",
        form="leaf_powder",
        product="",
        amount=Amount.parse("5.5", "g"),
        taken_on=on(0),
        taken_time=None,
    )
    logs = {on(0): DayLog(on(0), True, (dose,)), on(8): DayLog(on(8), True)}
    built = series.build(on(-1), on(8), logs, [], plan)
    assert built.kratom_unit == "g"
    assert [d.step for d in built.days[:3]] == [0, 1, 1]
    assert built.days[1].get("kratom") == 5.5 and built.days[1].get("target") == 5.5
    assert built.days[9].get("kratom") == 0.0 and built.days[9].get("target") == 5.0
    assert built.days[2].get("kratom") is None  # no check-in: unknown, not zero
    assert [s.daily for s in built.steps[:2]] == [5.5, 5.0]


# --- n-of-1: known effects ------------------------------------------------------------------


def with_outcome(exposed: np.ndarray, outcome: np.ndarray, metric: str) -> list[Day]:
    """Day i has exposure exposed[i]; the outcome of day i + 1 is outcome[i]."""
    days = [day(i, melatonin=float(exposed[i])) for i in range(len(exposed))]
    days.append(day(len(exposed), melatonin=0.0))
    return [
        Day(
            d.date, d.checked_in, d.step, {**d.values, metric: float(outcome[i - 1]) if i else None}
        )
        for i, d in enumerate(days)
    ]


def test_a_true_effect_of_known_size_is_found_and_its_interval_covers_it() -> None:
    rng = np.random.default_rng(7)
    exposed = rng.random(120) < 0.5
    noise = rng.normal(0, 2.0, 120)
    # centre the noise in each arm, so the observed difference is exactly the true -10 min
    noise[exposed] -= noise[exposed].mean()
    noise[~exposed] -= noise[~exposed].mean()
    days = with_outcome(exposed, 40.0 - 10.0 * exposed + noise, "sleep_onset_latency")
    result = nof1.compare(days, nof1.question("melatonin", "sleep_onset_latency"))
    assert result.exposed_days + result.unexposed_days == 120
    assert result.overall.difference == pytest.approx(-10.0)
    assert result.overall.low is not None and result.overall.high is not None
    assert result.overall.low < -10 < result.overall.high < 0
    assert not result.overall.spans_zero
    assert result.overall.p_value is not None and result.overall.p_value < 0.01
    assert result.summary.startswith("Observed:") and "does not show" in result.summary
    assert result.warnings == ()
    # deterministic for a seed
    again = nof1.compare(days, nof1.question("melatonin", "sleep_onset_latency"))
    assert again.overall == result.overall


def test_the_interval_covers_a_true_effect_about_95_times_in_100() -> None:
    rng = np.random.default_rng(11)
    covered = 0
    runs = 200
    for run in range(runs):
        exposed = rng.random(60) < 0.5
        outcome = 80.0 + 4.0 * exposed + rng.normal(0, 5.0, 60)
        days = with_outcome(exposed, outcome, "sleep_efficiency")
        result = nof1.compare(
            days,
            nof1.question("melatonin", "sleep_efficiency"),
            seed=run,
            bootstrap=1000,
            permutations=100,
        )
        assert result.overall.low is not None and result.overall.high is not None
        covered += result.overall.low <= 4.0 <= result.overall.high
    # a percentile bootstrap runs slightly narrow in small samples
    assert 0.88 <= covered / runs <= 0.99


def test_no_effect_gives_an_interval_spanning_zero() -> None:
    # the same ten outcome values follow exposed and unexposed days: the true difference is 0
    values = [30.0, 35.0, 40.0, 22.0, 50.0, 31.0, 28.0, 45.0, 38.0, 33.0]
    days = []
    for i in range(40):
        exposed = i % 2 == 0
        previous_value = values[(i // 2) % 10] if i > 0 else None
        days.append(day(i, exercise_minutes=45.0 if exposed else 0.0, craving=previous_value))
    result = nof1.compare(days, nof1.question("exercise", "craving", 30))
    assert result.overall.spans_zero
    assert result.summary.startswith("No clear difference")
    assert result.overall.p_value is not None and result.overall.p_value > 0.05


def test_small_arms_and_missing_outcomes_are_warned_about() -> None:
    days = [
        day(i, counseling=1.0 if i in (2, 11, 16) else 0.0, sows=None if i % 5 == 0 else 10.0)
        for i in range(30)
    ]
    result = nof1.compare(days, nof1.question("counseling", "sows"))
    assert result.exposed_days == 3
    assert any("Only 3 days with a counseling session" in w for w in result.warnings)
    assert any("had no record of the next day's withdrawal" in w for w in result.warnings)


def test_days_without_a_checkin_are_left_out_not_counted_as_unexposed() -> None:
    days = [day(i, checked_in=i % 3 != 0, melatonin=0.0, sleep_quality=3.0) for i in range(30)]
    data = nof1.arms(days, nof1.question("melatonin", "sleep_quality"))
    assert len(data.dates) == sum(1 for i in range(29) if i % 3 != 0)


def test_an_exposure_clustered_in_one_phase_warns_and_within_steps_removes_the_confound() -> None:
    # three taper steps of 20 days; the outcome depends only on the step (10, 20, 30);
    # melatonin is taken on most days of step 1 and few days of step 3
    days = []
    for i in range(61):
        step = min(i // 20, 2) + 1
        share = {1: 0.8, 2: 0.5, 3: 0.2}[step]
        exposed = (i % 20) < share * 20
        previous_step = min((i - 1) // 20, 2) + 1 if i else 1
        days.append(
            day(
                i,
                step=step,
                melatonin=1.0 if exposed else 0.0,
                sleep_efficiency=None if i == 0 else 70.0 + 10.0 * previous_step,
            )
        )
    result = nof1.compare(days, nof1.question("melatonin", "sleep_efficiency"))
    assert result.overall.difference is not None and result.overall.difference < -5
    assert any("fell mostly earlier" in w and "within taper steps" in w for w in result.warnings)
    assert result.within_steps is not None
    assert result.within_steps.difference == pytest.approx(0.0)
    assert result.within_steps.spans_zero and result.within_steps.strata_used == 3


@pytest.mark.parametrize(
    ("exposure", "outcome", "threshold", "field"),
    [
        ("coffee", "craving", None, "exposure"),
        ("melatonin", "mood", None, "outcome"),
        ("exercise", "craving", 0, "threshold"),
        ("exercise", "craving", 601, "threshold"),
        ("kratom_above", "craving", None, "threshold"),
        ("kratom_above", "craving", -1, "threshold"),
        ("melatonin", "craving", 3, "threshold"),
    ],
)
def test_bad_questions_name_the_field(
    exposure: str, outcome: str, threshold: float | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        nof1.question(exposure, outcome, threshold)
    assert error.value.field == field


# --- relapse-risk signal --------------------------------------------------------------------


def steady(offset: int, **overrides: float | None) -> Day:
    values: dict[str, float | None] = {
        "craving": 3.0,
        "sows": 8.0,
        "sleep_efficiency": 88.0,
        "exercise_minutes": 30.0,
        "meditation_minutes": 0.0,
        "counseling": 0.0,
        "support_meeting": 0.0,
        "opioid_use": 0.0,
    }
    values.update(overrides)
    return day(offset, **values)


def test_a_steady_fortnight_is_low_with_no_factors() -> None:
    signal = risk.assess([steady(i) for i in range(21)], on(20))
    assert (signal.score, signal.level, signal.factors) == (0, risk.Level.LOW, ())
    assert signal.not_assessed == ()


def test_each_factor_fires_on_its_own_data() -> None:
    days = [steady(i) for i in range(14)]
    days += [
        steady(i, craving=6.0, sows=15.0, sleep_efficiency=76.0, exercise_minutes=0.0)
        for i in range(14, 18)
    ]
    days += [day(i, checked_in=False) for i in range(18, 21)]
    days[16] = steady(
        16, craving=6.0, sows=15.0, sleep_efficiency=76.0, opioid_use=1.0, exercise_minutes=0.0
    )
    signal = risk.assess(days, on(20))
    ids = [f.id for f in signal.factors]
    assert ids == [
        "opioid_use",
        "craving_rising",
        "withdrawal_rising",
        "sleep_poor",
        "checkins_missed",
        "activities_stopped",
    ]
    assert signal.score == 3 + 2 + 2 + 1 + 1 + 1 and signal.level is risk.Level.HIGH
    texts = {f.id: f.clinician_text for f in signal.factors}
    assert "3.0 to 6.0" in texts["craving_rising"]
    assert "3 of the last 7 days" in texts["checkins_missed"]
    assert "exercise" in texts["activities_stopped"]


def test_a_rise_just_under_the_threshold_does_not_fire_and_no_data_is_not_assessed() -> None:
    days = [steady(i) for i in range(14)] + [steady(i, craving=4.9) for i in range(14, 21)]
    assert risk.assess(days, on(20)).factors == ()
    empty = risk.assess([day(i, checked_in=False) for i in range(21)], on(20))
    assert "craving_rising" in empty.not_assessed and "sleep_poor" in empty.not_assessed
    assert [f.id for f in empty.factors] == ["checkins_missed"]


# --- clinic overview ------------------------------------------------------------------------


def test_the_overview_counts_phases_retention_changes_and_alerts() -> None:
    today = dt.date(2026, 6, 30)
    people = pl.DataFrame(
        {"person_id": [1, 2, 3], "phase": ["tapering", "tapering", "no_plan"]},
        schema=overview.PEOPLE_SCHEMA,
    )
    first = today - dt.timedelta(days=100)
    checkins = pl.DataFrame(
        {
            "person_id": [1, 1, 2, 2, 3],
            "date": [first, today, first, first + dt.timedelta(days=40), today],
        },
        schema=overview.CHECKINS_SCHEMA,
    )
    rows = []
    for person, base, late in ((1, 20.0, 10.0), (2, 18.0, 14.0)):
        for i in range(7):
            rows.append((person, first + dt.timedelta(days=i), "sows", base))
            rows.append((person, first + dt.timedelta(days=40 - i), "sows", late))
    scores = pl.DataFrame(rows, schema=overview.SCORES_SCHEMA, orient="row")
    alerts = pl.DataFrame(
        [
            (1, today, "urgent", "open"),
            (2, today - dt.timedelta(days=40), "warning", "resolved"),
            (2, today - dt.timedelta(days=3), "warning", "acknowledged"),
        ],
        schema=overview.ALERTS_SCHEMA,
        orient="row",
    )
    result = overview.compute(people, checkins, scores, alerts, today)
    assert result.phases["tapering"] == 2 and result.phases["no_plan"] == 1
    assert result.phases["at_target"] == 0
    retention = {r.days: r for r in result.retention}
    assert (retention[30].eligible, retention[30].retained) == (2, 2)
    assert (retention[60].eligible, retention[60].retained) == (2, 1)
    assert retention[60].share == 0.5
    changes = {c.metric: c for c in result.changes}
    assert changes["sows"].people == 2 and changes["sows"].median == -7.0
    assert changes["sleep_efficiency"].median is None
    assert result.alerts_raised == {"urgent": 1, "warning": 1}
    assert result.alerts_open == {"urgent": 1, "warning": 0}


def test_a_tapers_phase_by_day_from_its_span() -> None:
    # 6 g down by 1 g a week to 3 g: steps start on days 0, 7, 14 (5, 4, 3 g).
    taper = TaperParams(
        start=on(0),
        current=Amount.parse("6", "g"),
        target=Amount.parse("3", "g"),
        method=Method.FIXED,
        step=Decimal("1"),
        step_days=7,
        smallest_step=Amount.parse("0.25", "g"),
        doses=(DoseTime(dt.time(8)),),
    )
    span = overview.taper_span(taper)
    assert (span.start, span.last_step, span.reaches_target) == (on(0), on(14), True)
    phases = {day: overview.span_phase(span, on(day)) for day in (-1, 0, 13, 14, 40)}
    assert phases == {
        -1: overview.Phase.NOT_STARTED,
        0: overview.Phase.TAPERING,
        13: overview.Phase.TAPERING,
        14: overview.Phase.AT_TARGET,
        40: overview.Phase.AT_TARGET,
    }
    assert overview.span_phase(None, on(0)) is overview.Phase.NO_TAPER
    assert all(overview.taper_phase(taper, on(day)) is phase for day, phase in phases.items())
