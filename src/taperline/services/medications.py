"""Correcting a medicine name in a person's safety profile: how a 'did you mean …?' suggestion
is confirmed by the person or a clinician. Nothing is renamed without that step."""

from __future__ import annotations

from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Medication
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.safety import substances
from taperline.knowledge import load
from taperline.services import audit
from taperline.services.authz import require
from taperline.services.people import find_user

MAX_NAME = 200


def rename(
    session: Session, clock: Clock, actor: Actor, handle: str, medication_id: int, name: str
) -> Medication:
    """Change a medication's name (for example to a suggestion the person confirmed). The new
    name must be one the safety engine recognises, so that its interactions are checked."""
    person = find_user(session, handle)
    require(session, actor, Action.PROFILE_UPDATE, person=person)
    medication = session.get(Medication, medication_id)
    if medication is None or medication.person_id != person.id:
        raise NotFound(f"medication: {person.display_name} has no medication {medication_id}")
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise InvalidInput("name", f"give the medicine's name (up to {MAX_NAME} characters)")
    if not substances.recognise(load(), cleaned):
        [unread] = substances.unrecognised(load(), [(cleaned, "medication")])
        hint = f" Did you mean {unread.did_you_mean()}?" if unread.suggestions else ""
        raise InvalidInput(
            "name",
            f"Taperline does not recognise '{cleaned}' either, so its interactions could not "
            f"be checked.{hint} Check the name on the box or label",
        )
    old = medication.name
    medication.name = cleaned
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        "profile.update",
        person_id=person.id,
        resource_type="medication",
        resource_id=medication.id,
        detail={"renamed": {"from": old, "to": cleaned}},
    )
    return medication
