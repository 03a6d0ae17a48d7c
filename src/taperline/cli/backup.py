"""Backups: `backup keygen|create|inspect|restore` (the operator at the machine, or an admin
with --as)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from taperline.cli.base import STATE, CliError, app, handles_errors, out
from taperline.domain.types import Role

backup_app = typer.Typer(help="Encrypted backups and restores of the whole database.")
app.add_typer(backup_app, name="backup")


def _key() -> bytes:
    from taperline.backup.format import parse_key

    secret = STATE.settings.backup_key
    if secret is None:
        raise CliError(
            "set TAPERLINE_BACKUP_KEY (or TAPERLINE_BACKUP_KEY_FILE) first: run "
            "`taperline backup keygen` and keep the key somewhere safe, apart from the backups"
        )
    return parse_key(secret.get_secret_value())


def _admin_only(action: str) -> None:
    """The operator at the machine may; with --as, only a clinic admin."""
    if not STATE.acting_as:
        return
    from taperline.services import audit

    with STATE.work() as (session, actor):
        if actor.role is not Role.ADMIN:
            audit.record(session, STATE.clock, actor, action, resource_type="backup",
                         outcome="denied")  # fmt: skip
            raise CliError("only a clinic admin (or the operator at the machine) can do that")


def _record(action: str, detail: dict[str, object]) -> None:
    from taperline.services import audit

    with STATE.work() as (session, actor):
        audit.record(session, STATE.clock, actor, action, resource_type="backup", detail=detail)


@backup_app.command("keygen")
def keygen_command() -> None:
    """Print a new random backup key (set it as TAPERLINE_BACKUP_KEY)."""
    from taperline.backup.format import new_key

    out.print(new_key(), markup=False, highlight=False)


@backup_app.command("create")
@handles_errors
def create_command(
    to: Annotated[Path, typer.Option("--out", help="The backup file to write (must not exist).")],
) -> None:
    """Back up the whole database, consistently even while the server runs, encrypted."""
    from taperline.backup import database
    from taperline.backup.format import BackupError

    key = _key()
    _admin_only("backup.create")
    try:
        written = database.backup(STATE.engine, to, key, clock_now=STATE.clock.now())
    except BackupError as error:
        raise CliError(str(error)) from None
    _record("backup.create", {"file": to.name, "bytes": written.bytes,
                              "rows": sum(written.manifest.row_counts.values())})  # fmt: skip
    rows = sum(written.manifest.row_counts.values())
    out.print(f"Backup written to {to}: {rows} rows, {written.bytes} bytes, encrypted.")


@backup_app.command("inspect")
@handles_errors
def inspect_command(
    source: Annotated[Path, typer.Argument(help="A backup file.")],
) -> None:
    """Show a backup's manifest (no key needed): schema, time, row counts, checksum."""
    from taperline.backup.format import BackupError, read_manifest

    try:
        with source.open("rb") as handle:
            manifest = read_manifest(handle)
    except OSError as error:
        raise CliError(f"cannot read {source}: {error.strerror}") from None
    except BackupError as error:
        raise CliError(str(error)) from None
    out.print(json.dumps(asdict(manifest), indent=2, sort_keys=True), markup=False)


@backup_app.command("restore")
@handles_errors
def restore_command(
    source: Annotated[Path, typer.Argument(help="A backup file.")],
) -> None:
    """Restore a backup into the configured database, which must be new and empty. Checks the
    key, the file and its schema first; all or nothing."""
    from taperline.backup import database
    from taperline.backup.format import BackupError

    key = _key()
    if not source.is_file():
        raise CliError(f"{source}: no such backup file")
    try:
        manifest = database.restore(STATE.engine, source, key)
    except BackupError as error:
        raise CliError(str(error)) from None
    from taperline.db import migrate

    STATE.reset(acting_as=None, today=STATE.today)  # the database is a different one now
    rows = sum(manifest.row_counts.values())
    out.print(f"Restored {rows} rows from the backup of {manifest.created_at}.")
    if manifest.schema_revision == migrate.head_revision():
        _record("backup.restore", {"file": source.name, "created_at": manifest.created_at})
    else:
        out.print("The backup is from an older schema: run `taperline db upgrade` next.")
