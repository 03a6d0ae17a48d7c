"""Memory and start (issue 19, goal 6): the server's resident memory with a 10k-person clinic
loaded and its pages served, and how long `taperline serve --demo` takes, once the demo data
exists, to answer 200 from the home page. Each beside a FastAPI hello-world under uvicorn,
started and measured the same way in the same run.

- Start: the command is spawned (a new Python process, as ./scripts/demo runs it) and GET / is
  polled every 20 ms until it answers 200; the median of three starts, wall clock.
- Memory: bench_overview's seeder makes N people × 180 days (SQLite), with a clinician and an
  admin who log in; the server (`taperline serve`, one process) serves /caseload and
  /clinic/overview three times each, then VmRSS is read from /proc/PID/status. Twice: with
  the overview's snapshot kept beforehand (what the worker's job does every planning period),
  and without it, so that the server works the overview out itself.

Not a test: nothing here asserts a speed. Usage:

    .venv/bin/python bench/bench_start.py                # 10,000 people
    .venv/bin/python bench/bench_start.py --people 1000
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).resolve().parent))
import figures as figs  # noqa: E402
from bench_overview import NOW, seed  # noqa: E402
from taperline.clock import FixedClock  # noqa: E402
from taperline.config import Settings  # noqa: E402
from taperline.db.engine import make_engine, make_sessionmaker  # noqa: E402
from taperline.db.models import Clinic, OverviewSnapshot  # noqa: E402
from taperline.domain.access import Actor  # noqa: E402
from taperline.domain.types import Role  # noqa: E402
from taperline.services import accounts, clinic_overview, people  # noqa: E402
from taperline.services.uow import unit_of_work  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TAPERLINE = ROOT / ".venv" / "bin" / "taperline"
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway database
GOAL_RSS_MB = 250
GOAL_START_S = 5.0
HELLO = """
import sys, uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/")
def hello() -> dict[str, str]:
    return {"hello": "world"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    command: list[str], env: dict[str, str], port: int
) -> tuple[subprocess.Popen[bytes], float]:
    """The process, and seconds from spawning it to the first 200 from GET /."""
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        if process.poll() is not None:
            said = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"{command[0]} exited: {said[-800:]}")
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1, follow_redirects=True).status_code
                == 200
            ):
                return process, time.perf_counter() - began
        except httpx.HTTPError:
            pass
        time.sleep(0.02)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(found.group(1)) / 1024 if found else float("nan")


def environment(url: str) -> dict[str, str]:
    return {**os.environ, "TAPERLINE_DATABASE_URL": url, "TAPERLINE_ENVIRONMENT": "demo",
            "TAPERLINE_PASSWORD_TIME_COST": "1", "TAPERLINE_PASSWORD_MEMORY_KIB": "8"}  # fmt: skip


def demo_start(folder: Path) -> tuple[float, float]:
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    env = environment(url)
    subprocess.run([str(TAPERLINE), "demo"], env=env, check=True, capture_output=True)
    starts, hellos = [], []
    for _ in range(3):
        port = free_port()
        process, seconds = start(
            [str(TAPERLINE), "serve", "--demo", "--port", str(port)], env, port
        )
        stop(process)
        starts.append(seconds)
        port = free_port()
        process, seconds = start([sys.executable, "-c", HELLO, str(port)], env, port)
        stop(process)
        hellos.append(seconds)
    return statistics.median(starts), statistics.median(hellos)


def login(client: httpx.Client, handle: str) -> None:
    form = client.get("/login")
    found = re.search(r'name="prelogin" value="([^"]+)"', form.text)
    if not found:
        raise RuntimeError(f"GET /login answered {form.status_code} without a prelogin value")
    answer = client.post("/login", data={"handle": handle, "password": PASSWORD,
                                         "prelogin": found.group(1), "next": ""})  # fmt: skip
    if answer.status_code != 303:
        raise RuntimeError(f"POST /login answered {answer.status_code}: {answer.text[:300]}")


