"""Your own account: password, API tokens, and (for clinicians) the second factor.

Pages under /account (API tokens also under /api/v1/account/tokens, in api_v1.py). Everything
here acts on the logged-in user's own account only.
"""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role
from taperline.services import accounts
from taperline.web.deps import ClockDep, SessionDep, SettingsDep, Viewer, ViewerDep, WriterDep
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=300)]


def _page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    tokens = accounts.list_tokens(session, clock, viewer.actor)
    return render(
        request,
        "account/account.html",
        viewer,
        status_code=status_code,
        tokens=tokens,
        totp_on=viewer.account.totp_on,
        offers_totp=viewer.role is Role.CLINICIAN,
        **context,
    )


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    return _page(request, session, clock, viewer)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    viewer: WriterDep,
    current_password: Text = "",
    new_password: Text = "",
    confirm: Text = "",
) -> HTMLResponse:
    try:
        accounts.change_password(
            session, clock, settings, viewer.actor, current_password, new_password, confirm
        )
    except InvalidInput as error:
        return _page(request, session, clock, viewer, 422, password_error=error)
    return _page(request, session, clock, viewer, done="Your password is changed.")


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep, name: Text = ""
) -> HTMLResponse:
    try:
        token = accounts.create_token(session, clock, viewer.actor, name)
    except InvalidInput as error:
        return _page(request, session, clock, viewer, 422, token_error=error, token_name=name)
    return _page(request, session, clock, viewer, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token_page(
    token_id: int, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> RedirectResponse:
    accounts.revoke_token(session, clock, viewer.actor, token_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/totp/start", response_class=HTMLResponse)
def totp_start(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> HTMLResponse:
    secret, uri = accounts.new_totp_secret(viewer.actor)
    return _page(request, session, clock, viewer, totp_secret=secret, totp_qr=_qr_data_uri(uri))


@router.post("/account/totp/confirm", response_class=HTMLResponse)
def totp_confirm(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    secret: Text = "",
    code: Text = "",
) -> HTMLResponse:
    try:
        accounts.confirm_totp(session, clock, viewer.actor, secret, code)
    except InvalidInput as error:
        uri = _uri_or_none(secret, viewer)
        return _page(
            request,
            session,
            clock,
            viewer,
            422,
            totp_error=error,
            totp_secret=secret if uri else None,
            totp_qr=_qr_data_uri(uri) if uri else None,
        )
    return _page(
        request,
        session,
        clock,
        viewer,
        done="Your second factor is on: from now on you will be asked for a code after your "
        "password.",
    )


def _qr_data_uri(uri: str) -> str:
    qr: str = segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")
    return qr


def _uri_or_none(secret: str, viewer: Viewer) -> str | None:
    try:
        import pyotp

        return pyotp.TOTP(secret.strip().upper()).provisioning_uri(
            name=viewer.actor.label, issuer_name="Taperline"
        )
    except (ValueError, TypeError):
        return None
