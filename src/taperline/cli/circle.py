"""The support circle: `circle list|invite|share|end` and `supporting`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from taperline.cli.base import STATE, CliError, app, handles_errors, out, print_json
from taperline.domain.circle import SHARE_NAMES, TREND_WORDS, parse_shares
from taperline.services.circle import MemberView

circle_app = typer.Typer(help="A person's support circle: who is in it and what each sees.")
app.add_typer(circle_app, name="circle")

SHARE_HELP = f"What they see, comma-separated: {', '.join(SHARE_NAMES)} ('' for nothing)."


def _shares(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@circle_app.command("list")
@handles_errors
def list_command(
    handle: Annotated[str, typer.Argument(help="Whose circle.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Who is (or was) in a person's circle, and what each sees."""
    from taperline.services import circle

    with STATE.work() as (session, actor):
        rows = circle.members(session, STATE.clock, actor, handle)
    if as_json:
        print_json([_row(m) for m in rows])
        return
    table = Table("id", "name", "relation", "email", "status", "sees")
    for m in rows:
        table.add_row(
            str(m.id), m.name, m.relation, m.email, m.status, ", ".join(m.shares.on()) or "-"
        )
    out.print(table)


def _row(m: MemberView) -> dict[str, object]:
    return asdict(m) | {"shares": list(m.shares.on())}


@circle_app.command("invite")
@handles_errors
def invite_command(
    handle: Annotated[str, typer.Argument(help="Your own handle (with --as).")],
    email: Annotated[str, typer.Option(help="Their email address.")],
    name: Annotated[str, typer.Option(help="Who they are, in your words.")],
    relation: Annotated[str, typer.Option(help="family, friend, partner, sponsor, ...")] = "other",
    share: Annotated[str, typer.Option(help=SHARE_HELP)] = "checkins,sos",
) -> None:
    """Invite a supporter by email (the worker sends it); prints the one-time link too."""
    from taperline.services import circle

    shares = parse_shares(_shares(share))
    with STATE.work() as (session, actor):
        sent = circle.invite(
            session, STATE.clock, STATE.settings, actor, handle,
            email=email, name=name, relation=relation, shares=shares,
        )  # fmt: skip
    out.print(f"Invitation queued for {sent.member.email} (valid 7 days): {sent.link}")


@circle_app.command("share")
@handles_errors
def share_command(
    handle: Annotated[str, typer.Argument(help="Your own handle (with --as).")],
    member: Annotated[int, typer.Argument(help="The member id (see `circle list`).")],
    share: Annotated[str, typer.Option(help=SHARE_HELP)],
) -> None:
    """Change what one supporter sees: effective at once."""
    from taperline.services import circle

    shares = parse_shares(_shares(share))
    with STATE.work() as (session, actor):
        view = circle.set_shares(session, STATE.clock, actor, handle, member, shares)
    out.print(f"{view.name} now sees: {', '.join(view.shares.on()) or 'nothing'}.")


@circle_app.command("end")
@handles_errors
def end_command(
    handle: Annotated[str, typer.Argument(help="Your own handle (with --as).")],
    member: Annotated[int, typer.Argument(help="The member id (see `circle list`).")],
) -> None:
    """Take someone out of the circle, or withdraw an invitation."""
    from taperline.services import circle

    with STATE.work() as (session, actor):
        view = circle.end(session, STATE.clock, actor, handle, member)
    out.print(f"{view.name} is no longer in the circle and sees nothing from now on.")


@app.command("supporting")
@handles_errors
def supporting_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """For a supporter (with --as): each person you support, with only what they share."""
    from taperline.services import supporting

    if not STATE.acting_as:
        raise CliError("run `taperline --as YOUR_HANDLE supporting`")
    with STATE.work() as (session, actor):
        views = supporting.supporting(session, STATE.clock, actor)
    if as_json:
        print_json([asdict(v) | {"shares": list(v.shares.on())} for v in views])
        return
    for v in views:
        out.print(f"[bold]{v.person_name}[/] ({v.relation})")
        if v.checked_in_today is not None:
            out.print(f"  checked in today: {'yes' if v.checked_in_today else 'not yet'}")
            out.print(f"  days in a row: {v.streak}")
        if v.trend is not None:
            out.print(f"  {TREND_WORDS[v.trend]}")
        if v.open_alerts is not None:
            out.print(f"  open alert with the care team: {'yes' if v.open_alerts else 'no'}")
        for s in v.scores or ():
            out.print(f"  {s.title}: {s.total} ({s.band or '-'}), {s.day}")
    if not views:
        out.print("Nobody yet.")
