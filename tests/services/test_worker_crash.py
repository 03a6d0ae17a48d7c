"""Kill the real worker process (SIGKILL) mid-batch, several times, restart it each time, and
prove every due reminder was delivered once: in-app exactly once, email at least once with at
most one resend per kill (same Message-ID), which is the guarantee docs/support.md states."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from sqlalchemy import Engine, func, select

from taperline.clock import SystemClock
from taperline.db.engine import make_sessionmaker
from taperline.db.models import Job, Notification
from taperline.domain.types import Role
from taperline.services import jobs
from taperline.services.uow import unit_of_work
from tests.factories import make_clinic, make_user
from tests.smtp import Inbox, smtp_server

REMINDERS = 120
KILLS = 3


class SlowInbox(Inbox):
    """A mail server that takes a little time per message, so kills land mid-batch."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def start_worker(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TAPERLINE_DATABASE_URL": database_url,
        "TAPERLINE_SMTP_HOST": "127.0.0.1",
        "TAPERLINE_SMTP_PORT": str(port),
        "TAPERLINE_WORKER_POLL_SECONDS": "0.05",
        "TAPERLINE_WORKER_LEASE_SECONDS": "2",  # a killed worker's jobs are free again soon
    }
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "taperline", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def outstanding(engine: Engine) -> int:
    with make_sessionmaker(engine)() as session:
        return int(session.scalar(select(func.count()).where(Job.state != "done")) or 0)


def test_sigkill_mid_batch_loses_nothing_and_doubles_no_in_app_reminder(
    database_url: str, migrated: Engine
) -> None:
    clock = SystemClock()
    sessions = make_sessionmaker(migrated)
    with unit_of_work(sessions, clock) as session:
        clinic = make_clinic(session, clock)
        person = make_user(session, clock, clinic, "pat", Role.PERSON)
        person.email = "pat@example.org"
        for n in range(REMINDERS):
            jobs.enqueue(
                session,
                clock,
                "reminder",
                {
                    "person_id": person.id,
                    "kind": "dose",
                    "title": f"Dose {n}",
                    "local_date": "2026-03-14",
                    "local_time": "08:00",
                },
                dedupe_key=f"crash:{n}",
            )
    inbox = SlowInbox()
    rng = random.Random(20261206)  # noqa: S311 - test randomness, seeded
    with smtp_server(inbox=inbox) as (_, port):
        kills = 0
        worker = start_worker(database_url, port)
        deadline = time.monotonic() + 90
        while kills < KILLS and time.monotonic() < deadline:
            seen = len(inbox.messages)
            while len(inbox.messages) < seen + 5 and time.monotonic() < deadline:
                time.sleep(0.01)  # wait until it is busy sending
            time.sleep(rng.uniform(0.0, 0.2))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills += 1
            worker = start_worker(database_url, port)
        while outstanding(migrated) and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    assert kills == KILLS
    assert outstanding(migrated) == 0
    with sessions() as session:
        shown = Counter(session.scalars(select(Notification.title)))
    assert shown == Counter({f"Reminder: Dose {n} at 08:00": 1 for n in range(REMINDERS)})
    ids = Counter(str(message["Message-ID"]) for message in inbox.messages)
    assert len(ids) == REMINDERS  # every email arrived
    assert sum(ids.values()) - len(ids) <= kills  # at most the one in flight per kill resent
