"""Benchmark Taperline's web stack on a seeded clinic: pages, API and check-ins over real HTTP.

This prints figures; it checks nothing about speed (the goal lines only say how the figures
compare). Run from the repository root:

    .venv/bin/python bench/bench_web.py [--people N] [--days D] [--postgres URL]

A clinic of N people with D days of check-ins each is bulk-inserted into a fresh database,
the real app is served by uvicorn on 127.0.0.1, and httpx drives it with 16 concurrent
connections. GET /healthz is measured in the same run as the reference. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastapi
import httpx
import sqlalchemy
import uvicorn
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

import taperline
from bench_core import checkin_data, table, throwaway_postgres
from taperline.clock import FixedClock
from taperline.config import Settings
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import (
    CareRelationship,
    Checkin,
    DoseLog,
    InstrumentResponse,
    PlanVersion,
    User,
)
from taperline.domain.access import Actor
from taperline.domain.instruments.registry import INSTRUMENTS
from taperline.domain.types import Role
from taperline.schemas.plans import PlanInput
from taperline.services import accounts, people, plans, status
from taperline.services.uow import unit_of_work
from taperline.web.app import create_app
from taperline.web.deps import SESSION_COOKIE

POSTGRES_ENV = "TAPERLINE_BENCH_POSTGRES_URL"
BENCH_INSTANT = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)  # 11:00 in New York
TIMEZONE = "America/New_York"
OPERATOR = Actor.operator("bench")
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway database
SEED_CHUNK_PEOPLE = 250  # people per insert batch (× days rows per executemany)

# Goals from the issue.
GOAL_CHECKIN_RATIO = 0.3  # check-ins/s ≥ 0.3 × hello-world requests/s
GOAL_CHECKIN_P99_MS = 50.0
GOAL_CASELOAD_FACTOR = 10.0  # caseload p95 ≤ 10 × hello-world p99
WRK_THREADS = 2  # wrk's own threads (its --connections are spread over them)
# Check-in dates are laid out before the run: room for this many check-ins a second.
WRK_CHECKINS_PER_S_CAP = 1000

SOWS = INSTRUMENTS["sows"].score([1] * 16)
CRAVING = INSTRUMENTS["craving"].score([4, 1])


# -- 1. seeding --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seeded:
    seconds: float
    rows: dict[str, int]
    clinician: str  # the benchmark's clinician
    caseload: list[str]  # handles of the people in that clinician's care
    token: str  # that clinician's API token
    first_seeded_day: dt.date
    last_bench_day: dt.date  # last day seeded for the clinician's people (posts go after it)
    db_bytes: int | None


def clinician_handle(number: int) -> str:
    return f"c{number + 1:03d}"


def person_handle(number: int) -> str:
    return f"p{number + 1:06d}"


def noon_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(16, 0), tzinfo=dt.UTC)  # noon in New York, roughly


def seed(engine: Engine, args: argparse.Namespace, post_days: int) -> Seeded:
    """Accounts through the services; people and their history bulk-inserted with Core."""
    start = time.perf_counter()
    migrate.upgrade(engine)
    clock = FixedClock(BENCH_INSTANT)
    sessions = make_sessionmaker(engine)
    settings = web_settings(engine.url.render_as_string(hide_password=False))
    with unit_of_work(sessions, clock) as session:
        clinic = people.create_clinic(session, clock, OPERATOR, "Bench Clinic")
        clinic_id = clinic.id
        for number in range(args.clinicians):
            user = people.add_account(
                session,
                clock,
                OPERATOR,
                handle=clinician_handle(number),
                display_name=f"Clinician {number + 1}",
                role=Role.CLINICIAN,
                clinic=clinic,
                timezone=TIMEZONE,
            )
            if number == 0:
                accounts.set_password(session, clock, settings, user, PASSWORD, OPERATOR)
                bench_actor = Actor(
                    label=f"user:{user.handle}",
                    source="bench",
                    user_id=user.id,
                    role=Role.CLINICIAN,
                    clinic_id=clinic_id,
                )
        token = accounts.create_token(session, clock, bench_actor, "bench")
    with engine.connect() as connection:
        clinician_ids = dict(
            connection.execute(
                select(User.handle, User.id).where(User.role == Role.CLINICIAN.value)
            ).all()
        )
    print(f"  accounts of {args.clinicians} clinicians created", flush=True)

    today = clock.today()
    per_clinician = -(-args.people // args.clinicians)
    bench_people = min(per_clinician, args.people)
    # The benchmark clinician's people get their history `post_days` earlier, so the timed
    # check-ins fill the days after it up to today (each person one check-in a day, in order).
    now = clock.now()
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {
                    "clinic_id": clinic_id,
                    "role": Role.PERSON.value,
                    "handle": person_handle(n),
                    "display_name": f"Person {n + 1}",
                    "timezone": TIMEZONE,
                    "active": True,
                    "created_at": now - dt.timedelta(days=args.days + post_days + 1),
                    "created_by_id": None,
                    "password_hash": None,
                    "failed_logins": 0,
                }
                for n in range(args.people)
            ],
        )
        person_ids = dict(
            connection.execute(
                select(User.handle, User.id).where(User.role == Role.PERSON.value)
            ).all()
        )
        connection.execute(
            insert(CareRelationship),
            [
                {
                    "clinician_id": clinician_ids[clinician_handle(n // per_clinician)],
                    "person_id": person_ids[person_handle(n)],
                    "created_at": now - dt.timedelta(days=args.days + post_days + 1),
                    "created_by_id": None,
                    "ended_at": None,
                    "ended_by_id": None,
                }
                for n in range(args.people)
            ],
        )
    print(f"  {args.people:,} people and their care relationships inserted", flush=True)
    first_day = today - dt.timedelta(days=args.days + post_days)
    seed_plans(engine, sessions, clock, bench_actor, first_day, person_ids, clinician_ids)
    print(f"  an approved plan for each of {args.people:,} people", flush=True)

    with engine.connect() as connection:
        next_id = (connection.scalar(select(func.max(Checkin.id))) or 0) + 1
    payload_hash = "0" * 64
    sows_answers, craving_answers = dict(SOWS.answers), dict(CRAVING.answers)
    for chunk_start in range(0, args.people, SEED_CHUNK_PEOPLE):
        checkin_rows: list[dict[str, Any]] = []
        response_rows: list[dict[str, Any]] = []
        dose_rows: list[dict[str, Any]] = []
        for n in range(chunk_start, min(chunk_start + SEED_CHUNK_PEOPLE, args.people)):
            person_id = person_ids[person_handle(n)]
            last_day = today - dt.timedelta(days=post_days if n < bench_people else 0)
            for back in range(args.days - 1, -1, -1):
                day = last_day - dt.timedelta(days=back)
                created = noon_utc(day)
                checkin_id = next_id
                next_id += 1
                checkin_rows.append(
                    {
                        "id": checkin_id,
                        "person_id": person_id,
                        "kind": "daily",
                        "checkin_date": day,
                        "idempotency_key": f"seed-{day.isoformat()}",
                        "payload_hash": payload_hash,
                        "note": "",
                        "red_flags": [],
                        "used_non_prescribed_opioids": False,
                        "activities": {},
                        "created_at": created,
                        "created_by_id": None,
                    }
                )
                for score, answers in ((CRAVING, craving_answers), (SOWS, sows_answers)):
                    response_rows.append(
                        {
                            "checkin_id": checkin_id,
                            "instrument_id": score.instrument_id,
                            "instrument_version": score.instrument_version,
                            "answers": answers,
                            "total": score.total,
                            "band": score.band,
                            "positive_screen": score.positive_screen,
                            "metrics": {},
                            "flags": [],
                            "created_at": created,
                            "created_by_id": None,
                        }
                    )
                dose_rows.append(
                    {
                        "person_id": person_id,
                        "checkin_id": checkin_id,
                        "category": "kratom",
                        "form": "leaf_powder",
                        "product": "",
                        "amount_thousandths": 2500,
                        "unit": "g",
                        "taken_on": day,
                        "taken_time": dt.time(8, 0),
                        "created_at": created,
                        "created_by_id": None,
                    }
                )
        with engine.begin() as connection:
            connection.execute(insert(Checkin), checkin_rows)
            connection.execute(insert(InstrumentResponse), response_rows)
            connection.execute(insert(DoseLog), dose_rows)
        done = min(chunk_start + SEED_CHUNK_PEOPLE, args.people)
        if done % 2000 < SEED_CHUNK_PEOPLE or done == args.people:
            print(
                f"  check-ins of {done:,} people inserted ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )

    with unit_of_work(sessions, clock) as session:
        status.rebuild(session)  # the latest status each check-in would have kept
    print(f"  latest status rebuilt ({time.perf_counter() - start:.0f} s)", flush=True)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Ids were given explicitly: move the sequence past them.
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('checkins', 'id'), "
                    "(SELECT max(id) FROM checkins))"
                )
            )
        else:
            connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        settle_postgres(engine)
    seconds = time.perf_counter() - start
    db_bytes = None
    if engine.dialect.name == "sqlite" and engine.url.database:
        db_bytes = sum(
            p.stat().st_size
            for p in Path(engine.url.database).parent.glob(Path(engine.url.database).name + "*")
        )
    return Seeded(
        seconds=seconds,
        rows=count_rows(engine),
        clinician=clinician_handle(0),
        caseload=[person_handle(n) for n in range(bench_people)],
        token=token,
        first_seeded_day=today - dt.timedelta(days=args.days - 1),
        last_bench_day=today - dt.timedelta(days=post_days),
        db_bytes=db_bytes,
    )


def bench_plan(first_day: dt.date) -> dict[str, Any]:
    """A kratom taper from 4 g to 1 g a day, a quarter gram every three weeks, one dose at
    08:00 (the check-ins log 2.5 g at 08:00), with the activities a plan usually has.
    Every person in the benchmark has it, approved, so the caseload computes their taper step
    and adherence and every check-in is checked against a plan, as in a clinic."""
    return {
        "taper": {
            "form": "leaf_powder",
            "start": first_day.isoformat(),
            "current": {"amount": "4", "unit": "g"},
            "target": {"amount": "1", "unit": "g"},
            "method": "fixed",
            "step": "0.25",
            "step_days": 21,
            "smallest_step": {"amount": "0.25", "unit": "g"},
            "doses": [{"time": "08:00"}],
            "long_term_use": False,
        },
        "activities": {
            "exercise_minutes_per_week": 150,
            "meditation_minutes_per_day": 10,
            "counseling_sessions_per_week": 1,
            "support_meetings_per_week": 2,
        },
        "monitoring": {"daily_checkin_time": "09:00", "weekly_questionnaires_day": "monday"},
        "goals": ["Taper off kratom safely"],
    }


def seed_plans(
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    actor: Actor,
    first_day: dt.date,
    person_ids: dict[str, int],
    clinician_ids: dict[str, int],
) -> None:
    """The first person's plan is drafted and approved through the services (so it is checked
    as a clinician's would be); everyone else gets the same stored version, bulk-inserted."""
    per_clinician = -(-len(person_ids) // len(clinician_ids))
    with unit_of_work(sessions, clock) as session:
        view = plans.draft(
            session, clock, actor, person_handle(0), PlanInput.model_validate(bench_plan(first_day))
        )
        plans.approve(
            session, clock, actor, person_handle(0), view.number, view.review.needs_acknowledging
        )
    with engine.begin() as connection:
        stored = connection.execute(select(PlanVersion)).mappings().one()
        template = {key: value for key, value in stored.items() if key not in ("id", "person_id")}
        content = template["content"]
        connection.execute(
            insert(PlanVersion),
            [
                {
                    **template,
                    # People start their tapers on different days (no two neighbours alike),
                    # so no request is spared work by another person's identical plan.
                    "content": {
                        **content,
                        "taper": {
                            **content["taper"],
                            "start": (first_day + dt.timedelta(days=n % 29)).isoformat(),
                        },
                    },
                    "person_id": person_ids[person_handle(n)],
                    "approved_by_id": clinician_ids[clinician_handle(n // per_clinician)],
                    "created_by_id": clinician_ids[clinician_handle(n // per_clinician)],
                }
                for n in range(1, len(person_ids))
            ],
        )


def settle_postgres(engine: Engine) -> None:
    """Leave the bulk load as a running clinic's database would be: vacuumed, analysed and
    checkpointed. Otherwise autovacuum starts on millions of fresh rows, and a checkpoint
    writes the load out, while the timed requests run."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
        try:
            connection.execute(text("CHECKPOINT"))
        except DBAPIError as error:  # needs superuser or pg_checkpoint
            print(f"  (no CHECKPOINT: {error.orig})", flush=True)
    print("  vacuumed, analysed and checkpointed", flush=True)


def count_rows(engine: Engine) -> dict[str, int]:
    tables = ("users", "care_relationships", "checkins", "instrument_responses", "dose_logs")
    with engine.connect() as connection:
        return {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) or 0 for t in tables}


# -- 2. the server -----------------------------------------------------------------------


def web_settings(database_url: str) -> Settings:
    """As tests/web/conftest.py: cheap argon2 (only the one login hashes)."""
    return Settings(database_url=database_url, password_time_cost=1, password_memory_kib=8)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_config(log_file: Path) -> dict[str, Any]:
    """uvicorn's error log (the app's unhandled exceptions) into a file, read after the run."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(levelname)s %(message)s"}},
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "filename": str(log_file),
                "formatter": "plain",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["file"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
        },
    }


def make_server(database_url: str, port: int, log_file: Path) -> uvicorn.Server:
    app = create_app(web_settings(database_url), clock=FixedClock(BENCH_INSTANT))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=log_config(log_file),
        access_log=False,
        workers=1,
    )
    return uvicorn.Server(config)


