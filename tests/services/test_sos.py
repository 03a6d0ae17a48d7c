"""SOS on the real database: one step raises an urgent alert, tells the care team at once
(email queued even in quiet hours), gives the crisis steps with their sources; only the person."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db.models import Alert, AuditEvent, Job, Notification
from taperline.services import notifications, sos
from taperline.services.authz import AccessDenied
from taperline.services.notifications import Preferences
from tests.actors import cast
from tests.factories import actor_for


def test_sos_alerts_the_care_team_and_shows_the_steps(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    people.cleo.email = "cleo@example.org"
    notifications.set_preferences(
        session,
        clock,
        actor_for(people.cleo),
        "cleo",
        Preferences(quiet_start=dt.time(0, 0), quiet_end=dt.time(23, 59)),  # always quiet
    )
    result = sos.raise_sos(session, clock, actor_for(people.pat), "pat")
    alert = session.get(Alert, result.alert_id)
    assert alert is not None and (alert.rule_id, alert.severity) == ("sos", "urgent")
    assert alert.status == "open" and "Contact them now" in alert.clinician_message
    assert result.told == ("cleo",)  # Pat's clinician, not Uma
    told = session.scalars(select(Notification).where(Notification.user_id == people.cleo.id))
    [note] = list(told)
    assert note.urgent and note.kind == "sos"
    email = session.scalars(select(Job).where(Job.kind == "email")).one()
    assert email.run_at == clock.now()  # urgent: quiet hours do not hold it
    assert result.steps.overdose[0].startswith("Call 911 now")
    assert any("naloxone" in step.lower() for step in result.steps.overdose)
    assert any("recovery position" in step for step in result.steps.overdose)
    assert "samhsa-overdose-toolkit" in result.steps.citations
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "sos.raise")).all()


def test_a_second_sos_the_same_day_tells_the_team_again_under_one_alert(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    first = sos.raise_sos(session, clock, actor_for(people.pat), "pat")
    again = sos.raise_sos(session, clock, actor_for(people.pat), "pat")
    assert first.alert_id is not None and again.alert_id is None
    notes = session.scalars(select(Notification).where(Notification.kind == "sos")).all()
    assert len(notes) == 2


@pytest.mark.parametrize("who", ["cleo", "quinn", "ada"])
def test_nobody_raises_an_sos_for_someone_else(
    session: Session, clock: FixedClock, who: str
) -> None:
    people = cast(session, clock)
    with pytest.raises(AccessDenied):
        sos.raise_sos(session, clock, actor_for(getattr(people, who)), "pat")
