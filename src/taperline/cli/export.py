"""Exports: `export ics`, `export fhir`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from taperline.cli.base import (
    STATE,
    app,
    handles_errors,
    out,
)
from taperline.domain.errors import InvalidInput

export_app = typer.Typer(help="Exports.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("ics")
@handles_errors
def export_ics_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the .ics file ('-' for stdout).")
    ],
    horizon_days: Annotated[int, typer.Option(help="How far ahead recurring events run.")] = 365,
) -> None:
    """Write the person's calendar: taper steps, dose times, check-ins and visits."""
    from taperline.services import calendar

    with STATE.work() as (session, actor):
        data = calendar.export_ics(session, STATE.clock, actor, person, horizon_days=horizon_days)
    if str(out_file) == "-":
        sys.stdout.buffer.write(data)
        return
    try:
        out_file.write_bytes(data)
    except OSError as error:
        raise InvalidInput("--out", f"cannot write {out_file}: {error.strerror}") from None
    out.print(f"Wrote {out_file} ({data.count(b'BEGIN:VEVENT')} events).")


@export_app.command("fhir")
@handles_errors
def export_fhir_command(
    person: Annotated[str | None, typer.Argument(help="The person's handle.")] = None,
    out_file: Annotated[
        Path,
        typer.Option("--out", help="The Bundle file (one person), or a new folder (--clinic)."),
    ] = Path("-"),
    clinic: Annotated[
        bool, typer.Option("--clinic", help="Every person of the clinic, as NDJSON per type.")
    ] = False,
) -> None:
    """A person's record as a FHIR R4B Bundle (collection), or with --clinic the whole clinic
    as FHIR Bulk Data style NDJSON (an admin, or the operator); validated as it is built."""
    import json

    from rich.progress import Progress

    from taperline.services import fhir

    if str(out_file) == "-":
        raise InvalidInput("--out", "say where to write (a file, or a new folder with --clinic)")
    if clinic:
        if person is not None:
            raise InvalidInput("--clinic", "give either a person's handle or --clinic, not both")
        with STATE.work() as (session, actor), Progress(transient=True) as bar:
            task = bar.add_task("Exporting people", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            counts = fhir.export_clinic(session, STATE.clock, actor, out_file, progress=tick)
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        out.print(f"Wrote NDJSON to {out_file}: {summary}.")
        return
    if person is None:
        raise InvalidInput("person", "give the person's handle (or --clinic for everyone)")
    if out_file.exists():
        raise InvalidInput("--out", f"{out_file} already exists; choose a new file name")
    with STATE.work() as (session, actor):
        document = fhir.export_person(session, STATE.clock, actor, person)
    partial = out_file.with_name(out_file.name + ".partial")
    partial.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.replace(out_file)
    out.print(
        f"Wrote a FHIR R4B Bundle of {len(document.get('entry', []))} resources to {out_file}."
    )


import_app = typer.Typer(help="Imports.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("fhir")
@handles_errors
def import_fhir_command(
    person: Annotated[str, typer.Argument(help="Whose record the responses go into.")],
    source: Annotated[Path, typer.Argument(help="A FHIR R4B Bundle or QuestionnaireResponse.")],
) -> None:
    """Import QuestionnaireResponses (Taperline's export, or another system's) as check-ins,
    scored again; all or nothing."""
    from taperline.services import fhir_import

    try:
        text = source.read_bytes()
    except OSError as error:
        raise InvalidInput("file", f"cannot read {source}: {error.strerror}") from None
    with STATE.work() as (session, actor):
        done = fhir_import.import_responses(session, STATE.clock, actor, person, text)
    out.print(f"Imported {done.stored} response(s) for {person}; {done.already} were already here.")


@import_app.command("record")
@handles_errors
def import_record_command(
    source: Annotated[Path, typer.Argument(help="A Bundle Taperline exported (one person).")],
    clinic: Annotated[
        str | None, typer.Option(help="The clinic to bring them into (the operator).")
    ] = None,
    clinician: Annotated[
        list[str] | None, typer.Option(help="A clinician who will care for them (repeatable).")
    ] = None,
) -> None:
    """Bring a whole record from another clinic as a new person: account, medications, plans,
    check-ins (scored again) and alerts; all or nothing. A clinician with --as (assigned to
    the person), or the operator with --clinic."""
    from taperline.services import fhir_record

    try:
        text = source.read_bytes()
    except OSError as error:
        raise InvalidInput("file", f"cannot read {source}: {error.strerror}") from None
    with STATE.work() as (session, actor):
        done = fhir_record.import_record(
            session, STATE.clock, actor, text, clinic_ref=clinic, clinicians=tuple(clinician or ())
        )
    out.print(
        f"Imported {done.handle}: {done.checkins} check-in(s), {done.plans} plan version(s), "
        f"{done.medications} medication(s), {done.alerts} alert(s)."
    )


@export_app.command("research")
@handles_errors
def export_research_command(
    out_dir: Annotated[Path, typer.Option("--out", help="A new (or empty) folder to write.")],
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
) -> None:
    """The de-identified research export of the clinic (an admin with --as, or the operator):
    pseudonymous ids, dates shifted per person, no free text; with a data dictionary and a
    manifest. Needs TAPERLINE_RESEARCH_KEY."""
    from taperline.services import research

    key = research.parse_research_key(
        STATE.settings.research_key.get_secret_value() if STATE.settings.research_key else None
    )
    with STATE.work() as (session, actor):
        done = research.export(session, STATE.clock, actor, out_dir, key=key, fmt=file_format)
    total = sum(done.rows.values())
    out.print(f"Wrote {total} rows in {len(done.rows)} tables to {out_dir} (see manifest.json).")