def serve_in_process(database_url: str, port: int, log_file: str) -> None:
    make_server(database_url, port, Path(log_file)).run()


def wait_for_port(port: int, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server stopped before it answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("uvicorn did not start within 60 s")


@contextmanager
def serve_command(database_url: str, log_file: Path, workers: int) -> Iterator[str]:
    """`taperline serve --workers N`, the command as shipped, in a process of its own; yields
    its base URL. Its settings come from the environment, as in production."""
    port = free_port()
    environment = {
        **os.environ,
        "TAPERLINE_DATABASE_URL": database_url,
        "TAPERLINE_PASSWORD_TIME_COST": "1",
        "TAPERLINE_PASSWORD_MEMORY_KIB": "8",
    }
    command = [
        sys.executable,
        "-m",
        "taperline",
        "--today",
        BENCH_INSTANT.date().isoformat(),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log_file.open("wb") as log:
        child = subprocess.Popen(  # noqa: S603 - our own command
            command, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, lambda: child.poll() is None)
            yield f"http://127.0.0.1:{port}"
        finally:
            child.terminate()  # SIGTERM: uvicorn stops its workers gracefully
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@contextmanager
def serve(database_url: str, log_file: Path, *, process: bool) -> Iterator[str]:
    """The real app under uvicorn (one worker); yields its base URL.

    By default in a background thread of this process (so the load generator shares the
    GIL with it); with process=True in a child process of its own.
    """
    port = free_port()
    if process:
        child = multiprocessing.get_context("spawn").Process(
            target=serve_in_process, args=(database_url, port, str(log_file)), daemon=True
        )
        child.start()
        try:
            wait_for_port(port, child.is_alive)
            yield f"http://127.0.0.1:{port}"
        finally:
            child.terminate()  # SIGTERM: uvicorn shuts down gracefully
            child.join(timeout=30)
        return
    server = make_server(database_url, port, log_file)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_for_port(port, thread.is_alive)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        server.config.app.state.engine.dispose()


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout)\b.*$")


def server_errors(log_file: Path) -> tuple[int, Counter[str]]:
    """How many unhandled exceptions the server logged, and their final lines (by kind)."""
    if not log_file.exists():
        return 0, Counter()
    text_ = log_file.read_text(encoding="utf-8", errors="replace")
    unhandled = text_.count("Exception in ASGI application")
    kinds: Counter[str] = Counter()
    for block in re.split(r"ERROR:?\s+Exception in ASGI application", text_)[1:]:
        finals = [line for line in block.splitlines() if EXCEPTION_LINE.match(line)]
        statements = [line for line in block.splitlines() if line.startswith("[SQL: ")]
        if finals:
            where = f"  <- {statements[-1][:90]}" if statements else ""
            kinds[finals[-1][:110] + where] += 1
    return unhandled, kinds


# -- 3. load -----------------------------------------------------------------------------


@dataclass(slots=True)
class LoadFigure:
    name: str
    requests: int
    seconds: float
    latencies: list[float]  # seconds, the timed requests only
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # first few non-2xx answers
    warmup_failures: int = 0
    # From wrk, which keeps its own histogram: percentile → ms (with 100 for the maximum).
    percentiles: dict[float, float] | None = None

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        """The p-th percentile latency in ms (nearest rank)."""
        if self.percentiles is not None:
            return self.percentiles[p]
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1e3

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def drive(
    name: str,
    client: httpx.AsyncClient,
    request: Request,
    *,
    count: int,
    warmup: int,
    concurrency: int,
    first_index: int = 0,
) -> LoadFigure:
    """Warm up with `warmup` requests, then time `count` requests with `concurrency` workers.

    Request i gets index first_index + i (warm-up first), so each one can be different.
    """
    figure = LoadFigure(name=name, requests=count, seconds=0.0, latencies=[])

    async def run(total: int, offset: int, timed: bool) -> None:
        next_index = 0

        async def worker() -> None:
            nonlocal next_index
            while next_index < total:
                index = offset + next_index
                next_index += 1
                began = time.perf_counter()
                try:
                    response = await request(client, index)
                    status = response.status_code
                except httpx.TransportError as error:  # the server dropped the connection
                    response, status = None, 0
                    problem = f"no answer ({type(error).__name__}: {error})"
                elapsed = time.perf_counter() - began
                if response is not None and not 200 <= status < 300:
                    problem = (
                        f"{status} {response.request.method} "
                        f"{response.request.url.path}: {response.text[:300]!r}"
                    )
                if not 200 <= status < 300 and len(figure.problems) < 3:
                    figure.problems.append(("(warm-up) " if not timed else "") + problem)
                if timed:
                    figure.latencies.append(elapsed)
                    figure.statuses[status] += 1
                elif not 200 <= status < 300:
                    figure.warmup_failures += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    await run(warmup, first_index, timed=False)
    began = time.perf_counter()
    await run(count, first_index + warmup, timed=True)
    figure.seconds = time.perf_counter() - began
    print(
        f"  {name:<28} {figure.per_s:>8,.0f} req/s  p50 {figure.pct(50):6.1f} ms  "
        f"p99 {figure.pct(99):6.1f} ms  non-2xx {figure.non_2xx}",
        flush=True,
    )
    return figure


async def log_in(client: httpx.AsyncClient, handle: str) -> None:
    """Through the real /login form: GET for the prelogin value and cookie, then POST."""
    form = await client.get("/login")
    found = re.search(r'name="prelogin" value="([^"]+)"', form.text)
    if form.status_code != 200 or not found:
        raise RuntimeError(f"GET /login answered {form.status_code} without a prelogin value")
    answer = await client.post(
        "/login",
        data={"handle": handle, "password": PASSWORD, "prelogin": found.group(1), "next": ""},
    )
    if answer.status_code != 303 or answer.headers.get("location") != "/caseload":
        raise RuntimeError(f"POST /login answered {answer.status_code}: {answer.text[:300]}")


# -- 3b. load from wrk (a C load generator) ------------------------------------------------

# One script for every wrk run. Arguments: the mode ("get" or "checkin") and the index of its
# first request. Check-ins go to the caseload person by person, then day by day after the
# seeded history (as `measure` does), each with its own idempotency key. The counts and the
# latency histogram come back as one JSON line.
WRK_SCRIPT = r"""
local handles = {%(handles)s}
local base_day = %(base_day)d
local prefix, middle, suffix = %(prefix)s, %(middle)s, %(suffix)s
local threads = {}
local thread_count = %(threads)d

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  first = tonumber(args[2])
  sent = 0
  statuses = {}
end

function request()
  if mode ~= "checkin" then
    return wrk.request()
  end
  local index = first + sent * thread_count + number
  sent = sent + 1
  local slot = math.floor(index / #handles)
  local date = os.date("!%%Y-%%m-%%d", base_day + (slot + 1) * 86400)
  local body = prefix .. date .. middle .. "%(run)s-" .. index .. suffix
  return wrk.format("POST", "/api/v1/people/" .. handles[index %% #handles + 1] .. "/checkins",
    nil, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  local sent_most = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
    sent_most = math.max(sent_most, thread:get("sent"))
  end
  local parts = {}
  for status, n in pairs(totals) do
    table.insert(parts, string.format('"%%s":%%d', status, n))
  end
  io.write(string.format(
    'WRK {"requests":%%d,"micros":%%d,"p50":%%d,"p95":%%d,"p99":%%d,"max":%%d,' ..
    '"errors":%%d,"sent_most":%%d,"statuses":{%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    sent_most, table.concat(parts, ",")))
end
"""


def wrk_script(seeded: Seeded, threads: int) -> str:
    """The Lua script with this run's caseload and a check-in body from `checkin_data`."""
    marker_date, marker_key = dt.date(1999, 12, 31), "KEY-MARKER"
    body = json.dumps(checkin_data(marker_date, marker_key, sleep_diary=False))
    prefix, rest = body.split(marker_date.isoformat())
    middle, suffix = rest.split(marker_key)
    base_day = dt.datetime.combine(seeded.last_bench_day, dt.time(), tzinfo=dt.UTC)
    return WRK_SCRIPT % {
        "handles": ", ".join(json.dumps(handle) for handle in seeded.caseload),
        "base_day": int(base_day.timestamp()),
        "prefix": json.dumps(prefix),
        "middle": json.dumps(middle),
        "suffix": json.dumps(suffix),
        "threads": threads,
        "run": f"wrk-{uuid.uuid4().hex[:8]}",
    }


def run_wrk(
    name: str,
    url: str,
    script: Path,
    args: argparse.Namespace,
    *,
    mode: str = "get",
    headers: Sequence[str] = (),
    first_index: int = 0,
) -> tuple[LoadFigure, int]:
    """A warm-up run and a timed run of wrk; (the timed figure, the index after its requests)."""
    figures = []
    for seconds in (args.wrk_warmup_seconds, args.seconds):
        command = [
            "wrk",
            f"--threads={WRK_THREADS}",
            f"--connections={args.concurrency}",
            f"--duration={seconds}s",
            "--timeout=60s",
            f"--script={script}",
            *(f"--header={header}" for header in headers),
            url,
            "--",
            mode,
            str(first_index),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        found = re.search(r"^WRK (\{.*\})$", done.stdout, re.MULTILINE)
        if done.returncode != 0 or found is None:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
        result = json.loads(found.group(1))
        statuses = Counter({int(status): n for status, n in result["statuses"].items()})
        if result["errors"]:
            statuses[0] += result["errors"]
        figures.append(
            LoadFigure(
                name=name,
                requests=result["requests"],
                seconds=result["micros"] / 1e6,
                latencies=[],
                statuses=statuses,
                percentiles={
                    p: result[key] / 1e3
                    for p, key in ((50, "p50"), (95, "p95"), (99, "p99"), (100, "max"))
                },
            )
        )
        # wrk may start requests it does not wait for at the end: skip past every one sent.
        first_index += (result["sent_most"] + 1) * WRK_THREADS
    warm, timed = figures
    timed.warmup_failures = warm.non_2xx
    print(
        f"  {name:<28} {timed.per_s:>8,.0f} req/s  p50 {timed.pct(50):6.1f} ms  "
        f"p99 {timed.pct(99):6.1f} ms  non-2xx {timed.non_2xx}",
        flush=True,
    )
    return timed, first_index


def measure_wrk(base_url: str, seeded: Seeded, args: argparse.Namespace) -> WebFigures:
    """The same five runs as `measure`, each timed for --seconds by wrk."""
    with tempfile.TemporaryDirectory(prefix="taperline-bench-wrk-") as folder:
        script = Path(folder) / "bench.lua"
        script.write_text(wrk_script(seeded, WRK_THREADS), encoding="utf-8")
        bearer = f"Authorization: Bearer {seeded.token}"
        hello, _ = run_wrk("GET /healthz (hello world)", f"{base_url}/healthz", script, args)
        posted, _ = run_wrk(
            "POST check-ins (API)",
            f"{base_url}/",
            script,
            args,
            mode="checkin",
            headers=(bearer, "Content-Type: application/json"),
        )

        async def cookie() -> str:
            async with httpx.AsyncClient(base_url=base_url) as browser:
                await log_in(browser, seeded.clinician)
                return f"{SESSION_COOKIE}={browser.cookies[SESSION_COOKIE]}"

        session_cookie = asyncio.run(cookie())
        page, _ = run_wrk(
            "GET /caseload (cookie)",
            f"{base_url}/caseload",
            script,
            args,
            headers=(f"Cookie: {session_cookie}",),
        )
        listed, _ = run_wrk(
            "GET /api/v1/people (bearer)",
            f"{base_url}/api/v1/people",
            script,
            args,
            headers=(bearer,),
        )
        hello_after, _ = run_wrk(
            "GET /healthz (again, at end)", f"{base_url}/healthz", script, args
        )
    sample_page = httpx.get(f"{base_url}/caseload", headers={"Cookie": session_cookie})
    sample_api = httpx.get(f"{base_url}/api/v1/people", headers={"Authorization": bearer[15:]})
    rows = sum(h in sample_page.text for h in seeded.caseload) if sample_page.is_success else -1
    return WebFigures(
        hello=hello,
        checkins=posted,
        caseload=page,
        api=listed,
        hello_after=hello_after,
        caseload_rows=rows,
        api_people=int(sample_api.json()["count"]) if sample_api.is_success else -1,
        checkins_stored=posted.statuses.get(201, 0),
    )


@dataclass(slots=True)
class WebFigures:
    hello: LoadFigure
    checkins: LoadFigure
    caseload: LoadFigure
    api: LoadFigure
    hello_after: LoadFigure
    caseload_rows: int
    api_people: int
    checkins_stored: int


async def measure(base_url: str, seeded: Seeded, args: argparse.Namespace) -> WebFigures:
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    timeout = httpx.Timeout(60.0)
    common: dict[str, Any] = {"base_url": base_url, "limits": limits, "timeout": timeout}
    kw = {"count": args.requests, "warmup": args.warmup, "concurrency": args.concurrency}
    bearer = {"Authorization": f"Bearer {seeded.token}"}
    async with (
        httpx.AsyncClient(http2=False, **common) as plain,
        httpx.AsyncClient(http2=False, headers=bearer, **common) as api,
        httpx.AsyncClient(http2=False, **common) as browser,
    ):

        async def healthz(client: httpx.AsyncClient, _index: int) -> httpx.Response:
            return await client.get("/healthz")

        hello = await drive("GET /healthz (hello world)", plain, healthz, **kw)

        caseload = seeded.caseload
        run_key = uuid.uuid4().hex[:8]

        async def post_checkin(client: httpx.AsyncClient, index: int) -> httpx.Response:
            # Person by person, then day by day after the seeded history: distinct dates.
            slot, who = divmod(index, len(caseload))
            date = seeded.last_bench_day + dt.timedelta(days=slot + 1)
            return await client.post(
                f"/api/v1/people/{caseload[who]}/checkins",
                json=checkin_data(date, f"bench-{run_key}-{index:07d}", sleep_diary=False),
            )

        posted = await drive("POST check-ins (API)", api, post_checkin, **kw)

        await log_in(browser, seeded.clinician)

        async def caseload_page(client: httpx.AsyncClient, _index: int) -> httpx.Response:
            return await client.get("/caseload")

        page = await drive("GET /caseload (cookie)", browser, caseload_page, **kw)

        async def api_people(client: httpx.AsyncClient, _index: int) -> httpx.Response:
            return await client.get("/api/v1/people")

        listed = await drive("GET /api/v1/people (bearer)", api, api_people, **kw)
        hello_after = await drive("GET /healthz (again, at end)", plain, healthz, **kw)

        # What the pages showed: the whole caseload, not an error page or an empty list.
        sample_page = await browser.get("/caseload")
        sample_api = await api.get("/api/v1/people")
        rows = sum(h in sample_page.text for h in caseload) if sample_page.is_success else -1
        api_count = int(sample_api.json()["count"]) if sample_api.is_success else -1
    return WebFigures(
        hello=hello,
        checkins=posted,
        caseload=page,
        api=listed,
        hello_after=hello_after,
        caseload_rows=rows,
        api_people=api_count,
        checkins_stored=posted.statuses.get(201, 0),
    )


# -- backends ----------------------------------------------------------------------------


@contextmanager
def database(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(url, description of the server)."""
    if args.postgres:
        with throwaway_postgres(args.postgres) as url:
            engine = create_engine(url)
            with engine.connect() as connection:
                facts = [
                    str(connection.exec_driver_sql(f"SHOW {name}").scalar())
                    for name in ("server_version", "fsync", "synchronous_commit")
                ]
            engine.dispose()
            yield url, (f"PostgreSQL {facts[0]}; fsync={facts[1]}, synchronous_commit={facts[2]}")
    else:
        with tempfile.TemporaryDirectory(prefix="taperline-bench-web-") as folder:
            yield (
                f"sqlite:///{Path(folder) / 'web.sqlite3'}",
                f"SQLite {sqlite3.sqlite_version}; journal_mode=WAL, synchronous=NORMAL",
            )


# -- report ------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def report(
    args: argparse.Namespace,
    server: str,
    seeded: Seeded,
    web: WebFigures,
    errors: tuple[int, Counter[str]],
) -> None:
    print()
    print("=" * 78)
    print(f"taperline {taperline.__version__} web benchmark")
    print("=" * 78)
    loop = "uvloop" if _has("uvloop") else "asyncio"
    http = "httptools" if _has("httptools") else "h11"
    facts = [
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("cpu count", str(os.cpu_count())),
        ("platform", platform.platform()),
        ("database", server),
        (
            "server",
            f"uvicorn {uvicorn.__version__} ({http}, {loop}): {server_text(args)}; "
            f"fastapi {fastapi.__version__}",
        ),
        ("client", client_text(args)),
        ("sqlalchemy", sqlalchemy.__version__),
    ]
    print("Machine")
    for label, value in facts:
        print(f"  {label:<12}{value}")

    print()
    print(
        f"Seeded clinic: {args.people:,} people × {args.days} days, {args.clinicians} "
        f"clinicians; bench clinician {seeded.clinician} cares for {len(seeded.caseload)}"
    )
    print(
        table(
            ["table", "rows"],
            [[t, f"{n:,}"] for t, n in seeded.rows.items()],
        )
    )
    size = f", database {seeded.db_bytes / 2**20:,.0f} MiB" if seeded.db_bytes else ""
    print(f"  seeding took {seeded.seconds:,.1f} s{size}")

    print()
    runs = (
        f"{args.seconds} s each after {args.wrk_warmup_seconds} s of warm-up"
        if args.load == "wrk"
        else f"{args.requests:,} timed requests each after {args.warmup} warm-up"
    )
    print(f"HTTP ({runs}, {args.concurrency} concurrent; latency in ms)")
    figures = [web.hello, web.checkins, web.caseload, web.api, web.hello_after]
    print(
        table(
            ["endpoint", "req/s", "p50", "p95", "p99", "max", "non-2xx"],
            [
                [
                    f.name,
                    f"{f.per_s:,.0f}",
                    f"{f.pct(50):.1f}",
                    f"{f.pct(95):.1f}",
                    f"{f.pct(99):.1f}",
                    f"{f.pct(100):.1f}",
                    str(f.non_2xx),
                ]
                for f in figures
            ],
        )
    )
    print(
        f"  caseload page lists {web.caseload_rows} of {len(seeded.caseload)} handles; "
        f"API lists {web.api_people} people; check-ins stored (201): {web.checkins_stored:,}"
    )
    for f in figures:
        statuses = ", ".join(f"{s or 'no answer'}×{n}" for s, n in sorted(f.statuses.items()) if n)
        warm = f"; warm-up failures {f.warmup_failures}" if f.warmup_failures else ""
        print(f"  statuses {f.name:<28} {statuses}{warm}")
        for problem in f.problems:
            print(f"    ! {problem}")
    unhandled, kinds = errors
    print(f"  server log: {unhandled} unhandled exceptions (500 or dropped connection)")
    for line, n in kinds.most_common(8):
        print(f"    {n}× {line}")

    hello, posted, page = web.hello, web.checkins, web.caseload
    ratio = posted.per_s / hello.per_s
    print()
    print("Goals (reference: the first GET /healthz run)")
    goals = [
        (
            f"check-ins/s ≥ {GOAL_CHECKIN_RATIO} × hello-world req/s",
            f"{posted.per_s:,.0f} / {hello.per_s:,.0f} = {ratio:.3f} (need ≥ {GOAL_CHECKIN_RATIO})",
            ratio >= GOAL_CHECKIN_RATIO and posted.non_2xx == 0,
        ),
        (
            f"check-in p99 < {GOAL_CHECKIN_P99_MS:g} ms",
            f"{posted.pct(99):.1f} ms",
            posted.pct(99) < GOAL_CHECKIN_P99_MS and posted.non_2xx == 0,
        ),
        (
            f"caseload p95 ≤ {GOAL_CASELOAD_FACTOR:g} × hello-world p99",
            f"{page.pct(95):.1f} ms vs {GOAL_CASELOAD_FACTOR:g} × {hello.pct(99):.1f} = "
            f"{GOAL_CASELOAD_FACTOR * hello.pct(99):.1f} ms",
            page.pct(95) <= GOAL_CASELOAD_FACTOR * hello.pct(99) and page.non_2xx == 0,
        ),
    ]
    print(
        table(
            ["goal", "figures", "verdict"],
            [[g, figures_text, verdict(met)] for g, figures_text, met in goals],
        )
    )
    if any(f.non_2xx for f in figures):
        print("  (a goal with any non-2xx answer in its run is NOT MET whatever its figures)")


def client_text(args: argparse.Namespace) -> str:
    if args.load == "wrk":
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        first = (version.stdout or version.stderr).splitlines()[:1]
        return (
            f"{first[0] if first else 'wrk'} (C), {WRK_THREADS} threads, HTTP/1.1 keep-alive, "
            f"{args.concurrency} connections, a process of its own"
        )
    return (
        f"httpx {httpx.__version__} AsyncClient, HTTP/1.1 keep-alive, "
        f"{args.concurrency} connections, same process"
    )


def server_text(args: argparse.Namespace) -> str:
    if args.workers:
        return f"`taperline serve --workers {args.workers}`, {args.workers} worker processes"
    if args.server_process:
        return "1 worker in a child process"
    return "1 worker in a thread of this process"


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000, help="people (default 10000)")
    parser.add_argument(
        "--days", type=int, default=180, help="days of check-ins per person (default 180)"
    )
    parser.add_argument(
        "--clinicians",
        type=int,
        default=100,
        help="clinicians, each caring for people/clinicians people (default 100)",
    )
    parser.add_argument(
        "--requests", type=int, default=2000, help="timed requests per endpoint (default 2000)"
    )
    parser.add_argument(
        "--warmup", type=int, default=50, help="untimed requests first (default 50)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="concurrent connections (default 16)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(POSTGRES_ENV) or None,
        metavar="URL",
        help=f"SQLAlchemy URL of a PostgreSQL server to create a throwaway database on "
        f"(default: ${POSTGRES_ENV}; unset: SQLite)",
    )
    parser.add_argument(
        "--server-process",
        action="store_true",
        help="run uvicorn in a child process instead of a thread (no GIL shared with the client)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="run the shipped command `taperline serve --workers N` (N processes) instead",
    )
    parser.add_argument(
        "--load",
        choices=("httpx", "wrk"),
        default="httpx",
        help="load generator: httpx in this process (default), or wrk, a C program in a "
        "process of its own, timed for --seconds (apt-get install wrk)",
    )
    parser.add_argument(
        "--seconds", type=int, default=20, help="with --load wrk: seconds per timed run (20)"
    )
    parser.add_argument(
        "--wrk-warmup-seconds",
        type=int,
        default=2,
        help="with --load wrk: seconds of warm-up before each timed run (2)",
    )
    args = parser.parse_args(argv)
    if args.load == "wrk" and shutil.which("wrk") is None:
        parser.error("--load wrk needs wrk on the PATH (Debian: apt-get install wrk)")
    if args.load == "wrk" and min(args.seconds, args.wrk_warmup_seconds) < 1:
        parser.error("--seconds and --wrk-warmup-seconds must be ≥ 1")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be ≥ 1")
    if min(args.people, args.days, args.clinicians, args.requests, args.concurrency) < 1:
        parser.error("--people, --days, --clinicians, --requests, --concurrency must be ≥ 1")
    if args.warmup < 0 or args.clinicians > args.people:
        parser.error("--warmup must be ≥ 0 and --clinicians at most --people")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    per_clinician = min(-(-args.people // args.clinicians), args.people)
    # Days the benchmark clinician's people need after their history for the timed posts.
    posts = (
        WRK_CHECKINS_PER_S_CAP * (args.wrk_warmup_seconds + args.seconds)
        if args.load == "wrk"
        else args.warmup + args.requests
    )
    post_days = -(-posts // per_clinician)
    with database(args) as (url, server):
        print(f"Seeding {args.people:,} people × {args.days} days ...", flush=True)
        engine = make_engine(url)
        try:
            seeded = seed(engine, args, post_days)
        finally:
            engine.dispose()
        print(f"  seeded in {seeded.seconds:,.1f} s: {seeded.rows}", flush=True)
        print(f"Serving ({server_text(args)}) and measuring ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="taperline-bench-log-") as logs:
            log_file = Path(logs) / "uvicorn.log"
            with (
                serve_command(url, log_file, args.workers)
                if args.workers
                else serve(url, log_file, process=args.server_process)
            ) as base_url:
                web = (
                    measure_wrk(base_url, seeded, args)
                    if args.load == "wrk"
                    else asyncio.run(measure(base_url, seeded, args))
                )
            errors = server_errors(log_file)
    report(args, server, seeded, web, errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
