"""Shared fixtures: real databases (SQLite by default, PostgreSQL when asked), a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from tests.databases import BACKEND, create_database, drop_database


def pytest_report_header() -> str:
    return f"taperline database backend: {BACKEND}"


@pytest.fixture
def clock() -> FixedClock:
    """Saturday 14 March 2026, 15:00 UTC (11:00 in New York)."""
    return FixedClock(dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC))


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated database for the run; tests roll back their own changes."""
    url = create_database(tmp_path_factory.mktemp("db"))
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    drop_database(url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Code under test may commit or use savepoints: commits become savepoint releases.
    """
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, for tests that need real commits or migrations."""
    url = create_database(tmp_path)
    yield url
    drop_database(url)


@pytest.fixture
def migrated(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(migrated: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(migrated)
