"""Contingency-management rewards on the database: the clinic's programme (versioned), who is
enrolled, and each person's append-only ledger. Check-ins earn on their own; a clinician
enters counseling sessions and urine drug screens, redeems and corrects. Every step audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from taperline.clock import Clock
from taperline.db.models import RewardEnrolment, RewardEntry, RewardProgramme, User
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.rewards import (
    BEHAVIOUR_LABELS,
    CLINICIAN_ENTERED,
    Behaviour,
    LastEvent,
    Unit,
    check_note,
    check_order,
    check_redeem,
    describe,
    next_streak,
    parse_behaviour,
)
from taperline.domain.types import Role
from taperline.services import audit
from taperline.services.authz import require
from taperline.services.notifications import notify
from taperline.services.people import find_user, local_today
from taperline.services.reward_programme import ProgrammeView, _active, _to_view
from taperline.services.reward_programme import configure as configure  # one door for callers
from taperline.services.reward_programme import current_programme as current_programme
from taperline.services.reward_programme import rule_from as rule_from

MAX_ENTRIES_SHOWN = 500


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    kind: str
    behaviour: Behaviour | None
    day: dt.date
    streak: int
    amount: int
    amount_text: str
    note: str
    by: str | None  # who entered it (None: earned by a check-in, or the operator)
    at: dt.datetime
    corrected: bool  # reversed by a later correction


@dataclass(frozen=True, slots=True)
class Progress:
    behaviour: Behaviour
    label: str
    streak: int  # the current run of successes (0: none yet, or reset)
    next_value: int  # what the next success earns
    next_text: str


@dataclass(frozen=True, slots=True)
class RewardsView:
    person_handle: str
    person_name: str
    programme: ProgrammeView | None
    enrolled: bool
    balance: int
    balance_text: str
    progress: tuple[Progress, ...]
    entries: tuple[EntryView, ...]


# -- enrolment -----------------------------------------------------------------------------


def _enrolment(session: Session, person_id: int) -> RewardEnrolment | None:
    return session.scalar(
        select(RewardEnrolment).where(
            RewardEnrolment.person_id == person_id, RewardEnrolment.ended_at.is_(None)
        )
    )


def _person(session: Session, handle: str) -> User:
    person = find_user(session, handle)
    if person.role != Role.PERSON:
        raise InvalidInput("person", f"'{person.handle}' is not a person in recovery")
    return person


def enrol(session: Session, clock: Clock, actor: Actor, handle: str, *, on: bool) -> bool:
    """Start (on=True) or end a person's part in the clinic's programme. Returns whether
    anything changed. The ledger stays either way."""
    person = _person(session, handle)
    require(session, actor, Action.REWARD_AWARD, person=person)
    current = _enrolment(session, person.id)
    if on and current is None:
        if _active(session, person.clinic_id) is None:
            raise InvalidInput("programme", "the clinic has no reward programme yet: set one up")
        session.add(
            RewardEnrolment(
                person_id=person.id, started_at=clock.now(), started_by_id=actor.user_id
            )
        )
    elif not on and current is not None:
        current.ended_at = clock.now()
        current.ended_by_id = actor.user_id
    else:
        return False
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        "reward.enrol" if on else "reward.unenrol",
        person_id=person.id,
        resource_type="reward_enrolment",
    )
    return True


# -- the ledger ----------------------------------------------------------------------------


def _last_event(session: Session, person_id: int, behaviour: Behaviour) -> LastEvent | None:
    reversal = aliased(RewardEntry)
    row = session.execute(
        select(RewardEntry.event_day, RewardEntry.kind, RewardEntry.streak)
        .where(
            RewardEntry.person_id == person_id,
            RewardEntry.behaviour == behaviour.value,
            ~exists().where(reversal.reverses_id == RewardEntry.id),
        )
        .order_by(RewardEntry.event_day.desc(), RewardEntry.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return LastEvent(day=row.event_day, met=row.kind == "earned", streak=row.streak)


def _balance(session: Session, person_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(RewardEntry.amount), 0)).where(
            RewardEntry.person_id == person_id
        )
    )
    return int(total or 0)


def _add(session: Session, entry: RewardEntry) -> RewardEntry:
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        label = BEHAVIOUR_LABELS[Behaviour(entry.behaviour)] if entry.behaviour else "This"
        raise InvalidInput(
            "date", f"{label.lower()} is already recorded for {entry.event_day}"
        ) from None
    return entry


def on_checkin(
    session: Session,
    clock: Clock,
    actor: Actor,
    person: User,
    *,
    checkin_id: int,
    checkin_date: dt.date,
    kind: str,
    enrolled: bool | None = None,
) -> RewardEntry | None:
    """Called by a stored check-in: a daily one sent on the day it is about earns the check-in
    reward, if the person is enrolled and the programme rewards it. Back-filled days do not.
    `enrolled`, when given, is whether the person is enrolled, as the caller has just read."""
    if kind != "daily":
        return None
    if enrolled is None:
        enrolled = _enrolment(session, person.id) is not None
    if not enrolled:
        return None
    if checkin_date != local_today(person, clock):
        return None
    programme = _active(session, person.clinic_id)
    if programme is None:
        return None
    rule = _to_view(programme).rule(Behaviour.CHECKIN_ON_TIME)
    if rule is None:
        return None
    last = _last_event(session, person.id, Behaviour.CHECKIN_ON_TIME)
    if last is not None and last.day >= checkin_date:
        return None  # already earned today (a second daily check-in earns nothing more)
    streak = next_streak(Behaviour.CHECKIN_ON_TIME, last, checkin_date)
    entry = RewardEntry(
        person_id=person.id,
        programme_id=programme.id,
        kind="earned",
        behaviour=Behaviour.CHECKIN_ON_TIME.value,
        event_day=checkin_date,
        streak=streak,
        amount=rule.value(streak),
        note="",
        checkin_id=checkin_id,
        created_at=clock.now(),
        created_by_id=None,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        return None  # stored by a concurrent check-in for the same day
    audit.record(
        session,
        clock,
        actor,
        "reward.earn",
        person_id=person.id,
        resource_type="reward_entry",
        resource_id=entry.id,
        detail={"behaviour": entry.behaviour, "streak": streak, "amount": entry.amount},
    )
    return entry


def record(
    session: Session,
    clock: Clock,
    actor: Actor,
    handle: str,
    *,
    behaviour: str,
    day: dt.date,
    met: bool,
    note: str = "",
) -> EntryView:
    """A clinician enters a verified event: a counseling session attended (or missed), a
    urine drug screen negative (or positive or missed). A success earns on the schedule; a
    miss resets the streak and earns nothing."""
    person = _person(session, handle)
    require(session, actor, Action.REWARD_AWARD, person=person)
    parsed = parse_behaviour(behaviour)
    if parsed not in CLINICIAN_ENTERED:
        raise InvalidInput("behaviour", "is earned by checking in on the day; it is not entered")
    if day > local_today(person, clock):
        raise InvalidInput("date", "is in the future")
    cleaned = check_note(note, required=False)
    if _enrolment(session, person.id) is None:
        raise InvalidInput("person", f"{person.display_name} is not enrolled in the programme")
    programme = _active(session, person.clinic_id)
    assert programme is not None  # enrolment needs one, and programmes are never deleted
    rule = _to_view(programme).rule(parsed)
    if rule is None:
        raise InvalidInput("behaviour", f"the clinic's programme does not reward {parsed.value}")
    last = _last_event(session, person.id, parsed)
    check_order(parsed, last, day)
    streak = next_streak(parsed, last, day) if met else 0
    entry = _add(
        session,
        RewardEntry(
            person_id=person.id,
            programme_id=programme.id,
            kind="earned" if met else "missed",
            behaviour=parsed.value,
            event_day=day,
            streak=streak,
            amount=rule.value(streak) if met else 0,
            note=cleaned,
            created_at=clock.now(),
            created_by_id=actor.user_id,
        ),
    )
    unit = Unit(programme.unit)
    if met:
        notify(
            session,
            clock,
            person,
            kind="reward",
            title=f"You earned {describe(unit, entry.amount)}",
            body=f"{BEHAVIOUR_LABELS[parsed]} on {day}: {streak} in a row. Well done.",
            link="/me/rewards",
            email=False,  # a screen result is health detail: in the app only
        )
    audit.record(
        session,
        clock,
        actor,
        "reward.award" if met else "reward.miss",
        person_id=person.id,
        resource_type="reward_entry",
        resource_id=entry.id,
        detail={"behaviour": parsed.value, "streak": streak, "amount": entry.amount},
    )
    return _entry_view(entry, unit, actor_name(session, actor), corrected=False)


def redeem(
    session: Session, clock: Clock, actor: Actor, handle: str, *, amount: int, note: str
) -> EntryView:
    """The clinician hands over what was earned (a voucher, a prize): it leaves the balance."""
    person = _person(session, handle)
    require(session, actor, Action.REWARD_AWARD, person=person)
    cleaned = check_note(note, required=True)
    programme = _latest_for(session, person)
    check_redeem(amount, _balance(session, person.id))
    entry = _add(
        session,
        RewardEntry(
            person_id=person.id,
            programme_id=programme.id,
            kind="redeemed",
            behaviour=None,
            event_day=local_today(person, clock),
            amount=-amount,
            note=cleaned,
            created_at=clock.now(),
            created_by_id=actor.user_id,
        ),
    )
    audit.record(
        session,
        clock,
        actor,
        "reward.redeem",
        person_id=person.id,
        resource_type="reward_entry",
        resource_id=entry.id,
        detail={"amount": amount},
    )
    return _entry_view(entry, Unit(programme.unit), actor_name(session, actor), corrected=False)


def correct(
    session: Session, clock: Clock, actor: Actor, handle: str, *, entry_id: int, note: str
) -> EntryView:
    """Reverse a line entered by mistake: a new line with the opposite amount; the original
    stays, marked corrected, and no longer counts towards a streak."""
    person = _person(session, handle)
    require(session, actor, Action.REWARD_AWARD, person=person)
    cleaned = check_note(note, required=True)
    original = session.get(RewardEntry, entry_id)
    if original is None or original.person_id != person.id:
        raise NotFound(f"entry: {person.display_name} has no ledger entry {entry_id}")
    if original.kind == "correction":
        raise InvalidInput("entry", "is itself a correction; it cannot be corrected")
    already = session.scalar(select(RewardEntry.id).where(RewardEntry.reverses_id == original.id))
    if already is not None:
        raise InvalidInput("entry", f"was already corrected (entry {already})")
    if original.amount > 0 and original.amount > _balance(session, person.id):
        raise InvalidInput(
            "entry", "was already redeemed in part; correct the redemption first, then this"
        )
    entry = _add(
        session,
        RewardEntry(
            person_id=person.id,
            programme_id=original.programme_id,
            kind="correction",
            behaviour=None,
            event_day=local_today(person, clock),
            amount=-original.amount,
            note=cleaned,
            reverses_id=original.id,
            created_at=clock.now(),
            created_by_id=actor.user_id,
        ),
    )
    audit.record(
        session,
        clock,
        actor,
        "reward.correct",
        person_id=person.id,
        resource_type="reward_entry",
        resource_id=entry.id,
        detail={"reverses": original.id, "amount": entry.amount},
    )
    programme = session.get(RewardProgramme, original.programme_id)
    assert programme is not None
    return _entry_view(entry, Unit(programme.unit), actor_name(session, actor), corrected=False)


def _latest_for(session: Session, person: User) -> RewardProgramme:
    programme = _active(session, person.clinic_id)
    if programme is None:
        programme = session.scalar(
            select(RewardProgramme)
            .where(RewardProgramme.clinic_id == person.clinic_id)
            .order_by(RewardProgramme.id.desc())
            .limit(1)
        )
    if programme is None:
        raise InvalidInput("programme", "the clinic has no reward programme yet")
    return programme


def actor_name(session: Session, actor: Actor) -> str | None:
    if actor.user_id is None:
        return None
    user = session.get(User, actor.user_id)
    return user.display_name if user else None


def _entry_view(entry: RewardEntry, unit: Unit, by: str | None, *, corrected: bool) -> EntryView:
    return EntryView(
        id=entry.id,
        kind=entry.kind,
        behaviour=Behaviour(entry.behaviour) if entry.behaviour else None,
        day=entry.event_day,
        streak=entry.streak,
        amount=entry.amount,
        amount_text=describe(unit, entry.amount),
        note=entry.note,
        by=by,
        at=entry.created_at,
        corrected=corrected,
    )


def ledger(session: Session, clock: Clock, actor: Actor, handle: str) -> RewardsView:
    """Balance, progress on each rewarded behaviour, and the ledger, latest first."""
    person = _person(session, handle)
    require(session, actor, Action.REWARD_READ, person=person)
    row = _active(session, person.clinic_id)
    programme = _to_view(row) if row else None
    unit = programme.unit if programme else Unit.POINTS
    reversal = aliased(RewardEntry)
    rows = session.execute(
        select(
            RewardEntry,
            User.display_name,
            exists().where(reversal.reverses_id == RewardEntry.id),
        )
        .outerjoin(User, User.id == RewardEntry.created_by_id)
        .where(RewardEntry.person_id == person.id)
        .order_by(RewardEntry.id.desc())
        .limit(MAX_ENTRIES_SHOWN)
    ).all()
    entries = tuple(
        _entry_view(entry, unit, name, corrected=bool(corrected)) for entry, name, corrected in rows
    )
    balance = _balance(session, person.id)
    progress = []
    today = local_today(person, clock)
    for rule in programme.rules if programme else ():
        last = _last_event(session, person.id, rule.behaviour)
        current = 0 if last is None or not last.met else last.streak
        if rule.behaviour is Behaviour.CHECKIN_ON_TIME and last and (today - last.day).days > 1:
            current = 0  # a day was missed since: the next one starts again
        upcoming = current + 1
        progress.append(
            Progress(
                behaviour=rule.behaviour,
                label=BEHAVIOUR_LABELS[rule.behaviour],
                streak=current,
                next_value=rule.value(upcoming),
                next_text=describe(unit, rule.value(upcoming)),
            )
        )
    audit.record(
        session,
        clock,
        actor,
        "reward.read",
        person_id=person.id,
        resource_type="reward_ledger",
        detail={"entries": len(entries)},
    )
    return RewardsView(
        person_handle=person.handle,
        person_name=person.display_name,
        programme=programme,
        enrolled=_enrolment(session, person.id) is not None,
        balance=balance,
        balance_text=describe(unit, balance),
        progress=tuple(progress),
        entries=entries,
    )
