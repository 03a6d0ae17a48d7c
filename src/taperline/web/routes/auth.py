"""Login, logout, second factor, invitations, the public help page, and the home redirect."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from taperline.db.models import User, WebSession
from taperline.domain.errors import InvalidInput
from taperline.domain.safety.findings import make_finding
from taperline.domain.types import Role
from taperline.knowledge import load
from taperline.services import accounts
from taperline.web.deps import (
    SESSION_COOKIE,
    ClockDep,
    OptionalViewer,
    SessionDep,
    SettingsDep,
    WriterDep,
    client_ip,
)
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)
PRELOGIN_COOKIE = "taperline_prelogin"
HOMES = {
    Role.PERSON: "/me/today",
    Role.CLINICIAN: "/caseload",
    Role.ADMIN: "/admin",
    Role.SUPPORTER: "/supporting",
}


def home_for(role: Role) -> str:
    return HOMES[role]


def _secure(request: Request, forced: bool | None) -> bool:
    return forced if forced is not None else request.url.scheme == "https"


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/")
def index(found: OptionalViewer) -> RedirectResponse:
    if found is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_for(found.role), status_code=303)


@router.get("/help", response_class=HTMLResponse)
def help_page(request: Request, found: OptionalViewer) -> HTMLResponse:
    """What to do now, in the knowledge base's own (cited) words for each red flag."""
    knowledge = load()
    crisis = request.app.state.crisis
    flags = [
        {
            "question": flag.question,
            "message": make_finding(knowledge, flag.rule, crisis).person_message,
        }
        for flag in knowledge.red_flags
    ]
    return render(request, "pages/help.html", found, red_flags=flags)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, found: OptionalViewer, next: str | None = None) -> Response:  # noqa: A002
    if found is not None:
        return RedirectResponse(_safe_next(next) or home_for(found.role), status_code=303)
    token = secrets.token_urlsafe(24)
    response = render(
        request, "pages/login.html", None, prelogin=token, next=_safe_next(next) or ""
    )
    response.set_cookie(PRELOGIN_COOKIE, token, httponly=True, samesite="strict", max_age=1800)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    handle: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    prelogin: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",  # noqa: A002
) -> Response:
    cookie = request.cookies.get(PRELOGIN_COOKIE, "")
    if not accounts.csrf_matches(cookie, prelogin):
        return render(
            request,
            "pages/login.html",
            None,
            status_code=403,
            prelogin=cookie or "",
            next=_safe_next(next) or "",
            error="The login form expired. Please try again.",
            handle=handle,
        )
    try:
        user = accounts.authenticate(
            session, clock, settings, handle, password, f"web:{client_ip(request)}"
        )
    except accounts.LoginFailed as failed:
        session.commit()  # keep the failure count and the audit row
        return render(
            request,
            "pages/login.html",
            None,
            status_code=401,
            prelogin=cookie,
            next=_safe_next(next) or "",
            error=failed.problem.capitalize() + ".",
            handle=handle,
        )
    started = accounts.start_session(session, clock, settings, user, client_ip(request))
    target = (
        "/login/second-factor"
        if user.totp_secret
        else (_safe_next(next) or home_for(Role(user.role)))
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings.cookie_secure),
        max_age=settings.session_hours * 3600,
    )
    response.delete_cookie(PRELOGIN_COOKIE)
    return response


@router.get("/login/second-factor", response_class=HTMLResponse)
def second_factor_form(request: Request) -> HTMLResponse:
    return render(request, "pages/totp.html", None)


@router.post("/login/second-factor", response_class=HTMLResponse)
def second_factor(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    web_session = session.scalar(
        select(WebSession).where(WebSession.token_hash == accounts.digest(token))
    )
    user = session.get(User, web_session.user_id) if web_session else None
    if web_session is None or user is None:
        return RedirectResponse("/login", status_code=303)
    if not accounts.verify_totp(user, code, clock):
        return render(
            request,
            "pages/totp.html",
            None,
            status_code=401,
            error="That code is not right. Codes change every 30 seconds; try the current one.",
        )
    web_session.second_factor_done = True
    return RedirectResponse(home_for(Role(user.role)), status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep, _writer: WriterDep) -> RedirectResponse:
    accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/invite", response_class=HTMLResponse)
def invite_form(request: Request, code: str = "") -> HTMLResponse:
    return render(request, "pages/invite.html", None, code=code[:40])


@router.post("/invite", response_class=HTMLResponse)
def accept_invite(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    code: Annotated[str, Form(max_length=40)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    confirm: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        if password != confirm:
            raise InvalidInput("confirm", "the two passwords are not the same")
        user = accounts.accept_invite(
            session, clock, settings, code, password, f"web:{client_ip(request)}"
        )
    except InvalidInput as error:
        return render(
            request,
            "pages/invite.html",
            None,
            status_code=422,
            code=code,
            field=error.field,
            error=f"{error.problem[:1].upper()}{error.problem[1:]}.",
        )
    return render(request, "pages/invite_done.html", None, handle=user.handle)
