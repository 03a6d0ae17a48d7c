"""The one place that gathers access facts and asks the policy (taperline.domain.access)."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from taperline.db.models import CareRelationship, CircleMember, User
from taperline.domain.access import Action, Actor, Subject, can
from taperline.domain.errors import Forbidden
from taperline.domain.types import Role


class AccessDenied(Forbidden):
    """Forbidden, with what the audit log needs to record the refusal."""

    def __init__(self, actor: Actor, action: Action, person_id: int | None) -> None:
        super().__init__("You do not have access to do that for this record.")
        self.actor = actor
        self.action = action
        self.person_id = person_id


_care = CareRelationship.__table__.c
# Asked on nearly every request: built once, with bound parameters.
_CARES_FOR = select(
    exists().where(
        _care.clinician_id == bindparam("clinician_id"),
        _care.person_id == bindparam("person_id"),
        _care.ended_at.is_(None),
    )
)


_circle = CircleMember.__table__.c
_SUPPORTS = select(
    exists().where(
        _circle.supporter_id == bindparam("supporter_id"),
        _circle.person_id == bindparam("person_id"),
        _circle.ended_at.is_(None),
        _circle.accepted_at.is_not(None),
    )
)


def supports(session: Session, supporter_id: int, person_id: int) -> bool:
    found = session.execute(_SUPPORTS, {"supporter_id": supporter_id, "person_id": person_id})
    return bool(found.scalar())


def cares_for(session: Session, clinician_id: int, person_id: int) -> bool:
    found = session.execute(_CARES_FOR, {"clinician_id": clinician_id, "person_id": person_id})
    return bool(found.scalar())


def require(
    session: Session,
    actor: Actor,
    action: Action,
    *,
    person: User | None = None,
    clinic_id: int | None = None,
    new_role: Role | None = None,
) -> None:
    """Raise AccessDenied unless the policy allows `actor` to do `action`."""
    subject = Subject(
        person_id=person.id if person else None,
        clinic_id=person.clinic_id if person else clinic_id,
        cares_for=(
            person is not None
            and actor.role is Role.CLINICIAN
            and actor.user_id is not None
            and cares_for(session, actor.user_id, person.id)
        ),
        new_role=new_role,
        supports=(
            person is not None
            and actor.role is Role.SUPPORTER
            and actor.user_id is not None
            and supports(session, actor.user_id, person.id)
        ),
    )
    if not can(actor, action, subject):
        raise AccessDenied(actor, action, person.id if person else None)
