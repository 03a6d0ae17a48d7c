"""In-app notifications and the emails that point to them; each account's contact preferences.

`notify` is the one way any part of Taperline reaches an account: it stores the in-app
notification and, when the account wants email, queues an email job in the same transaction.
An email says only "you have a new message in Taperline" unless the account opted in to details.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import ContactPreference, Notification, User
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput
from taperline.domain.outreach import after_quiet_hours, zone
from taperline.services import audit, jobs
from taperline.services.authz import require
from taperline.services.people import find_user

GENERIC_SUBJECT = "You have a new message in Taperline"
MAX_LIST = 200


@dataclass(frozen=True, slots=True)
class Preferences:
    reminders: bool = True
    email: bool = True
    email_details: bool = False
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None


def preferences_of(session: Session, user_id: int) -> Preferences:
    row = session.get(ContactPreference, user_id)
    if row is None:
        return Preferences()
    return Preferences(row.reminders, row.email, row.email_details, row.quiet_start, row.quiet_end)


def notify(
    session: Session,
    clock: Clock,
    user: User,
    *,
    kind: str,
    title: str,
    body: str,
    link: str | None = None,
    urgent: bool = False,
    email: bool = True,
) -> int:
    """Store an in-app notification for `user` and queue its email (unless the user has no
    address or said no). Urgent ones ignore quiet hours. Returns the notification id."""
    notification = Notification(
        user_id=user.id,
        kind=kind,
        title=title[:200],
        body=body,
        link=link,
        urgent=urgent,
        created_at=clock.now(),
    )
    session.add(notification)
    session.flush()
    preferences = preferences_of(session, user.id)
    if email and user.email and preferences.email and user.active:
        send_at = clock.now()
        if not urgent:
            send_at = after_quiet_hours(
                send_at, zone(user.timezone), preferences.quiet_start, preferences.quiet_end
            )
        jobs.enqueue(
            session,
            clock,
            "email",
            {"notification_id": notification.id},
            run_at=send_at,
            dedupe_key=f"email:notification:{notification.id}",
        )
    return notification.id


def email_text(notification: Notification, user: User, details: bool, public_url: str) -> str:
    """The body of the email for `notification`: a pointer, or the message itself if opted in."""
    link = public_url.rstrip("/") + (notification.link or "/notifications")
    lines = [f"Hello {user.display_name},", ""]
    if details:
        lines += [notification.title, "", notification.body, ""]
    else:
        lines += ["You have a new message in Taperline.", ""]
    lines += [
        f"Open Taperline to read it: {link}",
        "",
        "You can change which emails you get under Notifications in Taperline.",
    ]
    if notification.urgent:
        lines += [
            "",
            "If someone may have overdosed: call the emergency number, give naloxone if you "
            "have it, and stay with them.",
        ]
    return "\n".join(lines) + "\n"


def email_subject(notification: Notification, details: bool) -> str:
    return notification.title if details else GENERIC_SUBJECT


# The account's own notifications and preferences --------------------------------------------


def _self(session: Session, actor: Actor) -> User:
    if actor.user_id is None:
        raise InvalidInput("as", "notifications belong to an account: act as one with --as")
    user = session.get(User, actor.user_id)
    assert user is not None
    return user


def inbox(
    session: Session, clock: Clock, actor: Actor, *, unread_only: bool = False
) -> list[Notification]:
    user = _self(session, actor)
    statement = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    rows = list(
        session.scalars(
            statement.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(
                MAX_LIST
            )
        )
    )
    audit.record(
        session,
        clock,
        actor,
        "notifications.read",
        resource_type="notification",
        detail={"count": len(rows)},
    )
    return rows


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(
    session: Session, clock: Clock, actor: Actor, notification_id: int | None = None
) -> int:
    """Mark one notification (or all, with None) as read. Returns how many changed."""
    user = _self(session, actor)
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        owner = session.scalar(
            select(Notification.user_id).where(Notification.id == notification_id)
        )
        if owner is None or owner != user.id:
            raise InvalidInput("notification", f"there is no notification {notification_id}")
        statement = statement.where(Notification.id == notification_id)
    result = session.execute(statement.values(read_at=clock.now()))
    changed = int(getattr(result, "rowcount", 0))
    audit.record(
        session,
        clock,
        actor,
        "notifications.mark_read",
        resource_type="notification",
        resource_id=notification_id,
        detail={"changed": changed},
    )
    return changed


def parse_clock_time(value: str | None, field: str) -> dt.time | None:
    if value is None or value.strip() == "":
        return None
    try:
        parsed = dt.time.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, f"'{value}' is not a time of day like 22:00") from None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def contact_of(
    session: Session, clock: Clock, actor: Actor, handle: str
) -> tuple[User, Preferences]:
    """An account's address and preferences, for the account itself (or the operator)."""
    user = find_user(session, handle)
    require(session, actor, Action.CONTACT_UPDATE, person=user)
    audit.record(
        session,
        clock,
        actor,
        "contact.read",
        person_id=user.id,
        resource_type="contact_preferences",
        resource_id=user.id,
    )
    return user, preferences_of(session, user.id)


def set_preferences(
    session: Session,
    clock: Clock,
    actor: Actor,
    handle: str,
    preferences: Preferences,
) -> Preferences:
    """The account itself (or the operator) sets how it is reached."""
    user = find_user(session, handle)
    require(session, actor, Action.CONTACT_UPDATE, person=user)
    if (preferences.quiet_start is None) != (preferences.quiet_end is None):
        field = "quiet_end" if preferences.quiet_end is None else "quiet_start"
        raise InvalidInput(field, "give both the start and the end of quiet hours, or neither")
    row = session.get(ContactPreference, user.id)
    if row is None:
        row = ContactPreference(user_id=user.id, updated_at=clock.now())
        session.add(row)
    row.reminders = preferences.reminders
    row.email = preferences.email
    row.email_details = preferences.email_details
    row.quiet_start = preferences.quiet_start
    row.quiet_end = preferences.quiet_end
    row.updated_at = clock.now()
    audit.record(
        session,
        clock,
        actor,
        "contact.update",
        person_id=user.id,
        resource_type="contact_preferences",
        resource_id=user.id,
        detail={
            "reminders": preferences.reminders,
            "email": preferences.email,
            "email_details": preferences.email_details,
        },
    )
    return preferences
