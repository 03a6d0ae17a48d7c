"""Secure messages on the web and under /api/v1: /me/messages (a person's conversations with
their care team), /people/{handle}/messages (a clinician's view of one person's), and
/messages/{thread_id} (read and reply, both sides). The services decide access and audit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from taperline.domain.errors import InvalidInput
from taperline.domain.messages import MAX_BODY, MAX_SUBJECT
from taperline.domain.safety.crisis import CrisisSteps
from taperline.services import messages
from taperline.services.messages import Sent, ThreadSummary, ThreadView
from taperline.services.people import find_user
from taperline.web.deps import ClockDep, SessionDep, Viewer, ViewerDep, WriterDep
from taperline.web.routes.api_v1 import WRITES, companion_router
from taperline.web.routes.person import SEVERITY_LABELS
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = companion_router("messages")

# Generous transport caps: the service gives the clear limit (MAX_BODY) with its own words.
Body = Annotated[str, Form(max_length=MAX_BODY * 4)]
Subject = Annotated[str, Form(max_length=MAX_SUBJECT * 4)]
Handle = Annotated[str, Path(max_length=100, description="The person's handle")]
ThreadId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The conversation's id")]


def _sentence(error: InvalidInput) -> str:
    return f"{error.problem[:1].upper()}{error.problem[1:]}."


def _list_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    handle: str,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    rows = messages.threads(session, clock, viewer.actor, handle)
    person = find_user(session, handle)
    own = person.id == viewer.actor.user_id
    return render(
        request,
        "messages/list.html",
        viewer,
        status_code=status_code,
        threads=rows,
        person=person,
        own=own,
        action="/me/messages" if own else f"/people/{person.handle}/messages",
        max_body=MAX_BODY,
        max_subject=MAX_SUBJECT,
        **context,
    )


def _thread_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    thread_id: int,
    status_code: int = 200,
    sent: Sent | None = None,
    **context: object,
) -> HTMLResponse:
    view = messages.open_thread(session, clock, viewer.actor, thread_id)
    return render(
        request,
        "messages/thread.html",
        viewer,
        status_code=status_code,
        thread=view,
        own=view.person_handle == viewer.handle,
        sent=sent,
        findings=[f.to_dict() for f in sent.findings] if sent else [],
        severity_labels=SEVERITY_LABELS,
        max_body=MAX_BODY,
        **context,
    )


@router.get("/me/messages", response_class=HTMLResponse)
def my_messages(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    return _list_page(request, session, clock, viewer, messages.my_handle(session, viewer.actor))


@router.get("/people/{handle}/messages", response_class=HTMLResponse)
def person_messages(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep, handle: Handle
) -> HTMLResponse:
    return _list_page(request, session, clock, viewer, handle)


def _start(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    handle: str,
    subject: str,
    body: str,
) -> Response:
    try:
        sent = messages.start_thread(session, clock, viewer.actor, handle, subject, body)
    except InvalidInput as error:
        session.rollback()
        return _list_page(
            request,
            session,
            clock,
            viewer,
            handle,
            422,
            error=_sentence(error),
            field=error.field,
            typed={"subject": subject, "body": body},
        )
    if sent.findings:  # show the crisis steps at once, on the page that answers the send
        return _thread_page(request, session, clock, viewer, sent.thread_id, 201, sent=sent)
    return RedirectResponse(f"/messages/{sent.thread_id}?sent=1", status_code=303)


@router.post("/me/messages", response_class=HTMLResponse)
def start_mine(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    subject: Subject = "",
    body: Body = "",
) -> Response:
    handle = messages.my_handle(session, viewer.actor)
    return _start(request, session, clock, viewer, handle, subject, body)


@router.post("/people/{handle}/messages", response_class=HTMLResponse)
def start_for_person(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    handle: Handle,
    subject: Subject = "",
    body: Body = "",
) -> Response:
    return _start(request, session, clock, viewer, handle, subject, body)


@router.get("/messages/{thread_id}", response_class=HTMLResponse)
def thread_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    thread_id: ThreadId,
    sent: bool = False,
) -> HTMLResponse:
    return _thread_page(request, session, clock, viewer, thread_id, just_sent=sent)


@router.post("/messages/{thread_id}", response_class=HTMLResponse)
def reply_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    thread_id: ThreadId,
    body: Body = "",
) -> Response:
    try:
        sent = messages.reply(session, clock, viewer.actor, thread_id, body)
    except InvalidInput as error:
        session.rollback()
        return _thread_page(
            request, session, clock, viewer, thread_id, 422, error=_sentence(error), typed=body
        )
    if sent.findings:
        return _thread_page(request, session, clock, viewer, thread_id, 201, sent=sent)
    return RedirectResponse(f"/messages/{thread_id}?sent=1", status_code=303)


# -- the same under /api/v1 -----------------------------------------------------------------


class ThreadSummaryPublic(BaseModel):
    id: int
    person: str = Field(description="The person's handle")
    subject: str
    last_message_at: dt.datetime
    messages: int
    unread: int = Field(description="Messages from others you have not opened yet")

    @classmethod
    def of(cls, row: ThreadSummary) -> ThreadSummaryPublic:
        return cls(
            id=row.id,
            person=row.person_handle,
            subject=row.subject,
            last_message_at=row.last_message_at,
            messages=row.messages,
            unread=row.unread,
        )


class ThreadsPublic(BaseModel):
    data: list[ThreadSummaryPublic]


class ReadByPublic(BaseModel):
    name: str
    at: dt.datetime


class MessagePublic(BaseModel):
    id: int
    sender: str | None = Field(description="The sender's handle")
    sender_name: str
    mine: bool
    body: str
    sent_at: dt.datetime
    read_by: list[ReadByPublic] = Field(description="Others who have read it, and when")
    urgent: bool = Field(description="Words in it raised an urgent alert")


class ThreadPublic(BaseModel):
    id: int
    person: str
    subject: str
    care_team: list[str] = Field(description="The clinicians who can read this conversation")
    messages: list[MessagePublic]

    @classmethod
    def of(cls, view: ThreadView) -> ThreadPublic:
        return cls(
            id=view.id,
            person=view.person_handle,
            subject=view.subject,
            care_team=list(view.care_team),
            messages=[
                MessagePublic(
                    id=m.id,
                    sender=m.sender_handle,
                    sender_name=m.sender_name,
                    mine=m.mine,
                    body=m.body,
                    sent_at=m.sent_at,
                    read_by=[ReadByPublic(name=n, at=at) for n, at in m.read_by],
                    urgent=m.urgent,
                )
                for m in view.messages
            ],
        )


class NewThreadInput(BaseModel):
    subject: str = Field(max_length=MAX_SUBJECT * 4, description=f"Up to {MAX_SUBJECT} characters")
    body: str = Field(max_length=MAX_BODY * 4, description=f"Up to {MAX_BODY} characters")


class ReplyInput(BaseModel):
    body: str = Field(max_length=MAX_BODY * 4, description=f"Up to {MAX_BODY} characters")


class UrgentPublic(BaseModel):
    rule: str
    title: str
    message: str = Field(description="What to do next, for the person")
    words: list[str] = Field(description="The words that raised it")


class SentPublic(BaseModel):
    thread_id: int
    message_id: int
    urgent: list[UrgentPublic] = Field(
        description="Urgent words in a person's message: an urgent alert went to the care team"
    )
    crisis_steps: list[str] | None = Field(description="Show these at once when urgent")
    crisis_summary: str | None

    @classmethod
    def of(cls, sent: Sent) -> SentPublic:
        steps: CrisisSteps | None = sent.steps
        return cls(
            thread_id=sent.thread_id,
            message_id=sent.message_id,
            urgent=[
                UrgentPublic(
                    rule=f.rule_id, title=f.title, message=f.person_message, words=list(f.involved)
                )
                for f in sent.findings
            ],
            crisis_steps=list(steps.overdose) if steps else None,
            crisis_summary=steps.summary if steps else None,
        )


@api_router.get("/me/messages", response_model=ThreadsPublic)
def my_threads_api(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> ThreadsPublic:
    """Your conversations with your care team, latest first."""
    handle = messages.my_handle(session, viewer.actor)
    rows = messages.threads(session, clock, viewer.actor, handle)
    return ThreadsPublic(data=[ThreadSummaryPublic.of(r) for r in rows])


@api_router.post("/me/messages", status_code=201, response_model=SentPublic, dependencies=WRITES)
def start_mine_api(
    body: NewThreadInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> SentPublic:
    """Start a conversation with your care team."""
    handle = messages.my_handle(session, viewer.actor)
    sent = messages.start_thread(session, clock, viewer.actor, handle, body.subject, body.body)
    return SentPublic.of(sent)


@api_router.get("/people/{handle}/messages", response_model=ThreadsPublic)
def person_threads_api(
    handle: Handle, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> ThreadsPublic:
    """A person's conversations with their care team (the person, or a clinician caring for
    them)."""
    rows = messages.threads(session, clock, viewer.actor, handle)
    return ThreadsPublic(data=[ThreadSummaryPublic.of(r) for r in rows])


@api_router.post(
    "/people/{handle}/messages", status_code=201, response_model=SentPublic, dependencies=WRITES
)
def start_for_person_api(
    handle: Handle, body: NewThreadInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> SentPublic:
    """Start a conversation with a person you care for."""
    sent = messages.start_thread(session, clock, viewer.actor, handle, body.subject, body.body)
    return SentPublic.of(sent)


@api_router.get("/messages/{thread_id}", response_model=ThreadPublic)
def thread_api(
    thread_id: ThreadId, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> ThreadPublic:
    """Read a conversation; this marks it read for you (the others see the read receipt)."""
    return ThreadPublic.of(messages.open_thread(session, clock, viewer.actor, thread_id))


@api_router.post(
    "/messages/{thread_id}", status_code=201, response_model=SentPublic, dependencies=WRITES
)
def reply_api(
    thread_id: ThreadId, body: ReplyInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> SentPublic:
    """Reply in a conversation."""
    return SentPublic.of(messages.reply(session, clock, viewer.actor, thread_id, body.body))
