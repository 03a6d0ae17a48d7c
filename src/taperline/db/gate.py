"""A first-come, first-served gate for SQLite's single writer, within one process.

Every unit of work on SQLite takes the write lock at BEGIN (IMMEDIATE). When many threads
wait on that lock, SQLite's busy handler sleeps and retries: a waiter that keeps missing its
turn can wait seconds while later arrivals go first. Queuing the web's units of work here first
serves them in arrival order and wakes the next one the moment the lock is free. The busy
timeout still covers other processes (the CLI, a second server).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class GateTimeout(Exception):
    """The writer gate stayed closed for longer than the timeout."""


class WriterGate:
    """A FIFO mutex that any thread may release (FastAPI enters and exits dependencies on
    different worker threads)."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()

    def acquire(self) -> None:
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

    def release(self) -> None:
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
