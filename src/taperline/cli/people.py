"""Clinics and people: `clinic add|list`, `person add|list|show|condition|medication|invite`."""

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
    print_json,
)
from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role, parse_enum
from taperline.domain.units import Amount
from taperline.services import people as people_service

clinic_app = typer.Typer(help="Clinics.", no_args_is_help=True)
person_app = typer.Typer(
    help="People: persons in recovery, clinicians and clinic admins.", no_args_is_help=True
)
app.add_typer(clinic_app, name="clinic")
app.add_typer(person_app, name="person")


@clinic_app.command("add")
@handles_errors
def clinic_add(
    name: Annotated[str, typer.Argument(help="The clinic's name.")],
    country: Annotated[
        str, typer.Option(help="Country code; selects emergency and crisis numbers.")
    ] = "US",
) -> None:
    """Add a clinic."""
    with STATE.work() as (session, actor):
        clinic = people_service.create_clinic(session, STATE.clock, actor, name, country)
        out.print(f"Added clinic {clinic.id}: {clinic.name}.")


@clinic_app.command("list")
@handles_errors
def clinic_list() -> None:
    """List clinics."""
    with STATE.work() as (session, _actor):
        table = Table("id", "name")
        for clinic in people_service.list_clinics(session):
            table.add_row(str(clinic.id), clinic.name)
        out.print(table)


@clinic_app.command("retention")
@handles_errors
def clinic_retention(
    setting: Annotated[
        str | None,
        typer.Argument(help="keep-deidentified or delete; leave out to show the setting."),
    ] = None,
    clinic: Annotated[str | None, typer.Option(help="Clinic id or name.")] = None,
) -> None:
    """What erasing a person keeps: the records of care de-identified (keep-deidentified, the
    default) or nothing but the audit log (delete). A clinic admin with --as, or the operator."""
    from taperline.services import data_rights

    with STATE.work() as (session, actor):
        if setting is None:
            found = people_service.find_clinic(session, clinic)
            out.print(f"{found.name}: retention {found.retention}.")
            return
        changed = data_rights.set_retention(session, STATE.clock, actor, clinic, setting)
        out.print(f"{changed.name}: retention is now {changed.retention}.")


@person_app.command("add")
@handles_errors
def person_add(
    handle: Annotated[str, typer.Argument(help="A short unique handle, e.g. 'pat'.")],
    name: Annotated[str, typer.Option(help="The name shown to others.")],
    role: Annotated[str, typer.Option(help="person, clinician or admin.")] = "person",
    clinic: Annotated[
        str | None, typer.Option(help="Clinic id or name (default: the only one).")
    ] = None,
    clinician: Annotated[
        list[str] | None, typer.Option(help="Clinician handle caring for this person (repeatable).")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone, e.g. America/Chicago.")
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="Email address, for reminders and notifications.")
    ] = None,
) -> None:
    """Add a person in recovery, a clinician or a clinic admin."""
    parsed_role = parse_enum(Role, role, field="role")
    with STATE.work() as (session, actor):
        user = people_service.add_account(
            session,
            STATE.clock,
            actor,
            handle=handle,
            display_name=name,
            role=parsed_role,
            clinic=people_service.find_clinic(session, clinic),
            timezone=timezone or STATE.settings.timezone,
            clinician_handles=tuple(clinician or ()),
            email=email,
        )
        out.print(f"Added {parsed_role.value} '{user.handle}' ({user.display_name}).")


@person_app.command("list")
@handles_errors
def person_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the people you may see."""
    with STATE.work() as (session, actor):
        people = people_service.list_people(session, STATE.clock, actor)
    if as_json:
        print_json(
            [
                {
                    "handle": p.handle,
                    "name": p.display_name,
                    "clinic": p.clinic,
                    "clinicians": list(p.clinicians),
                    "last_checkin": p.last_checkin.isoformat() if p.last_checkin else None,
                    "checkins": p.checkins,
                }
                for p in people
            ]
        )
        return
    if not people:
        out.print("Nobody to show.")
        return
    table = Table("handle", "name", "clinic", "clinicians", "last check-in", "check-ins")
    for p in people:
        table.add_row(
            p.handle,
            p.display_name,
            p.clinic,
            ", ".join(p.clinicians) or "—",
            p.last_checkin.isoformat() if p.last_checkin else "—",
            "—" if p.checkins is None else str(p.checkins),
        )
    out.print(table)


@person_app.command("show")
@handles_errors
def person_show(handle: Annotated[str, typer.Argument(help="The person's handle.")]) -> None:
    """Show a person's record: care team and safety profile."""
    with STATE.work() as (session, actor):
        person = people_service.show_person(session, STATE.clock, actor, handle)
    out.print(
        f"[bold]{person.display_name}[/] ({person.handle}) · {person.clinic} · {person.timezone}"
    )
    out.print(f"Clinicians: {', '.join(person.clinicians) or 'none yet'}")
    out.print(f"Conditions: {', '.join(c.value for c in person.conditions) or 'none recorded'}")
    if person.medications:
        table = Table("id", "medication", "kind", "amount", "schedule", "prescribed", "checked")
        for m in person.medications:
            table.add_row(
                str(m.id),
                m.name,
                m.category.value,
                str(m.amount) if m.amount else "—",
                m.schedule or "—",
                "yes" if m.prescribed else "no",
                "yes" if m.recognised else _not_recognised(m.did_you_mean),
            )
        out.print(table)
    else:
        out.print("Medications: none recorded")


def _not_recognised(guess: str) -> str:
    return f"NOT RECOGNISED; did you mean {guess}?" if guess else "NOT RECOGNISED"


