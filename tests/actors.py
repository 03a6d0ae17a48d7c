"""The cast: patient Pat and her clinician Cleo; Uma, a clinician in the same clinic who does
not care for Pat; Olga, a clinician in another clinic; Quinn, another patient; Ada, admin."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import User
from taperline.domain.types import Role
from tests.factories import make_clinic, make_user


@dataclass(frozen=True)
class Cast:
    pat: User
    cleo: User
    uma: User
    olga: User
    quinn: User
    ada: User


def cast(session: Session, clock: Clock) -> Cast:
    clinic = make_clinic(session, clock, "Harbor Clinic")
    other = make_clinic(session, clock, "Far Clinic")
    cleo = make_user(session, clock, clinic, "cleo", Role.CLINICIAN)
    uma = make_user(session, clock, clinic, "uma", Role.CLINICIAN)
    olga = make_user(session, clock, other, "olga", Role.CLINICIAN)
    ada = make_user(session, clock, clinic, "ada", Role.ADMIN)
    pat = make_user(session, clock, clinic, "pat", Role.PERSON, clinicians=("cleo",))
    quinn = make_user(session, clock, clinic, "quinn", Role.PERSON, clinicians=("uma",))
    return Cast(pat=pat, cleo=cleo, uma=uma, olga=olga, quinn=quinn, ada=ada)
