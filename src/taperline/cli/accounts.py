"""Accounts and the audit log: `token create`, `totp enable|confirm`, `audit export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from taperline.cli.base import (
    STATE,
    app,
    handles_errors,
    out,
)

token_app = typer.Typer(help="API tokens for programmatic use.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")


@token_app.command("create")
@handles_errors
def token_create(name: Annotated[str, typer.Option(help="A name you will recognise.")]) -> None:
    """Create an API token for the user given with --as (shown once; only its hash is kept)."""
    from taperline.services import accounts

    with STATE.work() as (session, actor):
        token = accounts.create_token(session, STATE.clock, actor, name)
    out.print("Your API token (shown once; keep it secret):")
    typer.echo(token)


@audit_app.command("export")
@handles_errors
def audit_export(
    limit: Annotated[int, typer.Option(help="How many events, newest first.")] = 10000,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write CSV here ('-' for stdout).")
    ] = None,
) -> None:
    """Export the clinic's audit log (a clinic admin, with --as)."""
    from taperline.services import audit

    with STATE.work() as (session, actor):
        events = audit.clinic_log(session, STATE.clock, actor, limit=limit)
        text = audit.to_csv(events)
    if csv_out is None or str(csv_out) == "-":
        typer.echo(text, nl=False)
        return
    csv_out.write_text(text, encoding="utf-8")
    out.print(f"Wrote {len(events)} events to {csv_out}.")


totp_app = typer.Typer(help="A second factor (TOTP) for clinicians.", no_args_is_help=True)
app.add_typer(totp_app, name="totp")


@totp_app.command("enable")
@handles_errors
def totp_enable() -> None:
    """Show a new secret to add to an authenticator app (nothing changes until confirmed)."""
    from taperline.services import accounts

    with STATE.work() as (_session, actor):
        secret, uri = accounts.new_totp_secret(actor)
    out.print(f"Add this key to your authenticator app: [bold]{secret}[/]")
    out.print(f"(or this link: {uri})")
    out.print("Then run: taperline --as YOU totp confirm --secret KEY --code 123456")


@totp_app.command("confirm")
@handles_errors
def totp_confirm(
    secret: Annotated[str, typer.Option(help="The key shown by `totp enable`.")],
    code: Annotated[str, typer.Option(help="The current 6-digit code from your app.")],
) -> None:
    """Turn the second factor on; logins will then ask for a code."""
    from taperline.services import accounts

    with STATE.work() as (session, actor):
        accounts.confirm_totp(session, STATE.clock, actor, secret, code)
    out.print("Second factor on: logging in will ask for a code from your app.")
