"""Your notifications and how you are reached: /notifications (pages) and, under /api/v1,
/notifications and /account/contact. Every account sees and changes only its own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from taperline.db.models import Notification
from taperline.domain.errors import InvalidInput
from taperline.services import notifications, people
from taperline.services.notifications import Preferences
from taperline.web.deps import ClockDep, SessionDep, Viewer, ViewerDep, WriterDep
from taperline.web.routes.api_v1 import WRITES, companion_router
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = companion_router("notifications")

Text = Annotated[str, Form(max_length=320)]


def _page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    user, preferences = notifications.contact_of(session, clock, viewer.actor, viewer.handle)
    return render(
        request,
        "account/notifications.html",
        viewer,
        status_code=status_code,
        items=notifications.inbox(session, clock, viewer.actor),
        preferences=preferences,
        email=user.email or "",
        **context,
    )


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    return _page(request, session, clock, viewer)


@router.post("/notifications/read")
def read_all_page(session: SessionDep, clock: ClockDep, viewer: WriterDep) -> RedirectResponse:
    notifications.mark_read(session, clock, viewer.actor)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/contact", response_class=HTMLResponse)
def contact_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    email: Text = "",
    emails: Text = "",
    details: Text = "",
    reminders: Text = "",
    quiet_start: Text = "",
    quiet_end: Text = "",
) -> HTMLResponse:
    try:
        wanted = Preferences(
            reminders=reminders == "on",
            email=emails == "on",
            email_details=details == "on",
            quiet_start=notifications.parse_clock_time(quiet_start, "quiet_start"),
            quiet_end=notifications.parse_clock_time(quiet_end, "quiet_end"),
        )
        people.set_email(session, clock, viewer.actor, viewer.handle, email.strip() or None)
        notifications.set_preferences(session, clock, viewer.actor, viewer.handle, wanted)
    except InvalidInput as error:
        session.rollback()
        return _page(request, session, clock, viewer, 422, contact_error=error)
    return _page(request, session, clock, viewer, done="Saved: this is how Taperline reaches you.")


# -- the same under /api/v1 ---------------------------------------------------------------------


class NotificationPublic(BaseModel):
    id: int
    kind: str = Field(description="reminder, missed_checkin, alert, digest, message, sos …")
    title: str
    body: str
    link: str | None = Field(description="Where in Taperline it points (a path)")
    urgent: bool
    created_at: dt.datetime
    read_at: dt.datetime | None

    @classmethod
    def of(cls, row: Notification) -> NotificationPublic:
        return cls(
            id=row.id,
            kind=row.kind,
            title=row.title,
            body=row.body,
            link=row.link,
            urgent=row.urgent,
            created_at=row.created_at,
            read_at=row.read_at,
        )


class NotificationsPublic(BaseModel):
    data: list[NotificationPublic]


class MarkRead(BaseModel):
    id: int | None = Field(
        default=None, ge=1, strict=True, description="One notification; omit for all"
    )


class MarkedPublic(BaseModel):
    changed: int


CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"  # a time of day, no offset


class ContactPublic(BaseModel):
    email: str | None = Field(default=None, max_length=320, description="Address for emails")
    emails: bool = Field(default=True, strict=True, description="Send emails at all")
    details: bool = Field(
        default=False,
        strict=True,
        description="Put the message itself in emails (else only a pointer)",
    )
    reminders: bool = Field(default=True, strict=True, description="Dose and check-in reminders")
    quiet_start: str | None = Field(
        default=None, pattern=CLOCK, description="Quiet hours begin (local), HH:MM"
    )
    quiet_end: str | None = Field(
        default=None, pattern=CLOCK, description="Quiet hours end (local), HH:MM"
    )


@api_router.get("/notifications", response_model=NotificationsPublic)
def list_notifications(
    session: SessionDep, clock: ClockDep, viewer: ViewerDep, unread: bool = False
) -> NotificationsPublic:
    """Your notifications, newest first (at most 200)."""
    rows = notifications.inbox(session, clock, viewer.actor, unread_only=unread)
    return NotificationsPublic(data=[NotificationPublic.of(row) for row in rows])


@api_router.post("/notifications/read", response_model=MarkedPublic, dependencies=WRITES)
def mark_notifications_read(
    body: MarkRead, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> MarkedPublic:
    """Mark one of your notifications (or all of them) as read."""
    return MarkedPublic(changed=notifications.mark_read(session, clock, viewer.actor, body.id))


@api_router.get("/account/contact", response_model=ContactPublic)
def show_contact(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> ContactPublic:
    """How Taperline reaches you: email address, emails, reminders, quiet hours."""
    user, prefs = notifications.contact_of(session, clock, viewer.actor, viewer.handle)
    return _contact(user.email, prefs)


@api_router.put("/account/contact", response_model=ContactPublic, dependencies=WRITES)
def change_contact(
    body: ContactPublic, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> ContactPublic:
    """Change how Taperline reaches you (all fields at once)."""
    user = people.set_email(session, clock, viewer.actor, viewer.handle, body.email)
    prefs = notifications.set_preferences(
        session,
        clock,
        viewer.actor,
        viewer.handle,
        Preferences(
            reminders=body.reminders,
            email=body.emails,
            email_details=body.details,
            quiet_start=notifications.parse_clock_time(body.quiet_start, "quiet_start"),
            quiet_end=notifications.parse_clock_time(body.quiet_end, "quiet_end"),
        ),
    )
    return _contact(user.email, prefs)


def _hhmm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def _contact(email: str | None, prefs: Preferences) -> ContactPublic:
    return ContactPublic(
        email=email,
        emails=prefs.email,
        details=prefs.email_details,
        reminders=prefs.reminders,
        quiet_start=_hhmm(prefs.quiet_start),
        quiet_end=_hhmm(prefs.quiet_end),
    )
