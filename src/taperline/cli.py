"""The `taperline` command. Thin: parse, call one service, render with Rich."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from taperline import __version__
from taperline.clock import Clock, FixedClock, SystemClock
from taperline.config import Settings
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.domain.access import Actor
from taperline.domain.errors import DomainError, InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import Score, WordingStatus
from taperline.domain.types import Role, parse_enum
from taperline.domain.units import Amount
from taperline.schemas import parse
from taperline.schemas.checkins import CheckinCreate
from taperline.services import checkins as checkin_service
from taperline.services import people as people_service
from taperline.services.uow import unit_of_work

app = typer.Typer(
    help="Taperline: supervised taper support. It supports care; it does not prescribe.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Create, upgrade and check the database.", no_args_is_help=True)
clinic_app = typer.Typer(help="Clinics.", no_args_is_help=True)
person_app = typer.Typer(
    help="People: persons in recovery, clinicians and clinic admins.", no_args_is_help=True
)
safety_app = typer.Typer(help="The safety engine.", no_args_is_help=True)
alerts_app = typer.Typer(help="Safety alerts for clinicians.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(safety_app, name="safety")
app.add_typer(alerts_app, name="alerts")
app.add_typer(clinic_app, name="clinic")
app.add_typer(person_app, name="person")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def handles_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Turn user mistakes into one clear line and a non-zero exit, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except InvalidInput as error:
            err.print(f"[bold red]Error:[/] {error.field}: {error.problem}")
        except DomainError as error:
            err.print(f"[bold red]Error:[/] {error}")
        except CliError as error:
            err.print(f"[bold red]Error:[/] {error}")
        except (OperationalError, ProgrammingError) as error:
            err.print(f"[bold red]Error:[/] the database could not be used: {_first_line(error)}")
        raise typer.Exit(code=2)

    return wrapper


def _first_line(error: BaseException) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0]


# -- shared state -------------------------------------------------------------------------


@dataclass
class State:
    acting_as: str | None = None
    today: dt.date | None = None

    @functools.cached_property
    def settings(self) -> Settings:
        return Settings()  # read afresh for each invocation

    @functools.cached_property
    def clock(self) -> Clock:
        if self.today is None:
            return SystemClock()
        return FixedClock(dt.datetime.combine(self.today, dt.time(12, 0), tzinfo=dt.UTC))

    @functools.cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.resolved_database_url)

    def sessions(self) -> sessionmaker[Session]:
        """Sessions on a database that is at the newest revision, or a clear error."""
        current = migrate.current_revision(self.engine)
        if current is None:
            raise CliError(f"the database at {self.where} is empty: run `taperline init` first")
        if current != migrate.head_revision():
            raise CliError(
                "the database is behind this version of Taperline: run `taperline db upgrade`"
            )
        return make_sessionmaker(self.engine)

    @property
    def where(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def work(self) -> Iterator[tuple[Session, Actor]]:
        """One transaction, with the acting user resolved inside it."""
        with unit_of_work(self.sessions(), self.clock) as session:
            yield session, self._actor(session)

    def _actor(self, session: Session) -> Actor:
        if not self.acting_as:
            return Actor.operator(getpass.getuser())
        user = people_service.find_user(session, self.acting_as, field="--as")
        return Actor(
            label=f"user:{user.handle}",
            source="cli",
            user_id=user.id,
            role=Role(user.role),
            clinic_id=user.clinic_id,
        )


STATE = State()


def _version(value: bool) -> None:
    if value:
        out.print(f"taperline {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    acting_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="TAPERLINE_AS",
            help="Act as this user (handle); their access rules apply. Default: local operator.",
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            help="Pretend today is this date (YYYY-MM-DD); for demos and reproducible runs."
        ),
    ] = None,
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Taperline: supervised taper support."""
    global STATE
    STATE = State(acting_as=acting_as, today=_parse_date(today, "--today") if today else None)


def _parse_date(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, f"'{text}' is not a date (use YYYY-MM-DD)") from None


# -- database -----------------------------------------------------------------------------


@app.command()
@handles_errors
def init() -> None:
    """Create the database, or bring it up to date."""
    migrate.upgrade(STATE.engine)
    out.print(
        f"Database ready at {STATE.where} (revision {migrate.current_revision(STATE.engine)})."
    )


