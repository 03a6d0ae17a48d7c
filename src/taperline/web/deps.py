"""Request dependencies: one transaction per request, the acting user, CSRF."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import Clock
from taperline.config import Settings
from taperline.domain.access import Actor
from taperline.domain.errors import DomainError
from taperline.domain.types import Role
from taperline.services import accounts
from taperline.services.uow import unit_of_work

SESSION_COOKIE = "taperline_session"


class LoginRequired(DomainError):
    """No (valid) login: pages redirect to /login, the API answers 401."""


class CsrfFailed(DomainError):
    """A state-changing request made with a cookie lacked the right CSRF token."""


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency on a worker
# thread, and each such hop costs a thread hand-over on every request.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work. Making a session does no I/O (it connects at its first
    statement, on the worker thread that runs it), so it is made here on the event loop; ending
    it (commit or roll back) does I/O, so that runs on a worker thread: one hop, not two.

    On SQLite the transaction waits at the writer gate when it begins, at its first statement
    (taperline.db.gate.gate_transactions), not here: parsing, login and validation run first.
    """
    work = unit_of_work(request.app.state.sessions, request.app.state.clock)
    session = work.__enter__()
    # As FastAPI ends a sync generator dependency: shielded from cancellation, and with a
    # limiter of its own, so ending never waits for a free worker thread.
    limiter = CapacityLimiter(1)
    try:
        yield session
    except BaseException as error:
        with CancelScope(shield=True):
            handled = await to_thread.run_sync(
                work.__exit__, type(error), error, error.__traceback__, limiter=limiter
            )
        if not handled:
            raise
    else:
        with CancelScope(shield=True):
            await to_thread.run_sync(work.__exit__, None, None, None, limiter=limiter)


# scope="function": commit (or roll back) before the response is sent, so a failed commit can
# never answer 200 for a write that was not saved.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_reading(request: Request) -> Iterator[Session | None]:
    """A read-only session beside the request's own (SQLite files; None elsewhere), for long
    reads that should not hold the single writer (the clinic overview's computing)."""
    readers: sessionmaker[Session] | None = request.app.state.readers
    if readers is None:
        yield None
        return
    with readers() as reading:
        yield reading


ReadingDep = Annotated[Session | None, Depends(get_reading, scope="function")]
ClockDep = Annotated[Clock, Depends(get_clock)]


@dataclass(frozen=True)
class Viewer:
    """Who is asking, how, and (for cookie logins) the session's CSRF token."""

    actor: Actor
    account: accounts.Holder  # as read at the start of the request
    csrf_token: str | None  # None for API tokens (no cookie, so no CSRF)

    @property
    def role(self) -> Role:
        return self.account.role

    @property
    def handle(self) -> str:
        return self.account.handle


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def optional_viewer(request: Request, session: SessionDep, clock: ClockDep) -> Viewer | None:
    readers: sessionmaker[Session] | None = request.app.state.readers
    if readers is None:
        return _identify(request, session, session, clock)
    # SQLite file: the login is read outside the writer's transaction, so a request holds the
    # single writer only while its own work runs.
    with readers() as reading:
        return _identify(request, reading, session, clock)


def _identify(request: Request, reading: Session, writing: Session, clock: Clock) -> Viewer | None:
    ip = client_ip(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        use = accounts.token_holder(reading, clock, header[7:].strip())
        if use is None:
            raise LoginRequired("the API token is not valid")
        if use.stale_token_id is not None:
            accounts.touch_token(writing, clock, use.stale_token_id)
        return _viewer(use.holder, f"api:{ip}", None)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = accounts.session_holder(reading, clock, token)
    if found is None:
        return None
    holder, csrf_token = found
    return _viewer(holder, f"web:{ip}", csrf_token)


def _viewer(holder: accounts.Holder, source: str, csrf_token: str | None) -> Viewer:
    actor = Actor(
        label=f"user:{holder.handle}",
        source=source,
        user_id=holder.user_id,
        role=holder.role,
        clinic_id=holder.clinic_id,
    )
    return Viewer(actor, holder, csrf_token)


OptionalViewer = Annotated[Viewer | None, Depends(optional_viewer)]


async def viewer(found: OptionalViewer) -> Viewer:
    if found is None:
        raise LoginRequired("please log in")
    return found


ViewerDep = Annotated[Viewer, Depends(viewer)]


async def check_csrf(request: Request, found: ViewerDep) -> Viewer:
    """Every state-changing request made with a login cookie must carry its CSRF token."""
    if found.csrf_token is None:
        return found  # API token: no cookie, nothing to forge
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not accounts.csrf_matches(found.csrf_token, given):
        raise CsrfFailed("the form has expired or did not come from Taperline; please try again")
    return found


WriterDep = Annotated[Viewer, Depends(check_csrf)]
