"""The SQLite writer gate serves waiters in arrival order, hands over across threads, gives up
after its timeout, and is held by a session's transaction from its first statement to its end.
Logins are read beside the writer on connections that cannot write."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.db.engine import make_engine
from taperline.db.gate import GateTimeout, WriterGate, gate_transactions, lock_file_for
from taperline.services.uow import unit_of_work


def test_waiters_are_served_in_the_order_they_arrived() -> None:
    gate = WriterGate(timeout_s=5)
    gate.acquire()  # held by "the first request" while the others queue
    served: list[int] = []
    threads = []
    for number in range(8):
        thread = threading.Thread(target=lambda n=number: (gate.acquire(), served.append(n)))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 2
        while len(gate._waiting) < number + 1 and time.monotonic() < deadline:  # noqa: SLF001
            time.sleep(0.001)
    for _ in range(8):
        gate.release()  # each release hands the gate to exactly the next waiter
        time.sleep(0.01)
    for thread in threads:
        thread.join(2)
    assert served == list(range(8))
    gate.release()
    assert not gate._held  # noqa: SLF001 - the last release opens the gate


def test_a_gate_taken_on_one_thread_can_be_released_on_another() -> None:
    gate = WriterGate(timeout_s=1)
    gate.acquire()
    releaser = threading.Thread(target=gate.release)
    releaser.start()
    releaser.join(1)
    with gate.held() as waited:
        assert waited < 0.5


def test_a_waiter_gives_up_after_the_timeout_and_leaves_the_queue() -> None:
    gate = WriterGate(timeout_s=0.05)
    gate.acquire()
    with pytest.raises(GateTimeout, match="busy"):
        gate.acquire()
    assert len(gate._waiting) == 0  # noqa: SLF001
    gate.release()
    with gate.held():
        pass


def test_held_releases_when_the_block_fails() -> None:
    gate = WriterGate(timeout_s=0.05)
    with pytest.raises(RuntimeError), gate.held():
        raise RuntimeError("the unit of work failed")
    with gate.held():  # not left closed
        pass


def _hold_in_another_process(lock_file: str, holding: Any, released_at: Any) -> None:
    gate = WriterGate(timeout_s=5, lock_file=Path(lock_file))
    with gate.held():
        holding.set()
        time.sleep(0.4)
        released_at.value = time.time()


def test_processes_with_the_same_lock_file_take_turns(tmp_path: Path) -> None:
    lock_file = lock_file_for(str(tmp_path / "clinic.sqlite3"))
    assert lock_file == tmp_path / "clinic.sqlite3-gate"
    context = multiprocessing.get_context("spawn")
    holding, released_at = context.Event(), context.Value("d", 0.0)
    other = context.Process(
        target=_hold_in_another_process, args=(str(lock_file), holding, released_at)
    )
    other.start()
    try:
        assert holding.wait(30), "the other process never took the gate"
        gate = WriterGate(timeout_s=5, lock_file=lock_file)
        with gate.held():
            entered_at = time.time()
            assert released_at.value > 0, "entered while the other process held the gate"
        assert entered_at >= released_at.value
        with gate.held() as waited:  # free again: no wait, and nothing left locked
            assert waited < 0.2
    finally:
        other.join(30)
    assert other.exitcode == 0


def test_in_memory_databases_have_no_lock_file() -> None:
    assert lock_file_for(":memory:") is None and lock_file_for(None) is None
    assert lock_file_for("") is None


def _is_free(gate: WriterGate) -> bool:
    """True when another thread can take the gate at once (it lets go again)."""
    taken = threading.Event()

    def take() -> None:
        try:
            gate.acquire()
        except GateTimeout:
            return
        gate.release()
        taken.set()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(2)
    return taken.is_set()


def _gated(
    sessions: sessionmaker[Session], timeout_s: float
) -> tuple[WriterGate, sessionmaker[Session]]:
    """A gate, and sessions on the test database whose transactions hold it."""
    gate = WriterGate(timeout_s=timeout_s)
    factory = sessionmaker(sessions.kw["bind"], expire_on_commit=False)
    gate_transactions(factory, gate)
    return gate, factory


def test_a_gated_session_holds_the_gate_from_its_first_statement_to_its_end(
    sessions: sessionmaker[Session],
) -> None:
    gate, factory = _gated(sessions, timeout_s=0.2)
    with factory() as session:
        assert _is_free(gate)  # a session that has run nothing holds nothing
        session.execute(text("SELECT 1"))
        assert not _is_free(gate)
        with session.begin_nested():  # a SAVEPOINT inside does not queue behind itself
            session.execute(text("SELECT 2"))
        session.commit()
        assert _is_free(gate)
        session.execute(text("SELECT 3"))
        assert not _is_free(gate)
        session.rollback()
        assert _is_free(gate)
        session.execute(text("SELECT 4"))
    assert _is_free(gate)  # closing ends the transaction too


def test_a_session_that_times_out_at_the_gate_leaves_it_as_it_was(
    sessions: sessionmaker[Session],
) -> None:
    gate, factory = _gated(sessions, timeout_s=0.05)
    gate.acquire()  # another request is writing
    with factory() as session, pytest.raises(GateTimeout):
        session.execute(text("SELECT 1"))
    gate.release()
    assert _is_free(gate)  # the failed session did not release someone else's hold


def test_sqlite_login_reads_never_write_and_never_wait_for_the_writer(
    database_url: str, migrated: Engine
) -> None:
    if migrated.dialect.name != "sqlite":
        pytest.skip("read-only connections beside SQLite's single writer")
    readers = make_engine(database_url, read_only=True, sqlite_busy_timeout_ms=50)
    try:
        with migrated.connect() as writer:
            writer.execute(
                text("INSERT INTO clinics (name, country, created_at) VALUES (:n, 'US', :t)"),
                {"n": "A", "t": "2026-03-14 00:00:00"},
            )
            # The writer's transaction is open (BEGIN IMMEDIATE): a reader still reads at once,
            # and sees only what was committed.
            with readers.connect() as reader:
                assert reader.execute(text("SELECT count(*) FROM clinics")).scalar() == 0
            writer.commit()
        with readers.connect() as reader:
            assert reader.execute(text("SELECT count(*) FROM clinics")).scalar() == 1
            with pytest.raises(OperationalError, match="readonly"):
                reader.execute(text("DELETE FROM clinics"))
    finally:
        readers.dispose()


def test_a_unit_of_work_that_ran_nothing_does_not_queue_for_the_writer(
    sessions: sessionmaker[Session],
) -> None:
    gate, factory = _gated(sessions, timeout_s=0.05)
    clock = FixedClock(dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC))
    gate.acquire()  # another request is writing
    try:
        with unit_of_work(factory, clock):
            pass  # a page that needed no database: answered without waiting
        with pytest.raises(GateTimeout), unit_of_work(factory, clock) as session:
            session.execute(text("SELECT 1"))  # one that does, waits its turn
    finally:
        gate.release()
    assert _is_free(gate)
