"""The safety engine and its alerts: `safety check|rules`, `alerts list|ack|resolve`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from taperline.cli.base import (
    SEVERITY_STYLE,
    STATE,
    app,
    handles_errors,
    out,
    print_findings,
    print_json,
    read_json,
)
from taperline.domain.errors import InvalidInput
from taperline.schemas import parse

safety_app = typer.Typer(help="The safety engine.", no_args_is_help=True)
alerts_app = typer.Typer(help="Safety alerts for clinicians.", no_args_is_help=True)
app.add_typer(safety_app, name="safety")
app.add_typer(alerts_app, name="alerts")


@safety_app.command("check")
@handles_errors
def safety_check(
    input_file: Annotated[
        Path, typer.Option("--input", help="A JSON situation (see docs/safety.md); '-' for stdin.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    audience: Annotated[
        str, typer.Option(help="Whose messages to print: person or clinician.")
    ] = "clinician",
) -> None:
    """Evaluate a described situation without storing anything."""
    from taperline.schemas.safety import SafetyCheckInput
    from taperline.services import safety

    if audience not in ("person", "clinician"):
        raise InvalidInput("--audience", "use person or clinician")
    situation = parse(SafetyCheckInput, read_json(input_file))
    findings = [f.to_dict() for f in safety.check_situation(situation)]
    if as_json:
        print_json({"findings": findings})
        return
    if not findings:
        out.print("No safety findings.")
        return
    print_findings(findings, audience=audience)


@alerts_app.command("list")
@handles_errors
def alerts_list(
    status: Annotated[str, typer.Option(help="open, acknowledged, resolved or all.")] = "open",
    person: Annotated[str | None, typer.Option(help="Only this person's alerts.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List safety alerts, most urgent first."""
    from taperline.services import safety

    with STATE.work() as (session, actor):
        alerts = safety.list_alerts(session, STATE.clock, actor, status=status, person=person)
    if as_json:
        print_json(
            [
                {
                    "id": a.id,
                    "person": a.person,
                    "rule": a.rule_id,
                    "severity": a.severity,
                    "title": a.title,
                    "day": a.day.isoformat(),
                    "status": a.status,
                    "involved": list(a.involved),
                    "message": a.clinician_message,
                    "acknowledged_by": a.acknowledged_by,
                    "acknowledged_note": a.acknowledged_note,
                    "resolved_by": a.resolved_by,
                    "resolved_note": a.resolved_note,
                }
                for a in alerts
            ]
        )
        return
    if not alerts:
        out.print(f"No {status if status != 'all' else ''} alerts.".replace("  ", " "))
        return
    table = Table("id", "person", "day", "severity", "alert", "status")
    for a in alerts:
        style = SEVERITY_STYLE.get(a.severity, "")
        table.add_row(
            str(a.id), a.person, a.day.isoformat(), f"[{style}]{a.severity}[/]", a.title, a.status
        )
    out.print(table)


@alerts_app.command("ack")
@handles_errors
def alerts_ack(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    note: Annotated[str, typer.Option(help="What you have done or will do.")],
) -> None:
    """Acknowledge an alert (a clinician who cares for the person, with --as)."""
    _alert_step(alert_id, note, "acknowledge")


@alerts_app.command("resolve")
@handles_errors
def alerts_resolve(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    note: Annotated[str, typer.Option(help="How it was resolved.")],
) -> None:
    """Resolve an alert (a clinician who cares for the person, with --as)."""
    _alert_step(alert_id, note, "resolve")


def _alert_step(alert_id: int, note: str, step: Literal["acknowledge", "resolve"]) -> None:
    """One step of an alert's lifecycle, with the clinician's note."""
    from taperline.services import safety

    action = safety.acknowledge if step == "acknowledge" else safety.resolve
    with STATE.work() as (session, actor):
        status = action(session, STATE.clock, actor, alert_id, note).status  # its new status
    out.print(f"Alert {alert_id} {status}.")


@safety_app.command("rules")
@handles_errors
def safety_rules(
    write: Annotated[
        Path | None,
        typer.Option(help="Replace the generated block of this Markdown file (docs/safety.md)."),
    ] = None,
) -> None:
    """Print every safety rule: trigger, severity, messages and sources (Markdown)."""
    from taperline.knowledge import load
    from taperline.knowledge.reference import END, START, render

    text = render(load())
    if write is None:
        typer.echo(text, nl=False)
        return
    try:
        current = write.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput("--write", f"cannot read {write}: {error.strerror}") from None
    if START not in current or END not in current:
        raise InvalidInput("--write", f"{write} has no generated block to replace")
    before, rest = current.split(START, 1)
    after = rest.split(END, 1)[1]
    write.write_text(before + text.rstrip("\n") + after, encoding="utf-8")
    out.print(f"Updated the rule reference in {write}.")
