"""The caseload and the clinic overview pages: p95, unloaded and with check-ins beside (issue 19,
goal 3). This prints figures; it checks nothing (the goal lines only compare).

Goals: a clinician's caseload of 300 people p95 ≤ 50 ms; the clinic overview of 10,000 people
p95 ≤ 250 ms; both unloaded and with 50 check-ins/s running beside.

How it measures. A clinic of N people × D days is bulk-inserted (web_seed.py), the bench
clinician `c001` caring for 300 of them, plus an admin `ada`. The worker's overview refresh
(`clinic_overview.refresh_all` on read-only connections, as `taperline worker` runs it every
planning period) is timed once, in this process. Then the real app runs under uvicorn in a child
process (web_server.py) and each page is requested on a fixed schedule (open loop, latency from
each request's due time, bench_latency.open_loop) through a cookie login, first alone and then
with `POST /api/v1/people/{h}/checkins` at the check-in rate on the same schedule beside it.
`GET /healthz` under the same schedules is the reference in the same run.

    .venv/bin/python bench/bench_pages.py                              # 10,000 × 180, 300
    .venv/bin/python bench/bench_pages.py --people 1000 --days 30 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

import figures as figs
from bench_core import checkin_data
from bench_latency import Run, Send, open_loop
from taperline.clock import FixedClock
from taperline.db.engine import make_engine, make_sessionmaker, reader_sessions
from taperline.domain.types import Role
from taperline.services import accounts, clinic_overview, people
from taperline.services.uow import unit_of_work
from web_seed import BENCH_INSTANT, OPERATOR, PASSWORD, Seeded, seed, web_settings
from web_server import serve, server_errors

GOAL_CASELOAD_MS = 50.0
GOAL_OVERVIEW_MS = 250.0
ADMIN = "ada"


@dataclass(frozen=True, slots=True)
class Pages:
    refresh_s: float  # the worker's overview refresh, this process
    unloaded: dict[str, Run]
    loaded: dict[str, Run]  # the page runs with check-ins beside; "check-ins" is those
    caseload_rows: int  # of the caseload's handles, how many the page listed
    overview_people: int | None  # the people count the overview page showed


def add_admin(url: str) -> None:
    engine = make_engine(url)
    clock = FixedClock(BENCH_INSTANT)
    try:
        with unit_of_work(make_sessionmaker(engine), clock) as session:
            clinic = people.find_clinic(session, "Bench Clinic")
            user = people.add_account(session, clock, OPERATOR, handle=ADMIN,
                                      display_name="Ada Admin", role=Role.ADMIN, clinic=clinic,
                                      timezone="UTC")  # fmt: skip
            accounts.set_password(session, clock, web_settings(url), user, PASSWORD, OPERATOR)
    finally:
        engine.dispose()


def refresh_overview(url: str) -> float:
    """Seconds for the worker's overview job at BENCH_INSTANT (the served clock), computed on
    read-only connections; the snapshot it keeps is what the served page then reads."""
    engine = make_engine(url)
    readers = reader_sessions(url)
    assert readers is not None
    try:
        began = time.perf_counter()
        with unit_of_work(make_sessionmaker(engine), FixedClock(BENCH_INSTANT)) as session:
            with readers() as reading:
                clinic_overview.refresh_all(session, BENCH_INSTANT, reading=reading)
        return time.perf_counter() - began
    finally:
        engine.dispose()


async def log_in(client: httpx.AsyncClient, handle: str) -> None:
    form = await client.get("/login")
    found = re.search(r'name="prelogin" value="([^"]+)"', form.text)
    if form.status_code != 200 or not found:
        raise RuntimeError(f"GET /login answered {form.status_code} without a prelogin value")
    answer = await client.post("/login", data={"handle": handle, "password": PASSWORD,
                                               "prelogin": found.group(1), "next": ""})  # fmt: skip
    if answer.status_code != 303:
        raise RuntimeError(f"POST /login as {handle} answered {answer.status_code}")


def getter(path: str) -> Send:
    async def send(client: httpx.AsyncClient, _index: int) -> httpx.Response:
        return await client.get(path)

    return send


async def measure(
    base_url: str, seeded: Seeded, args: argparse.Namespace, refresh_s: float
) -> Pages:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    timeout = httpx.Timeout(60.0)
    caseload, run_key = seeded.caseload, uuid.uuid4().hex[:8]

    async def post_checkin(client: httpx.AsyncClient, index: int) -> httpx.Response:
        slot, who = divmod(index, len(caseload))  # person by person, then the next day
        date = seeded.last_bench_day + dt.timedelta(days=slot + 1)
        return await client.post(
            f"/api/v1/people/{caseload[who]}/checkins",
            json=checkin_data(date, f"pages-{run_key}-{index:08d}", sleep_diary=False),
        )

    def client(**kw: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout, **kw)  # type: ignore[arg-type]

    bearer = {"Authorization": f"Bearer {seeded.token}"}
    async with (
        client() as clinician,
        client() as admin,
        client() as plain,
        client(headers=bearer) as api,
    ):
        await log_in(clinician, seeded.clinician)
        await log_in(admin, ADMIN)
        pages = {
            "GET /healthz (reference)": (plain, getter("/healthz")),
            "GET /caseload (300)": (clinician, getter("/caseload")),
            "GET /clinic/overview": (admin, getter("/clinic/overview")),
        }
        rate, seconds = args.page_rate, args.seconds
        for who, send in pages.values():  # warm every path and connection, untimed
            await open_loop("warm-up", who, send, rate=rate, seconds=args.warmup_seconds, first=0)
        print("Alone:", flush=True)
        unloaded = {
            name: await open_loop(name, who, send, rate=rate, seconds=seconds, first=0)
            for name, (who, send) in pages.items()
        }
        print(f"With {args.checkin_rate:.0f} check-ins/s beside:", flush=True)
        loaded: dict[str, Run] = {}
        used = 0
        for name, (who, send) in pages.items():
            page, posted = await asyncio.gather(
                open_loop(name, who, send, rate=rate, seconds=seconds, first=0),
                open_loop(
                    "  POST check-ins beside",
                    api,
                    post_checkin,
                    rate=args.checkin_rate,
                    seconds=seconds,
                    first=used,
                ),  # fmt: skip
            )
            used += len(posted.latencies)
            loaded[name] = page
            loaded[f"check-ins beside {name}"] = posted
        shown = (await clinician.get("/caseload")).text
        overview = (await admin.get("/clinic/overview")).text
    rows = sum(handle in shown for handle in caseload)
    found = re.search(r"([\d,]+) people in recovery", overview)
    return Pages(
        refresh_s=refresh_s,
        unloaded=unloaded,
        loaded=loaded,
        caseload_rows=rows,
        overview_people=int(found.group(1).replace(",", "")) if found else None,
    )


def verdict(run: Run, goal: float) -> str:
    return "met" if run.pct(95) <= goal and not run.non_2xx else "not met"


def report(result: Pages, seeded: Seeded, args: argparse.Namespace, errors: int) -> None:
    print()
    print(f"Data: {args.people:,} people × {args.days} days (seeded rows: {seeded.rows}).")
    print("Server: one uvicorn process (child of this one), SQLite; client: httpx, open loop,")
    print(f"pages at {args.page_rate:g}/s for {args.seconds:g} s each, latency from each")
    print("request's due time; this machine's CPUs are shared by client and server.")
    print(f"Caseload page lists {result.caseload_rows} of {len(seeded.caseload)} handles; the")
    print(f"overview page counts {result.overview_people} people.")
    print(
        f"Worker's overview refresh (read-only connections; writer held for the upsert only): "
        f"{result.refresh_s:.2f} s per planning period for this clinic"
    )
    goals = {"GET /caseload (300)": GOAL_CASELOAD_MS, "GET /clinic/overview": GOAL_OVERVIEW_MS}
    hello_alone = result.unloaded["GET /healthz (reference)"]
    hello_loaded = result.loaded["GET /healthz (reference)"]
    for name, goal in goals.items():
        alone, beside = result.unloaded[name], result.loaded[name]
        checkins = result.loaded[f"check-ins beside {name}"]
        print(
            f"{name}: p95 alone {alone.pct(95):.1f} ms ({verdict(alone, goal)}), with "
            f"{args.checkin_rate:g} check-ins/s beside {beside.pct(95):.1f} ms "
            f"({verdict(beside, goal)}); goal p95 ≤ {goal:.0f} ms"
        )
        print(
            f"  the check-ins beside it: p50 {checkins.pct(50):.1f} ms, p99 {checkins.pct(99):.1f}"
            f" ms, non-2xx {checkins.non_2xx}"
        )
    print(
        f"  reference, GET /healthz on the same schedule: p95 {hello_alone.pct(95):.1f} ms alone,"
        f" {hello_loaded.pct(95):.1f} ms with check-ins beside"
    )
    print(f"  server exceptions logged: {errors}")


def as_figures(result: Pages, args: argparse.Namespace) -> list[figs.Figure]:
    how = (
        f"bench_pages: {args.people:,} people × {args.days} days, one uvicorn process on "
        f"SQLite, httpx open loop, {args.page_rate:g} views/s for {args.seconds:g} s"
    )
    goals = {"GET /caseload (300)": GOAL_CASELOAD_MS, "GET /clinic/overview": GOAL_OVERVIEW_MS}
    found = []
    for name, goal in goals.items():
        for label, runs in (("alone", result.unloaded), ("with check-ins beside", result.loaded)):
            run, hello = runs[name], runs["GET /healthz (reference)"]
            beside = f", {args.checkin_rate:g} check-ins/s beside" if runs is result.loaded else ""
            found.append(figs.Figure(
                "3 caseload and overview", f"{name} p95, {label}", run.pct(95), "ms",
                f"≤ {goal:g} ms", verdict(run, goal) == "met",
                f"GET /healthz on the same schedule: p95 {hello.pct(95):.1f} ms", how + beside,
            ))  # fmt: skip
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--caseload", type=int, default=300, help="the bench clinician's (300)")
    parser.add_argument("--page-rate", type=float, default=5.0, help="page views/s (5)")
    parser.add_argument("--checkin-rate", type=float, default=50.0, help="check-ins/s beside (50)")
    parser.add_argument("--seconds", type=float, default=40.0, help="each timed run (40)")
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    figs.add_option(parser)
    args = parser.parse_args()
    args.postgres = None
    args.caseload = min(args.caseload, args.people)
    args.clinicians = -(-args.people // args.caseload)
    posts = args.checkin_rate * args.seconds * 3
    post_days = int(-(-posts // args.caseload)) + 1
    with tempfile.TemporaryDirectory(prefix="taperline-pages-") as folder:
        url = f"sqlite:///{Path(folder) / 'pages.db'}"
        print(f"Seeding {args.people:,} people × {args.days} days ...", flush=True)
        engine = make_engine(url)
        try:
            seeded = seed(engine, args, post_days)
        finally:
            engine.dispose()
        add_admin(url)
        refresh_s = refresh_overview(url)
        print(f"  overview snapshot refreshed in {refresh_s:.2f} s", flush=True)
        log_file = Path(folder) / "uvicorn.log"
        with serve(url, log_file, process=True) as base_url:
            result = asyncio.run(measure(base_url, seeded, args, refresh_s))
        errors, _kinds = server_errors(log_file)
    report(result, seeded, args, errors)
    figs.write(args.json, as_figures(result, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
