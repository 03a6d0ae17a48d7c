"""Setting up and serving: `init`, `db upgrade|check`, `demo`, `serve`."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

import typer
from sqlalchemy import select

from taperline.cli.base import (
    STATE,
    CliError,
    app,
    handles_errors,
    out,
)
from taperline.db import migrate

db_app = typer.Typer(help="Create, upgrade and check the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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


def _refuse_demo_in_production(demo: bool) -> None:
    """Production never runs with the demo clinic: its accounts share a published password."""
    from taperline import demo as demo_data
    from taperline.config import Environment
    from taperline.db.models import Clinic

    if STATE.settings.environment is not Environment.PRODUCTION:
        return
    if demo:
        raise CliError("--demo is refused in production: the demo logins share a known password")
    with STATE.work() as (session, _actor):
        found = session.scalar(select(Clinic.id).where(Clinic.name == demo_data.CLINIC_NAME))
    if found is not None:
        raise CliError(
            "this production database holds the demo clinic, whose logins use the published "
            "demo password; use TAPERLINE_ENVIRONMENT=demo for it"
        )


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
    from taperline import logs
    from taperline.web.app import SERVE_TODAY_ENV, create_app, settle_heap

    migrate.upgrade(STATE.engine)
    _refuse_demo_in_production(demo)
    if demo:
        with STATE.work() as (session, actor):
            demo_data.seed(session, STATE.clock, actor)
            logins = demo_data.set_passwords(session, STATE.clock, STATE.settings, actor)
        password = demo_data.DEMO_PASSWORD
        out.print(f"Demo clinic ready. Every demo login uses the password [bold]{password}[/]:")
        for handle, role in logins:
            out.print(f"  {role:<10} {handle}")
    out.print(f"Taperline is at http://{host}:{port}/  (I need help now: /help · API: /api/docs)")
    logs.configure(STATE.settings)
    if workers == 1:
        served = create_app(STATE.settings, clock=STATE.clock)
        settle_heap()
        uvicorn.run(served, host=host, port=port, log_level="warning")
        return
    # Each worker process builds its own app from the environment: the same settings (they are
    # read from TAPERLINE_* variables) and the same --today.
    STATE.engine.dispose()
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # /metrics sums every worker's samples
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="taperline-metrics-")
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