@db_app.command("upgrade")
@handles_errors
def db_upgrade() -> None:
    """Apply any migrations the database is missing."""
    before = migrate.current_revision(STATE.engine)
    migrate.upgrade(STATE.engine)
    after = migrate.current_revision(STATE.engine)
    if before == after:
        out.print(f"Already up to date (revision {after}).")
    else:
        out.print(f"Upgraded {before or 'empty database'} → {after}.")


@db_app.command("check")
@handles_errors
def db_check() -> None:
    """Check the database is at the newest revision and matches the models."""
    current = migrate.current_revision(STATE.engine)
    head = migrate.head_revision()
    if current != head:
        raise CliError(
            f"database is at {current or 'no revision'}, newest is {head}: "
            "run `taperline db upgrade`"
        )
    differences = migrate.drift(STATE.engine)
    if differences:
        raise CliError(
            f"the schema differs from the models in {len(differences)} place(s): {differences[0]}"
        )
    out.print(f"Database OK at {STATE.where} (revision {current}; no drift).")


# -- demo ---------------------------------------------------------------------------------


@app.command()
@handles_errors
def demo() -> None:
    """Load the demo clinic: two clinicians and eight people with 60 days of history."""
    from taperline import demo as demo_data

    migrate.upgrade(STATE.engine)
    with STATE.work() as (session, actor):
        result = demo_data.seed(session, STATE.clock, actor)
    if not result.created:
        out.print(f"The demo clinic is already loaded in {STATE.where}.")
    else:
        out.print(
            f"Loaded the demo clinic '{result.clinic}' into {STATE.where}: "
            f"{len(result.clinicians)} clinicians, {len(result.people)} people, "
            f"{result.checkins} check-ins over {result.days} days."
        )
    out.print("Try:  taperline person list   ·   taperline history " + result.people[0])


