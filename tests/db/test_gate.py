"""The SQLite writer gate serves waiters in arrival order, hands over across threads and
gives up after its timeout."""

from __future__ import annotations

import threading
import time

import pytest

from taperline.db.gate import GateTimeout, WriterGate


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
