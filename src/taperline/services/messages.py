"""Secure messages between a person and their care team.

A thread belongs to one person; that person and the clinicians who care for them read and
write it (the same rule as the health record), supporters never. Opening a thread marks it
read for the reader, which is what the other side sees as a read receipt. Every read and send
is audited. A person's message that names a suicidal thought or signs of overdose raises the
same urgent alert a check-in would, and the person is shown the crisis steps at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Alert, Message, MessageRead, MessageThread, User
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.messages import (
    MAX_MESSAGES_SHOWN,
    MAX_THREADS_LISTED,
    check_body,
    check_subject,
)
from taperline.domain.safety.crisis import CrisisSteps, crisis_steps
from taperline.domain.safety.findings import Finding, make_finding
from taperline.domain.safety.phrases import matches
from taperline.domain.types import Role
from taperline.knowledge import load
from taperline.services import audit
from taperline.services.authz import AccessDenied, require
from taperline.services.notifications import notify
from taperline.services.outreach import care_team
from taperline.services.people import find_user, local_today
from taperline.services.safety import raise_alert


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    id: int
    person_handle: str
    person_name: str
    subject: str
    last_message_at: dt.datetime
    messages: int
    unread: int  # messages from others the reader has not opened yet


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    sender_name: str
    sender_handle: str | None
    mine: bool
    body: str
    sent_at: dt.datetime
    read_by: tuple[tuple[str, dt.datetime], ...]  # (name, when) of others who have read it
    urgent: bool  # raised an urgent alert


@dataclass(frozen=True, slots=True)
class ThreadView:
    id: int
    person_handle: str
    person_name: str
    subject: str
    messages: tuple[MessageView, ...]
    care_team: tuple[str, ...]  # names of the clinicians who can read it


@dataclass(frozen=True, slots=True)
class Sent:
    thread_id: int
    message_id: int
    findings: tuple[Finding, ...]  # urgent words found in a person's message
    steps: CrisisSteps | None  # the crisis steps to show the person at once, if any


def _sender(session: Session, actor: Actor) -> User:
    if actor.user_id is None:
        raise InvalidInput("as", "a message needs a sender: act as an account with --as")
    user = session.get(User, actor.user_id)
    assert user is not None
    return user


def _thread(session: Session, thread_id: int) -> tuple[MessageThread, User]:
    thread = session.get(MessageThread, thread_id)
    if thread is None:
        raise NotFound(f"thread: there is no conversation {thread_id}")
    person = session.get(User, thread.person_id)
    assert person is not None
    return thread, person


def _authorise(
    session: Session, clock: Clock, actor: Actor, action: Action, person: User, thread_id: int
) -> None:
    """Check access; a refusal on someone else's thread reads as not found, and is audited."""
    try:
        require(session, actor, action, person=person)
    except AccessDenied:
        audit.record(
            session,
            clock,
            actor,
            action.value,
            person_id=person.id,
            resource_type="message_thread",
            resource_id=thread_id,
            outcome="denied",
        )
        raise NotFound(f"thread: there is no conversation {thread_id}") from None


def threads(session: Session, clock: Clock, actor: Actor, handle: str) -> list[ThreadSummary]:
    """The person's conversations with their care team, latest first, with unread counts."""
    person = find_user(session, handle)
    require(session, actor, Action.MESSAGE_READ, person=person)
    reader = actor.user_id or 0
    rows = session.execute(
        select(
            MessageThread,
            func.count(Message.id),
            func.count(Message.id).filter(
                Message.id > func.coalesce(MessageRead.last_read_id, 0),
                func.coalesce(Message.sender_id, 0) != reader,
            ),
        )
        .join(Message, Message.thread_id == MessageThread.id)
        .outerjoin(
            MessageRead,
            and_(MessageRead.thread_id == MessageThread.id, MessageRead.user_id == reader),
        )
        .where(MessageThread.person_id == person.id)
        .group_by(MessageThread.id, MessageRead.last_read_id)
        .order_by(MessageThread.last_message_at.desc(), MessageThread.id.desc())
        .limit(MAX_THREADS_LISTED)
    ).all()
    audit.record(
        session,
        clock,
        actor,
        "message.list",
        person_id=person.id,
        resource_type="message_thread",
        detail={"count": len(rows)},
    )
    return [
        ThreadSummary(
            id=thread.id,
            person_handle=person.handle,
            person_name=person.display_name,
            subject=thread.subject,
            last_message_at=thread.last_message_at,
            messages=count,
            unread=unread,
        )
        for thread, count, unread in rows
    ]


