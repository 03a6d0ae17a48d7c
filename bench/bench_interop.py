"""Interop exports at scale, each beside a plain reference measured in the same run.

Seeds a throwaway SQLite clinic with bench_overview's seeder (N people, staggered over 180
days, daily check-ins with SOWS and a sleep diary, plans, alerts; direct bulk inserts), fills
in whole records with records.fill (every SOWS item, a full sleep diary and its metrics, one to
three doses per check-in, activities), then times:

- FHIR bulk export (`services.fhir.export_clinic`: read, build and validate every resource
  with fhir.resources, write NDJSON), against a plain loop that only constructs and validates
  one fhir.resources Observation per stored score (no reading, no writing);
  goal (issue 21): bulk export at least 3x that loop's resources/s;
- research export (`services.research.export`, CSV), against a plain pandas export that reads
  the same tables with `pandas.read_sql` and writes CSV without de-identifying (CSV for both:
  pandas has no Parquet engine here, as pyarrow is not installed);
  goal: at least 10x pandas' rows/s.

Not a test: nothing here asserts a speed. Usage:

    .venv/bin/python bench/bench_interop.py                 # 1,000 people
    .venv/bin/python bench/bench_interop.py --people 10000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from fhir.resources.R4B.observation import Observation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_overview import NOW, seed  # noqa: E402
from records import fill  # noqa: E402
from taperline.clock import FixedClock  # noqa: E402
from taperline.db.engine import make_engine, make_sessionmaker  # noqa: E402
from taperline.domain.access import Actor  # noqa: E402
from taperline.services import fhir, research  # noqa: E402
from taperline.services.uow import unit_of_work  # noqa: E402

KEY = b"bench-research-key-of-at-least-32-chars"


def plain_fhir_loop(path: Path) -> tuple[int, float]:
    """Construct and validate one Observation per stored score: the library's own cost."""
    rows = (
        sqlite3.connect(path)
        .execute(
            "SELECT r.id, r.total, c.checkin_date FROM instrument_responses r "
            "JOIN checkins c ON c.id = r.checkin_id WHERE r.total IS NOT NULL"
        )
        .fetchall()
    )
    started = time.perf_counter()
    for response_id, total, day in rows:
        Observation.model_validate(
            {
                "resourceType": "Observation",
                "id": f"obs-{response_id}",
                "status": "final",
                "code": {"text": "total"},
                "subject": {"reference": "Patient/p"},
                "effectiveDateTime": str(day),
                "valueInteger": total,
            }  # fmt: skip
        )
    return len(rows), time.perf_counter() - started


def plain_pandas_export(path: Path, out: Path) -> tuple[int, float]:
    out.mkdir()
    started = time.perf_counter()
    rows = 0
    with sqlite3.connect(path) as connection:
        for table in ("users", "plan_versions", "checkins", "dose_logs", "instrument_responses",
                      "alerts"):  # fmt: skip
            # sqlite3 gives JSON columns as text: nothing to convert per cell
            frame = pd.read_sql(f"SELECT * FROM {table}", connection)  # noqa: S608
            frame.to_csv(out / f"{table}.csv", index=False)
            rows += len(frame)
    return rows, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        path = folder / "interop.db"
        url = f"sqlite:///{path}"
        started = time.perf_counter()
        rng = random.Random(options.seed)
        _clinic, sizes = seed(url, path, options.people, rng)
        sizes |= fill(path, rng)
        print(f"Seeded {options.people:,} people in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))  # fmt: skip
        engine = make_engine(url)
        clock = FixedClock(NOW)
        operator = Actor.operator("bench")
        with unit_of_work(make_sessionmaker(engine), clock) as session:
            started = time.perf_counter()
            counts = fhir.export_clinic(session, clock, operator, folder / "bulk")
            bulk_seconds = time.perf_counter() - started
        resources = sum(counts.values())
        loop_count, loop_seconds = plain_fhir_loop(path)
        with unit_of_work(make_sessionmaker(engine), clock) as session:
            started = time.perf_counter()
            done = research.export(session, clock, operator, folder / "research", key=KEY,
                                   fmt="csv")  # fmt: skip
            research_seconds = time.perf_counter() - started
        research_rows = sum(done.rows.values())
        pandas_rows, pandas_seconds = plain_pandas_export(path, folder / "pandas")
        engine.dispose()
    bulk_rate, loop_rate = resources / bulk_seconds, loop_count / loop_seconds
    research_rate, pandas_rate = research_rows / research_seconds, pandas_rows / pandas_seconds
    print(f"FHIR bulk export: {resources:,} resources in {bulk_seconds:.1f} s = "
          f"{bulk_rate:,.0f}/s")  # fmt: skip
    print(f"  reference, construct+validate one Observation per score: {loop_rate:,.0f}/s")
    print(f"  ratio {bulk_rate / loop_rate:.2f}x (goal: at least 3x)")
    print(
        f"Research export: {research_rows:,} rows in {research_seconds:.1f} s = "
        f"{research_rate:,.0f}/s"
    )
    print(f"  reference, pandas read_sql + to_csv, no de-identification: {pandas_rate:,.0f}/s")
    print(f"  ratio {research_rate / pandas_rate:.2f}x (goal: at least 10x)")


if __name__ == "__main__":
    main()
