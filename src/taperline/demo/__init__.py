"""A deterministic demo clinic, built through the real services.

Two clinicians, a clinic admin and eight people, each with 60 days of history whose shape
is chosen to show something: a steady taper, a withdrawal spike, bad sleep, missed
check-ins, buprenorphine, melatonin on some nights, capsules with magnesium, and a week
with a PHQ-9 item 9 answer that needs same-day follow-up. The same date gives the same data.

The amounts here are illustrative history for a demonstration, not advice: Taperline never
proposes a dose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.config import Settings
from taperline.db.models import Clinic, User
from taperline.demo.history import _review_old_alerts, _seed_person
from taperline.demo.personas import DAYS as DAYS
from taperline.demo.personas import PERSONAS
from taperline.demo.personas import _plan as _plan  # the benches build plans with it
from taperline.demo.personas import _taper as _taper
from taperline.demo.support import DEMO_PASSWORD as DEMO_PASSWORD
from taperline.demo.support import _seed_circles, _seed_messages, _seed_rewards
from taperline.domain.access import Actor
from taperline.domain.types import Role
from taperline.services import people

CLINIC_NAME = "Riverside Recovery Clinic (demo)"


@dataclass
class DemoResult:
    clinic: str
    created: bool
    clinicians: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    checkins: int = 0
    days: int = DAYS


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
    _seed_messages(session, clock)
    _seed_rewards(session, clock)
    return result


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
