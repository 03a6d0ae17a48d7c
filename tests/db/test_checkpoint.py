"""The serving process's WAL checkpoints (taperline.db.checkpoint), on a real SQLite file:
while the checkpointer runs, the engine's connections leave the log alone, and its passes
copy the log back into the database."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from taperline.db.checkpoint import Checkpointer
from taperline.db.engine import make_engine
from taperline.web.app import create_app
from tests.databases import BACKEND
from tests.web.conftest import web_settings


def wal_frames(path: Path) -> tuple[int, int]:
    """(frames in the log, frames of it copied back), as a passive checkpoint reports them."""
    connection = sqlite3.connect(path)
    try:
        _busy, log, done = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return log, done
    finally:
        connection.close()


def test_connections_leave_the_log_to_the_checkpointer(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    checkpointer = Checkpointer(engine, interval=3600)  # no pass of its own during the test
    with engine.connect() as before:  # opened before it runs: SQLite's default
        assert before.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    engine.dispose()
    checkpointer.start()
    try:
        with engine.begin() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            connection.execute(text("CREATE TABLE t (x TEXT)"))
        for _ in range(30):  # about 3,000 pages: past SQLite's own 1,000-page threshold
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "x" * 1000}] * 400)
        assert (path.parent / f"{path.name}-wal").stat().st_size > 1000 * 4096
    finally:
        checkpointer.stop()  # its last pass copies the log back
    assert checkpointer.checkpoints >= 1
    log, done = wal_frames(path)
    assert log == done
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 12_000
    engine.dispose()


def test_only_a_sqlite_file_has_a_log_to_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SQLite database file"):
        Checkpointer(make_engine("sqlite://"))


@pytest.mark.skipif(BACKEND != "sqlite", reason="a SQLite server's own")
def test_a_serving_app_checkpoints_from_its_own_thread(migrated: Engine, database_url: str) -> None:
    app = create_app(web_settings(database_url))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert "sqlite-checkpoint" in {thread.name for thread in threading.enumerate()}
        with app.state.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    assert "sqlite-checkpoint" not in {thread.name for thread in threading.enumerate()}
    app.state.engine.dispose()
