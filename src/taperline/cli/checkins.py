"""Questionnaires and check-ins: `instruments`, `score`, `checkin`, `history`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from taperline.cli.base import (
    STATE,
    app,
    handles_errors,
    out,
    print_findings,
    print_json,
    read_json,
)
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import Score, WordingStatus
from taperline.schemas import parse
from taperline.schemas.checkins import CheckinCreate
from taperline.services import checkins as checkin_service


@app.command()
@handles_errors
def instruments() -> None:
    """List the instruments Taperline can score."""
    table = Table("id", "name", "rated by", "bands", "item wording")
    for instrument in registry.INSTRUMENTS.values():
        items = getattr(instrument, "items", ())
        statuses = [getattr(item, "wording", None) for item in items]
        unverified = sum(1 for status in statuses if status == WordingStatus.UNVERIFIED)
        local = sum(1 for status in statuses if status == WordingStatus.LOCAL)
        notes = [f"{unverified} of {len(items)} UNVERIFIED"] if unverified else []
        notes += [f"{local} local (not a published item)"] if local else []
        table.add_row(
            instrument.id,
            instrument.name,
            instrument.rater.value,
            "yes" if instrument.has_bands else "no published bands",
            "; ".join(notes) or "sourced",
        )
    out.print(table)
    out.print("Sources and what is unverified: docs/instruments.md")


@app.command()
@handles_errors
def score(
    instrument: Annotated[str, typer.Argument(help="Instrument id, e.g. phq9, gad7, sows, cows.")],
    answers: Annotated[
        str | None, typer.Option(help="Answers in item order, comma-separated, e.g. 0,1,2,3.")
    ] = None,
    input_file: Annotated[
        Path | None,
        typer.Option("--input", help="A JSON file of answers ('-' for standard input)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score one questionnaire without storing anything."""
    chosen = registry.get(instrument)
    if (answers is None) == (input_file is None):
        raise InvalidInput("answers", "give either --answers 0,1,2,… or --input FILE.json")
    data: object
    if answers is not None:
        if chosen.structured:
            raise InvalidInput(
                "answers", f"{chosen.name} takes named fields: use --input FILE.json"
            )
        data = [part.strip() for part in answers.split(",")] if answers.strip() else []
    else:
        assert input_file is not None
        data = read_json(input_file)
        if isinstance(data, dict) and not chosen.structured and "answers" in data:
            data = data["answers"]
    result = chosen.score(data)
    if as_json:
        print_json(result.to_dict())
    else:
        _print_score(chosen.name, result)


def _print_score(name: str, result: Score) -> None:
    if result.total is not None:
        band = f" — {result.band}" if result.band else " (no published severity bands)"
        out.print(f"[bold]{name}[/] total {result.total}{band}")
    else:
        out.print(f"[bold]{name}[/]")
    for key, value in result.metrics.items():
        out.print(f"  {key.replace('_', ' ')}: {value}")
    if result.positive_screen is not None:
        out.print(
            "  screen: "
            + ("positive — give the full questionnaire" if result.positive_screen else "negative")
        )
    for flag in result.flags:
        out.print(f"  [bold red]safety:[/] {flag}")


@app.command()
@handles_errors
def checkin(
    person: Annotated[
        str | None, typer.Option(help="The person's handle (or 'person' in the file).")
    ] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input", help="A JSON check-in ('-' for standard input).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored check-in as JSON.")
    ] = False,
) -> None:
    """Record a check-in: from a JSON file, or by answering questions one at a time."""
    from taperline import prompts

    if input_file is not None:
        data = read_json(input_file)
    else:
        if not person:
            raise InvalidInput("--person", "say whose check-in this is")
        data = prompts.ask_checkin(STATE.clock.today())
    if not isinstance(data, dict):
        raise InvalidInput("--input", "must hold one JSON object")
    submission = parse(CheckinCreate, data)
    with STATE.work() as (session, actor):
        result = checkin_service.submit_checkin(
            session, STATE.clock, actor, submission, person_handle=person
        )
    view = result.checkin
    if as_json:
        print_json(
            {
                "id": view.id,
                "created": result.created,
                "date": view.checkin_date,
                "flags": list(result.flags),
                "findings": list(result.findings),
                "scores": [
                    {
                        "instrument": s.instrument,
                        "total": s.total,
                        "band": s.band,
                        "metrics": s.metrics,
                    }
                    for s in view.scores
                ],
            }
        )
        return
    verb = "Saved" if result.created else "Already saved (same idempotency key)"
    out.print(f"{verb}: check-in {view.id} for {view.person} on {view.checkin_date}.")
    for s in view.scores:
        total = "" if s.total is None else f" {s.total}"
        band = f" ({s.band})" if s.band else ""
        out.print(f"  {registry.get(s.instrument).name}{total}{band}")
    print_findings(result.findings, audience="person")


@app.command()
@handles_errors
def history(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="How many days back.")] = 14,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A person's recent check-ins and scores."""
    with STATE.work() as (session, actor):
        views = checkin_service.history(session, STATE.clock, actor, person, days=days)
    if as_json:
        print_json([_history_row(v) for v in views])
        return
    if not views:
        out.print(f"No check-ins for {person} in the last {days} days.")
        return
    table = Table(title=f"{person}: last {days} days", show_lines=False)
    for column in (
        "date",
        "kind",
        "kratom",
        "SOWS",
        "craving",
        "sleep (TST / SE)",
        "PHQ-9",
        "GAD-7",
        "COWS",
        "flags",
    ):
        table.add_column(column)
    for v in views:
        row = _history_row(v)
        table.add_row(
            *(
                str(row[key]) if row[key] not in (None, "") else "—"
                for key in (
                    "date",
                    "kind",
                    "kratom",
                    "sows",
                    "craving",
                    "sleep",
                    "phq9",
                    "gad7",
                    "cows",
                    "flags",
                )
            )
        )
    out.print(table)


def _history_row(view: checkin_service.CheckinView) -> dict[str, object]:
    def scored(instrument: str) -> str | None:
        found = view.score(instrument)
        if found is None or found.total is None:
            return None
        return f"{found.total}" + (f" {found.band}" if found.band else "")

    sleep = view.score("sleep_diary")
    sleep_text = None
    if sleep is not None:
        tst = sleep.metrics.get("total_sleep_time")
        se = sleep.metrics.get("sleep_efficiency")
        if isinstance(tst, int | float) and isinstance(se, int | float):
            sleep_text = f"{int(tst) // 60}h{int(tst) % 60:02d} / {se:.0f}%"
    kratom_text = " + ".join(str(amount) for amount in view.kratom_totals) or None
    return {
        "date": view.checkin_date.isoformat(),
        "kind": view.kind.value,
        "kratom": kratom_text,
        "sows": scored("sows"),
        "craving": scored("craving"),
        "sleep": sleep_text,
        "phq9": scored("phq9"),
        "gad7": scored("gad7"),
        "cows": scored("cows"),
        "flags": ", ".join(f for s in view.scores for f in s.flags),
    }
