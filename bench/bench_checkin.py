"""What one check-in costs the server: CPU time and SQL statements, through the service layer
(`services.checkins.submit_checkin` in its own unit of work, as a request runs it), with a
profile of where the time goes. Issue 19's goal: at most 2 ms of CPU and at most 6 SQL
statements per check-in, on SQLite and PostgreSQL.

The clinic: P people with an approved kratom taper and a clinician, each checking in once a
day for 30 days, oldest day first (so the trend rules read a growing history), with SOWS,
craving, a sleep diary and one dose, as bench_core's check-in body. The reference, in the
same run: the same check-in's rows (one check-in, three responses, one dose) inserted with the
same engine's plain Core INSERTs in one transaction, nothing else.

CPU is time.process_time() around the submits (this process only: SQLite works in it; with
PostgreSQL the server's own CPU is not counted and is said so). Statements are counted with
SQLAlchemy's before_cursor_execute event (an executemany counts once).

Not a test: nothing here asserts a speed. Usage:

    .venv/bin/python bench/bench_checkin.py                          # SQLite, 600 check-ins
    .venv/bin/python bench/bench_checkin.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/bench_checkin.py --profile bench/profiles/checkin-sqlite.txt
    py-spy record -o bench/profiles/checkin-sqlite.svg -- .venv/bin/python bench/bench_checkin.py
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
import figures as figs  # noqa: E402
from bench_core import checkin_data, throwaway_postgres  # noqa: E402
from taperline.clock import FixedClock  # noqa: E402
from taperline.db import migrate  # noqa: E402
from taperline.db.engine import make_engine, make_sessionmaker  # noqa: E402
from taperline.db.models import Checkin, DoseLog, InstrumentResponse  # noqa: E402
from taperline.domain.access import Actor  # noqa: E402
from taperline.domain.types import Role  # noqa: E402
from taperline.schemas.checkins import CheckinCreate  # noqa: E402
from taperline.schemas.plans import PlanInput  # noqa: E402
from taperline.services import checkins, people, plans  # noqa: E402
from taperline.services.uow import unit_of_work  # noqa: E402
from web_seed import bench_plan  # noqa: E402

NOW = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)
DAYS = 30
GOAL_CPU_MS = 2.0
GOAL_STATEMENTS = 6
OPERATOR = Actor.operator("bench")


class Statements:
    """SQL statements sent, by their first word and table."""

    def __init__(self, engine: Engine) -> None:
        self.counts: Counter[str] = Counter()
        self.on = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if self.on:
            self.counts[_kind(statement)] += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.on = True
        try:
            yield
        finally:
            self.on = False


def _kind(statement: str) -> str:
    """ "INSERT checkins"; a SELECT names every table it reads, subqueries and joins included."""
    text = " ".join(statement.split())
    verb = text.split(" ", 1)[0].upper()
    if verb == "SELECT":
        found = re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", text, re.IGNORECASE)
        return f"SELECT {' + '.join(dict.fromkeys(found))}".strip()
    table = re.search(r"\b(?:INTO|UPDATE)\s+\"?(\w+)", text, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else ''}".strip()


def seed(engine: Engine, people_count: int) -> None:
    clock = FixedClock(NOW)
    sessions = make_sessionmaker(engine)
    first = clock.today() - dt.timedelta(days=DAYS + 7)
    with unit_of_work(sessions, clock) as session:
        clinic = people.create_clinic(session, clock, OPERATOR, "Bench Clinic")
        people.add_account(session, clock, OPERATOR, handle="casey", display_name="Casey",
                           role=Role.CLINICIAN, clinic=clinic,
                           timezone="America/New_York")  # fmt: skip
        for number in range(people_count):
            people.add_account(
                session, clock, OPERATOR, handle=f"p{number:05d}", display_name=f"P {number}",
                role=Role.PERSON, clinic=clinic, timezone="America/New_York",
                clinician_handles=("casey",),
            )  # fmt: skip
    with unit_of_work(sessions, clock) as session:
        from taperline.services.people import find_user

        clinician = find_user(session, "casey")
        casey = Actor(label="casey", source="bench", user_id=clinician.id,
                      role=Role.CLINICIAN, clinic_id=clinician.clinic_id)  # fmt: skip
        for number in range(people_count):
            plan = PlanInput.model_validate(bench_plan(first))
            draft = plans.draft(session, clock, casey, f"p{number:05d}", plan)
            plans.approve(session, clock, casey, f"p{number:05d}", draft.number,
                          list(draft.review.needs_acknowledging))  # fmt: skip


def run(url: str, people_count: int, backend: str, profile: Path | None) -> dict[str, Any]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    seed(engine, people_count)
    sessions = make_sessionmaker(engine)
    clock = FixedClock(NOW)
    statements = Statements(engine)

    def submit(index: int) -> None:
        person, day = divmod(index, DAYS)
        date = clock.today() - dt.timedelta(days=DAYS - 1 - day)
        body = CheckinCreate.model_validate(checkin_data(date, f"bench-{index:08d}"))
        with unit_of_work(sessions, clock) as session:
            done = checkins.submit_checkin(
                session, clock, OPERATOR, body, person_handle=f"p{person:05d}"
            )
        if not done.created:
            raise RuntimeError(f"check-in {index} was answered as a replay")

    total = people_count * DAYS
    warmup = min(DAYS, total // 10)
    for index in range(warmup):
        submit(index)
    # With a profile asked for, the last third is profiled, after the timed part.
    end = total - total // 3 if profile else total
    cpu, wall = time.process_time(), time.perf_counter()
    with statements.counting():
        for index in range(warmup, end):
            submit(index)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    profiler = cProfile.Profile()
    if profile:
        profiler.enable()
        for index in range(end, total):
            submit(index)
        profiler.disable()
    timed = end - warmup
    storage = _storage(engine, total)
    reference = _reference(engine, clock, timed)
    engine.dispose()
    if profile:
        _write_profile(profiler, profile, backend, total - end, 1000 * cpu / timed)
    return {
        "backend": backend,
        "checkins": timed,
        "cpu_ms": 1000 * cpu / timed,
        "wall_ms": 1000 * wall / timed,
        "statements": sum(statements.counts.values()) / timed,
        "by_kind": {k: v / timed for k, v in statements.counts.most_common()},
        "reference_cpu_ms": reference,
        "storage": storage,
    }


GROWING_TABLES = ("checkins", "instrument_responses", "dose_logs", "findings", "audit_events")


def _storage(engine: Engine, checkins: int) -> dict[str, tuple[float, float]]:
    """PostgreSQL: rows and bytes (table, TOAST and indexes) per check-in, for each table a
    check-in adds rows to (after VACUUM ANALYZE; the seeded plans and accounts included in
    audit_events are a few rows). SQLite: not measured (empty)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        found = {}
        for name in GROWING_TABLES:
            connection.exec_driver_sql(f"VACUUM ANALYZE {name}")
            rows = connection.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()  # noqa: S608
            size = connection.exec_driver_sql(  # a partitioned table's bytes are its partitions'
                "SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) "
                "FROM pg_partition_tree(%(t)s)), pg_total_relation_size(%(t)s))",
                {"t": name},
            ).scalar_one()
            found[name] = (rows / checkins, size / checkins)
    return found