def memory(folder: Path, count: int) -> tuple[float, float, float, dict[str, int]]:
    path = folder / "clinic.sqlite3"
    url = f"sqlite:///{path}"
    clinic_id, sizes = seed(url, path, count, random.Random(7))
    engine = make_engine(url)
    clock = FixedClock(NOW)
    settings = Settings(database_url=url, password_time_cost=1, password_memory_kib=8)
    operator = Actor.operator("bench")
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        clinic = session.get(Clinic, clinic_id)
        assert clinic is not None
        for handle, role in (("casey", Role.CLINICIAN), ("ada", Role.ADMIN)):
            user = people.add_account(session, clock, operator, handle=handle,
                                      display_name=handle.title(), role=role, clinic=clinic,
                                      timezone="UTC")  # fmt: skip
            accounts.set_password(session, clock, settings, user, PASSWORD, operator)
        for number in range(1, min(count, 300) + 1):  # a caseload of up to 300
            people.assign_clinician(session, clock, operator,
                                    person=people.find_user(session, f"p{number}"),
                                    clinician_handle="casey")  # fmt: skip
    engine.dispose()
    env = environment(url)
    # As a clinic runs it: the worker keeps the overview's snapshot (its job, run here), so
    # the server only reads it. Then without a worker: the server works it out itself.
    with_worker = serve_pages(url, env, keep_snapshot=True)
    without_worker = serve_pages(url, env, keep_snapshot=False)
    port = free_port()
    process, _ = start([sys.executable, "-c", HELLO, str(port)], env, port)
    for _ in range(6):
        httpx.get(f"http://127.0.0.1:{port}/")
    hello = rss_mb(process.pid)
    stop(process)
    return with_worker, without_worker, hello, sizes


def serve_pages(url: str, env: dict[str, str], *, keep_snapshot: bool) -> float:
    """The server's VmRSS (MB) after /caseload and /clinic/overview three times each."""
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine), FixedClock(NOW)) as session:
            session.execute(delete(OverviewSnapshot))
            if keep_snapshot:
                clinic_overview.refresh_all(session, NOW)
    finally:
        engine.dispose()
    port = free_port()
    process, _ = start([str(TAPERLINE), "--today", NOW.date().isoformat(), "serve", "--port",
                        str(port)], env, port)  # fmt: skip
    try:
        for handle, page in (("casey", "/caseload"), ("ada", "/clinic/overview")):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                login(client, handle)
                for _ in range(3):
                    answer = client.get(page)
                    if answer.status_code != 200:
                        raise RuntimeError(f"{page} answered {answer.status_code}")
        return rss_mb(process.pid)
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    figs.add_option(parser)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        started, hello_started = demo_start(folder)
        server, computing, hello, sizes = memory(folder, options.people)
    print(f"Start: `taperline serve --demo` (demo data present) to the first 200 from /: "
          f"{started:.2f} s, median of 3 (goal < {GOAL_START_S:.0f} s: "
          f"{'met' if started < GOAL_START_S else 'not met'})")  # fmt: skip
    print(
        f"  reference, FastAPI hello-world under uvicorn, spawned the same way: "
        f"{hello_started:.2f} s"
    )
    print(f"Memory: server RSS with {options.people:,} people "
          f"({', '.join(f'{v:,} {k}' for k, v in sizes.items())}), after /caseload (300 people) "
          f"and /clinic/overview three times each, the worker keeping the overview's snapshot: "
          f"{server:.0f} MB (goal < {GOAL_RSS_MB} MB: "
          f"{'met' if server < GOAL_RSS_MB else 'not met'})")  # fmt: skip
    print(f"  without a worker (the server works the overview out itself): {computing:.0f} MB")
    print(f"  reference, the hello-world process after 6 requests: {hello:.0f} MB")
    people = f"{options.people:,} people × 180 days"
    figs.write(options.json, [
        figs.Figure("6 memory and start", "`serve --demo` to the first 200", started, "s",
                    f"< {GOAL_START_S:g} s", started < GOAL_START_S,
                    f"FastAPI hello-world spawned the same way: {hello_started:.2f} s",
                    "bench_start: median of 3, demo data present"),
        figs.Figure("6 memory and start", "server RSS, the worker keeping the snapshot", server,
                    "MB", f"< {GOAL_RSS_MB} MB", server < GOAL_RSS_MB,
                    f"hello-world after 6 requests: {hello:.0f} MB",
                    f"bench_start: {people}, after /caseload and /clinic/overview 3× each"),
        figs.Figure("6 memory and start", "server RSS, no worker", computing, "MB", "", None,
                    f"hello-world after 6 requests: {hello:.0f} MB",
                    f"bench_start: {people}, the server computing the overview itself"),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
