"""What every command group shares: the root app, error handling, state, printing."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
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
from taperline.domain.types import Role
from taperline.services import people as people_service
from taperline.services.uow import unit_of_work

app = typer.Typer(
    help="Taperline: supervised taper support. It supports care; it does not prescribe.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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
        except ValidationError as error:  # the settings (environment variables) are wrong
            for problem in error.errors():
                message = str(problem["msg"]).removeprefix("Value error, ")
                err.print(f"[bold red]Error:[/] configuration: {message}", markup=True)
        raise typer.Exit(code=2)

    return wrapper


def _first_line(error: BaseException) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0]


# -- shared state -------------------------------------------------------------------------


@dataclass
class State:
    acting_as: str | None = None
    today: dt.date | None = None

    def reset(self, *, acting_as: str | None, today: dt.date | None) -> None:
        """Start an invocation afresh: settings, clock and engine are read again when used.

        The one State object is shared by every command module, so it is reset, not replaced.
        """
        for cached in ("settings", "clock", "engine"):
            self.__dict__.pop(cached, None)
        self.acting_as = acting_as
        self.today = today

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
    STATE.reset(acting_as=acting_as, today=parse_date(today, "--today") if today else None)


def parse_date(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, f"'{text}' is not a date (use YYYY-MM-DD)") from None


def read_json(path: Path) -> Any:
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


def print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


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