def _reference(engine: Engine, clock: FixedClock, count: int) -> float:
    """The same rows, plain INSERTs, one transaction per check-in: CPU ms per check-in."""
    made = {"created_at": clock.now(), "created_by_id": None}
    cpu = time.process_time()
    with engine.connect() as connection:
        person = connection.exec_driver_sql(
            "SELECT min(id) FROM users WHERE role='person'"
        ).scalar()
        for index in range(count):  # autobegun, committed per check-in
            checkin_id = connection.execute(
                insert(Checkin).returning(Checkin.id),
                {"person_id": person, "kind": "daily", "checkin_date": clock.today(),
                 "idempotency_key": f"ref-{index}", "payload_hash": "x" * 64, "note": "",
                 "red_flags": [], "used_non_prescribed_opioids": False, "activities": {},
                 **made},
            ).scalar_one()  # fmt: skip
            connection.execute(
                insert(InstrumentResponse),
                [{"checkin_id": checkin_id, "instrument_id": name, "instrument_version": "1",
                  "answers": {}, "total": 1, "band": None, "positive_screen": None,
                  "metrics": {}, "flags": [], **made}
                 for name in ("craving", "sows", "sleep_diary")],
            )  # fmt: skip
            connection.execute(
                insert(DoseLog),
                {"person_id": person, "checkin_id": checkin_id, "category": "kratom",
                 "form": "leaf_powder", "product": "", "amount_thousandths": 2500, "unit": "g",
                 "taken_on": clock.today(), "taken_time": dt.time(8), **made},
            )  # fmt: skip
            connection.commit()
    return 1000 * (time.process_time() - cpu) / count


