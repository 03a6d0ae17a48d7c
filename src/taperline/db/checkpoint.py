"""SQLite's WAL checkpoints off the request path, for a serving process.

By default SQLite checkpoints when a commit finds the write-ahead log over 1,000 pages: that
commit copies the log's pages back into the database file and syncs it before it returns. In
a large file those pages are scattered, and the writer is held meanwhile, so every request
queued behind it waits too (bench/bench_latency.py saw these as its p99 at 10,000 people).

A serving process instead turns automatic checkpoints off on its own connections and runs a
PASSIVE checkpoint from a thread of its own every second. A passive checkpoint takes no lock
that writers or readers wait for: it copies what it can and leaves the rest for the next
time. The worker and the CLI keep SQLite's automatic checkpoints, so the log is still
checkpointed when no server runs.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger("taperline.db")

INTERVAL_S = 1.0


class Checkpointer:
    """Checkpoints `engine`'s SQLite file every `interval` seconds while started. Connections
    the engine opens while it runs checkpoint nothing themselves."""

    def __init__(self, engine: Engine, interval: float = INTERVAL_S) -> None:
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            raise ValueError("only a SQLite database file has a write-ahead log to checkpoint")
        self.path = database
        self.interval = interval
        self.checkpoints = 0  # passes that ran (for tests and logs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        event.listen(engine, "connect", self._on_connect)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if self.running:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval):
                self.run_once(connection)
        finally:
            self.run_once(connection)  # what is left, as the process stops
            connection.close()

    def run_once(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.checkpoints += 1
        except sqlite3.Error as error:  # busy or locked: the next pass tries again
            log.warning("WAL checkpoint skipped: %s", error)
