"""A deterministic demo clinic, built through the real services.

Two clinicians, a clinic admin and eight people, each with 60 days of history whose shape
is chosen to show something: a steady taper, a withdrawal spike, bad sleep, missed
check-ins, buprenorphine, melatonin on some nights, capsules with magnesium, and a week
with a PHQ-9 item 9 answer that needs same-day follow-up. The same date gives the same data.

The amounts here are illustrative history for a demonstration, not advice: Taperline never
proposes a dose.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.config import Settings
from taperline.db.models import Clinic, User
from taperline.domain.access import Actor
from taperline.domain.calendar import kratom_doses_on
from taperline.domain.plans import PlanContent
from taperline.domain.types import Role
from taperline.domain.units import Amount
from taperline.schemas.checkins import CheckinCreate
from taperline.schemas.plans import PlanInput
from taperline.services import checkins, people, plans, safety
from taperline.services.people import local_today

CLINIC_NAME = "Riverside Recovery Clinic (demo)"
DAYS = 60


@dataclass
class DemoResult:
    clinic: str
    created: bool
    clinicians: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    checkins: int = 0
    days: int = DAYS


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

CLINICIANS = (("cleo", "Dr. Cleo Park"), ("sam", "Sam Rivera, NP"))
ADMIN = ("ada", "Ada Brooks")


def seed(session: Session, clock: Clock, actor: Actor) -> DemoResult:
    existing = session.scalar(select(Clinic).where(Clinic.name == CLINIC_NAME))
    result = DemoResult(clinic=CLINIC_NAME, created=existing is None)
    result.clinicians = [handle for handle, _ in CLINICIANS]
    result.people = [p.handle for p in PERSONAS]
    if existing is not None:
        return result
    clinic = people.create_clinic(session, clock, actor, CLINIC_NAME)
    for handle, name in CLINICIANS:
        people.add_account(
            session,
            clock,
            actor,
            handle=handle,
            display_name=name,
            role=Role.CLINICIAN,
            clinic=clinic,
            timezone="America/New_York",
        )
    people.add_account(
        session,
        clock,
        actor,
        handle=ADMIN[0],
        display_name=ADMIN[1],
        role=Role.ADMIN,
        clinic=clinic,
        timezone="America/New_York",
    )
    for persona in PERSONAS:
        result.checkins += _seed_person(session, clock, actor, clinic, persona)
        _review_old_alerts(session, clock, persona)
    for user in session.scalars(select(User).where(User.clinic_id == clinic.id)):
        # example.org is reserved for examples (RFC 2606): nothing sent there reaches anyone.
        user.email = f"{user.handle}@example.org"
    _seed_circles(session, clock)
    return result


# (person, supporter handle or None for an invitation not yet accepted, name, relation, shares)
CIRCLES = (
    ("alex", "kit", "Kit Jordan", "friend", ("checkins", "trend", "alerts", "missed", "sos")),
    ("harper", "morgan", "Morgan Wells", "sponsor", ("checkins", "sos")),
    ("blair", None, "Robin Blair", "family", ("checkins", "sos")),
)


def _seed_circles(session: Session, clock: Clock) -> None:
    """Support circles: two supporters who joined (they log in with the demo password) and one
    invitation still waiting."""
    from taperline.db.models import Job
    from taperline.domain.circle import parse_shares
    from taperline.services import circle

    settings = Settings()
    for person_handle, supporter, name, relation, shares in CIRCLES:
        person = people.find_user(session, person_handle)
        address = f"{supporter or name.split()[0].lower()}@example.org"
        sent = circle.invite(
            session, clock, settings, _as(person), person_handle,
            email=address, name=name, relation=relation, shares=parse_shares(shares),
        )  # fmt: skip
        if supporter is None:
            continue
        circle.join(
            session, clock, settings, sent.link.rsplit("/", 1)[1], handle=supporter,
            display_name=name, password=DEMO_PASSWORD, confirm=DEMO_PASSWORD, source="demo",
        )  # fmt: skip
        # Joined already: the invitation email has nothing left to do.
        session.execute(
            update(Job)
            .where(Job.dedupe_key == f"invite:circle:{sent.member.id}")
            .values(state="done", payload={"to": address, "sent": False})
        )


def _review_old_alerts(session: Session, clock: Clock, persona: Persona) -> None:
    """The clinician has already reviewed alerts older than a week; recent ones stay open."""
    clinician = _as(people.find_user(session, persona.clinician))
    person = people.find_user(session, persona.handle)
    cutoff = local_today(person, clock) - dt.timedelta(days=7)
    for alert in safety.list_alerts(
        session, clock, clinician, status="open", person=persona.handle
    ):
        if alert.day < cutoff:
            safety.acknowledge(
                session, clock, clinician, alert.id, "Seen; discussed with the person."
            )
            safety.resolve(session, clock, clinician, alert.id, "Reviewed at the clinic visit.")


def _as(user: User) -> Actor:
    return Actor(
        label=f"user:{user.handle}",
        source="demo",
        user_id=user.id,
        role=Role(user.role),
        clinic_id=user.clinic_id,
    )


def _seed_person(
    session: Session, clock: Clock, actor: Actor, clinic: Clinic, persona: Persona
) -> int:
    person = people.add_account(
        session,
        clock,
        actor,
        handle=persona.handle,
        display_name=persona.name,
        role=Role.PERSON,
        clinic=clinic,
        timezone=persona.timezone,
        clinician_handles=(persona.clinician,),
    )
    clinician = people.find_user(session, persona.clinician)
    for condition in persona.conditions:
        people.add_condition(session, clock, _as(clinician), persona.handle, condition)
    for med in persona.medications:
        people.add_medication(
            session,
            clock,
            _as(clinician),
            persona.handle,
            name=med["name"],
            category=med["category"],
            amount=Amount.parse(med["amount"], med["unit"]),
            schedule=med["schedule"],
        )
    if persona.magnesium_mg:
        people.add_medication(
            session,
            clock,
            _as(person),
            persona.handle,
            name="Magnesium glycinate",
            category="magnesium",
            amount=Amount.parse(persona.magnesium_mg, "mg"),
            schedule="at bedtime",
            prescribed=False,
        )
    rng = random.Random(f"taperline-demo-{persona.handle}")  # noqa: S311 - demo data, not security
    today = local_today(person, clock)
    start = today - dt.timedelta(days=DAYS - 1)
    count = 0
    versions = dict(PLANS[persona.handle])
    content: PlanContent | None = None
    for day in range(DAYS):
        date = start + dt.timedelta(days=day)
        if day in versions:
            content = _approve(session, clock, clinician, persona, versions[day](start))
        in_gap = persona.gap is not None and persona.gap[0] <= day <= persona.gap[1]
        if day % 14 == 13:
            count += _visit(session, clock, clinician, persona, date, day, rng)
        if in_gap or rng.random() > persona.checkin_rate:
            continue
        submission = _daily(persona, date, day, rng, content)
        checkins.submit_checkin(
            session, clock, _as(person), submission, person_handle=persona.handle
        )
        count += 1
    return count


def _approve(
    session: Session, clock: Clock, clinician: User, persona: Persona, data: dict[str, Any]
) -> PlanContent:
    """The clinician drafts the version, reviews its findings and approves it."""
    actor = _as(clinician)
    view = plans.draft(session, clock, actor, persona.handle, PlanInput.model_validate(data))
    plans.approve(
        session, clock, actor, persona.handle, view.number, view.review.needs_acknowledging
    )
    return view.review.content


# How each person's logged kratom departs from the plan: (chance on a day, extra amount).
DEVIATIONS = {"casey": (0.25, "0.5"), "harper": (0.1, "0.5"), "devon": (0.15, "1")}


def _planned_kratom(content: PlanContent | None, date: dt.date) -> list[tuple[dt.time, Amount]]:
    if content is None:
        return []
    schedule = content.schedule()
    if schedule is not None:
        return [(t, a) for t, a in kratom_doses_on(schedule, date) if a.value > 0]
    return [
        (time, item.amount_per_dose)
        for item in content.items
        if item.category.value == "kratom"
        for time in item.times
    ]


def _daily(
    persona: Persona, date: dt.date, day: int, rng: random.Random, content: PlanContent | None
) -> CheckinCreate:
    doses: list[dict[str, Any]] = []
    planned = _planned_kratom(content, date)
    chance, extra = DEVIATIONS.get(persona.handle, (0.0, "0"))
    for index, (time, amount) in enumerate(planned):
        value = amount.value + (Decimal(extra) if index == 0 and rng.random() < chance else 0)
        doses.append(
            {
                "category": "kratom",
                "form": persona.kratom_form,
                "amount": str(value),
                "unit": amount.unit.value,
                "time": time.strftime("%H:%M"),
            }
        )
    if persona.handle == "emery" and day >= 10:
        doses.append(
            {
                "category": "moud",
                "form": "film",
                "product": "Suboxone 8 mg/2 mg",
                "amount": 8,
                "unit": "mg",
                "time": "08:00",
            }
        )
    melatonin = persona.melatonin_nights and rng.random() < persona.melatonin_nights
    if melatonin:
        doses.append({"category": "melatonin", "amount": 3, "unit": "mg", "time": "21:30"})
    if persona.magnesium_mg:
        doses.append(
            {
                "category": "magnesium",
                "form": "glycinate",
                "amount": persona.magnesium_mg,
                "unit": "mg",
                "time": "22:00",
            }
        )

    responses: dict[str, Any] = {
        "craving": [
            _clamp(round(rng.gauss(persona.craving(day), 1.2)), 0, 10),
            _clamp(round(rng.gauss(persona.craving(day) * 0.5, 1.0)), 0, 10),
        ],
        "sows": _spread(max(0.0, rng.gauss(persona.withdrawal(day), 2.0)), 16, 4, rng),
        "sleep_diary": _diary(persona.sleep_efficiency(day) + (0.05 if melatonin else 0.0), rng),
    }
    if day % 7 == 6:
        week = day // 7
        phq9 = _spread(max(0.0, rng.gauss(7, 2)), 9, 3, rng)
        phq9[8] = 1 if persona.phq9_item9_week == week else 0
        responses["phq9"] = phq9
        responses["gad7"] = _spread(max(0.0, rng.gauss(6, 2)), 7, 3, rng)
    activities: dict[str, Any] = {}
    if rng.random() < 0.6:
        activities["exercise_minutes"] = rng.choice((20, 30, 30, 45, 60))
    if rng.random() < 0.5:
        activities["meditation_minutes"] = rng.choice((5, 10, 10, 15))
    if date.weekday() == 2 and rng.random() < 0.85:
        activities["counseling"] = True
    if date.weekday() in (1, 5) and rng.random() < 0.7:
        activities["support_meeting"] = True
    return CheckinCreate.model_validate(
        {
            "date": date.isoformat(),
            "kind": "daily",
            "idempotency_key": f"demo-{persona.handle}-{date.isoformat()}",
            "activities": activities,
            "doses": doses,
            "responses": responses,
        }
    )


def _visit(
    session: Session,
    clock: Clock,
    clinician: User,
    persona: Persona,
    date: dt.date,
    day: int,
    rng: random.Random,
) -> int:
    anchors = (
        (0, 1, 2, 4),
        (0, 1, 2, 3, 4),
        (0, 1, 3, 5),
        (0, 1, 2, 5),
        (0, 1, 2, 4),
        (0, 1, 2, 4),
        (0, 1, 2, 3, 5),
        (0, 1, 2, 4),
        (0, 1, 2, 4),
        (0, 1, 2, 4),
        (0, 3, 5),
    )
    level = persona.withdrawal(day) / 64
    cows = [
        values[min(len(values) - 1, int(rng.random() < level * 3) + int(rng.random() < level))]
        for values in anchors
    ]
    submission = CheckinCreate.model_validate(
        {
            "date": date.isoformat(),
            "kind": "visit",
            "idempotency_key": f"demo-visit-{persona.handle}-{date.isoformat()}",
            "responses": {"cows": cows},
            "note": "Clinic visit.",
        }
    )
    checkins.submit_checkin(
        session, clock, _as(clinician), submission, person_handle=persona.handle
    )
    return 1


def _spread(total: float, items: int, maximum: int, rng: random.Random) -> list[int]:
    """Item answers that add up to about `total`, each within 0..maximum."""
    target = _clamp(round(total), 0, items * maximum)
    answers = [0] * items
    while sum(answers) < target:
        index = rng.randrange(items)
        if answers[index] < maximum:
            answers[index] += 1
    return answers


def _diary(efficiency: float, rng: random.Random) -> dict[str, Any]:
    into_bed = 22 * 60 + 30 + rng.randint(-45, 75)
    tried = into_bed + rng.randint(0, 20)
    time_in_bed = rng.randint(450, 540)
    awake_total = int(time_in_bed * (1 - _clamp_f(efficiency + rng.gauss(0, 0.04), 0.4, 0.98)))
    latency = max(5, int(awake_total * 0.45))
    terminal = rng.randint(0, 15)
    out_of_bed = into_bed + time_in_bed
    final = out_of_bed - terminal
    waso = max(0, awake_total - latency - (tried - into_bed) - terminal)
    return {
        "into_bed": _hhmm(into_bed),
        "tried_to_sleep": _hhmm(tried),
        "sleep_onset_minutes": latency,
        "awakenings": 0 if waso == 0 else max(1, waso // 20),
        "awake_minutes": waso,
        "final_awakening": _hhmm(final),
        "out_of_bed": _hhmm(out_of_bed),
        "quality": _clamp(round(1 + 4 * (efficiency - 0.55) / 0.4 + rng.gauss(0, 0.5)), 1, 5),
    }


def _hhmm(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _clamp_f(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


DEMO_PASSWORD = "taperline-demo"  # noqa: S105 - printed by `taperline serve --demo`; demo data only


def set_passwords(
    session: Session, clock: Clock, settings: Settings, actor: Actor
) -> list[tuple[str, str]]:
    """Give every demo account the demo password; returns (handle, role) for the login list."""
    from taperline.services import accounts

    clinic = session.scalar(select(Clinic).where(Clinic.name == CLINIC_NAME))
    if clinic is None:
        return []
    users = session.scalars(
        select(User).where(User.clinic_id == clinic.id).order_by(User.role, User.handle)
    )
    logins = []
    for user in users:
        if user.password_hash is None:
            accounts.set_password(session, clock, settings, user, DEMO_PASSWORD, actor)
        logins.append((user.handle, user.role))
    return logins
