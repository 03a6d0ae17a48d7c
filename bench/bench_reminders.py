"""Reminder scheduling at scale: plan a day of reminders for N people (default 100,000) and find
the due jobs, on SQLite (default) or PostgreSQL (--database-url).

Seeds a throwaway database by bulk inserts: one clinic, N people in six time zones, each with an
approved taper plan (varied: the demo's plan builder), two clinicians. Then it times

- plan (first): `services.outreach.plan_jobs` over the next 24 hours: every person's timed plan
  items, check-in and missed-check-in check, and the clinicians' digests, queued as jobs;
- plan (again): the same call a minute later, when every job is already queued (what each
  worker pays every minute: dedupe keys make it add nothing);
- claim: `services.jobs.claim` in batches of 100, each job then marked done, until every job
  due in the next 24 hours is taken (the worker's "find due jobs" and bookkeeping, without the
  jobs' own work), with the clock moved to the end of the day;
- reference: inserting the same number of job rows with one executemany and no dedupe check,
  in the same run (the floor any enqueue pays).

Not a test: nothing asserts a speed. Usage:

    .venv/bin/python bench/bench_reminders.py                  # 100,000 people, SQLite
    .venv/bin/python bench/bench_reminders.py --people 10000
    .venv/bin/python bench/bench_reminders.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.engine import Engine

from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import Job, PlanVersion, User
from taperline.demo import _plan as demo_plan
from taperline.demo import _taper as demo_taper
from taperline.domain.access import Actor
from taperline.schemas.plans import PlanInput
from taperline.services import jobs, outreach, people
from taperline.services.uow import unit_of_work

NOW = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
)
GOAL_SECONDS = 60.0  # the worker plans every minute: a full first plan must fit in one


def seed(engine: Engine, count: int, rng: random.Random) -> None:
    migrate.upgrade(engine)
    clock = FixedClock(NOW)
    operator = Actor.operator("bench")
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        clinic = people.create_clinic(session, clock, operator, "Bench Clinic")
        for handle in ("c1", "c2"):
            people.add_account(
                session, clock, operator, handle=handle, display_name=handle,
                role=people.Role.CLINICIAN, clinic=clinic, timezone="America/New_York",
            )  # fmt: skip
        clinic_id = clinic.id
    users = cast(Table, User.__table__)
    plans = cast(Table, PlanVersion.__table__)
    contents = []
    for _ in range(200):  # 200 distinct tapers, shared round-robin
        begin = NOW.date() - dt.timedelta(days=rng.randrange(60))
        taper = demo_taper(
            begin,
            rng.choice(("8", "10", "12", "15", "20")),
            rng.choice(("0", "2", "4")),
            rng.choice(("0.25", "0.5", "1")),
            rng.choice((7, 10, 14)),
        )
        data = demo_plan(begin, taper=taper)
        contents.append(PlanInput.model_validate(data).model_dump(mode="json"))
    with engine.begin() as connection:
        first = int(connection.scalar(select(func.coalesce(func.max(users.c.id), 0))) or 0) + 1
        for start in range(0, count, 5000):
            ids = range(first + start, first + min(count, start + 5000))
            connection.execute(
                insert(users),
                [
                    {
                        "id": i, "clinic_id": clinic_id, "role": "person", "handle": f"p{i}",
                        "display_name": f"Person {i}", "timezone": ZONES[i % len(ZONES)],
                        "active": True, "created_at": NOW, "failed_logins": 0,
                    }
                    for i in ids
                ],
            )  # fmt: skip
            connection.execute(
                insert(plans),
                [
                    {
                        "person_id": i, "number": 1, "status": "approved",
                        "content": contents[i % len(contents)], "note": "",
                        "created_at": NOW, "approved_at": NOW, "acknowledged": [],
                    }
                    for i in ids
                ],
            )  # fmt: skip
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def timed(label: str, work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a fresh database)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        print(f"Seeding {args.people:,} people with approved plans on {engine.dialect.name} …")
        seed(engine, args.people, random.Random(args.seed))
        sessions = make_sessionmaker(engine)
        clock = FixedClock(NOW)

        def plan() -> int:
            with sessions() as session:
                added = outreach.plan_jobs(session, clock)
                session.commit()
            return added

        print("Timing (one process, wall clock, perf_counter):")
        first_s, added = timed("plan (first)", plan)
        clock.instant = NOW + dt.timedelta(minutes=1)
        again_s, again = timed("plan (again, nothing new)", plan)
        clock.instant = NOW + dt.timedelta(hours=24)

        def claim_all() -> int:
            taken = 0
            with sessions() as session:
                while batch := jobs.claim(session, clock.now(), "bench", limit=100):
                    for job in batch:  # as the worker does, without the job's own work
                        jobs.finish(session, clock, job, "bench")
                    session.commit()
                    taken += len(batch)
            return taken

        claim_s, claimed = timed("claim and finish every due job (batches of 100)", claim_all)
        job_table = cast(Table, Job.__table__)
        with engine.begin() as connection:
            connection.execute(delete(job_table))
        rows = [
            {
                "kind": "reminder", "payload": {"person_id": i, "n": i}, "dedupe_key": None,
                "state": "queued", "run_at": NOW, "attempts": 0, "max_attempts": 8,
                "created_at": NOW,
            }
            for i in range(added)
        ]  # fmt: skip

        def reference() -> None:
            with engine.begin() as connection:
                connection.execute(insert(job_table), rows)

        reference_s, _ = timed("reference: bulk insert of as many job rows", reference)
        engine.dispose()
    figures = {
        "backend": engine.dialect.name,
        "people": args.people,
        "jobs_planned": added,
        "jobs_planned_again": again,
        "jobs_claimed": claimed,
        "plan_first_s": round(first_s, 2),
        "plan_again_s": round(again_s, 2),
        "claim_s": round(claim_s, 2),
        "reference_insert_s": round(reference_s, 2),
        "people_per_s": round(args.people / first_s),
        "goal_s": GOAL_SECONDS,
    }
    print()
    print(
        f"{'figure':<44}{'value':>12}{'goal':>12}{'reference':>12}\n"
        f"{'plan a day, ' + format(args.people, ',') + ' people (s)':<44}{first_s:>12.2f}"
        f"{GOAL_SECONDS:>12.0f}{reference_s:>12.2f}\n"
        f"{'plan again, all queued (s)':<44}{again_s:>12.2f}{GOAL_SECONDS:>12.0f}{'':>12}\n"
        f"{'find, claim and finish the due jobs (s)':<44}{claim_s:>12.2f}{'':>12}{'':>12}\n"
        f"{'jobs planned / claimed':<44}{added:>12,}{'':>12}{claimed:>12,}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