def _write_profile(
    profiler: cProfile.Profile, path: Path, backend: str, count: int, cpu_ms: float
) -> None:
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs().sort_stats("cumulative").print_stats(45)
    text.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(30)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"cProfile of {count} check-ins through services.checkins.submit_checkin on {backend}, "
        f"after {cpu_ms:.2f} ms CPU per check-in was measured without the profiler in the same run "
        f"(bench/bench_checkin.py --profile).\n\n"
    )
    path.write_text(header + text.getvalue(), encoding="utf-8")


def report(figures: list[dict[str, Any]]) -> None:
    for f in figures:
        print(f"\n{f['backend']}: {f['checkins']:,} check-ins timed")
        cpu_note = (
            "" if f["backend"] == "SQLite" else " (this process; the server's CPU is not counted)"
        )
        print(f"  CPU per check-in: {f['cpu_ms']:.2f} ms{cpu_note}  (goal ≤ {GOAL_CPU_MS} ms: "
              f"{'met' if f['cpu_ms'] <= GOAL_CPU_MS else 'not met'})")  # fmt: skip
        print(f"  reference, the same rows as plain INSERTs: {f['reference_cpu_ms']:.2f} ms CPU")
        print(f"  wall time per check-in: {f['wall_ms']:.2f} ms")
        print(f"  SQL statements per check-in: {f['statements']:.1f}  (goal ≤ {GOAL_STATEMENTS}: "
              f"{'met' if f['statements'] <= GOAL_STATEMENTS else 'not met'})")  # fmt: skip
        for kind, n in f["by_kind"].items():
            print(f"    {n:5.2f}  {kind}")
        if f["storage"]:
            rows = sum(r for r, _ in f["storage"].values())
            size = sum(b for _, b in f["storage"].values())
            print(f"  storage per check-in: {rows:.1f} rows, {size:,.0f} bytes with indexes "
                  "(pg_total_relation_size, after VACUUM)")  # fmt: skip
            for name, (r, b) in f["storage"].items():
                print(f"    {name:<22} {r:5.2f} rows  {b:7,.0f} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--postgres", help="also on this PostgreSQL (a throwaway database)")
    parser.add_argument("--profile", type=Path, help="write a cProfile summary here (SQLite)")
    figs.add_option(parser)
    options = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'checkin.db'}"
        figures.append(run(url, options.people, "SQLite", options.profile))
    if options.postgres:
        with throwaway_postgres(options.postgres) as url:
            figures.append(run(url, options.people, "PostgreSQL", None))
    report(figures)
    figs.write(options.json, [f for m in figures for f in as_figures(m, options.people)])


def as_figures(run: dict[str, Any], people: int) -> list[figs.Figure]:
    backend = run["backend"]
    reference = f"{run['reference_cpu_ms']:.2f} ms: the same rows as plain INSERTs"
    how = (f"bench_checkin: {people} people × {DAYS} days, {run['checkins']} check-ins through "
           f"submit_checkin, time.process_time of this process")  # fmt: skip
    if backend != "SQLite":
        how += " (the PostgreSQL server's own CPU not counted)"
    return [
        figs.Figure("1 check-in cost", f"CPU per check-in, {backend}", run["cpu_ms"], "ms",
                    f"≤ {GOAL_CPU_MS:g} ms", run["cpu_ms"] <= GOAL_CPU_MS, reference, how),
        figs.Figure("1 check-in cost", f"SQL statements per check-in, {backend}",
                    run["statements"], "", f"≤ {GOAL_STATEMENTS}",
                    run["statements"] <= GOAL_STATEMENTS,
                    "the plain INSERTs: 3 (checkin, responses, dose) and the transaction", how),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
