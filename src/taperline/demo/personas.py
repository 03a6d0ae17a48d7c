"""The demo's people: who they are, how their 60 days go, and the plan versions their
clinicians approve. Illustrative history, not advice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DAYS = 60


@dataclass(frozen=True)
class Persona:
    handle: str
    name: str
    clinician: str
    timezone: str
    story: str
    kratom_form: str = "leaf_powder"
    withdrawal: Callable[[int], float] = field(default=lambda _day: 8.0)  # expected SOWS total
    craving: Callable[[int], float] = field(default=lambda _day: 3.0)
    sleep_efficiency: Callable[[int], float] = field(default=lambda _day: 0.85)
    checkin_rate: float = 0.97
    melatonin_nights: float = 0.0
    magnesium_mg: int | None = None
    conditions: tuple[str, ...] = ()
    medications: tuple[dict[str, Any], ...] = ()
    gap: tuple[int, int] | None = None  # days with no check-in at all
    phq9_item9_week: int | None = None


def _flat(value: float) -> Callable[[int], float]:
    return lambda _day: value


def _linear(start: float, end: float, until: int = DAYS - 1) -> Callable[[int], float]:
    return lambda day: start + (end - start) * min(day, until) / until


PERSONAS: tuple[Persona, ...] = (
    Persona(
        handle="alex",
        name="Alex Moreno",
        clinician="cleo",
        timezone="America/New_York",
        story="tapering steadily from leaf powder, withdrawal low and sleep improving",
        withdrawal=_linear(10, 5),
        craving=_linear(4, 2),
        sleep_efficiency=_linear(0.78, 0.88),
    ),
    Persona(
        handle="blair",
        name="Blair Okafor",
        clinician="cleo",
        timezone="America/Chicago",
        story="withdrawal and craving spiked after a fast step in week 6",
        withdrawal=lambda d: 9 + (18 if 36 <= d <= 47 else 18 * 0.75 ** (d - 47) if d > 47 else 0),
        craving=lambda d: 3 + (5 if 36 <= d <= 47 else 0),
        sleep_efficiency=lambda d: 0.82 if d < 36 else 0.72,
    ),
    Persona(
        handle="casey",
        name="Casey Lindqvist",
        clinician="cleo",
        timezone="America/Denver",
        story="sleeping badly: long time to fall asleep, efficiency often under 70%",
        sleep_efficiency=_flat(0.66),
        craving=_flat(4.0),
    ),
    Persona(
        handle="devon",
        name="Devon Ashby",
        clinician="sam",
        timezone="America/Los_Angeles",
        story="misses check-ins, with a six-day silence last week",
        checkin_rate=0.6,
        gap=(DAYS - 9, DAYS - 4),
    ),
    Persona(
        handle="emery",
        name="Emery Vance",
        clinician="sam",
        timezone="America/New_York",
        story="moved from kratom to buprenorphine-naloxone in week 2",
        withdrawal=lambda d: 14 if 8 <= d <= 14 else 5,
        craving=_linear(5, 2),
        medications=(
            {
                "name": "Suboxone",
                "category": "moud",
                "amount": "8",
                "unit": "mg",
                "schedule": "one 8 mg/2 mg film each morning",
            },
        ),
    ),
    Persona(
        handle="frankie",
        name="Frankie Duarte",
        clinician="sam",
        timezone="America/Chicago",
        story="takes melatonin on some nights",
        melatonin_nights=0.5,
        sleep_efficiency=_flat(0.8),
    ),
    Persona(
        handle="gray",
        name="Gray Whitfield",
        clinician="cleo",
        timezone="America/New_York",
        story="uses kratom capsules, with magnesium glycinate at night and levothyroxine",
        kratom_form="capsules",
        magnesium_mg=200,
        medications=(
            {
                "name": "Levothyroxine",
                "category": "other_medication",
                "amount": "75",
                "unit": "mcg",
                "schedule": "each morning before breakfast",
            },
        ),
    ),
    Persona(
        handle="harper",
        name="Harper Quinn",
        clinician="sam",
        timezone="America/New_York",
        story="has kidney disease; answered PHQ-9 item 9 above zero this week",
        withdrawal=_flat(11.0),
        craving=_flat(5.0),
        magnesium_mg=250,
        conditions=("kidney_disease",),
        phq9_item9_week=DAYS // 7 - 1,
    ),
)


def _taper(
    start: dt.date,
    current: str,
    target: str,
    step: str,
    days: int,
    *,
    unit: str = "g",
    smallest: str = "0.25",
    form: str = "leaf_powder",
    times: tuple[str, ...] = ("08:00", "14:00", "20:00"),
) -> dict[str, Any]:
    return {
        "form": form,
        "start": start.isoformat(),
        "current": {"amount": current, "unit": unit},
        "target": {"amount": target, "unit": unit},
        "method": "fixed",
        "step": step,
        "step_days": days,
        "smallest_step": {"amount": smallest, "unit": unit},
        "doses": [{"time": t} for t in times],
        "long_term_use": False,
    }


def _item(
    category: str, amount: str, unit: str, times: tuple[str, ...], **extra: str
) -> dict[str, Any]:
    return {"category": category, "amount": amount, "unit": unit, "times": list(times), **extra}


def _plan(start: dt.date, **parts: Any) -> dict[str, Any]:
    visits = [
        (start + dt.timedelta(days=d)).isoformat() + "T10:00" for d in range(13, DAYS + 28, 14)
    ]
    return {
        "activities": {
            "exercise_minutes_per_week": 150,
            "meditation_minutes_per_day": 10,
            "counseling_sessions_per_week": 1,
            "support_meetings_per_week": 2,
            "wake_time": "07:00",
            "sleep_goals": ["Same wake time every day", "No screens in bed"],
        },
        "monitoring": {
            "daily_checkin_time": "09:00",
            "weekly_questionnaires_day": "monday",
            "visits": visits,
        },
        "goals": ["Taper off kratom safely", "Sleep through the night"],
        **parts,
    }


# Plan versions per person: (day the version is approved, the plan given the demo's first day).
PlanBuilder = Callable[[dt.date], dict[str, Any]]
PLANS: dict[str, tuple[tuple[int, PlanBuilder], ...]] = {
    "alex": ((0, lambda s: _plan(s, taper=_taper(s, "12", "6", "0.75", 7))),),
    "blair": (
        (
            0,
            lambda s: _plan(
                s,
                regimen=[
                    _item("kratom", "5", "g", ("08:00", "14:00", "20:00"), form="leaf_powder")
                ],
            ),
        ),
        (35, lambda s: _plan(s, taper=_taper(s + dt.timedelta(days=35), "15", "9", "6", 7))),
    ),
    "casey": ((0, lambda s: _plan(s, taper=_taper(s, "8", "6", "0.25", 7))),),
    "devon": (
        (
            0,
            lambda s: _plan(
                s, regimen=[_item("kratom", "5", "g", ("08:00", "20:00"), form="leaf_powder")]
            ),
        ),
    ),
    "emery": (
        (
            0,
            lambda s: _plan(
                s,
                regimen=[
                    _item(
                        "kratom", "5", "g", ("07:00", "12:00", "17:00", "22:00"), form="leaf_powder"
                    )
                ],
            ),
        ),
        (
            10,
            lambda s: _plan(
                s,
                regimen=[
                    _item(
                        "moud",
                        "8",
                        "mg",
                        ("08:00",),
                        form="film",
                        product="Suboxone 8 mg/2 mg film",
                    )
                ],
            ),
        ),
    ),
    "frankie": (
        (
            0,
            lambda s: _plan(
                s,
                taper=_taper(s, "6", "4", "0.25", 7),
                regimen=[_item("melatonin", "3", "mg", ("21:30",))],
            ),
        ),
    ),
    "gray": (
        (
            0,
            lambda s: _plan(
                s,
                taper=_taper(
                    s,
                    "12",
                    "8",
                    "2",
                    15,
                    unit="capsule",
                    smallest="1",
                    form="capsules",
                    times=("08:00", "20:00"),
                ),
                regimen=[
                    _item("magnesium", "200", "mg", ("22:00",), form="glycinate"),
                    _item("other_medication", "75", "mcg", ("07:00",), product="Levothyroxine"),
                ],
            ),
        ),
    ),
    "harper": ((0, lambda s: _plan(s, taper=_taper(s, "9", "6", "0.5", 10))),),
}