@person_app.command("condition")
@handles_errors
def person_condition(
    handle: Annotated[str, typer.Argument(help="The person's handle.")],
    condition: Annotated[
        str, typer.Argument(help="e.g. kidney_disease, liver_disease, pregnancy.")
    ],
) -> None:
    """Record a condition in a person's safety profile."""
    with STATE.work() as (session, actor):
        added = people_service.add_condition(session, STATE.clock, actor, handle, condition)
    out.print(f"Recorded {added.value} for {handle}.")


@person_app.command("medication")
@handles_errors
def person_medication(
    handle: Annotated[str, typer.Argument(help="The person's handle.")],
    name: Annotated[str, typer.Argument(help="As written on the label, e.g. 'Suboxone'.")],
    category: Annotated[
        str, typer.Option(help="moud, melatonin, magnesium, kratom or other_medication.")
    ] = "other_medication",
    amount: Annotated[str | None, typer.Option(help="Amount per dose, e.g. 8.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit of the amount, e.g. mg.")] = None,
    schedule: Annotated[str, typer.Option(help="When it is taken, in words.")] = "",
    not_prescribed: Annotated[
        bool, typer.Option("--not-prescribed", help="Taken without a prescription.")
    ] = False,
) -> None:
    """Record a medication in a person's safety profile."""
    if (amount is None) != (unit is None):
        raise InvalidInput(
            "--unit" if unit is None else "--amount", "give --amount and --unit together"
        )
    parsed = Amount.parse(amount, unit) if amount is not None and unit is not None else None
    from taperline.domain.safety import substances
    from taperline.knowledge import load

    with STATE.work() as (session, actor):
        medication = people_service.add_medication(
            session,
            STATE.clock,
            actor,
            handle,
            name=name,
            category=category,
            amount=parsed,
            schedule=schedule,
            prescribed=not not_prescribed,
        )
    out.print(f"Recorded {name} for {handle} (medication {medication.id}).")
    for unread in substances.unrecognised(load(), [(name, "medication")]):
        guess = unread.did_you_mean()
        out.print(
            f"[bold yellow]Taperline does not recognise '{name}': its interactions are not "
            f"checked.[/]"
            + (
                f" Did you mean {guess}? Correct it with `taperline person "
                f"medication-fix {handle} {medication.id} NAME`."
                if guess
                else ""
            )
        )


@person_app.command("medication-fix")
@handles_errors
def person_medication_fix(
    handle: Annotated[str, typer.Argument(help="The person's handle.")],
    medication: Annotated[int, typer.Argument(help="The medication id (see `person show`).")],
    name: Annotated[str, typer.Argument(help="The corrected name (one Taperline recognises).")],
) -> None:
    """Correct a medication's name, for example to a 'did you mean' suggestion."""
    from taperline.services import medications

    with STATE.work() as (session, actor):
        fixed = medications.rename(session, STATE.clock, actor, handle, medication, name)
    out.print(f"Medication {fixed.id} is now '{fixed.name}'; its interactions are checked.")


@person_app.command("invite")
@handles_errors
def person_invite(handle: Annotated[str, typer.Argument(help="The person's handle.")]) -> None:
    """Make a one-time code (valid 7 days) the person uses at /invite to set their password."""
    from taperline.services import accounts

    with STATE.work() as (session, actor):
        code = accounts.invite(session, STATE.clock, actor, handle)
    out.print(f"Invitation code for {handle} (valid for 7 days): [bold]{code}[/]")
    out.print("They set their own password at /invite on the Taperline site.")


@person_app.command("export")
@handles_errors
def person_export(
    handle: Annotated[str, typer.Argument(help="The person's handle.")],
    to: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where to write: FILE.json (the data), or FILE.zip (data, FHIR, PDF report).",
        ),
    ],
) -> None:
    """Everything held about a person (the person with --as, or the operator)."""
    import json

    from taperline.services import data_rights

    if to.exists():
        raise InvalidInput("--out", f"{to} already exists; choose a new file name")
    if to.suffix.lower() == ".zip":
        with STATE.work() as (session, actor):
            _, content = data_rights.archive(session, STATE.clock, actor, handle)
        to.write_bytes(content)
        out.print(f"Wrote your data, FHIR record and progress report to {to}.")
        return
    with STATE.work() as (session, actor):
        document = data_rights.export(session, STATE.clock, actor, handle)
    to.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    rows = sum(len(r) for r in document["tables"].values())
    out.print(f"Wrote {rows} rows from {len(document['tables'])} tables to {to}.")


@person_app.command("erase")
@handles_errors
def person_erase(
    handle: Annotated[str, typer.Argument(help="The person's handle.")],
    confirm: Annotated[str, typer.Option(help="The handle again: erasure cannot be undone.")],
) -> None:
    """Erase a person (a clinic admin with --as, or the operator): name, email, handle and free
    text removed everywhere; records of care kept de-identified or deleted, as the clinic's
    retention setting says (`taperline clinic retention`)."""
    from taperline.services import data_rights

    if confirm.strip().lower() != handle.strip().lower():
        raise InvalidInput("--confirm", "give the person's handle again to confirm the erasure")
    with STATE.work() as (session, actor):
        done = data_rights.erase(session, STATE.clock, actor, handle)
    out.print(
        f"Erased {handle}: personal data removed from {done.rows_scrubbed} rows, "
        f"{done.rows_deleted} rows deleted; "
        + (
            "records of care deleted (clinic retention: delete)."
            if done.retention == data_rights.DELETE
            else "records of care kept de-identified (clinic retention: keep-deidentified)."
        )
    )
