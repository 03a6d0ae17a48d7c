"""Crash safety of the real server: `taperline serve` (uvicorn; SQLite in WAL mode, or
PostgreSQL) takes check-ins from concurrent clients with idempotency keys while it is killed
with SIGKILL at random moments and restarted. Every check-in a client saw acknowledged is
stored once, with its findings and its audit entry; the ones not acknowledged are sent again
and end up stored once too; the schema is still at alembic head."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import AuditEvent, Checkin, Finding, User
from taperline.domain.access import Actor
from taperline.domain.types import Role
from taperline.services import accounts, people
from taperline.services.uow import unit_of_work
from tests.databases import create_database, drop_database
from tests.factories import actor_for

NOW = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)
KILLS = 3
PEOPLE = 4
DAYS = 50  # check-ins per person


class Server:
    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self.child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        environment = {**os.environ, "TAPERLINE_DATABASE_URL": self.url,
                       "TAPERLINE_DATA_DIR": str(self.folder)}  # fmt: skip
        command = [sys.executable, "-m", "taperline", "--today", NOW.date().isoformat(), "serve"]
        command += ["--port", str(self.port)]
        log = (self.folder / "serve.log").open("ab")
        self.child = subprocess.Popen(  # noqa: S603
            command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError((self.folder / "serve.log").read_text(errors="replace"))

    def kill(self) -> None:
        assert self.child is not None
        os.killpg(self.child.pid, signal.SIGKILL)  # no shutdown, no flush: a power cut
        self.child.wait()

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            os.killpg(self.child.pid, signal.SIGTERM)
            self.child.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, str, str, list[str]]]:
    url = create_database(tmp_path)
    engine = make_engine(url)
    migrate.upgrade(engine)
    clock = FixedClock(NOW)
    operator = Actor.operator("tests")
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        clinic = people.create_clinic(session, clock, operator, "Crash Clinic")
        people.add_account(session, clock, operator, handle="cleo", display_name="Cleo",
                           role=Role.CLINICIAN, clinic=clinic, timezone="UTC")  # fmt: skip
        handles = [f"p{i}" for i in range(PEOPLE)]
        for handle in handles:
            people.add_account(session, clock, operator, handle=handle, display_name=handle,
                               role=Role.PERSON, clinic=clinic, timezone="UTC",
                               clinician_handles=("cleo",))  # fmt: skip
        cleo = session.scalars(select(User).where(User.handle == "cleo")).one()
        token = accounts.create_token(session, clock, actor_for(cleo), "crash test")
    engine.dispose()
    running = Server(url, tmp_path)
    running.start()
    try:
        yield running, url, token, handles
    finally:
        running.stop()
        drop_database(url)


def test_acknowledged_check_ins_survive_sigkill_once_each(
    server: tuple[Server, str, str, list[str]],
) -> None:
    running, url, token, handles = server
    jobs = [(h, dt.date(2026, 1, 1) + dt.timedelta(days=d)) for d in range(DAYS) for h in handles]
    random.Random(7).shuffle(jobs)
    pending = list(jobs)
    acknowledged: dict[tuple[str, dt.date], int] = {}
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[tuple[int, str]] = []
    lost = [0]  # answers a client never saw (the connection died with the server)

    def client() -> None:
        with httpx.Client(base_url=running.base, timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as http:  # fmt: skip
            while not stop.is_set():
                with lock:
                    if not pending:
                        return
                    job = pending.pop()
                handle, date = job
                body = {
                    "date": date.isoformat(),
                    "idempotency_key": f"crash-{handle}-{date.isoformat()}",
                    "doses": [
                        {"category": "kratom", "form": "leaf_powder", "amount": "2", "unit": "g"}
                    ],  # fmt: skip
                    "responses": {"craving": [3, 1]},
                }
                try:
                    answer = http.post(f"/api/v1/people/{handle}/checkins", json=body)
                except httpx.TransportError:
                    answer = None
                with lock:
                    if answer is not None and answer.status_code in (200, 201):
                        acknowledged[job] = answer.json()["id"]
                    else:  # not seen: send it again later (the same key)
                        if answer is None:
                            lost[0] += 1
                        else:  # a server error would be a bug: record it
                            errors.append((answer.status_code, answer.text[:200]))
                        pending.insert(0, job)
                time.sleep(0.005)

    rng = random.Random(11)
    for _round in range(KILLS):
        threads = [threading.Thread(target=client) for _ in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.2, 0.6))
        running.kill()
        stop.set()
        for thread in threads:
            thread.join()
        stop.clear()
        running.start()
    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []  # only lost connections, never an error answer
    assert lost[0] >= KILLS  # each kill cut requests in flight: the test exercised a crash
    assert not pending and len(acknowledged) == len(jobs)

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                select(Checkin.id, Checkin.idempotency_key).where(
                    Checkin.idempotency_key.like("crash-%")
                )
            ).all()
            keys = [key for _, key in stored]
            print(  # noqa: T201 - the figures docs/operations.md quotes (pytest -s)
                f"\ncrash figures: {KILLS} SIGKILLs, {len(jobs)} check-ins, "
                f"{lost[0]} requests cut, {len(acknowledged)} acknowledged, {len(keys)} stored, "
                f"{len(keys) - len(set(keys))} doubled, {len(jobs) - len(set(keys))} lost"
            )
            assert len(keys) == len(set(keys)) == len(jobs)  # every one, none twice
            ids = {checkin_id for checkin_id, _ in stored}
            assert set(acknowledged.values()) <= ids  # what a client saw is what is stored
            with_findings = connection.scalar(
                select(func.count(func.distinct(Finding.checkin_id))).where(
                    Finding.checkin_id.in_(ids)
                )
            )
            assert with_findings == len(ids)  # kratom logged: every check-in has its notices
            audited = set(
                connection.scalars(
                    select(AuditEvent.resource_id).where(AuditEvent.action == "checkin.create")
                )
            )
            assert {str(i) for i in ids} <= audited
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
    log = (running.folder / "serve.log").read_text(errors="replace")
    assert "Exception in ASGI application" not in log
