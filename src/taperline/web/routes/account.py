"""Your own account: password, API tokens, and (for clinicians) the second factor.

Pages under /account, and the same for programs under /api/v1/account. Everything here acts
on the logged-in user's own account only.
"""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role
from taperline.schemas.base import StrictModel
from taperline.services import accounts
from taperline.web.deps import ClockDep, SessionDep, SettingsDep, Viewer, ViewerDep, WriterDep
from taperline.web.templating import render

router = APIRouter(include_in_schema=True)

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
        totp_on=viewer.user.totp_secret is not None,
        offers_totp=viewer.role is Role.CLINICIAN,
        **context,
    )


@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
def account_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    return _page(request, session, clock, viewer)


@router.post("/account/password", response_class=HTMLResponse, include_in_schema=False)
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


@router.post("/account/tokens", response_class=HTMLResponse, include_in_schema=False)
def create_token_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep, name: Text = ""
) -> HTMLResponse:
    try:
        token = accounts.create_token(session, clock, viewer.actor, name)
    except InvalidInput as error:
        return _page(request, session, clock, viewer, 422, token_error=error, token_name=name)
    return _page(request, session, clock, viewer, new_token=token)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token_page(
    token_id: int, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> RedirectResponse:
    accounts.revoke_token(session, clock, viewer.actor, token_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/totp/start", response_class=HTMLResponse, include_in_schema=False)
def totp_start(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> HTMLResponse:
    secret, uri = accounts.new_totp_secret(viewer.actor)
    return _page(request, session, clock, viewer, totp_secret=secret, totp_qr=_qr_data_uri(uri))


@router.post("/account/totp/confirm", response_class=HTMLResponse, include_in_schema=False)
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


# -- the same for programs ----------------------------------------------------------------


class TokenOut(StrictModel):
    id: int
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class TokenCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100)


class TokenCreated(StrictModel):
    token: str = Field(description="Shown once; only its hash is kept.")


@router.get("/api/v1/account/tokens", tags=["account"])
def api_list_tokens(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> list[TokenOut]:
    """Your API tokens (names and dates; never the tokens)."""
    return [
        TokenOut(
            id=t.id,
            name=t.name,
            created_at=t.created_at.isoformat(),
            last_used_at=t.last_used_at.isoformat() if t.last_used_at else None,
            revoked_at=t.revoked_at.isoformat() if t.revoked_at else None,
        )
        for t in accounts.list_tokens(session, clock, viewer.actor)
    ]


@router.post("/api/v1/account/tokens", status_code=201, tags=["account"])
def api_create_token(
    body: TokenCreate, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> TokenCreated:
    """Create an API token for yourself."""
    return TokenCreated(token=accounts.create_token(session, clock, viewer.actor, body.name))


@router.post("/api/v1/account/tokens/{token_id}/revoke", status_code=204, tags=["account"])
def api_revoke_token(
    token_id: int, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> None:
    """Revoke one of your API tokens; it stops working at once."""
    accounts.revoke_token(session, clock, viewer.actor, token_id)