# -- clinics and people -------------------------------------------------------------------


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
        _print_json(
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
        table = Table("medication", "kind", "amount", "schedule", "prescribed")
        for m in person.medications:
            table.add_row(
                m.name,
                m.category.value,
                str(m.amount) if m.amount else "—",
                m.schedule or "—",
                "yes" if m.prescribed else "no",
            )
        out.print(table)
    else:
        out.print("Medications: none recorded")


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
    with STATE.work() as (session, actor):
        people_service.add_medication(
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
    out.print(f"Recorded {name} for {handle}.")


# -- instruments --------------------------------------------------------------------------


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
        data = _read_json(input_file)
        if isinstance(data, dict) and not chosen.structured and "answers" in data:
            data = data["answers"]
    result = chosen.score(data)
    if as_json:
        _print_json(result.to_dict())
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


def _read_json(path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput("--input", f"cannot read {path}: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            "--input", f"is not valid JSON (line {error.lineno}: {error.msg})"
        ) from None


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


# -- check-ins ----------------------------------------------------------------------------


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
        data = _read_json(input_file)
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
        _print_json(
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


SEVERITY_STYLE = {"urgent": "bold red", "warning": "red", "caution": "yellow", "info": "cyan"}


def print_findings(findings: Sequence[Mapping[str, object]], *, audience: str) -> None:
    """Safety messages, most severe first; each says what to do next."""
    shown = [f for f in findings if f["severity"] != "info"]
    notices = [f for f in findings if f["severity"] == "info"]
    if not findings:
        return
    out.print()
    key = "person_message" if audience == "person" else "clinician_message"
    for finding in shown:
        style = SEVERITY_STYLE[str(finding["severity"])]
        out.print(f"[{style}]{str(finding['severity']).upper()}[/] {finding['title']}")
        out.print(f"  {finding[key]}")
        if finding["evidence_status"] == "unverified":
            out.print("  [dim](This safety fact is not yet confirmed by a primary source.)[/]")
        if audience == "clinician":
            citations = finding["citations"]
            sources = [str(c["id"]) for c in citations] if isinstance(citations, list) else []
            out.print(f"  [dim]{finding['rule']} · {'; '.join(sources)}[/]")
    for finding in notices:
        out.print(f"[cyan]Note:[/] {finding[key]}")


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
        _print_json([_history_row(v) for v in views])
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


# -- safety -------------------------------------------------------------------------------


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
    situation = parse(SafetyCheckInput, _read_json(input_file))
    findings = [f.to_dict() for f in safety.check_situation(situation)]
    if as_json:
        _print_json({"findings": findings})
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
        _print_json(
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


# -- plans and tapers ---------------------------------------------------------------------

plan_app = typer.Typer(
    help="Plans: draft, review, approve, compare, pause, re-plan.", no_args_is_help=True
)
taper_app = typer.Typer(help="Taper schedules.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
app.add_typer(taper_app, name="taper")


def _print_review(review: Any, *, audience: str = "clinician", draft: bool = True) -> None:
    from taperline.services.plans import PlanReview

    assert isinstance(review, PlanReview)
    content = review.content
    for item in content.items:
        from taperline.domain.plans import describe_item

        out.print(f"• {describe_item(item)}")
    schedule = review.schedule
    if schedule is not None:
        from taperline.domain.plans import describe_taper

        out.print(f"Taper: {describe_taper(content.taper)}")
        table = Table("step", "from", "to", "a day", "doses", "cut", "pace")
        for step_review in review.steps:
            step = step_review.step
            pace = ", ".join(f.rule_id for f in step_review.findings if f.severity.rank >= 2)
            held = f" (+{step.held_days} d held)" if step.held_days else ""
            table.add_row(
                str(step.number),
                step.start.isoformat(),
                step.end.isoformat() + held,
                str(step.daily),
                " / ".join(f"{t.strftime('%H:%M')} {a}" for t, a in step.doses),
                str(step.cut),
                f"[red]{pace}[/]" if pace else "ok",
            )
        out.print(table)
        for note in schedule.notes:
            out.print(f"[dim]{note}[/]")
    activities = content.activities
    goals = [
        (activities.exercise_minutes_per_week, "min exercise a week"),
        (activities.meditation_minutes_per_day, "min meditation a day"),
        (activities.counseling_sessions_per_week, "counseling session(s) a week"),
        (activities.support_meetings_per_week, "support meeting(s) a week"),
    ]
    shown = [f"{value} {label}" for value, label in goals if value]
    if activities.wake_time:
        shown.append(f"up at {activities.wake_time.strftime('%H:%M')}")
    if shown:
        out.print("Activities: " + "; ".join(shown))
    for goal in content.goals:
        out.print(f"Goal: {goal}")
    findings = list(review.findings) + [
        f
        for s in review.steps
        for f in s.findings
        if f.rule_id not in {x.rule_id for x in review.findings}
    ]
    unique = {f.rule_id: f.to_dict() for f in findings}
    print_findings(list(unique.values()), audience=audience)
    if audience == "clinician" and draft and review.needs_acknowledging:
        out.print(
            "[bold]To approve, acknowledge:[/] "
            + " ".join(f"--acknowledge {rule}" for rule in review.needs_acknowledging)
        )


def _plan_input(path: Path) -> Any:
    from taperline.schemas.plans import PlanInput

    data = _read_json(path)
    if not isinstance(data, dict):
        raise InvalidInput("--input", "must hold one JSON object (see docs/plans.md)")
    return parse(PlanInput, data)


@taper_app.command("preview")
@handles_errors
def taper_preview(
    input_file: Annotated[Path, typer.Option("--input", help="A plan as JSON (docs/plans.md).")],
    person: Annotated[
        str | None, typer.Option(help="Check against this person's conditions and medications.")
    ] = None,
) -> None:
    """Print the schedule and any findings before anything is saved."""
    from taperline.services import plans, safety

    data = _plan_input(input_file)
    if person is None:
        _print_review(plans.review(data))
        return
    with STATE.work() as (session, actor):
        subject = people_service.show_person(session, STATE.clock, actor, person)
        profile = safety.profile_of(session, subject.id)
    _print_review(plans.review(data, profile=profile))


@plan_app.command("draft")
@handles_errors
def plan_draft(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    input_file: Annotated[Path, typer.Option("--input", help="A plan as JSON (docs/plans.md).")],
    note: Annotated[str, typer.Option(help="Why this version.")] = "",
) -> None:
    """Save a new draft version of a person's plan and show its safety review."""
    from taperline.services import plans

    data = _plan_input(input_file)
    with STATE.work() as (session, actor):
        view = plans.draft(session, STATE.clock, actor, person, data, note)
    out.print(f"Saved draft version {view.number} for {person}.")
    _print_review(view.review)


@plan_app.command("approve")
@handles_errors
def plan_approve(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    version: Annotated[int, typer.Option(help="The draft version to approve.")],
    acknowledge: Annotated[
        list[str] | None, typer.Option(help="A warning's rule id you have reviewed (repeatable).")
    ] = None,
) -> None:
    """Approve a draft (a clinician who cares for the person, with --as)."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        view = plans.approve(session, STATE.clock, actor, person, version, list(acknowledge or ()))
    out.print(f"Approved version {view.number} for {person}; the person now sees this plan.")


@plan_app.command("show")
@handles_errors
def plan_show(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    version: Annotated[
        int | None, typer.Option(help="A version number (default: approved).")
    ] = None,
) -> None:
    """Show the approved plan (or a given version) with its schedule and review."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        view = plans.show(session, STATE.clock, actor, person, version)
        subject = people_service.find_user(session, person)
        suggestions = (
            plans.hold_suggestions(session, subject.id) if actor.role is not Role.PERSON else []
        )
    by = f" by {view.approved_by}" if view.approved_by else ""
    out.print(f"[bold]{person}: plan version {view.number}[/] ({view.status}{by})")
    if view.note:
        out.print(f"[dim]{view.note}[/]")
    _print_review(
        view.review,
        audience="person" if actor.role is Role.PERSON else "clinician",
        draft=view.status == "draft",
    )
    if view.acknowledged:
        out.print(f"[dim]Approved with acknowledged warnings: {', '.join(view.acknowledged)}[/]")
    for suggestion in suggestions:
        out.print(f"[yellow]Suggestion:[/] {suggestion.replace('PERSON', person)}")


@plan_app.command("versions")
@handles_errors
def plan_versions(person: Annotated[str, typer.Argument(help="The person's handle.")]) -> None:
    """List a person's plan versions."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        rows = plans.versions(session, STATE.clock, actor, person)
    table = Table("version", "status", "created")
    for number, status, created in rows:
        table.add_row(str(number), status, created.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@plan_app.command("diff")
@handles_errors
def plan_diff(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    old: Annotated[int, typer.Argument(help="The earlier version.")],
    new: Annotated[int, typer.Argument(help="The later version.")],
) -> None:
    """What changed between two versions."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        changes = plans.compare(session, STATE.clock, actor, person, old, new)
    if not changes:
        out.print("No changes.")
    for change in changes:
        out.print(f"• {change}")


@plan_app.command("pause")
@handles_errors
def plan_pause(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="How many days to hold the current step.")],
    start: Annotated[str | None, typer.Option(help="From this date (default: today).")] = None,
) -> None:
    """Draft a pause (hold the current step); approve it to take effect."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        begin = (
            _parse_date(start, "--start")
            if start
            else people_service.local_today(people_service.find_user(session, person), STATE.clock)
        )
        view = plans.pause(session, STATE.clock, actor, person, begin, days)
    out.print(f"Saved draft version {view.number}: hold for {days} days from {begin}.")
    _print_review(view.review)


@plan_app.command("replan")
@handles_errors
def plan_replan(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="Average the last N days of logs.")] = 7,
) -> None:
    """Draft a new taper from the person's actual recent amount; approve it to take effect."""
    from taperline.services import plans

    with STATE.work() as (session, actor):
        view = plans.replan(session, STATE.clock, actor, person, days=days)
    out.print(f"Saved draft version {view.number}. {view.note}")
    _print_review(view.review)


# -- adherence, today, calendar -----------------------------------------------------------

export_app = typer.Typer(help="Exports.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@app.command("adherence")
@handles_errors
def adherence_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="How many days back, today included.")] = 14,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Kratom against the plan day by day, melatonin timing, magnesium spacing, activities."""
    from taperline.services import adherence

    with STATE.work() as (session, actor):
        report = adherence.report(session, STATE.clock, actor, person, days=days)
    kratom = report.kratom
    if as_json:
        _print_json(
            {
                "person": report.person,
                "start": report.start,
                "end": report.end,
                "current_streak": kratom.current_streak,
                "longest_streak": kratom.longest_streak,
                "counts": {str(k): v for k, v in kratom.counts.items()},
                "days": [
                    {
                        "date": d.date,
                        "target": str(d.target) if d.target else None,
                        "logged": str(d.logged) if d.logged is not None else None,
                        "difference": str(d.difference) if d.difference else None,
                        "status": str(d.status),
                        "note": d.note,
                    }
                    for d in kratom.days
                ],
                "melatonin": [
                    {
                        "date": m.date,
                        "taken": m.taken,
                        "status": str(m.status),
                        "minutes_before_bedtime": m.minutes_before_bedtime,
                    }
                    for m in report.melatonin
                ],
                "magnesium_spacing": [
                    {
                        "date": c.date,
                        "other": c.other,
                        "ok": c.ok,
                        "minutes_apart": c.minutes_apart,
                        "advice": c.spacing,
                    }
                    for c in report.magnesium
                ],
                "activities": [
                    {
                        "week_start": w.week_start,
                        "days_unknown": w.days_unknown,
                        "exercise_minutes": [w.exercise_minutes.done, w.exercise_minutes.target],
                        "meditation_minutes": [
                            w.meditation_minutes.done,
                            w.meditation_minutes.target,
                        ],
                        "counseling_sessions": [
                            w.counseling_sessions.done,
                            w.counseling_sessions.target,
                        ],
                        "support_meetings": [w.support_meetings.done, w.support_meetings.target],
                    }
                    for w in report.activities
                ],
            }
        )
        return
    table = Table(
        "date",
        "target",
        "logged",
        "difference",
        "status",
        title=f"{person}: kratom against the plan",
    )
    style = {"on_target": "green", "above": "red", "below": "yellow"}
    for d in kratom.days:
        status = str(d.status)
        table.add_row(
            d.date.isoformat(),
            str(d.target) if d.target else "—",
            str(d.logged) if d.logged is not None else "unknown",
            str(d.difference) if d.difference else "—",
            f"[{style.get(status, 'dim')}]{status.replace('_', ' ')}[/]",
        )
    out.print(table)
    out.print(
        f"On target {kratom.counts.get(adherence_status('on_target'), 0)} "
        f"of {len(kratom.days)} days; "
        f"current streak {kratom.current_streak}, longest {kratom.longest_streak}. "
        "Days without a check-in are unknown, not zero."
    )
    if report.melatonin:
        taken = [m for m in report.melatonin if m.taken]
        planned = [m for m in taken if str(m.status) == "as_planned"]
        out.print(
            f"Melatonin: taken on {len(taken)} of {len(report.melatonin)} days, "
            f"{len(planned)} at the planned time."
        )
    for check in report.magnesium:
        if not check.ok:
            out.print(
                f"[yellow]Spacing[/] {check.date}: magnesium "
                f"{check.magnesium_time.strftime('%H:%M')} "
                f"and {check.other} {check.other_time.strftime('%H:%M')}: {check.spacing}."
            )
    for week in report.activities:
        parts = [
            f"{label} {tally.done}/{tally.target}"
            for label, tally in (
                ("exercise min", week.exercise_minutes),
                ("meditation min", week.meditation_minutes),
                ("counseling", week.counseling_sessions),
                ("support meetings", week.support_meetings),
            )
            if tally.target
        ]
        if parts:
            unknown = f" ({week.days_unknown} days unknown)" if week.days_unknown else ""
            out.print(f"Week of {week.week_start}: " + ", ".join(parts) + unknown)


def adherence_status(name: str) -> Any:
    from taperline.domain.adherence import KratomStatus

    return KratomStatus(name)


@app.command("today")
@handles_errors
def today_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    date: Annotated[str | None, typer.Option(help="Another day (YYYY-MM-DD).")] = None,
) -> None:
    """What is due today: doses, check-ins, visits and activities from the approved plan."""
    from taperline.services import calendar

    with STATE.work() as (session, actor):
        day, items = calendar.due_today(
            session, STATE.clock, actor, person, _parse_date(date, "--date") if date else None
        )
    out.print(f"[bold]{person}: due on {day.strftime('%A %d %B %Y')}[/]")
    for item in items:
        when = item.at.strftime("%H:%M") if item.at else "any time"
        detail = f" [dim]({item.detail})[/]" if item.detail else ""
        out.print(f"  {when:>8}  {item.title}{detail}")


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


@app.command()
@handles_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Load the demo clinic on first start and print its logins."),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes; about one per CPU core serves the most requests.",
        ),
    ] = 1,
) -> None:
    """Run the web application (people in recovery, clinicians, the JSON API)."""
    import uvicorn

    from taperline import demo as demo_data
    from taperline.web.app import SERVE_TODAY_ENV, create_app

    migrate.upgrade(STATE.engine)
    if demo:
        with STATE.work() as (session, actor):
            demo_data.seed(session, STATE.clock, actor)
            logins = demo_data.set_passwords(session, STATE.clock, STATE.settings, actor)
        password = demo_data.DEMO_PASSWORD
        out.print(f"Demo clinic ready. Every demo login uses the password [bold]{password}[/]:")
        for handle, role in logins:
            out.print(f"  {role:<10} {handle}")
    out.print(f"Taperline is at http://{host}:{port}/  (I need help now: /help · API: /api/docs)")
    if workers == 1:
        uvicorn.run(
            create_app(STATE.settings, clock=STATE.clock), host=host, port=port, log_level="warning"
        )
        return
    # Each worker process builds its own app from the environment: the same settings (they are
    # read from TAPERLINE_* variables) and the same --today.
    STATE.engine.dispose()
    if STATE.today is not None:
        os.environ[SERVE_TODAY_ENV] = STATE.today.isoformat()
    uvicorn.run(
        "taperline.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
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


@person_app.command("invite")
@handles_errors
def person_invite(handle: Annotated[str, typer.Argument(help="The person's handle.")]) -> None:
    """Make a one-time code (valid 7 days) the person uses at /invite to set their password."""
    from taperline.services import accounts

    with STATE.work() as (session, actor):
        code = accounts.invite(session, STATE.clock, actor, handle)
    out.print(f"Invitation code for {handle} (valid for 7 days): [bold]{code}[/]")
    out.print("They set their own password at /invite on the Taperline site.")


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


# -- progress: trends, n-of-1 comparisons, reports, the clinic overview (issue 7) ----------


@app.command("progress")
@handles_errors
def progress_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    days: Annotated[int, typer.Option(help="How many days back, today included (14-366).")] = 90,
    exposure: Annotated[
        str | None,
        typer.Option(
            help="Compare days with this exposure against days without: melatonin, magnesium, "
            "exercise, meditation, counseling, support_meeting, kratom_above."
        ),
    ] = None,
    outcome: Annotated[
        str,
        typer.Option(
            help="What to compare: sleep_onset_latency, sleep_efficiency, sleep_quality, "
            "total_sleep_time (that night), craving, sows (the next day)."
        ),
    ] = "sleep_onset_latency",
    threshold: Annotated[
        float | None,
        typer.Option(help="Minutes for exercise/meditation; the level for kratom_above."),
    ] = None,
) -> None:
    """Weekly summaries, change since the start, the relapse-risk signal, and an optional
    n-of-1 comparison (--exposure)."""
    from taperline.domain.progress.series import BY_ID
    from taperline.services import progress

    with STATE.work() as (session, actor):
        view = progress.progress(session, STATE.clock, actor, person, days=days)
        compared = (
            progress.compare(
                session,
                STATE.clock,
                actor,
                person,
                exposure=exposure,
                outcome=outcome,
                threshold=threshold,
                days=days,
            )
            if exposure is not None
            else None
        )
    built = view.series
    out.print(
        f"[bold]{view.name}[/] ({view.handle}), {built.start} to {built.end}: "
        f"daily check-ins on {built.checkin_days} of {len(built.days)} days."
    )
    table = Table("Measure", "Weeks with data", "First week", "Latest week")
    for metric, weeks in built.weeks.items():
        reported = [w for w in weeks if w.mean is not None]
        if reported:
            table.add_row(
                BY_ID[metric].label,
                str(len(reported)),
                f"{reported[0].mean:g} ({reported[0].days_reported} d)",
                f"{reported[-1].mean:g} ({reported[-1].days_reported} d)",
            )
    out.print(table)
    signal = view.risk
    out.print(
        f"Relapse-risk signal: [bold]{signal.label}[/] ({signal.score} points; not a validated "
        "prediction model)."
    )
    for factor in signal.factors:
        out.print(f"  • {factor.clinician_text} (+{factor.points})")
    if signal.not_assessed:
        out.print(f"  Not assessed (too little data): {', '.join(signal.not_assessed)}")
    if compared is not None:
        out.print(compared.summary)
        overall = compared.overall
        if overall.p_value is not None:
            out.print(f"  Permutation p = {overall.p_value:g} (seed {compared.seed}).")
        within = compared.within_steps
        if within is not None and within.difference is not None:
            out.print(
                f"  Within taper steps ({within.strata_used} steps): difference "
                f"{within.difference:+g}, 95% interval {within.low:+g} to {within.high:+g}, "
                f"p = {within.p_value:g}."
            )
        for warning in compared.warnings:
            out.print(f"  [yellow]Warning:[/] {warning}")


@app.command("report")
@handles_errors
def report_command(
    person: Annotated[str, typer.Argument(help="The person's handle.")],
    out_file: Annotated[Path, typer.Option("--out", help="Write the report to this file.")],
    kind: Annotated[
        str, typer.Option(help="visit (a clinician's summary) or progress (for the person).")
    ] = "visit",
    fmt: Annotated[str, typer.Option("--format", help="pdf or html.")] = "pdf",
) -> None:
    """A printable visit summary or progress report, as PDF or HTML."""
    from rich.progress import Progress

    from taperline.reports import printable
    from taperline.services import progress

    if fmt not in printable.FORMATS:
        raise InvalidInput("--format", "use pdf or html")
    if kind not in progress.REPORT_KINDS:
        raise InvalidInput("--kind", "use visit or progress")
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("Reading the record", total=printable.STEPS + 1)
        with STATE.work() as (session, actor):
            data = progress.report_data(session, STATE.clock, actor, person, kind=kind)
        bar.update(task, advance=1, description="Drawing the plots")

        def step(label: str) -> None:
            bar.update(task, advance=1, description=label.capitalize())

        content = printable.build(data, fmt, step=step)
    try:
        out_file.write_bytes(content)
    except OSError as error:
        raise CliError(f"--out: cannot write {out_file}: {error.strerror}") from None
    out.print(f"Wrote the {kind} report for {data.handle} to {out_file} ({len(content):,} bytes).")


@clinic_app.command("overview")
@handles_errors
def clinic_overview_command(
    clinic: Annotated[
        str | None, typer.Option(help="The clinic (name or id); the operator only.")
    ] = None,
) -> None:
    """People per taper phase, retention, median change in SOWS and sleep, alert volumes."""
    from taperline.domain.progress.overview import PHASE_LABELS, Phase
    from taperline.services import progress

    with STATE.work() as (session, actor):
        found = progress.clinic_overview(session, STATE.clock, actor, clinic=clinic)
    result = found.overview
    out.print(f"[bold]{found.clinic}[/] on {found.today}: {result.people} people.")
    for phase, count in result.phases.items():
        out.print(f"  {PHASE_LABELS[Phase(phase)]}: {count}")
    for retention in result.retention:
        share = "no one yet" if retention.share is None else f"{retention.share:.0%}"
        out.print(
            f"  Still checking in after {retention.days} days: {share} "
            f"({retention.retained} of {retention.eligible})"
        )
    for change in result.changes:
        median = "not enough data" if change.median is None else f"{change.median:+g}"
        out.print(
            f"  Median change in {change.metric} since start: {median} ({change.people} people)"
        )
    out.print(
        f"  Alerts in the last 30 days: {result.alerts_raised['urgent']} urgent, "
        f"{result.alerts_raised['warning']} warning; open now: {result.alerts_open['urgent']} "
        f"urgent, {result.alerts_open['warning']} warning."
    )


# -- the evidence library (taperline/cli_claims.py) ---------------------------------------------

from taperline.cli_claims import claims_app  # noqa: E402

app.add_typer(claims_app, name="claims")
