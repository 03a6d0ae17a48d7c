"""Benchmark the core of Taperline: instrument scoring and check-in storage.

This prints figures; it checks nothing about speed. Run from the repository root:

    .venv/bin/python bench/bench_core.py [--checkins N] [--postgres URL]

PostgreSQL is measured when --postgres is given or TAPERLINE_BENCH_POSTGRES_URL is set, in a
throwaway database created on that server and dropped at the end. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

import taperline
from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import Alert, AuditEvent, Checkin, DoseLog, Finding, InstrumentResponse
from taperline.domain.access import Actor
from taperline.domain.instruments.base import Instrument, ItemScale
from taperline.domain.instruments.registry import INSTRUMENTS
from taperline.domain.types import Role
from taperline.schemas.checkins import CheckinCreate
from taperline.services import checkins, people
from taperline.services.uow import unit_of_work

POSTGRES_ENV = "TAPERLINE_BENCH_POSTGRES_URL"
BENCH_INSTANT = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)  # 11:00 in New York
OPERATOR = Actor.operator("bench")
ROWS_PER_CHECKIN = 8  # checkin + 3 responses + dose + audit row + 2 findings (notices)
SCORE_BATCHES = 5

SLEEP_DIARY_ANSWERS: dict[str, Any] = {
    "into_bed": "22:45",
    "tried_to_sleep": "23:00",
    "sleep_onset_minutes": 20,
    "awakenings": 1,
    "awake_minutes": 15,
    "final_awakening": "06:30",
    "out_of_bed": "06:50",
    "quality": 3,
}

# What a raw row carries: text about the size of one stored response's answers.
DAYS_PER_PERSON = 30
RAW_PAYLOAD = json.dumps({f"sows_{n}": 1 for n in range(1, 17)}, separators=(",", ":"))


# -- figures -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreFigure:
    instrument: str
    answers: int  # how many answers were given
    loops: int  # calls per timed batch
    best_per_s: float
    median_per_s: float


@dataclass(frozen=True, slots=True)
class ServiceFigure:
    checkins: int
    rows: int  # rows actually written, counted in the database
    seconds: float

    @property
    def checkins_per_s(self) -> float:
        return self.checkins / self.seconds

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True, slots=True)
class RawFigure:
    rows: int
    per_commit_seconds: float  # N*8 rows, one commit per 8 rows
    bulk_seconds: float  # N*8 rows, one executemany, one commit

    @property
    def per_commit_rows_per_s(self) -> float:
        return self.rows / self.per_commit_seconds

    @property
    def bulk_rows_per_s(self) -> float:
        return self.rows / self.bulk_seconds


@dataclass(frozen=True, slots=True)
class BackendFigures:
    backend: str
    server: str
    service: ServiceFigure
    raw: RawFigure


# -- 1. scoring --------------------------------------------------------------------------


def valid_answers(instrument: Instrument) -> list[int] | dict[str, Any]:
    """A valid answer set: the middle option of every required item, or the sample diary."""
    if isinstance(instrument, ItemScale):
        return [
            item.options[len(item.options) // 2].value for item in instrument.items if item.required
        ]
    if instrument.id == "sleep_diary":
        return dict(SLEEP_DIARY_ANSWERS)
    raise ValueError(f"no sample answers for instrument {instrument.id!r}")


def measure_calls(call: Callable[[], object], seconds: float) -> tuple[int, list[float]]:
    """timeit-style: calibrate a loop count, then time SCORE_BATCHES batches (gc off).

    Returns the loop count and each batch's calls per second.
    """
    timer = timeit.Timer(stmt=call, timer=time.perf_counter)
    per_batch = seconds / SCORE_BATCHES
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= min(0.02, per_batch):
            break
        number *= 10 if elapsed < 0.002 else 2
    number = max(1, round(number * per_batch / elapsed))
    return number, [number / t for t in timer.repeat(repeat=SCORE_BATCHES, number=number)]


def bench_scoring(seconds: float) -> list[ScoreFigure]:
    figures = []
    for instrument_id, instrument in INSTRUMENTS.items():
        answers = valid_answers(instrument)
        instrument.score(answers)  # fails loudly if the sample answers are not valid

        def call(instrument: Instrument = instrument, answers: object = answers) -> object:
            return instrument.score(answers)

        loops, rates = measure_calls(call, seconds)
        figures.append(
            ScoreFigure(
                instrument=instrument_id,
                answers=len(answers),
                loops=loops,
                best_per_s=max(rates),
                median_per_s=statistics.median(rates),
            )
        )
        print(f"  scored {instrument_id:<12} {max(rates):>12,.0f} /s", flush=True)
    return figures


# -- 2. check-ins through the service layer ---------------------------------------------


def checkin_data(date: dt.date, key: str, *, sleep_diary: bool = True) -> dict[str, Any]:
    """A realistic daily check-in body (shared with bench_web.py)."""
    responses: dict[str, Any] = {"craving": [4, 1], "sows": [1] * 16}
    if sleep_diary:
        responses["sleep_diary"] = dict(SLEEP_DIARY_ANSWERS)
    return {
        "date": date.isoformat(),
        "idempotency_key": key,
        "doses": [
            {
                "category": "kratom",
                "form": "leaf_powder",
                "amount": "2.5",
                "unit": "g",
                "time": "08:00",
            }
        ],
        "responses": responses,
    }


def count_rows(engine: Engine) -> int:
    tables = (Checkin, InstrumentResponse, DoseLog, AuditEvent, Finding, Alert)
    with engine.connect() as connection:
        return sum(connection.scalar(select(func.count()).select_from(t)) or 0 for t in tables)


def bench_service(url: str, count: int, warmup: int) -> ServiceFigure:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        sessions = make_sessionmaker(engine)
        clock = FixedClock(BENCH_INSTANT)
        total = warmup + count
        persons = -(-total // DAYS_PER_PERSON)  # ceiling: each person gets up to 30 days
        with unit_of_work(sessions, clock) as session:
            clinic = people.create_clinic(session, clock, OPERATOR, "Bench Clinic")
            people.add_account(
                session,
                clock,
                OPERATOR,
                handle="casey",
                display_name="Casey",
                role=Role.CLINICIAN,
                clinic=clinic,
                timezone="America/New_York",
            )
            for number in range(persons):
                people.add_account(
                    session,
                    clock,
                    OPERATOR,
                    handle=f"p{number:05d}",
                    display_name=f"P {number}",
                    role=Role.PERSON,
                    clinic=clinic,
                    timezone="America/New_York",
                    clinician_handles=("casey",),
                )

        def submit(index: int) -> None:
            # Realistic load: one daily check-in per person per day, oldest day first, so the
            # safety engine sees a growing history the way it does in use.
            person, day = divmod(index, DAYS_PER_PERSON)
            date = clock.today() - dt.timedelta(days=DAYS_PER_PERSON - 1 - day)
            data = checkin_data(date, f"bench-{index:08d}")
            with unit_of_work(sessions, clock) as session:
                result = checkins.submit_checkin(
                    session,
                    clock,
                    OPERATOR,
                    CheckinCreate.model_validate(data),
                    person_handle=f"p{person:05d}",
                )
            if not result.created:
                raise RuntimeError(f"check-in {index} was answered as a replay")

        for index in range(warmup):
            submit(index)
        before = count_rows(engine)
        start = time.perf_counter()
        for index in range(warmup, warmup + count):
            submit(index)
        seconds = time.perf_counter() - start
        rows = count_rows(engine) - before
    finally:
        engine.dispose()
    return ServiceFigure(checkins=count, rows=rows, seconds=seconds)


# -- 3. raw driver ceiling ---------------------------------------------------------------


def raw_rows(count: int, date: dt.date) -> list[tuple[int, Any, str]]:
    return [(1, date, RAW_PAYLOAD)] * count


def chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def bench_raw_sqlite(path: Path, count: int) -> RawFigure:
    """sqlite3 with taperline.db.engine's pragmas; explicit BEGIN/COMMIT like the engine."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in (
            "PRAGMA foreign_keys=ON",
            "PRAGMA journal_mode=WAL",
            "PRAGMA busy_timeout=5000",
            "PRAGMA synchronous=NORMAL",
        ):
            connection.execute(pragma)
        for table in ("raw_checkins", "raw_checkins_bulk"):
            connection.execute(
                f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, "
                "checkin_date DATE NOT NULL, payload TEXT NOT NULL)"
            )
        rows = raw_rows(count, BENCH_INSTANT.date().isoformat())
        insert = "INSERT INTO {} (person_id, checkin_date, payload) VALUES (?, ?, ?)"

        start = time.perf_counter()
        for chunk in chunks(rows, ROWS_PER_CHECKIN):
            connection.execute("BEGIN")
            for row in chunk:
                connection.execute(insert.format("raw_checkins"), row)
            connection.execute("COMMIT")
        per_commit = time.perf_counter() - start

        start = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(insert.format("raw_checkins_bulk"), rows)
        connection.execute("COMMIT")
        bulk = time.perf_counter() - start
    finally:
        connection.close()
    return RawFigure(rows=count, per_commit_seconds=per_commit, bulk_seconds=bulk)


