"""The person's calendar (iCalendar) and what is due today, from the approved plan."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.domain.access import Action, Actor
from taperline.domain.calendar import DueItem, due_on
from taperline.domain.errors import NotFound
from taperline.interop.ics import build_calendar
from taperline.services import audit, plans
from taperline.services.authz import require
from taperline.services.people import find_user, local_today


def export_ics(
    session: Session, clock: Clock, actor: Actor, handle: str, *, horizon_days: int = 365
) -> bytes:
    person = find_user(session, handle)
    require(session, actor, Action.PLAN_READ, person=person)
    content = plans.approved_content(session, person.id)
    if content is None:
        raise NotFound(f"plan: {person.handle} has no approved plan yet, so there is no calendar")
    audit.record(
        session, clock, actor, "calendar.export", person_id=person.id, resource_type="calendar"
    )
    return build_calendar(
        person_name=person.display_name,
        timezone=person.timezone,
        content=content,
        generated_at=clock.now(),
        horizon_days=horizon_days,
    )


def due_today(
    session: Session, clock: Clock, actor: Actor, handle: str, date: dt.date | None = None
) -> tuple[dt.date, list[DueItem]]:
    person = find_user(session, handle)
    require(session, actor, Action.PLAN_READ, person=person)
    content = plans.approved_content(session, person.id)
    if content is None:
        raise NotFound(f"plan: {person.handle} has no approved plan yet, so nothing is scheduled")
    day = date or local_today(person, clock)
    audit.record(
        session,
        clock,
        actor,
        "calendar.today",
        person_id=person.id,
        resource_type="calendar",
        detail={"date": day.isoformat()},
    )
    return day, due_on(content, day)
