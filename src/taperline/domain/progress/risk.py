"""A transparent relapse-risk *signal* from recent days. Pure.

NOT a validated prediction model. It adds points for a few recent changes that the sources
in /work/shared/clinical link with withdrawal, craving or overdose risk, and lists each one in
words, so a clinician can see why and judge for themselves. Every threshold and every point
value below is a software choice (UNVERIFIED as a predictor); docs/progress.md gives each
rule's basis.

The window: the last 7 days ("recent", ending `today`) against the 7 days before ("before");
activities look at the two weeks before the recent one. A rule that lacks data is listed as not
assessed, never scored as fine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import fmean

from taperline.domain.progress.series import Day

RECENT_DAYS = 7
_DAY = dt.timedelta(days=1)
MIN_VALUES = 3  # values needed in each window to compare means (software choice)
CRAVING_RISE = 2.0  # points on the 0-10 craving rating (software choice)
SOWS_RISE = 5.0  # points on SOWS 0-64 (software choice)
SLEEP_EFFICIENCY_LOW = 80.0  # percent (software choice; no published cut-off applied)
SLEEP_EFFICIENCY_DROP = 5.0  # percentage points (software choice)
MISSED_CHECKINS = 3  # of the last 7 days (software choice)
ACTIVITIES = ("exercise_minutes", "meditation_minutes", "counseling", "support_meeting")
ACTIVITY_NAMES = {
    "exercise_minutes": "exercise",
    "meditation_minutes": "meditation",
    "counseling": "counseling",
    "support_meeting": "support meetings",
}


class Level(StrEnum):
    LOW = "low"
    RAISED = "raised"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    points: int
    description: str  # for docs and the clinician


RULES = (
    Rule(
        "opioid_use",
        3,
        "A daily check-in in the last 14 days said non-prescribed opioids were used.",
    ),
    Rule(
        "craving_rising",
        2,
        f"Mean craving of the last 7 days is {CRAVING_RISE:g} or more points above the 7 days "
        f"before (at least {MIN_VALUES} ratings in each).",
    ),
    Rule(
        "withdrawal_rising",
        2,
        f"Mean SOWS of the last 7 days is {SOWS_RISE:g} or more points above the 7 days before "
        f"(at least {MIN_VALUES} in each).",
    ),
    Rule(
        "sleep_poor",
        1,
        f"Mean sleep efficiency of the last 7 days is under {SLEEP_EFFICIENCY_LOW:g}%, or "
        f"{SLEEP_EFFICIENCY_DROP:g} or more points below the 7 days before.",
    ),
    Rule(
        "checkins_missed",
        1,
        f"{MISSED_CHECKINS} or more of the last 7 days have no daily check-in.",
    ),
    Rule(
        "activities_stopped",
        1,
        "An activity done in each of the two weeks before the last week (exercise, "
        "meditation, counseling, support meetings) was not done at all in the last 7 days, "
        f"with at least {MIN_VALUES} check-ins in those 7 days.",
    ),
)
POINTS = {rule.id: rule.points for rule in RULES}
RAISED_AT = 2  # software choice
HIGH_AT = 4  # software choice


@dataclass(frozen=True, slots=True)
class Factor:
    id: str
    points: int
    clinician_text: str
    person_text: str


@dataclass(frozen=True, slots=True)
class RiskSignal:
    score: int
    level: Level
    factors: tuple[Factor, ...]
    not_assessed: tuple[str, ...]  # rule ids without enough data

    @property
    def label(self) -> str:
        return {Level.LOW: "Low", Level.RAISED: "Raised", Level.HIGH: "High"}[self.level]


def _window(days: Sequence[Day], first: dt.date, last: dt.date, metric: str) -> list[float]:
    return [v for d in days if first <= d.date <= last and (v := d.get(metric)) is not None]


def assess(days: Sequence[Day], today: dt.date) -> RiskSignal:
    """The signal from `days` (any range; only the last 21 days up to `today` are read)."""
    recent_start = today - dt.timedelta(days=RECENT_DAYS - 1)
    before_end = recent_start - dt.timedelta(days=1)
    before_start = before_end - dt.timedelta(days=RECENT_DAYS - 1)
    earlier_start = recent_start - dt.timedelta(days=2 * RECENT_DAYS)
    factors: list[Factor] = []
    missing: list[str] = []

    use = _window(days, earlier_start + dt.timedelta(days=RECENT_DAYS), today, "opioid_use")
    if any(v > 0 for v in use):
        factors.append(
            Factor(
                "opioid_use",
                POINTS["opioid_use"],
                "Non-prescribed opioid use reported in the last 14 days: tolerance may be "
                "lower after the taper, so the overdose risk of a usual amount is higher.",
                "You told us you used opioids that were not prescribed. Please talk with your "
                "clinician soon, and keep naloxone near you.",
            )
        )
    elif not use:
        missing.append("opioid_use")

    for metric, rule, rise, what, kind in (
        ("craving", "craving_rising", CRAVING_RISE, "Craving", "Your cravings"),
        ("sows", "withdrawal_rising", SOWS_RISE, "Withdrawal (SOWS)", "Your withdrawal symptoms"),
    ):
        recent = _window(days, recent_start, today, metric)
        before = _window(days, before_start, before_end, metric)
        if len(recent) < MIN_VALUES or len(before) < MIN_VALUES:
            missing.append(rule)
            continue
        change = fmean(recent) - fmean(before)
        if change >= rise:
            factors.append(
                Factor(
                    rule,
                    POINTS[rule],
                    f"{what} rose from a mean of {fmean(before):.1f} to {fmean(recent):.1f} "
                    "over the last week.",
                    f"{kind} have been stronger this week than last. That is common in a "
                    "taper and worth telling your clinician about.",
                )
            )

    recent_se = _window(days, recent_start, today, "sleep_efficiency")
    before_se = _window(days, before_start, before_end, "sleep_efficiency")
    if len(recent_se) < MIN_VALUES:
        missing.append("sleep_poor")
    else:
        mean_recent = fmean(recent_se)
        dropped = (
            len(before_se) >= MIN_VALUES and fmean(before_se) - mean_recent >= SLEEP_EFFICIENCY_DROP
        )
        if mean_recent < SLEEP_EFFICIENCY_LOW or dropped:
            factors.append(
                Factor(
                    "sleep_poor",
                    POINTS["sleep_poor"],
                    f"Sleep efficiency averaged {mean_recent:.0f}% over the last week"
                    + (f" (down from {fmean(before_se):.0f}%)." if dropped else "."),
                    "Your sleep has been harder this week. Poor sleep is a common part of "
                    "withdrawal; your clinician can help with it.",
                )
            )

    window = [d for d in days if recent_start <= d.date <= today]
    if len(window) == RECENT_DAYS:
        unchecked = sum(not d.checked_in for d in window)
        if unchecked >= MISSED_CHECKINS:
            factors.append(
                Factor(
                    "checkins_missed",
                    POINTS["checkins_missed"],
                    f"No daily check-in on {unchecked} of the last 7 days.",
                    f"We have not heard from you on {unchecked} of the last 7 days. A short "
                    "check-in helps your clinician support you.",
                )
            )
    else:
        missing.append("checkins_missed")

    checked_recent = [d for d in window if d.checked_in]
    stopped = []
    if len(checked_recent) >= MIN_VALUES:
        for activity in ACTIVITIES:
            two_weeks_ago = _window(days, earlier_start, before_start - _DAY, activity)
            last_week = _window(days, before_start, before_end, activity)
            recent = _window(days, recent_start, today, activity)
            habit = any(v > 0 for v in two_weeks_ago) and any(v > 0 for v in last_week)
            if habit and recent and not any(v > 0 for v in recent):
                stopped.append(ACTIVITY_NAMES[activity])
        if stopped:
            names = ", ".join(stopped)
            factors.append(
                Factor(
                    "activities_stopped",
                    POINTS["activities_stopped"],
                    f"Stopped in the last week after doing them before: {names}.",
                    f"You have not logged {names} this week. If something got in the way, your "
                    "clinician can help you find a way back to it.",
                )
            )
    else:
        missing.append("activities_stopped")

    order = {rule.id: index for index, rule in enumerate(RULES)}
    factors.sort(key=lambda f: order[f.id])
    score = sum(f.points for f in factors)
    level = Level.HIGH if score >= HIGH_AT else Level.RAISED if score >= RAISED_AT else Level.LOW
    return RiskSignal(score, level, tuple(factors), tuple(sorted(missing, key=order.__getitem__)))
