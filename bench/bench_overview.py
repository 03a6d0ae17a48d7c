"""The clinic overview at scale: Polars (what Taperline runs) against a plain-pandas version.

Seeds a throwaway SQLite database with one clinic of N people (default 10,000) by direct bulk
inserts: staggered starts over the last 180 days, daily check-ins with SOWS and a sleep diary
while each person stays, approved taper plans for most, and some alerts. Then it times

- load: `services.clinic_overview.overview_frames` (the SQL queries, plan parsing for the phase, and
  building the Polars frames),
- Polars: `domain.progress.overview.compute` on those frames,
- pandas: the same definitions written with pandas on the same data (converted beforehand,
  not timed),

checks that both give the same numbers, and prints the figures. Not a test: nothing here
asserts a speed. Usage:

    .venv/bin/python bench/bench_overview.py               # 10,000 people
    .venv/bin/python bench/bench_overview.py --people 2000 --repeat 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.demo import _plan as demo_plan
from taperline.demo import _taper as demo_taper
from taperline.domain.access import Actor
from taperline.domain.progress import overview
from taperline.schemas.plans import PlanInput
from taperline.services import clinic_overview, people
from taperline.services.uow import unit_of_work

TODAY = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
HISTORY_DAYS = 180


def seed(url: str, path: Path, count: int, rng: random.Random) -> tuple[int, dict[str, int]]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    clock = FixedClock(NOW)
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        clinic = people.create_clinic(session, clock, Actor.operator("bench"), "Bench Clinic")
        clinic_id = clinic.id
    engine.dispose()

    now = NOW.isoformat(sep=" ")
    connection = sqlite3.connect(path)
    connection.executemany(
        "INSERT INTO users (id, clinic_id, role, handle, display_name, timezone, active, "
        "created_at, failed_logins) VALUES (?, ?, 'person', ?, ?, 'UTC', 1, ?, 0)",
        [(i, clinic_id, f"p{i}", f"Person {i}", now) for i in range(1, count + 1)],
    )
    plans_rows, checkin_rows, response_rows, alert_rows = [], [], [], []
    checkin_id = 0
    for person in range(1, count + 1):
        start = TODAY - dt.timedelta(days=rng.randrange(HISTORY_DAYS))
        stays = int(rng.expovariate(1 / 70)) + 1  # days until they stop checking in
        if rng.random() < 0.8:
            # varied tapers, so no two people need share a schedule
            begin = start + dt.timedelta(days=rng.randrange(14))
            taper = demo_taper(
                begin,
                rng.choice(("8", "10", "12", "15", "20", "24")),
                rng.choice(("0", "2", "4")),
                rng.choice(("0.25", "0.5", "0.75", "1")),
                rng.choice((7, 10, 14)),
            )
            data = demo_plan(begin, taper=taper)
            content = PlanInput.model_validate(data).model_dump(mode="json")
            plans_rows.append((person, json.dumps(content), now, now))
        base_sows = rng.uniform(6, 20)
        base_se = rng.uniform(65, 88)
        for offset in range(min(stays, (TODAY - start).days + 1)):
            if rng.random() > 0.8:
                continue
            date = (start + dt.timedelta(days=offset)).isoformat()
            checkin_id += 1
            checkin_rows.append((checkin_id, person, date, f"b{checkin_id}", now))
            sows = max(0, round(rng.gauss(base_sows - offset * 0.05, 3)))
            efficiency = round(min(99.0, max(30.0, rng.gauss(base_se + offset * 0.05, 5))), 1)
            response_rows.append((checkin_id, "sows", sows, "{}", now))
            response_rows.append(
                (checkin_id, "sleep_diary", None, json.dumps({"sleep_efficiency": efficiency}), now)
            )
            if rng.random() < 0.02:
                alert_rows.append(
                    (
                        person,
                        f"bench.rule{rng.randrange(5)}",
                        date,
                        "urgent" if rng.random() < 0.1 else "warning",
                        rng.choice(("open", "acknowledged", "resolved")),
                        now,
                    )
                )
    connection.executemany(
        "INSERT INTO plan_versions (person_id, number, status, content, note, created_at, "
        "approved_at, acknowledged) VALUES (?, 1, 'approved', ?, '', ?, ?, '[]')",
        plans_rows,
    )
    connection.executemany(
        "INSERT INTO checkins (id, person_id, kind, checkin_date, payload_hash, note, red_flags, "
        "used_non_prescribed_opioids, activities, created_at) "
        "VALUES (?, ?, 'daily', ?, ?, '', '[]', 0, '{}', ?)",
        checkin_rows,
    )
    connection.executemany(
        "INSERT INTO instrument_responses (checkin_id, instrument_id, instrument_version, "
        "answers, total, metrics, flags, created_at) VALUES (?, ?, 'bench', '{}', ?, ?, '[]', ?)",
        response_rows,
    )
    connection.executemany(
        "INSERT OR IGNORE INTO alerts (person_id, rule_id, day, severity, title, "
        "clinician_message, involved, status, acknowledged_note, resolved_note, created_at) "
        "VALUES (?, ?, ?, ?, 'Bench alert', '', '[]', ?, '', '', ?)",
        alert_rows,
    )
    connection.commit()
    connection.close()
    return clinic_id, {
        "people": count,
        "approved plans": len(plans_rows),
        "check-ins": len(checkin_rows),
        "responses": len(response_rows),
        "alerts": len(alert_rows),
    }


def pandas_overview(
    people_df: pd.DataFrame,
    checkins: pd.DataFrame,
    scores: pd.DataFrame,
    alerts: pd.DataFrame,
    today: dt.date,
) -> dict[str, Any]:
    """The same definitions as `domain.progress.overview.compute`, in plain pandas."""
    stamp = pd.Timestamp(today)
    counts = people_df.groupby("phase").size()
    phases = {phase.value: int(counts.get(phase.value, 0)) for phase in overview.Phase}
    spans = checkins.groupby("person_id")["date"].agg(["min", "max"])
    retention = []
    for days in overview.RETENTION_DAYS:
        eligible = spans[spans["min"] <= stamp - pd.Timedelta(days=days)]
        retained = int(((eligible["max"] - eligible["min"]).dt.days >= days).sum())
        retention.append((days, len(eligible), retained))
    window = pd.Timedelta(days=overview.WINDOW_DAYS - 1)
    grouped = scores.groupby(["person_id", "metric"])["date"]
    scores = scores.assign(first=grouped.transform("min"), last=grouped.transform("max"))
    scores = scores[scores["last"] - window > scores["first"] + window]
    base = (
        scores[scores["date"] <= scores["first"] + window]
        .groupby(["person_id", "metric"])["value"]
        .mean()
    )
    late = (
        scores[scores["date"] >= scores["last"] - window]
        .groupby(["person_id", "metric"])["value"]
        .mean()
    )
    change = (late - base).groupby(level="metric")
    medians = change.median()
    people_counts = change.size()
    changes = [
        (
            metric,
            int(people_counts.get(metric, 0)),
            None if metric not in medians.index else round(float(medians[metric]), 2),
        )
        for metric in ("sows", "sleep_efficiency")
    ]
    since = stamp - pd.Timedelta(days=overview.ALERT_DAYS - 1)
    raised = alerts[alerts["day"] >= since].groupby("severity").size()
    open_now = alerts[alerts["status"] == "open"].groupby("severity").size()
    return {
        "people": len(people_df),
        "phases": phases,
        "retention": retention,
        "changes": changes,
        "raised": {s: int(raised.get(s, 0)) for s in ("urgent", "warning")},
        "open": {s: int(open_now.get(s, 0)) for s in ("urgent", "warning")},
    }


def as_plain(result: overview.Overview) -> dict[str, Any]:
    return {
        "people": result.people,
        "phases": result.phases,
        "retention": [(r.days, r.eligible, r.retained) for r in result.retention],
        "changes": [(c.metric, c.people, c.median) for c in result.changes],
        "raised": result.alerts_raised,
        "open": result.alerts_open,
    }


def to_pandas(frame: pl.DataFrame, dates: tuple[str, ...]) -> pd.DataFrame:
    data = {name: frame[name].to_list() for name in frame.columns}
    converted = pd.DataFrame(data)
    for name in dates:
        converted[name] = pd.to_datetime(converted[name])
    return converted


def timed(call: Any, repeat: int) -> tuple[Any, list[float]]:
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return result, times


def show(label: str, times: list[float]) -> None:
    print(
        f"  {label:<34} median {statistics.median(times) * 1000:9.1f} ms   "
        f"best {min(times) * 1000:9.1f} ms   ({len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "overview.db"
        url = f"sqlite:///{path}"
        started = time.perf_counter()
        clinic_id, sizes = seed(url, path, options.people, random.Random(options.seed))
        print(
            f"Seeded in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{v:,} {k}" for k, v in sizes.items())
        )
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with factory() as session:
            frames, load = timed(
                lambda: clinic_overview.overview_frames(session, clinic_id, TODAY), options.repeat
            )
        engine.dispose()
        polars_result, polars_times = timed(
            lambda: overview.compute(*frames, TODAY), options.repeat
        )
        converted = (
            to_pandas(frames[0], ()),
            to_pandas(frames[1], ("date",)),
            to_pandas(frames[2], ("date",)),
            to_pandas(frames[3], ("day",)),
        )
        pandas_result, pandas_times = timed(
            lambda: pandas_overview(*converted, TODAY), options.repeat
        )
    same = as_plain(polars_result) == pandas_result
    print(f"Clinic overview over {options.people:,} people:")
    show("load (SQL + phases + frames)", load)
    show("compute, Polars", polars_times)
    show("compute, pandas", pandas_times)
    ratio = statistics.median(pandas_times) / statistics.median(polars_times)
    print(f"  pandas / Polars (median): {ratio:.1f}x")
    print(f"  Both give the same numbers: {'yes' if same else 'NO'}")
    print(f"  {json.dumps(as_plain(polars_result), default=str)}")
    if not same:
        print(f"  pandas: {json.dumps(pandas_result, default=str)}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
