"""A first-come, first-served gate for SQLite's single writer.

Every unit of work on SQLite takes the write lock at BEGIN (IMMEDIATE). When many threads
wait on that lock, SQLite's busy handler sleeps and retries: a waiter that keeps missing its
turn can wait seconds while later arrivals go first. Queuing the web's units of work here first
serves them in arrival order and wakes the next one the moment the lock is free.

Several server processes (`taperline serve --workers N`) share the writer too. Each process
queues its own requests; the one request at the head of each queue then takes an exclusive
`flock` on a file beside the database. The kernel wakes a process waiting there the moment the
holder lets go, so the processes take turns instead of sleeping in SQLite's busy handler.
SQLite's busy timeout still covers everything else that writes (the CLI).

The web's sessions wait at the gate when their transaction begins (`gate_transactions`): at the
first statement, not when the request arrives, so each request holds the writer only while its
own database work runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: one process per database there
    fcntl = None  # type: ignore[assignment]


class GateTimeout(Exception):
    """The writer gate stayed closed for longer than the timeout."""


class ProcessLock:
    """An exclusive lock shared by every process that opens the same file (flock).

    One holder per process at a time (the WriterGate sees to that). The file is opened for each
    hold and closed after it, so no descriptor outlives its use.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                # Blocks in the kernel, without the GIL, until the holder unlocks. The holder
                # is the head of another server process's queue, whose transaction is itself
                # bounded by SQLite's busy timeout.
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file lets go of its lock


def lock_file_for(database: str | None) -> Path | None:
    """The gate's lock file for a SQLite database file, or None (in-memory databases)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return path.with_name(path.name + "-gate")


class WriterGate:
    """A FIFO mutex that any thread may release (FastAPI enters and exits dependencies on
    different worker threads), and, given a lock file, shared fairly with other processes."""

    def __init__(self, timeout_s: float, lock_file: Path | None = None) -> None:
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()
        self._process_lock = ProcessLock(lock_file) if lock_file is not None else None

    def acquire(self) -> None:
        self._acquire_here()
        if self._process_lock is not None:
            try:
                self._process_lock.acquire()
            except BaseException:
                self._release_here()
                raise

    def release(self) -> None:
        if self._process_lock is not None:
            self._process_lock.release()  # first, so another process may go next
        self._release_here()

    def _acquire_here(self) -> None:
        with self._lock:
            if not self._held and not self._waiting:
                self._held = True
                return
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(self._timeout_s):
            return  # the releaser handed the gate to us (it stays held)
        with self._lock:
            if turn.is_set():
                return  # handed over just as we gave up: we hold it after all
            self._waiting.remove(turn)
        raise GateTimeout(f"the database stayed busy for {self._timeout_s:g} s")

    def _release_here(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()  # hand over without opening the gate
            else:
                self._held = False

    @contextmanager
    def held(self) -> Iterator[float]:
        """Hold the gate for the block; yields the seconds spent waiting for it."""
        began = time.perf_counter()
        self.acquire()
        try:
            yield time.perf_counter() - began
        finally:
            self.release()


_HOLDS_GATE = "taperline.holds_writer_gate"


def gate_transactions(factory: sessionmaker[Session], gate: WriterGate) -> None:
    """Every transaction of the factory's sessions holds the gate from its beginning (a
    session begins at its first statement) until it commits, rolls back or is closed."""

    def began(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # not a SAVEPOINT inside it
            gate.acquire()  # GateTimeout here: the transaction never started, nothing to undo
            session.info[_HOLDS_GATE] = True

    def ended(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and session.info.pop(_HOLDS_GATE, False):
            gate.release()

    listen: Any = event.listen  # the sessionmaker is a valid target; its stubs say otherwise
    listen(factory, "after_transaction_create", began)
    listen(factory, "after_transaction_end", ended)
