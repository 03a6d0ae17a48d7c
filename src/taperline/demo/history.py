"""The demo's history, day by day: check-ins, doses, visits and plan approvals, all through
the real services."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Clinic, User
from taperline.demo.personas import DAYS, PLANS, Persona
from taperline.domain.access import Actor
from taperline.domain.calendar import kratom_doses_on
from taperline.domain.plans import PlanContent
from taperline.domain.types import Role
from taperline.domain.units import Amount
from taperline.schemas.checkins import CheckinCreate
from taperline.schemas.plans import PlanInput
from taperline.services import checkins, people, plans, safety
from taperline.services.people import local_today


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
