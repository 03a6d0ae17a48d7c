"""The support circle on the real database: invitations, joining, what a supporter sees (and
does not), changes effective at once, SOS and missed check-ins told to the circle, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.config import Settings
from taperline.db.models import AuditEvent, Job, Notification, User
from taperline.domain.access import Actor
from taperline.domain.circle import MAX_SUPPORTERS, Shares, Trend
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.types import Role
from taperline.services import circle, people, sos, supporting
from taperline.services.authz import AccessDenied
from tests.actors import Cast, cast
from tests.factories import actor_for, checkin_data, submit

SETTINGS = Settings(database_url="sqlite://", password_time_cost=1, password_memory_kib=8)
PASSWORD = "a long enough password"


def _invite(session: Session, clock: FixedClock, who: Cast, email: str, **shares: bool) -> str:
    sent = circle.invite(
        session,
        clock,
        SETTINGS,
        actor_for(who.pat),
        "pat",
        email=email,
        name="Mum",
        relation="family",
        shares=Shares(**shares),
    )
    return sent.link.rsplit("/", 1)[1]


def _join(session: Session, clock: FixedClock, token: str, handle: str = "mum") -> User:
    return circle.join(
        session,
        clock,
        SETTINGS,
        token,
        handle=handle,
        display_name="Mum",
        password=PASSWORD,
        confirm=PASSWORD,
        source="test",
    )


def test_invite_join_and_see_only_what_is_shared(session: Session, clock: FixedClock) -> None:
    who = cast(session, clock)
    token = _invite(session, clock, who, "Mum@Example.org", checkins=True)
    [job] = session.scalars(select(Job).where(Job.kind == "invite_email")).all()
    assert job.payload["to"] == "mum@example.org" and token in job.payload["text"]
    for day in range(3):
        date = clock.today() - dt.timedelta(days=day)
        submit(session, clock, actor_for(who.pat), "pat", checkin_data(date))
    mum = _join(session, clock, token)
    assert mum.role == Role.SUPPORTER.value and mum.email == "mum@example.org"
    [view] = supporting.supporting(session, clock, actor_for(mum))
    assert view.person_handle == "pat" and view.checked_in_today is True and view.streak == 3
    assert view.trend is None and view.open_alerts is None and view.scores is None
    # The person changes what Mum sees: effective on her very next look.
    [member] = circle.members(session, clock, actor_for(who.pat), "pat")
    circle.set_shares(
        session,
        clock,
        actor_for(who.pat),
        "pat",
        member.id,
        Shares(checkins=False, trend=True, alerts=True),
    )
    [view] = supporting.supporting(session, clock, actor_for(mum))
    assert view.checked_in_today is None and view.streak is None
    assert view.trend is Trend.UNKNOWN and view.open_alerts is False
    circle.end(session, clock, actor_for(who.pat), "pat", member.id)
    assert supporting.supporting(session, clock, actor_for(mum)) == []
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"circle.invite", "circle.join", "circle.share", "circle.end", "support.view"} <= actions


def test_an_invitation_link_works_once_and_not_after_it_expires(
    session: Session, clock: FixedClock
) -> None:
    who = cast(session, clock)
    token = _invite(session, clock, who, "mum@example.org")
    _join(session, clock, token)
    with pytest.raises(InvalidInput, match="already used"):
        _join(session, clock, token, handle="mum2")
    late = _invite(session, clock, who, "dad@example.org")
    later = FixedClock(clock.now() + dt.timedelta(days=8))
    with pytest.raises(InvalidInput, match="expired"):
        circle.invitation(session, later, late)
    with pytest.raises(InvalidInput, match="not valid"):
        circle.invitation(session, clock, "not-a-real-token-at-all")


def test_bad_invitations_are_refused_clearly(session: Session, clock: FixedClock) -> None:
    who = cast(session, clock)
    who.pat.email = "pat@example.org"
    _invite(session, clock, who, "mum@example.org")
    with pytest.raises(InvalidInput, match="already in your circle") as error:
        _invite(session, clock, who, "MUM@example.org")
    assert error.value.field == "email"
    with pytest.raises(InvalidInput, match="your own address"):
        _invite(session, clock, who, "pat@example.org")
    with pytest.raises(InvalidInput) as bad:
        _invite(session, clock, who, "not an address")
    assert bad.value.field == "email"
    for n in range(MAX_SUPPORTERS - 1):
        _invite(session, clock, who, f"friend{n}@example.org")
    with pytest.raises(InvalidInput, match=f"already has {MAX_SUPPORTERS}"):
        _invite(session, clock, who, "one.more@example.org")


def test_join_refuses_bad_accounts_and_keeps_the_invitation(
    session: Session, clock: FixedClock
) -> None:
    who = cast(session, clock)
    token = _invite(session, clock, who, "mum@example.org")
    with pytest.raises(InvalidInput) as taken:
        _join(session, clock, token, handle="cleo")
    assert taken.value.field == "handle"
    with pytest.raises(InvalidInput) as short:
        circle.join(
            session, clock, SETTINGS, token, handle="mum", display_name="Mum",
            password="short", confirm="short", source="test",
        )  # fmt: skip
    assert short.value.field == "password"
    assert circle.invitation(session, clock, token).email == "mum@example.org"


@pytest.mark.parametrize("who_asks", ["cleo", "uma", "ada", "quinn"])
def test_only_the_person_manages_their_circle(
    session: Session, clock: FixedClock, who_asks: str
) -> None:
    who = cast(session, clock)
    with pytest.raises(AccessDenied):
        _invite_as(session, clock, getattr(who, who_asks))


def _invite_as(session: Session, clock: FixedClock, user: User) -> None:
    circle.invite(
        session, clock, SETTINGS, actor_for(user), "pat",
        email="x@example.org", name="X", relation="friend", shares=Shares(),
    )  # fmt: skip


def test_clinicians_caring_for_the_person_see_who_is_in_the_circle(
    session: Session, clock: FixedClock
) -> None:
    who = cast(session, clock)
    _invite(session, clock, who, "mum@example.org")
    [member] = circle.members(session, clock, actor_for(who.cleo), "pat")
    assert member.status == "invited" and member.name == "Mum"
    with pytest.raises(AccessDenied):
        circle.members(session, clock, actor_for(who.uma), "pat")


def test_a_supporter_reads_nothing_of_the_record(session: Session, clock: FixedClock) -> None:
    who = cast(session, clock)
    mum = _join(session, clock, _invite(session, clock, who, "mum@example.org", scores=True))
    with pytest.raises(AccessDenied):
        people.show_person(session, clock, actor_for(mum), "pat")
    with pytest.raises(AccessDenied):
        circle.members(session, clock, actor_for(mum), "pat")
    with pytest.raises(AccessDenied):  # and a clinician is no supporter
        supporting.supporting(session, clock, actor_for(who.cleo))


def test_sos_and_missed_checkins_reach_only_those_who_agreed(
    session: Session, clock: FixedClock
) -> None:
    who = cast(session, clock)
    mum = _join(session, clock, _invite(session, clock, who, "mum@example.org", sos=True))
    dad = _join(
        session, clock, _invite(session, clock, who, "dad@example.org", sos=False), handle="dad"
    )
    result = sos.raise_sos(session, clock, actor_for(who.pat), "pat")
    assert "mum" in result.told and "dad" not in result.told
    [note] = session.scalars(select(Notification).where(Notification.user_id == mum.id)).all()
    assert note.urgent and "call 911" in note.body
    assert not session.scalars(select(Notification).where(Notification.user_id == dad.id)).all()
    assert supporting.circle_to_tell(session, who.pat.id, about="missed") == []


def test_an_operator_cannot_create_a_supporter_account(session: Session, clock: FixedClock) -> None:
    who = cast(session, clock)
    with pytest.raises(AccessDenied):
        people.add_account(
            session, clock, actor_for(who.ada), handle="sneaky", display_name="S",
            role=Role.SUPPORTER, clinic=who.pat.clinic, timezone="UTC",
        )  # fmt: skip
    with pytest.raises(NotFound):
        circle.end(session, clock, actor_for(who.pat), "pat", 999)
    assert Actor.operator("t").is_operator