def psycopg_conninfo(url: str) -> str:
    parsed = make_url(url)
    params: dict[str, Any] = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
    }
    params.update({k: v for k, v in parsed.query.items() if isinstance(v, str)})
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def bench_raw_postgres(url: str, count: int) -> RawFigure:
    with psycopg.connect(psycopg_conninfo(url)) as connection:
        for table in ("raw_checkins", "raw_checkins_bulk"):
            connection.execute(
                f"CREATE TABLE {table} (id serial PRIMARY KEY, person_id integer NOT NULL, "
                "checkin_date date NOT NULL, payload text NOT NULL)"
            )
        connection.commit()
        rows = raw_rows(count, BENCH_INSTANT.date())
        insert = "INSERT INTO {} (person_id, checkin_date, payload) VALUES (%s, %s, %s)"

        start = time.perf_counter()
        with connection.cursor() as cursor:
            for chunk in chunks(rows, ROWS_PER_CHECKIN):
                for row in chunk:
                    cursor.execute(insert.format("raw_checkins"), row)
                connection.commit()
        per_commit = time.perf_counter() - start

        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.executemany(insert.format("raw_checkins_bulk"), rows)
        connection.commit()
        bulk = time.perf_counter() - start
    return RawFigure(rows=count, per_commit_seconds=per_commit, bulk_seconds=bulk)


