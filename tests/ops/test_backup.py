"""Backup and restore on the real database (SQLite, and PostgreSQL when configured): a backup
taken while check-ins are being written restores into an empty database with every row equal;
a wrong key, a changed or truncated file, a newer schema and a non-empty target are refused
with a clear message and leave the target untouched."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select

from taperline.backup import database
from taperline.backup.format import BackupError, new_key, parse_key, read_manifest
from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.base import Base
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import User
from taperline.services.uow import unit_of_work
from tests.actors import cast
from tests.databases import create_database, drop_database
from tests.factories import actor_for, checkin_data, submit

NOW = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)
KEY = parse_key(new_key())


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Engine]:
    url = create_database(tmp_path / "source")
    engine = make_engine(url)
    migrate.upgrade(engine)
    with unit_of_work(make_sessionmaker(engine), FixedClock(NOW)) as session:
        cast(session, FixedClock(NOW))
    yield engine
    engine.dispose()
    drop_database(url)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Engine]:
    url = create_database(tmp_path / "target")
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as connection:
        for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
            key = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in connection.execute(select(table).order_by(*key))]
    return out


def _write_checkins(
    engine: Engine, stop: threading.Event, written: list[int], limit: int = 300
) -> None:
    day = NOW.date() - dt.timedelta(days=400)
    sessions = make_sessionmaker(engine)
    while not stop.is_set() and len(written) < limit:
        day += dt.timedelta(days=1)
        clock = FixedClock(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))
        with unit_of_work(sessions, clock) as session:
            pat = session.scalars(select(User).where(User.handle == "pat")).one()
            submit(session, clock, actor_for(pat), "pat", checkin_data(day))
        written.append(1)


def test_a_backup_taken_during_writes_restores_every_row(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_write_checkins, args=(source, stop, written))
    writer.start()
    try:
        while len(written) < 5:
            threading.Event().wait(0.05)
        made = database.backup(source, tmp_path / "b.tlbk", KEY, clock_now=NOW)
    finally:
        stop.set()
        writer.join()
    manifest = made.manifest
    assert manifest.schema_revision == migrate.head_revision()
    assert manifest.row_counts["checkins"] >= 5 and made.bytes > 0
    with (tmp_path / "b.tlbk").open("rb") as handle:
        assert read_manifest(handle) == manifest  # readable without the key
    assert b"Pat" not in (tmp_path / "b.tlbk").read_bytes()  # the contents are encrypted

    restored = database.restore(target, tmp_path / "b.tlbk", KEY)
    assert restored == manifest
    target.dispose()
    after = _rows(target)
    assert {t: len(r) for t, r in after.items()} == {
        t: n for t, n in manifest.row_counts.items() if t != "alembic_version"
    }
    # Writes went on after the snapshot: every restored row of the append-only tables is in
    # the source as it is now (rows kept current in place, such as latest scores, have moved on).
    before = _rows(source)
    for table in ("checkins", "instrument_responses", "dose_logs", "audit_events", "users"):
        assert {repr(r) for r in after[table]} <= {repr(r) for r in before[table]}, table
    assert migrate.current_revision(target) == migrate.head_revision()


def test_a_quiet_database_restores_exactly(source: Engine, target: Engine, tmp_path: Path) -> None:
    _write_checkins(source, threading.Event(), [], limit=5)
    path = tmp_path / "q.tlbk"
    database.backup(source, path, KEY, clock_now=NOW)
    database.restore(target, path, KEY)
    target.dispose()
    assert _rows(target) == _rows(source)


def _backup(source: Engine, tmp_path: Path) -> Path:
    path = tmp_path / "b.tlbk"
    database.backup(source, path, KEY, clock_now=NOW)
    return path


def _untouched(engine: Engine) -> bool:
    with engine.connect() as connection:
        return inspect(connection).get_table_names() == []


def test_a_wrong_key_is_refused_and_nothing_is_restored(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    path = _backup(source, tmp_path)
    with pytest.raises(BackupError, match="key is wrong"):
        database.restore(target, path, parse_key(new_key()))
    assert _untouched(target)


@pytest.mark.parametrize("cut", [10, 40, 200, -1, -20])
def test_a_truncated_file_is_refused(
    source: Engine, target: Engine, tmp_path: Path, cut: int
) -> None:
    path = _backup(source, tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(BackupError, match="truncated|damaged|not a Taperline"):
        database.restore(target, path, KEY)
    assert _untouched(target)


def test_a_changed_byte_or_manifest_is_refused(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    path = _backup(source, tmp_path)
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="changed|damaged|key is wrong"):
        database.restore(target, path, KEY)
    path = tmp_path / "c.tlbk"
    database.backup(source, path, KEY, clock_now=NOW)
    edited = path.read_bytes().replace(b'"checkins":', b'"checkinz":', 1)
    path.write_bytes(edited)
    with pytest.raises(BackupError):
        database.restore(target, path, KEY)
    assert _untouched(target)


def test_a_newer_schema_and_a_non_empty_target_are_refused(
    source: Engine, target: Engine, tmp_path: Path
) -> None:
    path = _backup(source, tmp_path)
    newer = path.read_bytes().replace(
        f'"schema_revision":"{migrate.head_revision()}"'.encode(),
        b'"schema_revision":"ffffffffffff"',
        1,
    )
    (tmp_path / "newer.tlbk").write_bytes(newer)
    with pytest.raises(BackupError, match="newer Taperline"):
        database.restore(target, tmp_path / "newer.tlbk", KEY)
    with pytest.raises(BackupError, match="not empty"):
        database.restore(source, path, KEY)  # the source itself is not empty
    with pytest.raises(BackupError, match="already exists"):
        database.backup(source, path, KEY, clock_now=NOW)


def test_keys_are_checked() -> None:
    with pytest.raises(BackupError, match="32-byte key"):
        parse_key("too short")
    assert len(parse_key(new_key())) == 32
