"""Request dependencies: one transaction per request, the acting user, CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import Clock
from taperline.config import Settings
from taperline.db.gate import WriterGate
from taperline.db.models import User, WebSession
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


def get_db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    gate: WriterGate | None = request.app.state.writer_gate  # SQLite only
    with (
        gate.held() if gate else nullcontext(),
        unit_of_work(factory, request.app.state.clock) as session,
    ):
        yield session


# scope="function": commit (or roll back) before the response is sent, so a failed commit can
# never answer 200 for a write that was not saved.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]


@dataclass(frozen=True)
class Viewer:
    """Who is asking, how, and (for cookie logins) the session's CSRF token."""

    actor: Actor
    user: User
    csrf_token: str | None  # None for API tokens (no cookie, so no CSRF)

    @property
    def role(self) -> Role:
        return Role(self.user.role)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def optional_viewer(request: Request, session: SessionDep, clock: ClockDep) -> Viewer | None:
    ip = client_ip(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.user_for_token(session, clock, header[7:].strip())
        if user is None:
            raise LoginRequired("the API token is not valid")
        return Viewer(_actor(user, f"api:{ip}"), user, None)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    web_session: WebSession | None = accounts.find_session(session, clock, token)
    if web_session is None or not web_session.second_factor_done:
        return None
    user = session.get(User, web_session.user_id)
    if user is None or not user.active:
        return None
    return Viewer(_actor(user, f"web:{ip}"), user, web_session.csrf_token)


def _actor(user: User, source: str) -> Actor:
    return Actor(
        label=f"user:{user.handle}",
        source=source,
        user_id=user.id,
        role=Role(user.role),
        clinic_id=user.clinic_id,
    )


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
