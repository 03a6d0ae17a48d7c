"""The SQLite writer gate serves waiters in arrival order, hands over across threads and
gives up after its timeout."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from taperline.db.gate import GateTimeout, WriterGate, lock_file_for


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