# -- backends ----------------------------------------------------------------------------


def run_sqlite(count: int, warmup: int) -> BackendFigures:
    with tempfile.TemporaryDirectory(prefix="taperline-bench-") as folder:
        service = bench_service(f"sqlite:///{Path(folder) / 'service.sqlite3'}", count, warmup)
        print(f"  sqlite service:     {service.checkins_per_s:,.0f} check-ins/s", flush=True)
        raw = bench_raw_sqlite(Path(folder) / "raw.sqlite3", count * ROWS_PER_CHECKIN)
        print(f"  sqlite raw:         {raw.per_commit_rows_per_s:,.0f} rows/s", flush=True)
    server = f"{sqlite3.sqlite_version}; journal_mode=WAL, synchronous=NORMAL"
    return BackendFigures("sqlite", server, service, raw)


@contextmanager
def throwaway_postgres(admin_url: str) -> Iterator[str]:
    """A new database on the server at admin_url, dropped (WITH FORCE) when done."""
    name = f"taperline_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        print(f"  created database {name}", flush=True)
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"  dropped database {name}", flush=True)
    finally:
        admin.dispose()


def run_postgres(admin_url: str, count: int, warmup: int) -> BackendFigures:
    with throwaway_postgres(admin_url) as url:
        with psycopg.connect(psycopg_conninfo(url)) as connection:
            settings = [
                str(row[0]) if (row := connection.execute(f"SHOW {name}").fetchone()) else "?"
                for name in ("server_version", "fsync", "synchronous_commit")
            ]
        server = f"{settings[0]}; fsync={settings[1]}, synchronous_commit={settings[2]}"
        service = bench_service(url, count, warmup)
        print(f"  postgresql service: {service.checkins_per_s:,.0f} check-ins/s", flush=True)
        raw = bench_raw_postgres(url, count * ROWS_PER_CHECKIN)
        print(f"  postgresql raw:     {raw.per_commit_rows_per_s:,.0f} rows/s", flush=True)
    return BackendFigures("postgresql", server, service, raw)


# -- report ------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return indent + "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    return "\n".join(
        [line(headers), indent + "  ".join("-" * w for w in widths)] + [line(r) for r in rows]
    )