def unread_for(session: Session, reader_id: int, person_ids: Iterable[int]) -> dict[int, int]:
    """Unread messages from others per person, for one reader (the caseload column)."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(MessageThread.person_id, func.count(Message.id))
        .join(Message, Message.thread_id == MessageThread.id)
        .outerjoin(
            MessageRead,
            and_(MessageRead.thread_id == MessageThread.id, MessageRead.user_id == reader_id),
        )
        .where(
            MessageThread.person_id.in_(ids),
            Message.id > func.coalesce(MessageRead.last_read_id, 0),
            func.coalesce(Message.sender_id, 0) != reader_id,
        )
        .group_by(MessageThread.person_id)
    ).all()
    return {int(person_id): int(count) for person_id, count in rows}


def open_thread(session: Session, clock: Clock, actor: Actor, thread_id: int) -> ThreadView:
    """Read a conversation and mark it read for the reader (their read receipt)."""
    thread, person = _thread(session, thread_id)
    _authorise(session, clock, actor, Action.MESSAGE_READ, person, thread_id)
    rows = list(
        session.execute(
            select(Message, User)
            .outerjoin(User, User.id == Message.sender_id)
            .where(Message.thread_id == thread.id)
            .order_by(Message.id.desc())
            .limit(MAX_MESSAGES_SHOWN)
        )
    )
    rows.reverse()
    reads = list(
        session.execute(
            select(MessageRead, User)
            .join(User, User.id == MessageRead.user_id)
            .where(MessageRead.thread_id == thread.id)
        )
    )
    now = clock.now()
    last_id = rows[-1][0].id if rows else 0
    if actor.user_id is not None and last_id:
        mine = next((r for r, _ in reads if r.user_id == actor.user_id), None)
        if mine is None:
            session.add(
                MessageRead(
                    thread_id=thread.id, user_id=actor.user_id, last_read_id=last_id, read_at=now
                )
            )
        elif mine.last_read_id < last_id:
            mine.last_read_id = last_id
            mine.read_at = now
        session.flush()
    views = []
    for message, sender in rows:
        read_by = tuple(
            (reader.display_name, read.read_at)
            for read, reader in reads
            if read.user_id not in (message.sender_id, actor.user_id)
            and read.last_read_id >= message.id
        )
        views.append(
            MessageView(
                id=message.id,
                sender_name=sender.display_name if sender else "Taperline",
                sender_handle=sender.handle if sender else None,
                mine=message.sender_id is not None and message.sender_id == actor.user_id,
                body=message.body,
                sent_at=message.created_at,
                read_by=read_by,
                urgent=message.alert_id is not None,
            )
        )
    audit.record(
        session,
        clock,
        actor,
        "message.read",
        person_id=person.id,
        resource_type="message_thread",
        resource_id=thread.id,
        detail={"messages": len(views)},
    )
    return ThreadView(
        id=thread.id,
        person_handle=person.handle,
        person_name=person.display_name,
        subject=thread.subject,
        messages=tuple(views),
        care_team=tuple(member.display_name for member in care_team(session, person.id)),
    )


def start_thread(
    session: Session, clock: Clock, actor: Actor, handle: str, subject: str, body: str
) -> Sent:
    """Start a conversation about `handle` (the person themself, or one of their clinicians)."""
    person = find_user(session, handle)
    require(session, actor, Action.MESSAGE_SEND, person=person)
    sender = _sender(session, actor)
    cleaned_subject = check_subject(subject)
    cleaned_body = check_body(body)
    now = clock.now()
    thread = MessageThread(
        person_id=person.id,
        subject=cleaned_subject,
        created_at=now,
        created_by_id=sender.id,
        last_message_at=now,
    )
    session.add(thread)
    session.flush()
    return _post(session, clock, actor, sender, thread, person, cleaned_body, new=True)


def reply(session: Session, clock: Clock, actor: Actor, thread_id: int, body: str) -> Sent:
    thread, person = _thread(session, thread_id)
    _authorise(session, clock, actor, Action.MESSAGE_SEND, person, thread_id)
    sender = _sender(session, actor)
    return _post(session, clock, actor, sender, thread, person, check_body(body), new=False)


def _post(
    session: Session,
    clock: Clock,
    actor: Actor,
    sender: User,
    thread: MessageThread,
    person: User,
    body: str,
    *,
    new: bool,
) -> Sent:
    now = clock.now()
    message = Message(thread_id=thread.id, sender_id=sender.id, body=body, created_at=now)
    session.add(message)
    thread.last_message_at = now
    session.flush()
    # The sender has read their own message.
    read = session.get(MessageRead, (thread.id, sender.id))
    if read is None:
        session.add(
            MessageRead(
                thread_id=thread.id, user_id=sender.id, last_read_id=message.id, read_at=now
            )
        )
    else:
        read.last_read_id = message.id
        read.read_at = now

    findings: list[Finding] = []
    steps: CrisisSteps | None = None
    if sender.id == person.id:
        findings, steps = _screen(session, clock, actor, person, message)

    link = f"/messages/{thread.id}"
    if sender.id == person.id:
        for member in care_team(session, person.id):
            notify(
                session,
                clock,
                member,
                kind="message",
                title=(
                    f"Urgent message from {person.display_name}"
                    if findings
                    else f"New message from {person.display_name}"
                ),
                body=(
                    f"{person.display_name} wrote in “{thread.subject}”."
                    + (" Words in it raised an urgent alert: read it now." if findings else "")
                ),
                link=link,
                urgent=bool(findings),
            )
    else:
        notify(
            session,
            clock,
            person,
            kind="message",
            title=f"New message from {sender.display_name}",
            body=f"{sender.display_name} wrote to you in “{thread.subject}”.",
            link=link,
        )
    audit.record(
        session,
        clock,
        actor,
        "message.send",
        person_id=person.id,
        resource_type="message",
        resource_id=message.id,
        detail={
            "thread": thread.id,
            "new_thread": new,
            "chars": len(body),
            "urgent": [f.rule_id for f in findings],
        },
    )
    return Sent(thread.id, message.id, tuple(findings), steps)


def _screen(
    session: Session, clock: Clock, actor: Actor, person: User, message: Message
) -> tuple[list[Finding], CrisisSteps | None]:
    """Urgent words in the person's message: raise the red flag's alert, as a check-in does."""
    knowledge = load()
    found = matches(message.body, knowledge.red_flags)
    if not found:
        return [], None
    steps = crisis_steps(knowledge, person.clinic.country)
    findings = []
    day = local_today(person, clock)
    for flag, hits in found:
        finding = make_finding(knowledge, flag.rule, steps.contacts, involved=hits)
        findings.append(finding)
        alert_id = raise_alert(
            session,
            clock,
            actor,
            person,
            rule_id=flag.rule.id,
            day=day,
            severity=flag.rule.severity.value,
            title=f"{flag.rule.title} (in a message)",
            clinician_message=(
                f"{finding.clinician_message} Raised by words in a message from "
                f"{person.display_name} ({', '.join(repr(h) for h in hits)}): read it in "
                f"/messages/{message.thread_id}. Word screening is not a risk assessment."
            ),
            involved=hits,
        )
        if alert_id is not None and message.alert_id is None:
            message.alert_id = alert_id
        elif message.alert_id is None:
            message.alert_id = _open_alert_id(session, person.id, flag.rule.id, day)
    session.flush()
    return findings, steps


def _open_alert_id(session: Session, person_id: int, rule_id: str, day: dt.date) -> int | None:
    return session.scalar(
        select(Alert.id).where(
            Alert.person_id == person_id, Alert.rule_id == rule_id, Alert.day == day
        )
    )


def my_handle(session: Session, actor: Actor) -> str:
    """The handle of the acting person (for /me routes); other roles have no messages of
    their own (a clinician reads them on each person's page)."""
    user = _sender(session, actor)
    if user.role != Role.PERSON:
        raise AccessDenied(actor, Action.MESSAGE_READ, None)
    return user.handle
