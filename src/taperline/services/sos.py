"""SOS: one step that shows the person what to do now, opens an urgent alert for their care
team and tells everyone who should know, in the app at once and by email."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.domain.access import Action, Actor
from taperline.domain.outreach import zone
from taperline.domain.safety.crisis import CrisisSteps, crisis_steps
from taperline.knowledge import load
from taperline.services import audit
from taperline.services.authz import require
from taperline.services.notifications import notify
from taperline.services.outreach import care_team
from taperline.services.people import find_user, local_today
from taperline.services.safety import raise_alert
from taperline.services.supporting import circle_to_tell

RULE = "sos"


@dataclass(frozen=True, slots=True)
class SosResult:
    steps: CrisisSteps
    alert_id: int | None  # None: an SOS alert for today was already open; the team is told again
    told: tuple[str, ...]  # handles of those notified


def raise_sos(session: Session, clock: Clock, actor: Actor, handle: str) -> SosResult:
    person = find_user(session, handle)
    require(session, actor, Action.SOS_RAISE, person=person)
    steps = crisis_steps(load(), person.clinic.country)
    local = clock.now().astimezone(zone(person.timezone))
    alert_id = raise_alert(
        session,
        clock,
        actor,
        person,
        rule_id=RULE,
        day=local_today(person, clock),
        severity="urgent",
        title=f"SOS from {person.display_name}",
        clinician_message=(
            f'{person.display_name} pressed "I need help now" at {local:%H:%M} their time. '
            "Contact them now. If you cannot reach them and think they may be in danger, call "
            f"{steps.contacts.emergency} for them."
        ),
    )
    told = []
    for member in care_team(session, person.id):
        notify(
            session,
            clock,
            member,
            kind="sos",
            title=f"SOS: {person.display_name} needs help now",
            body=(
                f'{person.display_name} pressed "I need help now" at {local:%H:%M} their '
                "time. Contact them now; the alert is open in Taperline."
            ),
            link="/alerts",
            urgent=True,
        )
        told.append(member.handle)
    for supporter in circle_to_tell(session, person.id, about="sos"):
        notify(
            session,
            clock,
            supporter,
            kind="sos",
            title=f"{person.display_name} asked for help now",
            body=(
                f'{person.display_name} pressed "I need help now" in Taperline at {local:%H:%M} '
                "their time, and their care team has been told. Please contact them now. If you "
                f"think they may be in danger or you cannot reach them, call "
                f"{steps.contacts.emergency}."
            ),
            link="/supporting",
            urgent=True,
        )
        told.append(supporter.handle)
    audit.record(
        session,
        clock,
        actor,
        "sos.raise",
        person_id=person.id,
        resource_type="alert",
        resource_id=alert_id,
        detail={"told": len(told)},
    )
    return SosResult(steps, alert_id, tuple(told))