def report(
    scores: list[ScoreFigure], backends: list[BackendFigures], args: argparse.Namespace
) -> None:
    print()
    print("=" * 78)
    print(f"taperline {taperline.__version__} core benchmark")
    print("=" * 78)
    facts = [
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("cpu count", str(os.cpu_count())),
        ("platform", platform.platform()),
        ("sqlalchemy / psycopg", f"{sqlalchemy.__version__} / {psycopg.__version__}"),
        *((f"{b.backend}", b.server) for b in backends),
    ]
    print("Machine")
    for label, value in facts:
        print(f"  {label:<22}{value}")

    print()
    print(
        f"Scoring (pure domain; {SCORE_BATCHES} timed batches per instrument, "
        f"~{args.score_seconds:g} s in all, gc off)"
    )
    print(
        table(
            [
                "instrument",
                "answers",
                "loops/batch",
                "best scores/s",
                "median scores/s",
                "µs/score",
            ],
            [
                [
                    s.instrument,
                    str(s.answers),
                    f"{s.loops:,}",
                    f"{s.best_per_s:,.0f}",
                    f"{s.median_per_s:,.0f}",
                    f"{1e6 / s.best_per_s:.2f}",
                ]
                for s in scores
            ],
        )
    )

    print()
    print(
        f"Storage ({args.checkins:,} check-ins, one transaction each, after {args.warmup} "
        "untimed warm-up check-ins;"
    )
    print(f"  raw driver: {args.checkins * ROWS_PER_CHECKIN:,} rows into one plain table)")
    print(
        table(
            ["figure", *(b.backend for b in backends)],
            [
                ["service check-ins/s", *(f"{b.service.checkins_per_s:,.0f}" for b in backends)],
                [
                    "service ms/check-in",
                    *(f"{1e3 / b.service.checkins_per_s:.2f}" for b in backends),
                ],
                [
                    "rows per check-in",
                    *(f"{b.service.rows / b.service.checkins:g}" for b in backends),
                ],
                ["service rows/s", *(f"{b.service.rows_per_s:,.0f}" for b in backends)],
                [
                    f"raw rows/s ({ROWS_PER_CHECKIN} per commit)",
                    *(f"{b.raw.per_commit_rows_per_s:,.0f}" for b in backends),
                ],
                [
                    "raw rows/s (bulk, 1 commit)",
                    *(f"{b.raw.bulk_rows_per_s:,.0f}" for b in backends),
                ],
                [
                    f"service ÷ raw ({ROWS_PER_CHECKIN} per commit)",
                    *(
                        f"{b.service.rows_per_s / b.raw.per_commit_rows_per_s:.3f}"
                        for b in backends
                    ),
                ],
                [
                    "service ÷ raw bulk",
                    *(f"{b.service.rows_per_s / b.raw.bulk_rows_per_s:.4f}" for b in backends),
                ],
            ],
        )
    )
    if not any(b.backend == "postgresql" for b in backends):
        print(f"  (PostgreSQL not measured: pass --postgres URL or set {POSTGRES_ENV})")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkins", type=int, default=2000, help="check-ins to store per backend (default 2000)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(POSTGRES_ENV) or None,
        metavar="URL",
        help=f"SQLAlchemy URL of a PostgreSQL server to create a throwaway database on "
        f"(default: ${POSTGRES_ENV}), e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="untimed check-ins stored first (default 20)"
    )
    parser.add_argument(
        "--score-seconds",
        type=float,
        default=0.5,
        help="time spent timing each instrument (default 0.5)",
    )
    args = parser.parse_args(argv)
    if args.checkins < 1 or args.warmup < 0 or args.score_seconds <= 0:
        parser.error("--checkins must be at least 1, --warmup at least 0, --score-seconds > 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print("Scoring every instrument ...", flush=True)
    scores = bench_scoring(args.score_seconds)
    print(f"Storing {args.checkins:,} check-ins on SQLite ...", flush=True)
    backends = [run_sqlite(args.checkins, args.warmup)]
    if args.postgres:
        print(f"Storing {args.checkins:,} check-ins on PostgreSQL ...", flush=True)
        backends.append(run_postgres(args.postgres, args.checkins, args.warmup))
    report(scores, backends, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
