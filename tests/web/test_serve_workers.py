"""`taperline serve --workers 2`: the shipped command, two worker processes on one database.

Concurrent check-ins through both workers must all be stored once, with no server error, on
SQLite (one writer shared by two processes) and on PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from taperline import demo
from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import Checkin, User
from taperline.domain.access import Actor
from taperline.services import accounts
from taperline.services.uow import unit_of_work
from tests.databases import create_database, drop_database
from tests.factories import actor_for
from tests.web.conftest import NOW

WORKERS = 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str, int]]:
    """(base URL, database URL, cleo's API token, the serve process's pid)."""
    folder = tmp_path_factory.mktemp("serve")
    url = create_database(folder)
    engine = make_engine(url)
    migrate.upgrade(engine)
    clock = FixedClock(NOW)
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        demo.seed(session, clock, Actor.operator("tests"))
        cleo = session.scalar(select(User).where(User.handle == "cleo"))
        assert cleo is not None
        token = accounts.create_token(session, clock, actor_for(cleo), "tests")
    engine.dispose()
    port = _free_port()
    log = folder / "serve.log"
    environment = {**os.environ, "TAPERLINE_DATABASE_URL": url, "TAPERLINE_DATA_DIR": str(folder)}
    command = [sys.executable, "-m", "taperline", "--today", NOW.date().isoformat(), "serve"]
    command += ["--port", str(port), "--workers", str(WORKERS)]
    with log.open("wb") as out:
        child = subprocess.Popen(command, env=environment, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, child, log)
        yield base, url, token, child.pid
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        drop_database(url)
    assert "Exception in ASGI application" not in log.read_text(errors="replace")


def _wait_until_healthy(base: str, child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"taperline serve stopped:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"taperline serve did not answer within 60 s:\n{log.read_text()}")


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_serve_runs_the_number_of_worker_processes_asked_for(
    served: tuple[str, str, str, int],
) -> None:
    _base, _url, _token, pid = served
    # uvicorn's supervisor may add a helper process of its own; the workers are among them.
    assert len(_children(pid)) >= WORKERS


def test_concurrent_check_ins_through_every_worker_are_all_stored_once(
    served: tuple[str, str, str, int],
) -> None:
    base, url, token, _pid = served
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{base}/api/v1/people", headers=headers, timeout=30)
    assert listed.status_code == 200, listed.text
    handles = [p["handle"] for p in listed.json()["data"]]
    assert handles, "cleo cares for nobody in the demo clinic"
    first = dt.date(2026, 1, 5)  # before the demo's history: no check-in on these dates yet
    jobs = [(h, first + dt.timedelta(days=d)) for d in range(8) for h in handles]

    def post(job: tuple[str, dt.date]) -> tuple[int, str]:
        handle, date = job
        body = {
            "date": date.isoformat(),
            "idempotency_key": f"workers-{handle}-{date.isoformat()}",
            "doses": [{"category": "kratom", "form": "leaf_powder", "amount": "2", "unit": "g"}],
            "responses": {"craving": [3, 1], "sows": [1] * 16},
        }
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            answer = client.post(f"/api/v1/people/{handle}/checkins", json=body)
        return answer.status_code, answer.text[:300]

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(post, jobs))
    assert [a for a in answers if a[0] != 201] == []
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.scalar(
                select(func.count())
                .select_from(Checkin)
                .where(Checkin.idempotency_key.like("workers-%"))
            )
    finally:
        engine.dispose()
    assert stored == len(jobs)
