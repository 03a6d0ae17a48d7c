"""n-of-1 comparisons: one person's days with an exposure against days without. Pure.

The person or clinician picks an exposure (melatonin taken, exercise of at least N minutes,
kratom above a level ...) and an outcome (that night's sleep, the next day's craving ...).
The report gives the difference in means (exposed minus not exposed), a 95% bootstrap
interval, a permutation p-value, the days in each arm, and plain warnings when the data
cannot support a conclusion. It says what was observed; it never claims a cause.

- A day without a daily check-in has an unknown exposure and is left out, never counted as
  "not exposed".
- Sleep outcomes are "that night": the diary of the next morning (day + 1). Craving and SOWS
  are "the next day" (day + 1).
- The bootstrap resamples days within each arm (percentile interval); the permutation test
  shuffles the exposure labels (two-sided, with the +1 correction). Both use a seeded NumPy
  Generator, so the same data and seed give the same answer.
- The within-step comparison does both within taper steps (strata): the estimate is the
  average of the within-step differences, weighted by each step's days; only steps with days
  in both arms count. Labels are shuffled, and days resampled, within their step.
- Thresholds for the warnings (7 days an arm, |r| >= 0.3 between exposure and time) are
  software choices, not statistical law; see docs/progress.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from taperline.domain.errors import InvalidInput
from taperline.domain.progress.series import Day

MIN_ARM_DAYS = 7  # software choice: fewer days in an arm than this gets a warning
TIME_CORRELATION = 0.3  # software choice: |r| between exposure and day number that warns
BOOTSTRAP = 2000
PERMUTATIONS = 2000
DEFAULT_SEED = 20261121
MAX_MINUTES = 600
MAX_LEVEL = 1000.0


class Exposure(StrEnum):
    MELATONIN = "melatonin"
    MAGNESIUM = "magnesium"
    EXERCISE = "exercise"  # exercise of at least `threshold` minutes
    MEDITATION = "meditation"  # meditation of at least `threshold` minutes
    COUNSELING = "counseling"
    SUPPORT_MEETING = "support_meeting"
    KRATOM_ABOVE = "kratom_above"  # kratom logged above `threshold` (the target's unit)


class Outcome(StrEnum):
    SLEEP_ONSET_LATENCY = "sleep_onset_latency"
    SLEEP_EFFICIENCY = "sleep_efficiency"
    SLEEP_QUALITY = "sleep_quality"
    TOTAL_SLEEP_TIME = "total_sleep_time"
    CRAVING = "craving"
    SOWS = "sows"


EXPOSURE_TEXT = {
    Exposure.MELATONIN: "melatonin was taken",
    Exposure.MAGNESIUM: "magnesium was taken",
    Exposure.EXERCISE: "exercise of at least {threshold:g} minutes",
    Exposure.MEDITATION: "meditation of at least {threshold:g} minutes",
    Exposure.COUNSELING: "a counseling session",
    Exposure.SUPPORT_MEETING: "a support meeting",
    Exposure.KRATOM_ABOVE: "kratom above {threshold:g} {unit}",
}
OUTCOME_TEXT = {
    Outcome.SLEEP_ONSET_LATENCY: ("that night's time to fall asleep", "min"),
    Outcome.SLEEP_EFFICIENCY: ("that night's sleep efficiency", "percentage points"),
    Outcome.SLEEP_QUALITY: ("that night's sleep quality (1-5)", "points"),
    Outcome.TOTAL_SLEEP_TIME: ("that night's total sleep time", "min"),
    Outcome.CRAVING: ("the next day's craving (0-10)", "points"),
    Outcome.SOWS: ("the next day's withdrawal (SOWS)", "points"),
}
DEFAULT_THRESHOLD = {Exposure.EXERCISE: 30.0, Exposure.MEDITATION: 1.0}


@dataclass(frozen=True, slots=True)
class Question:
    exposure: Exposure
    outcome: Outcome
    threshold: float | None = None
    unit: str = ""

    @property
    def exposure_text(self) -> str:
        return EXPOSURE_TEXT[self.exposure].format(threshold=self.threshold or 0, unit=self.unit)

    @property
    def outcome_text(self) -> str:
        return OUTCOME_TEXT[self.outcome][0]

    @property
    def outcome_unit(self) -> str:
        return OUTCOME_TEXT[self.outcome][1]


def question(
    exposure: str, outcome: str, threshold: float | None = None, unit: str = ""
) -> Question:
    """Validate a question; bad values raise InvalidInput naming the field."""
    if not exposure:
        choices = ", ".join(e.value for e in Exposure)
        raise InvalidInput("exposure", f"choose one of: {choices}")
    try:
        chosen = Exposure(exposure)
    except ValueError:
        choices = ", ".join(e.value for e in Exposure)
        raise InvalidInput("exposure", f"'{exposure}' is not one of: {choices}") from None
    try:
        measured = Outcome(outcome)
    except ValueError:
        choices = ", ".join(o.value for o in Outcome)
        raise InvalidInput("outcome", f"'{outcome}' is not one of: {choices}") from None
    if chosen in (Exposure.EXERCISE, Exposure.MEDITATION):
        value = DEFAULT_THRESHOLD[chosen] if threshold is None else threshold
        if not 1 <= value <= MAX_MINUTES:
            raise InvalidInput("threshold", f"minutes must be between 1 and {MAX_MINUTES}")
        return Question(chosen, measured, value, "min")
    if chosen is Exposure.KRATOM_ABOVE:
        if threshold is None:
            raise InvalidInput("threshold", "give the kratom level to compare above")
        if not 0 <= threshold <= MAX_LEVEL:
            raise InvalidInput("threshold", f"the level must be between 0 and {MAX_LEVEL:g}")
        return Question(chosen, measured, threshold, unit)
    if threshold is not None:
        raise InvalidInput("threshold", f"'{chosen.value}' takes no threshold")
    return Question(chosen, measured, None, unit)


def _exposed(day: Day, q: Question) -> bool | None:
    if not day.checked_in:
        return None
    match q.exposure:
        case (
            Exposure.MELATONIN
            | Exposure.MAGNESIUM
            | Exposure.COUNSELING
            | (Exposure.SUPPORT_MEETING)
        ):
            value = day.get(q.exposure.value)
            return None if value is None else value > 0
        case Exposure.EXERCISE:
            value = day.get("exercise_minutes")
            return None if value is None else value >= (q.threshold or 0)
        case Exposure.MEDITATION:
            value = day.get("meditation_minutes")
            return None if value is None else value >= (q.threshold or 0)
        case Exposure.KRATOM_ABOVE:
            value = day.get("kratom")
            return None if value is None else value > (q.threshold or 0)
    return None  # pragma: no cover - every exposure is matched above


@dataclass(frozen=True, slots=True)
class Arms:
    """The days that can be compared: exposure known and outcome recorded."""

    dates: tuple[dt.date, ...]
    exposed: NDArray[np.bool_]
    outcome: NDArray[np.float64]
    strata: NDArray[np.int64]  # taper step, or -1 without a taper
    day_number: NDArray[np.float64]  # days since the first day of the series
    missing_outcomes: int  # days with a known exposure but no outcome recorded


def arms(days: Sequence[Day], q: Question) -> Arms:
    by_date = {day.date: day for day in days}
    first = days[0].date if days else dt.date(2000, 1, 1)
    dates, exposed, outcome, strata, number = [], [], [], [], []
    missing = 0
    for day in days:
        exposure = _exposed(day, q)
        if exposure is None:
            continue
        after = by_date.get(day.date + dt.timedelta(days=1))
        value = after.get(q.outcome.value) if after is not None else None
        if value is None:
            if after is not None:
                missing += 1
            continue
        dates.append(day.date)
        exposed.append(exposure)
        outcome.append(value)
        strata.append(-1 if day.step is None else day.step)
        number.append(float((day.date - first).days))
    return Arms(
        dates=tuple(dates),
        exposed=np.array(exposed, dtype=np.bool_),
        outcome=np.array(outcome, dtype=np.float64),
        strata=np.array(strata, dtype=np.int64),
        day_number=np.array(number, dtype=np.float64),
        missing_outcomes=missing,
    )


@dataclass(frozen=True, slots=True)
class Estimate:
    difference: float | None  # exposed minus not exposed
    low: float | None  # 95% bootstrap interval
    high: float | None
    p_value: float | None
    strata_used: int = 1

    @property
    def spans_zero(self) -> bool:
        return self.low is None or self.high is None or self.low <= 0 <= self.high


@dataclass(frozen=True, slots=True)
class Comparison:
    question: Question
    exposed_days: int
    unexposed_days: int
    exposed_mean: float | None
    unexposed_mean: float | None
    overall: Estimate
    within_steps: Estimate | None  # None without a taper, or no step with both arms
    missing_outcomes: int
    time_correlation: float | None
    warnings: tuple[str, ...]
    summary: str
    seed: int


def compare(
    days: Sequence[Day],
    q: Question,
    *,
    seed: int = DEFAULT_SEED,
    bootstrap: int = BOOTSTRAP,
    permutations: int = PERMUTATIONS,
) -> Comparison:
    data = arms(days, q)
    rng = np.random.default_rng(seed)
    n_exposed = int(data.exposed.sum())
    n_unexposed = int((~data.exposed).sum())
    overall = estimate(
        data.exposed,
        data.outcome,
        np.zeros(len(data.outcome), dtype=np.int64),
        rng,
        bootstrap=bootstrap,
        permutations=permutations,
    )
    stepped = bool(len(data.strata)) and bool((data.strata >= 0).all())
    within = (
        estimate(
            data.exposed,
            data.outcome,
            data.strata,
            rng,
            bootstrap=bootstrap,
            permutations=permutations,
        )
        if stepped
        else None
    )
    if within is not None and within.difference is None:
        within = None
    correlation = _correlation(data.exposed, data.day_number)
    warnings = _warnings(q, data, n_exposed, n_unexposed, correlation, stepped, within)
    return Comparison(
        question=q,
        exposed_days=n_exposed,
        unexposed_days=n_unexposed,
        exposed_mean=_mean(data.outcome[data.exposed]),
        unexposed_mean=_mean(data.outcome[~data.exposed]),
        overall=overall,
        within_steps=within,
        missing_outcomes=data.missing_outcomes,
        time_correlation=None if correlation is None else round(correlation, 3),
        warnings=tuple(warnings),
        summary=describe(q, overall, n_exposed, n_unexposed),
        seed=seed,
    )


def _mean(values: NDArray[np.float64]) -> float | None:
    return round(float(values.mean()), 2) if len(values) else None


def _correlation(exposed: NDArray[np.bool_], day_number: NDArray[np.float64]) -> float | None:
    if len(exposed) < 3:
        return None
    x = exposed.astype(np.float64)
    if x.std() == 0 or day_number.std() == 0:
        return None
    return float(np.corrcoef(x, day_number)[0, 1])


def estimate(
    exposed: NDArray[np.bool_],
    outcome: NDArray[np.float64],
    strata: NDArray[np.int64],
    rng: np.random.Generator,
    *,
    bootstrap: int = BOOTSTRAP,
    permutations: int = PERMUTATIONS,
) -> Estimate:
    """Difference in means (exposed minus not), stratified when `strata` has several values:
    the weighted mean of within-stratum differences over strata with days in both arms."""
    groups = []
    for stratum in np.unique(strata):
        inside = strata == stratum
        e = outcome[inside & exposed]
        u = outcome[inside & ~exposed]
        if len(e) and len(u):
            groups.append((e, u))
    if not groups:
        return Estimate(None, None, None, None, 0)
    weights = np.array([len(e) + len(u) for e, u in groups], dtype=np.float64)
    weights /= weights.sum()
    observed = float(
        sum(w * (e.mean() - u.mean()) for w, (e, u) in zip(weights, groups, strict=True))
    )

    boot = np.zeros(bootstrap)
    perm = np.zeros(permutations)
    for w, (e, u) in zip(weights, groups, strict=True):
        boot += w * (
            e[rng.integers(0, len(e), size=(bootstrap, len(e)))].mean(axis=1)
            - u[rng.integers(0, len(u), size=(bootstrap, len(u)))].mean(axis=1)
        )
        pooled = np.concatenate([e, u])
        labels = np.zeros(len(pooled), dtype=np.bool_)
        labels[: len(e)] = True
        shuffled = rng.permuted(np.tile(labels, (permutations, 1)), axis=1)
        sums = (shuffled * pooled).sum(axis=1)
        perm += w * (sums / len(e) - (pooled.sum() - sums) / len(u))
    low, high = np.percentile(boot, [2.5, 97.5])
    tolerance = 1e-9 * max(1.0, abs(observed))
    extreme = int((np.abs(perm) >= abs(observed) - tolerance).sum())
    return Estimate(
        difference=round(observed, 3),
        low=round(float(low), 3),
        high=round(float(high), 3),
        p_value=round((extreme + 1) / (permutations + 1), 4),
        strata_used=len(groups),
    )


def _warnings(
    q: Question,
    data: Arms,
    n_exposed: int,
    n_unexposed: int,
    correlation: float | None,
    stepped: bool,
    within: Estimate | None,
) -> list[str]:
    found = []
    for label, count in (("with", n_exposed), ("without", n_unexposed)):
        if count < MIN_ARM_DAYS:
            found.append(
                f"Only {count} day{'s' if count != 1 else ''} {label} {q.exposure_text}: fewer "
                f"than {MIN_ARM_DAYS}, too few to say anything. Keep logging and look again later."
            )
    if data.missing_outcomes:
        found.append(
            f"{data.missing_outcomes} day{'s' if data.missing_outcomes != 1 else ''} had no "
            f"record of {q.outcome_text} and {'were' if data.missing_outcomes != 1 else 'was'} "
            "left out; if those days differ, the comparison can mislead."
        )
    if correlation is not None and abs(correlation) >= TIME_CORRELATION:
        when = "later" if correlation > 0 else "earlier"
        advice = (
            " Look at the comparison within taper steps below."
            if stepped and within is not None
            else " There is no taper step with days in both groups to compare within."
            if stepped
            else ""
        )
        found.append(
            f"Days with {q.exposure_text} fell mostly {when} in the record (correlation with "
            f"time {correlation:+.2f}), so the change over the taper may explain the "
            f"difference instead.{advice}"
        )
    return found


def describe(q: Question, result: Estimate, n_exposed: int, n_unexposed: int) -> str:
    """What was observed, in words. Never a claim of cause."""
    if result.difference is None or n_exposed < 2 or n_unexposed < 2:
        return (
            f"Not enough days to compare {q.outcome_text} after days with and without "
            f"{q.exposure_text}."
        )
    size = f"{abs(result.difference):.1f}"
    direction = "higher" if result.difference > 0 else "lower"
    interval = f"95% interval {result.low:+.1f} to {result.high:+.1f} {q.outcome_unit}"
    if result.spans_zero:
        return (
            f"No clear difference: {q.outcome_text} after days with {q.exposure_text} was "
            f"{size} {q.outcome_unit} {direction} on average than after days without "
            f"({interval}, which includes zero; {n_exposed} and {n_unexposed} days)."
        )
    return (
        f"Observed: {q.outcome_text} after days with {q.exposure_text} was {size} "
        f"{q.outcome_unit} {direction} on average than after days without ({interval}; "
        f"{n_exposed} and {n_unexposed} days). This describes this person's records; it does "
        "not show that one caused the other."
    )
