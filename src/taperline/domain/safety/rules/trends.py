"""Withdrawal and trends over the person's recent days. Missing days are unknown, never zero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from taperline.domain.instruments.base import ItemScale
from taperline.domain.instruments.registry import get
from taperline.domain.safety.context import DayRecord
from taperline.domain.safety.findings import Finding
from taperline.domain.safety.rules.base import Facts


def evaluate(facts: Facts) -> list[Finding]:
    days = {d.date: d for d in facts.context.history if d.date <= facts.context.today}
    if not days:
        return []
    return [
        *_craving(facts, days),
        *_sleep(facts, days),
        *_missed(facts, days),
        *_sows(facts, days),
        *_cows(facts),
    ]


def _window(facts: Facts, length: int) -> list[dt.date]:
    today = facts.context.today
    return [today - dt.timedelta(days=offset) for offset in range(length - 1, -1, -1)]


def _craving(facts: Facts, days: dict[dt.date, DayRecord]) -> list[Finding]:
    rule = "trend.craving_high"
    at_least = int(facts.param(rule, "at_least"))
    needed = int(facts.param(rule, "consecutive_days"))
    run = [days.get(date) for date in _window(facts, needed)]
    values = [d.craving for d in run if d is not None and d.craving is not None]
    if len(values) == needed and all(v >= at_least for v in values):
        return [
            facts.finding(
                rule,
                involved=("craving",),
                values={"days": needed, "limit": at_least},
                detail=f"craving {', '.join(map(str, values))} on the last {needed} days",
            )
        ]
    return []


def _sleep(facts: Facts, days: dict[dt.date, DayRecord]) -> list[Finding]:
    rule = "trend.poor_sleep"
    below = float(facts.param(rule, "below_percent"))
    nights = int(facts.param(rule, "nights"))
    window = int(facts.param(rule, "window_nights"))
    efficiencies = [
        d.sleep_efficiency
        for date in _window(facts, window)
        if (d := days.get(date)) is not None and d.sleep_efficiency is not None
    ]
    poor = [e for e in efficiencies if e < below]
    if len(poor) >= nights:
        return [
            facts.finding(
                rule,
                involved=("sleep efficiency",),
                values={"days": window, "limit": f"{below:g}%", "amount": len(poor)},
                detail=f"{len(poor)} of the last {window} nights under {below:g}%",
            )
        ]
    return []


def _missed(facts: Facts, days: dict[dt.date, DayRecord]) -> list[Finding]:
    rule = "trend.missed_checkins"
    needed = int(facts.param(rule, "missed"))
    window = int(facts.param(rule, "window_days"))
    first = (
        min(date for date, day in days.items() if day.checked_in)
        if any(d.checked_in for d in days.values())
        else None
    )
    if first is None:
        return []
    missed = [
        date
        for date in _window(facts, window)
        if date >= first
        and not (days.get(date) and days[date].checked_in)
        and date != facts.context.today  # today's check-in may still come
    ]
    if len(missed) >= needed:
        return [
            facts.finding(
                rule,
                involved=("check-ins",),
                values={"amount": len(missed), "days": window},
                detail=f"no check-in on {', '.join(d.isoformat() for d in missed)}",
            )
        ]
    return []


def _sows(facts: Facts, days: dict[dt.date, DayRecord]) -> list[Finding]:
    rule = "trend.sows_rising"
    recent_days = int(facts.param(rule, "recent_days"))
    baseline_days = int(facts.param(rule, "baseline_days"))
    rise = facts.param(rule, "min_rise")
    dates = _window(facts, recent_days + baseline_days)
    recent = [days[d].sows for d in dates[-recent_days:] if d in days and days[d].sows is not None]
    baseline = [
        days[d].sows for d in dates[:baseline_days] if d in days and days[d].sows is not None
    ]
    if len(recent) < recent_days or len(baseline) < (baseline_days + 1) // 2:
        return []
    recent_mean = Decimal(sum(v for v in recent if v is not None)) / len(recent)
    baseline_mean = Decimal(sum(v for v in baseline if v is not None)) / len(baseline)
    if recent_mean - baseline_mean >= rise:
        return [
            facts.finding(
                rule,
                involved=("SOWS",),
                values={
                    "amount": f"{recent_mean:.1f}",
                    "limit": f"{baseline_mean:.1f}",
                    "days": recent_days,
                },
                detail=f"SOWS mean {recent_mean:.1f} over {recent_days} days vs "
                f"{baseline_mean:.1f} over the {baseline_days} days before",
            )
        ]
    return []


def _cows(facts: Facts) -> list[Finding]:
    # A rise belongs to the visit that records it, not to every daily check-in after it.
    checkin = facts.checkin
    if checkin is not None and not any(s.instrument_id == "cows" for s in checkin.scores):
        return []
    visits = [
        d for d in facts.context.history if d.cows is not None and d.date <= facts.context.today
    ]
    if len(visits) < 2:
        return []
    cows = get("cows")
    assert isinstance(cows, ItemScale)
    bands = [band.label for band in cows.bands]
    before, latest = visits[-2], visits[-1]
    assert before.cows is not None and latest.cows is not None
    before_band = cows.band_for(before.cows) or ""
    latest_band = cows.band_for(latest.cows) or ""
    if bands.index(latest_band) > bands.index(before_band):
        return [
            facts.finding(
                "trend.cows_rising",
                involved=("COWS",),
                values={
                    "amount": f"{latest.cows} ({latest_band})",
                    "limit": f"{before.cows} ({before_band})",
                },
                detail=f"COWS {before.cows} on {before.date} → {latest.cows} on {latest.date}",
            )
        ]
    return []
