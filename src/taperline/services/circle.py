"""The support circle: a person invites supporters by email, chooses what each may see, and
changes or ends it at any time; a supporter sees only that. Every grant, change and view is
audited."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.config import Settings
from taperline.db.models import (
    CircleMember,
    Job,
    User,
)
from taperline.domain.access import Action, Actor
from taperline.domain.circle import (
    INVITE_DAYS,
    Relation,
    Shares,
    check_invite,
)
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.types import Role, parse_enum
from taperline.services import accounts, audit, jobs
from taperline.services.authz import require
from taperline.services.people import HANDLE, check_email, find_user

BAD_LINK = (
    "this invitation link is not valid: it was already used, it has expired or it was "
    "withdrawn. Ask the person who invited you to send a new one"
)


@dataclass(frozen=True, slots=True)
class MemberView:
    id: int
    name: str
    relation: str
    email: str
    status: str  # invited, joined, expired, ended
    supporter_handle: str | None
    invited_at: dt.datetime
    joined_at: dt.datetime | None
    ended_at: dt.datetime | None
    shares: Shares


@dataclass(frozen=True, slots=True)
class Invitation:
    member: MemberView
    link: str  # shown once to the person; only its hash is stored


@dataclass(frozen=True, slots=True)
class InvitationView:
    person_name: str
    name: str
    email: str
    expires_at: dt.datetime


def shares_of(member: CircleMember) -> Shares:
    return Shares(
        checkins=member.share_checkins,
        trend=member.share_trend,
        alerts=member.share_alerts,
        scores=member.share_scores,
        missed=member.share_missed,
        sos=member.share_sos,
    )


def _apply(member: CircleMember, shares: Shares) -> None:
    member.share_checkins = shares.checkins
    member.share_trend = shares.trend
    member.share_alerts = shares.alerts
    member.share_scores = shares.scores
    member.share_missed = shares.missed
    member.share_sos = shares.sos


def _status(member: CircleMember, now: dt.datetime) -> str:
    if member.ended_at is not None:
        return "ended"
    if member.accepted_at is not None:
        return "joined"
    if member.invite_expires_at is not None and member.invite_expires_at <= now:
        return "expired"
    return "invited"


def _view(session: Session, member: CircleMember, now: dt.datetime) -> MemberView:
    supporter = session.get(User, member.supporter_id) if member.supporter_id else None
    return MemberView(
        id=member.id,
        name=member.name,
        relation=member.relation,
        email=member.email,
        status=_status(member, now),
        supporter_handle=supporter.handle if supporter else None,
        invited_at=member.created_at,
        joined_at=member.accepted_at,
        ended_at=member.ended_at,
        shares=shares_of(member),
    )


def _rows(session: Session, person_id: int) -> list[CircleMember]:
    return list(
        session.scalars(
            select(CircleMember)
            .where(CircleMember.person_id == person_id)
            .order_by(CircleMember.ended_at.is_not(None), CircleMember.id)
        )
    )


def invite(
    session: Session,
    clock: Clock,
    settings: Settings,
    actor: Actor,
    handle: str,
    *,
    email: str,
    name: str,
    relation: str,
    shares: Shares,
) -> Invitation:
    person = find_user(session, handle)
    require(session, actor, Action.CIRCLE_MANAGE, person=person)
    address = check_email(email).lower()
    kind = parse_enum(Relation, relation or "other", field="relation")
    now = clock.now()
    current = [
        m.email.lower()
        for m in _rows(session, person.id)
        if m.ended_at is None and _status(m, now) != "expired"
    ]
    check_invite(email=address, name=name, person_email=person.email, current=current)
    token = secrets.token_urlsafe(24)
    member = CircleMember(
        person_id=person.id,
        email=address,
        name=name.strip(),
        relation=kind.value,
        invite_hash=accounts.digest(token),
        invite_expires_at=now + dt.timedelta(days=INVITE_DAYS),
        created_at=now,
    )
    _apply(member, shares)
    session.add(member)
    session.flush()
    link = f"{settings.public_url.rstrip('/')}/circle/join/{token}"
    jobs.enqueue(
        session,
        clock,
        "invite_email",
        {
            "forget_text": True,
            "to": address,
            "subject": f"{person.display_name} invited you to their support circle",
            "text": (
                f"Hello {member.name},\n\n{person.display_name} has asked you to be in their "
                "support circle in Taperline, an app their clinic uses to support their "
                "recovery. You would see only what they choose to share with you, and they "
                "can change that at any time.\n\n"
                f"To accept, open this link within {INVITE_DAYS} days:\n{link}\n\n"
                "If you were not expecting this, you can ignore this email.\n"
            ),
        },
        dedupe_key=f"invite:circle:{member.id}",
    )
    audit.record(
        session,
        clock,
        actor,
        "circle.invite",
        person_id=person.id,
        resource_type="circle_member",
        resource_id=member.id,
        detail={"relation": kind.value, "shares": list(shares.on())},
    )
    return Invitation(_view(session, member, now), link)


def members(session: Session, clock: Clock, actor: Actor, handle: str) -> list[MemberView]:
    """Everyone who is or was in the circle: for the person and their clinicians."""
    person = find_user(session, handle)
    require(session, actor, Action.CIRCLE_READ, person=person)
    now = clock.now()
    rows = [_view(session, m, now) for m in _rows(session, person.id)]
    audit.record(
        session,
        clock,
        actor,
        "circle.read",
        person_id=person.id,
        resource_type="circle",
        detail={"count": len(rows)},
    )
    return rows


def _member(session: Session, person: User, member_id: int) -> CircleMember:
    member = session.get(CircleMember, member_id)
    if member is None or member.person_id != person.id:
        raise NotFound(f"member: nobody with id {member_id} is in your circle")
    return member


def set_shares(
    session: Session, clock: Clock, actor: Actor, handle: str, member_id: int, shares: Shares
) -> MemberView:
    """Change what one supporter sees. Effective at once: the next page they open."""
    person = find_user(session, handle)
    require(session, actor, Action.CIRCLE_MANAGE, person=person)
    member = _member(session, person, member_id)
    if member.ended_at is not None:
        raise InvalidInput("member", f"{member.name} is no longer in your circle")
    before = shares_of(member)
    _apply(member, shares)
    audit.record(
        session,
        clock,
        actor,
        "circle.share",
        person_id=person.id,
        resource_type="circle_member",
        resource_id=member.id,
        detail={"before": list(before.on()), "after": list(shares.on())},
    )
    return _view(session, member, clock.now())


def end(session: Session, clock: Clock, actor: Actor, handle: str, member_id: int) -> MemberView:
    """Take someone out of the circle (or withdraw an invitation). They see nothing from now."""
    person = find_user(session, handle)
    require(session, actor, Action.CIRCLE_MANAGE, person=person)
    member = _member(session, person, member_id)
    if member.ended_at is None:
        member.ended_at = clock.now()
        member.ended_by_id = actor.user_id
        member.invite_hash = None
        audit.record(
            session,
            clock,
            actor,
            "circle.end",
            person_id=person.id,
            resource_type="circle_member",
            resource_id=member.id,
        )
    return _view(session, member, clock.now())


# -- joining -----------------------------------------------------------------------------


def _by_token(session: Session, clock: Clock, token: str) -> CircleMember:
    token = token.strip()
    member = (
        session.scalar(
            select(CircleMember).where(CircleMember.invite_hash == accounts.digest(token))
        )
        if 10 <= len(token) <= 100
        else None
    )
    if (
        member is None
        or member.ended_at is not None
        or member.invite_expires_at is None
        or member.invite_expires_at <= clock.now()
    ):
        raise InvalidInput("invitation", BAD_LINK)
    return member


def invitation(session: Session, clock: Clock, token: str) -> InvitationView:
    member = _by_token(session, clock, token)
    person = session.get(User, member.person_id)
    assert person is not None and member.invite_expires_at is not None
    return InvitationView(person.display_name, member.name, member.email, member.invite_expires_at)


def _joined(session: Session, clock: Clock, member: CircleMember, supporter: User) -> None:
    if session.scalar(
        select(CircleMember.id).where(
            CircleMember.person_id == member.person_id,
            CircleMember.supporter_id == supporter.id,
            CircleMember.ended_at.is_(None),
        )
    ):
        raise InvalidInput("invitation", "you are already in this person's circle")
    member.supporter_id = supporter.id
    member.accepted_at = clock.now()
    member.invite_hash = None
    member.invite_expires_at = None


def join(
    session: Session,
    clock: Clock,
    settings: Settings,
    token: str,
    *,
    handle: str,
    display_name: str,
    password: str,
    confirm: str,
    source: str,
) -> User:
    """Accept an invitation with a new supporter account."""
    member = _by_token(session, clock, token)
    person = session.get(User, member.person_id)
    assert person is not None
    handle = handle.strip().lower()
    if not HANDLE.match(handle):
        raise InvalidInput(
            "handle",
            "use 2-40 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter",
        )
    if not display_name.strip() or len(display_name.strip()) > 200:
        raise InvalidInput("name", "give the name you want the person to see (1-200 characters)")
    accounts.check_password_rules(password)
    if password != confirm:
        raise InvalidInput("confirm", "the two passwords are not the same")
    if session.scalar(select(User.id).where(User.handle == handle)) is not None:
        raise InvalidInput("handle", f"'{handle}' is already taken; choose another")
    supporter = User(
        clinic_id=person.clinic_id,
        role=Role.SUPPORTER.value,
        handle=handle,
        display_name=display_name.strip(),
        email=member.email,
        timezone=person.timezone,
        active=True,
        created_at=clock.now(),
    )
    session.add(supporter)
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInput("handle", f"'{handle}' is already taken; choose another") from None
    actor = actor_for(supporter, source)
    audit.record(
        session,
        clock,
        actor,
        "account.create",
        resource_type="user",
        resource_id=supporter.id,
        detail={"role": Role.SUPPORTER.value, "by": "circle invitation"},
    )
    accounts.set_password(session, clock, settings, supporter, password, actor)
    _joined(session, clock, member, supporter)
    _audit_join(session, clock, actor, member)
    return supporter


def accept(session: Session, clock: Clock, actor: Actor, token: str) -> None:
    """Accept an invitation with the supporter account already logged in."""
    if actor.role is not Role.SUPPORTER or actor.user_id is None:
        raise InvalidInput(
            "invitation",
            "you are logged in with an account that is not a supporter account; log out, "
            "then open the link again to join with a supporter account",
        )
    member = _by_token(session, clock, token)
    supporter = session.get(User, actor.user_id)
    assert supporter is not None
    _joined(session, clock, member, supporter)
    _audit_join(session, clock, actor, member)


def _audit_join(session: Session, clock: Clock, actor: Actor, member: CircleMember) -> None:
    audit.record(
        session,
        clock,
        actor,
        "circle.join",
        person_id=member.person_id,
        resource_type="circle_member",
        resource_id=member.id,
    )


def actor_for(user: User, source: str) -> Actor:
    return Actor(
        label=f"user:{user.handle}",
        source=source,
        user_id=user.id,
        role=Role(user.role),
        clinic_id=user.clinic_id,
    )


def forget_invite_link(session: Session, job_id: int, to: str) -> None:
    """After an invitation email is sent, drop its text (it holds the link) from the job."""
    session.execute(update(Job).where(Job.id == job_id).values(payload={"to": to, "sent": True}))
