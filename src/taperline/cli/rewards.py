"""Contingency-management rewards: `rewards show|programme|configure|enrol|record|redeem|
correct`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from taperline.cli.base import STATE, CliError, app, handles_errors, out, print_json

rewards_app = typer.Typer(help="Rewards for verified behaviours (contingency management).")
app.add_typer(rewards_app, name="rewards")


@rewards_app.command("show")
@handles_errors
def show_command(
    handle: Annotated[str, typer.Argument(help="Whose rewards.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A person's balance, progress on each rewarded behaviour, and ledger."""
    from taperline.services import rewards

    with STATE.work() as (session, actor):
        view = rewards.ledger(session, STATE.clock, actor, handle)
    if as_json:
        print_json(
            {
                "enrolled": view.enrolled,
                "balance": view.balance,
                "balance_text": view.balance_text,
                "progress": [
                    {"behaviour": p.behaviour.value, "streak": p.streak, "next": p.next_value}
                    for p in view.progress
                ],
                "entries": [
                    {
                        "id": e.id,
                        "kind": e.kind,
                        "behaviour": e.behaviour.value if e.behaviour else None,
                        "date": e.day.isoformat(),
                        "streak": e.streak,
                        "amount": e.amount,
                        "note": e.note,
                        "corrected": e.corrected,
                    }  # fmt: skip
                    for e in view.entries
                ],
            }
        )
        return
    if view.programme is None:
        out.print("The clinic has no reward programme.")
        return
    state = "enrolled" if view.enrolled else "not enrolled"
    out.print(f"[bold]{view.person_name}[/] ({state}): balance {view.balance_text}")
    for p in view.progress:
        out.print(f"  {p.label}: {p.streak} in a row; the next earns {p.next_text}")
    table = Table("id", "date", "kind", "what", "streak", "amount", "by")
    for e in view.entries:
        what = e.behaviour.value if e.behaviour else e.note
        kind = f"{e.kind} (corrected)" if e.corrected else e.kind
        table.add_row(
            str(e.id), e.day.isoformat(), kind, what, str(e.streak or "-"), e.amount_text,
            e.by or "check-in",
        )  # fmt: skip
    out.print(table)


@rewards_app.command("programme")
@handles_errors
def programme_command() -> None:
    """The clinic's current programme (with --as a clinician or admin)."""
    from taperline.services import rewards

    with STATE.work() as (session, actor):
        programme = rewards.current_programme(session, STATE.clock, actor)
    if programme is None:
        out.print("The clinic has no reward programme.")
        return
    out.print(f"[bold]{programme.name}[/] ({programme.unit.value}) {programme.unit_note}")
    table = Table("behaviour", "first", "step", "cap", "bonus every", "bonus")
    for r in programme.rules:
        table.add_row(
            r.behaviour.value, str(r.first), str(r.step), str(r.cap), str(r.bonus_every),
            str(r.bonus),
        )  # fmt: skip
    out.print(table)


@rewards_app.command("configure")
@handles_errors
def configure_command(
    source: Annotated[
        Path, typer.Option("--input", help="A JSON file: name, unit, unit_note, rules.")
    ],
) -> None:
    """Set the clinic's programme from a JSON file (a new version, from now on)."""
    from taperline.services import rewards

    try:
        data = json.loads(source.read_text())
    except (OSError, ValueError) as error:
        raise CliError(f"--input: cannot read {source} as JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise CliError("--input: give an object with name, unit, unit_note and a list of rules")
    raw_rules = data["rules"]
    with STATE.work() as (session, actor):
        rules = [
            rewards.rule_from(raw if isinstance(raw, dict) else {}, i)
            for i, raw in enumerate(raw_rules)
        ]
        saved = rewards.configure(
            session, STATE.clock, actor, name=str(data.get("name", "")),
            unit=str(data.get("unit", "")), unit_note=str(data.get("unit_note", "")), rules=rules,
        )  # fmt: skip
    out.print(f"Saved “{saved.name}” (version {saved.id}); it applies from now on.")


@rewards_app.command("enrol")
@handles_errors
def enrol_command(
    handle: Annotated[str, typer.Argument(help="The person.")],
    end: Annotated[bool, typer.Option("--end", help="End the enrolment instead.")] = False,
) -> None:
    """Enrol a person you care for in the clinic's programme (or --end it)."""
    from taperline.services import rewards

    with STATE.work() as (session, actor):
        changed = rewards.enrol(session, STATE.clock, actor, handle, on=not end)
    word = "ended" if end else "enrolled"
    out.print(f"{handle}: {word}." if changed else f"{handle}: already {word}; nothing changed.")


@rewards_app.command("record")
@handles_errors
def record_command(
    handle: Annotated[str, typer.Argument(help="The person.")],
    behaviour: Annotated[str, typer.Argument(help="counseling_session or negative_uds.")],
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = "",
    missed: Annotated[
        bool, typer.Option("--missed", help="Missed, or a positive screen: resets the streak.")
    ] = False,
    note: Annotated[str, typer.Option(help="Optional note.")] = "",
) -> None:
    """Enter a verified event (a clinician caring for the person)."""
    from taperline.services import rewards

    try:
        day = dt.date.fromisoformat(on) if on else STATE.clock.today()
    except ValueError:
        raise CliError("--date: give the date as YYYY-MM-DD") from None
    with STATE.work() as (session, actor):
        entry = rewards.record(
            session, STATE.clock, actor, handle, behaviour=behaviour, day=day, met=not missed,
            note=note,
        )  # fmt: skip
    if entry.kind == "earned":
        out.print(f"Saved: {entry.amount_text} earned ({entry.streak} in a row).")
    else:
        out.print("Saved as missed: the streak starts again from the next success.")


@rewards_app.command("redeem")
@handles_errors
def redeem_command(
    handle: Annotated[str, typer.Argument(help="The person.")],
    amount: Annotated[int, typer.Argument(help="In the programme's unit (cents for vouchers).")],
    note: Annotated[str, typer.Option(help="What was handed over.")],
) -> None:
    """Redeem part of a person's balance."""
    from taperline.services import rewards

    with STATE.work() as (session, actor):
        entry = rewards.redeem(session, STATE.clock, actor, handle, amount=amount, note=note)
    out.print(f"Redeemed {entry.amount_text.lstrip('-')} (entry {entry.id}).")


@rewards_app.command("correct")
@handles_errors
def correct_command(
    handle: Annotated[str, typer.Argument(help="The person.")],
    entry: Annotated[int, typer.Argument(help="The ledger entry id (see `rewards show`).")],
    note: Annotated[str, typer.Option(help="Why it is corrected.")],
) -> None:
    """Reverse a ledger line entered by mistake (the original stays, marked corrected)."""
    from taperline.services import rewards

    with STATE.work() as (session, actor):
        fixed = rewards.correct(session, STATE.clock, actor, handle, entry_id=entry, note=note)
    out.print(f"Entry {entry} corrected by entry {fixed.id} ({fixed.amount_text}).")
