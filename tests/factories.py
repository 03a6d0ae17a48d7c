"""Explicit builders for the cast of the tests (see tests/actors.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Clinic, User
from taperline.domain.access import Actor
from taperline.domain.types import Role
from taperline.schemas.checkins import CheckinCreate
from taperline.services import checkins, people

OPERATOR = Actor.operator("tests")


def make_clinic(session: Session, clock: Clock, name: str = "Test Clinic") -> Clinic:
    return people.create_clinic(session, clock, OPERATOR, name)


def make_user(
    session: Session,
    clock: Clock,
    clinic: Clinic,
    handle: str,
    role: Role,
    *,
    clinicians: tuple[str, ...] = (),
    timezone: str = "America/New_York",
) -> User:
    return people.add_account(
        session,
        clock,
        OPERATOR,
        handle=handle,
        display_name=handle.title(),
        role=role,
        clinic=clinic,
        timezone=timezone,
        clinician_handles=clinicians,
    )


def actor_for(user: User) -> Actor:
    return Actor(
        label=f"user:{user.handle}",
        source="test",
        user_id=user.id,
        role=Role(user.role),
        clinic_id=user.clinic_id,
    )


def taper(
    start: str,
    current: float,
    target: float,
    *,
    step: float,
    step_days: int = 7,
    unit: str = "g",
    form: str = "leaf_powder",
    method: str = "fixed",
    smallest: float = 0.25,
    times: tuple[str, ...] = ("08:00",),
    long_term_use: bool = False,
) -> dict[str, Any]:
    """A plan's "taper" document, as a clinician sends it: fixed steps of leaf powder in grams
    unless told otherwise."""
    return {
        "form": form,
        "start": start,
        "current": {"amount": current, "unit": unit},
        "target": {"amount": target, "unit": unit},
        "method": method,
        "step": step,
        "step_days": step_days,
        "smallest_step": {"amount": smallest, "unit": unit},
        "doses": [{"time": time} for time in times],
        "long_term_use": long_term_use,
    }


def checkin_data(date: dt.date, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "date": date.isoformat(),
        "doses": [
            {
                "category": "kratom",
                "form": "leaf_powder",
                "amount": "2.5",
                "unit": "g",
                "time": "08:00",
            }
        ],
        "responses": {"craving": [4, 1], "sows": [1] * 16},
    }
    data.update(overrides)
    return data


def submit(
    session: Session, clock: Clock, actor: Actor, person: str, data: dict[str, Any]
) -> checkins.SubmitResult:
    return checkins.submit_checkin(
        session, clock, actor, CheckinCreate.model_validate(data), person_handle=person
    )
