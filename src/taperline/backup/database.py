"""Backup and restore against a real database: a consistent snapshot while the server runs
(SQLite's online backup API; pg_dump inside an exported snapshot on PostgreSQL), sealed with
the clinic's key; restore into an empty database only, all or nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from taperline import __version__
from taperline.backup.format import BackupError, Manifest, open_sealed, read_manifest, seal
from taperline.db import migrate
from taperline.db.base import Base


@dataclass(frozen=True, slots=True)
class Written:
    manifest: Manifest
    path: Path
    bytes: int


def _tables() -> list[str]:
    return sorted([*Base.metadata.tables, "alembic_version"])


def _count(connection: sqlite3.Connection, tables: list[str]) -> dict[str, int]:
    present = {
        r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # noqa: S608
            for t in tables if t in present}  # fmt: skip


def _libpq(engine: Engine) -> str:
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools of the server's major "
            "version or newer (apt-get install postgresql-client)"
        )
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="taperline-backup-") as name:
        yield Path(name)


def _snapshot_sqlite(engine: Engine, into: Path) -> tuple[str, dict[str, int]]:
    database = make_url(engine.url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    source = sqlite3.connect(database)
    target = sqlite3.connect(into)
    try:
        source.backup(target)  # consistent even while the server writes (online backup API)
        counts = _count(target, _tables())
    finally:
        target.close()
        source.close()
    return f"sqlite3 online backup API (SQLite {sqlite3.sqlite_version})", counts


def _snapshot_postgres(engine: Engine, into: Path) -> tuple[str, dict[str, int]]:
    pg_dump = _pg_tool("pg_dump")
    version = subprocess.run(  # noqa: S603 - a fixed tool and arguments
        [pg_dump, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with engine.connect() as connection:
        # Count and dump the same snapshot: pg_dump joins the one this transaction exports.
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        present = set(inspect(connection).get_table_names())
        counts = {
            t: int(connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())  # noqa: S608
            for t in _tables()
            if t in present
        }
        result = subprocess.run(  # noqa: S603
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges",
             f"--snapshot={snapshot}", f"--file={into}", f"--dbname={_libpq(engine)}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        connection.rollback()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[:500]}")
    return f"{version} --format=custom", counts


def backup(engine: Engine, out: Path, key: bytes, *, clock_now: dt.datetime) -> Written:
    """Write an encrypted backup of the whole database to `out` (which must not exist)."""
    if out.exists():
        raise BackupError(f"--out: {out} already exists; choose a new file name")
    dialect = engine.dialect.name
    with _scratch() as scratch:
        plain = scratch / "payload"
        if dialect == "sqlite":
            tool, counts = _snapshot_sqlite(engine, plain)
        elif dialect == "postgresql":
            tool, counts = _snapshot_postgres(engine, plain)
        else:
            raise BackupError(f"cannot back up a {dialect} database")
        manifest = Manifest(
            format=1,
            dialect=dialect,
            schema_revision=migrate.current_revision(engine),
            created_at=clock_now.astimezone(dt.UTC).isoformat(),
            taperline_version=__version__,
            row_counts=counts,
            payload_bytes=plain.stat().st_size,
            payload_sha256=_sha256(plain),
            tool=tool,
        )
        partial = out.with_name(out.name + ".partial")
        try:
            with plain.open("rb") as payload, partial.open("xb") as handle:
                seal(manifest, payload, handle, key)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return Written(manifest, out, out.stat().st_size)


def inspect_file(source: IO[bytes]) -> Manifest:
    return read_manifest(source)


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def _check_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    if tables:
        raise BackupError(
            "the target database is not empty; restore only into a new, empty database "
            f"(it has {len(tables)} table(s), e.g. {sorted(tables)[0]})"
        )


def restore(engine: Engine, source: Path, key: bytes) -> Manifest:
    """Restore a backup into `engine`'s database, which must be empty. Checks the key, the
    file's integrity and its schema first; the database is either fully restored or untouched."""
    with source.open("rb") as handle:
        manifest = read_manifest(handle)
    if manifest.dialect != engine.dialect.name:
        raise BackupError(
            f"this is a {manifest.dialect} backup; restore it into a {manifest.dialect} database"
        )
    if manifest.schema_revision and manifest.schema_revision not in _known_revisions():
        raise BackupError(
            f"this backup is from a newer Taperline (schema {manifest.schema_revision}); "
            "upgrade Taperline first, then restore"
        )
    _check_empty(engine)
    with _scratch() as scratch:
        plain = scratch / "payload"
        with source.open("rb") as handle, plain.open("wb") as out:
            open_sealed(handle, out, key)
        if manifest.dialect == "sqlite":
            _restore_sqlite(engine, plain, manifest)
        else:
            _restore_postgres(engine, plain, manifest)
    return manifest


def _restore_sqlite(engine: Engine, plain: Path, manifest: Manifest) -> None:
    database = make_url(engine.url).database
    if not database or database == ":memory:":
        raise BackupError("restore needs a database file, not an in-memory database")
    check = sqlite3.connect(plain)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the backup's database fails SQLite's integrity check")
        if _count(check, list(manifest.row_counts)) != manifest.row_counts:
            raise BackupError("the backup's row counts do not match its manifest")
    finally:
        check.close()
    engine.dispose()
    target = Path(database)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(plain, staged)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)  # atomic: the old (empty) file or the whole restored one


def _restore_postgres(engine: Engine, plain: Path, manifest: Manifest) -> None:
    pg_restore = _pg_tool("pg_restore")
    result = subprocess.run(  # noqa: S603
        [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
         f"--dbname={_libpq(engine)}", str(plain)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:  # one transaction: nothing of it was kept
        raise BackupError(f"pg_restore failed, nothing was restored: {result.stderr.strip()[:500]}")
    with engine.connect() as connection:
        counts = {
            t: int(connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())  # noqa: S608
            for t in manifest.row_counts
        }
    if counts != manifest.row_counts:
        raise BackupError("the restored row counts do not match the backup's manifest")
