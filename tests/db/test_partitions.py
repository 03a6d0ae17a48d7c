"""The audit log's monthly partitions on PostgreSQL: made by the migration with the rows
copied, kept ahead by the worker's job, rows stranded in the default partition moved into
their month. SQLite is not partitioned: there the functions say so and change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select, text

from taperline.clock import FixedClock
from taperline.db import migrate, partitions
from taperline.db.engine import make_sessionmaker
from taperline.db.models import AuditEvent
from taperline.services import audit, outreach
from taperline.services.uow import unit_of_work
from tests.databases import BACKEND
from tests.factories import OPERATOR

NOW = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)
BEFORE = "9cc253689a4b"  # the revision before the partitioning
postgres_only = pytest.mark.skipif(BACKEND != "postgresql", reason="only PostgreSQL is partitioned")


def write(engine: Engine, *moments: dt.datetime) -> None:
    sessions = make_sessionmaker(engine)
    for moment in moments:
        with unit_of_work(sessions, FixedClock(moment)) as session:
            audit.record(session, FixedClock(moment), OPERATOR, "test.event", resource_type="t")


def rows(engine: Engine) -> list[tuple[int, dt.datetime, str]]:
    """(id, occurred_at, the table the row is stored in)."""
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT id, occurred_at, tableoid::regclass::text FROM audit_events ORDER BY id")
        )
        return [tuple(row) for row in found]  # type: ignore[misc]


@postgres_only
def test_the_migration_partitions_by_month_and_keeps_every_row(migrated: Engine) -> None:
    migrate.downgrade(migrated, BEFORE)
    old = NOW - dt.timedelta(days=400)
    write(migrated, old, NOW)
    with migrated.connect() as connection:
        assert partitions.partitions(connection) == []
        before = connection.execute(select(AuditEvent.id, AuditEvent.occurred_at)).all()

    migrate.upgrade(migrated)
    stored = rows(migrated)
    assert [(i, at) for i, at, _ in stored] == sorted(before)
    assert [table for *_, table in stored] == [
        partitions.name_of(partitions.month_start(old)),
        partitions.name_of(partitions.month_start(NOW)),
    ]
    with migrated.connect() as connection:
        made = partitions.partitions(connection)
    assert partitions.DEFAULT in made
    assert partitions.name_of(partitions.month_start(old)) in made
    assert migrate.drift(migrated) == []
    write(migrated, NOW)  # ids go on from the same sequence
    stored = rows(migrated)
    assert stored[-1][0] > max(i for i, _ in before)

    migrate.downgrade(migrated, BEFORE)  # and back: one plain table, the same rows
    assert rows(migrated) == [(i, at, "audit_events") for i, at, _ in stored]


@postgres_only
def test_the_worker_makes_coming_months_and_moves_stranded_rows(migrated: Engine) -> None:
    far = NOW + dt.timedelta(days=800)  # past the migration's twelve months ahead
    write(migrated, far)
    assert rows(migrated)[-1][2] == partitions.DEFAULT
    with migrated.begin() as connection:
        made = partitions.ensure_ahead(connection, far, months=2)
    far_month = partitions.month_start(far)
    assert made[0] == partitions.name_of(far_month) and len(made) == 3
    assert rows(migrated)[-1][1:] == (far, partitions.name_of(far_month))
    with migrated.begin() as connection:
        assert partitions.ensure_ahead(connection, far, months=2) == []  # nothing left to do
        count = connection.execute(select(func.count()).select_from(AuditEvent)).scalar()
    assert count == len(rows(migrated))


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's side")
def test_sqlite_has_no_partitions_and_is_left_alone(migrated: Engine) -> None:
    write(migrated, NOW)
    with migrated.begin() as connection:
        assert partitions.partitions(connection) == []
        assert partitions.ensure_ahead(connection, NOW) == []
    with migrated.connect() as connection:
        tables = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'audit%'")
        ).scalars()
        assert list(tables) == ["audit_events"]


@postgres_only
def test_the_planning_job_keeps_the_months_ahead(migrated: Engine) -> None:
    later = FixedClock(NOW + dt.timedelta(days=600))
    with unit_of_work(make_sessionmaker(migrated), later) as session:
        outreach.keep_partitions(session, later)
        outreach.keep_partitions(session, later)  # again: nothing to do, nothing fails
    with migrated.connect() as connection:
        made = partitions.partitions(connection)
    month = partitions.month_start(later.now())
    for _ in range(partitions.MONTHS_AHEAD + 1):
        assert partitions.name_of(month) in made
        month = partitions.next_month(month)
