"""Check-in latency under a constant arrival rate (open loop), one server process, SQLite.

Issue 19, goal 2: at 100 check-ins/s for 10 minutes, p99 < 50 ms; also the highest rate that
keeps p99 < 50 ms. This prints figures; it checks nothing (the goal lines only compare).

How it measures. A clinic of N people with D days of history is bulk-inserted (web_seed.py),
the real app runs under uvicorn in a child process of its own (web_server.py), and this
process sends `POST /api/v1/people/{h}/checkins` on a fixed schedule: request i is due at
t0 + i / rate, whatever happened to the ones before it (open loop, as wrk2 does). Each
latency is taken from the moment the request was *due*, not from when it was sent, so a stall
on either side counts against every request it delays (the correction for coordinated
omission). `GET /healthz` under the same schedule is the reference in the same run.

    .venv/bin/python bench/bench_latency.py                            # 100/s for 600 s
    .venv/bin/python bench/bench_latency.py --seconds 60 --search      # and the highest rate

--search then steps the rate (each step --step-seconds long): up while p99 stays under the
goal, or down, when the timed rate missed it, until it holds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import figures as figs
from bench_core import checkin_data
from taperline.db.engine import make_engine
from web_seed import Seeded, seed
from web_server import serve, server_errors

GOAL_P99_MS = 50.0
GOAL_RATE = 100.0

Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass(slots=True)
class Run:
    name: str
    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)  # s, from each request's due time
    statuses: Counter[int] = field(default_factory=Counter)
    behind_ms: float = 0.0  # how late the client itself sent its most delayed request

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1] * 1e3

    @property
    def non_2xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if not 200 <= s < 300)

    @property
    def held(self) -> bool:
        """p99 under the goal, and every answer a success."""
        return self.pct(99) < GOAL_P99_MS and not self.non_2xx

    def line(self) -> str:
        return (
            f"  {self.name:<24} {self.rate:6.0f}/s × {self.seconds:4.0f} s  "
            f"p50 {self.pct(50):7.1f}  p99 {self.pct(99):7.1f}  p99.9 {self.pct(99.9):7.1f}  "
            f"max {self.pct(100):7.1f} ms  non-2xx {self.non_2xx}  "
            f"client late ≤ {self.behind_ms:.1f} ms"
        )


async def open_loop(
    name: str, client: httpx.AsyncClient, send: Send, *, rate: float, seconds: float, first: int
) -> Run:
    """Send request i at t0 + i / rate (i from 0), each in its own task; time from due."""
    run = Run(name, rate, seconds)
    total = int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()

    async def one(index: int, due: float) -> None:
        try:
            status = (await send(client, first + index)).status_code
        except httpx.TransportError:
            status = 0
        run.latencies.append(time.perf_counter() - due)
        run.statuses[status] += 1

    t0 = time.perf_counter() + 0.05
    for index in range(total):
        due = t0 + index / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            run.behind_ms = max(run.behind_ms, -wait * 1e3)
        task = asyncio.create_task(one(index, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks)
    print(run.line(), flush=True)
    return run


async def measure(base_url: str, seeded: Seeded, args: argparse.Namespace) -> list[Run]:
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    bearer = {"Authorization": f"Bearer {seeded.token}"}
    caseload, run_key = seeded.caseload, uuid.uuid4().hex[:8]

    async def healthz(client: httpx.AsyncClient, _index: int) -> httpx.Response:
        return await client.get("/healthz")

    async def post_checkin(client: httpx.AsyncClient, index: int) -> httpx.Response:
        slot, who = divmod(index, len(caseload))  # person by person, then the next day
        date = seeded.last_bench_day + dt.timedelta(days=slot + 1)
        return await client.post(
            f"/api/v1/people/{caseload[who]}/checkins",
            json=checkin_data(date, f"lat-{run_key}-{index:08d}", sleep_diary=False),
        )

    runs: list[Run] = []
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=httpx.Timeout(60.0), headers=bearer
    ) as client:
        warm = await open_loop(
            "warm-up", client, post_checkin, rate=args.rate, seconds=args.warmup_seconds, first=0
        )
        used = len(warm.latencies)  # check-in indexes used so far (each a distinct day)
        runs.append(
            await open_loop(
                "GET /healthz (reference)",
                client,
                healthz,
                rate=args.rate,
                seconds=min(args.seconds, 60.0),  # the reference needs no ten minutes
                first=0,
            )
        )
        runs.append(
            await open_loop(
                "POST check-ins",
                client,
                post_checkin,
                rate=args.rate,
                seconds=args.seconds,
                first=used,
            )
        )
        used += len(runs[-1].latencies)
        if args.search:
            # Up from the timed rate while p99 holds; down from it when it did not.
            held = runs[-1].held
            rate = args.rate
            while True:
                rate += args.step if held else -args.step
                if rate <= 0:
                    break
                step = await open_loop(
                    "POST check-ins (search)",
                    client,
                    post_checkin,
                    rate=rate,
                    seconds=args.step_seconds,
                    first=used,
                )
                used += len(step.latencies)
                runs.append(step)
                if step.held != held or rate >= args.max_rate:
                    break
    return runs


def report(runs: list[Run], seeded: Seeded, args: argparse.Namespace, errors: int) -> None:
    hello, posted, *search = runs
    print()
    print(f"Data: {args.people:,} people × {args.days} days (seeded rows: {seeded.rows}).")
    print("Server: one uvicorn process (child of this one), SQLite; client: httpx, open loop,")
    print("latency from each request's due time; this machine's CPUs are shared by both.")
    met = posted.held and args.rate >= GOAL_RATE
    verdict = "not met" if not met else "met" if args.seconds >= 600 else "met, in a shorter run"
    print(
        f"Check-ins at {posted.rate:.0f}/s for {posted.seconds:.0f} s: p50 {posted.pct(50):.1f} "
        f"ms, p99 {posted.pct(99):.1f} ms, p99.9 {posted.pct(99.9):.1f} ms "
        f"(goal at 100/s for 600 s: p99 < {GOAL_P99_MS:.0f} ms: {verdict})"
    )
    print(
        f"  reference, GET /healthz at the same rate for {hello.seconds:.0f} s: "
        f"p50 {hello.pct(50):.1f} ms, "
        f"p99 {hello.pct(99):.1f} ms"
    )
    if search:
        kept = [r.rate for r in [posted, *search] if r.held]
        best = max(kept) if kept else 0.0
        print(
            f"  highest rate tried that kept p99 < {GOAL_P99_MS:.0f} ms: {best:.0f} check-ins/s "
            f"(steps of {args.step:.0f}/s, {args.step_seconds:.0f} s each)"
        )
    print(f"  server exceptions logged: {errors}")


def as_figures(runs: list[Run], args: argparse.Namespace) -> list[figs.Figure]:
    hello, posted, *search = runs
    how = (f"bench_latency: {args.people:,} people × {args.days} days, one uvicorn process on "
           f"SQLite, httpx open loop at {posted.rate:g}/s for {posted.seconds:g} s (the goal: "
           f"100/s for 600 s)")  # fmt: skip
    reference = f"GET /healthz at the same rate: p99 {hello.pct(99):.1f} ms"
    found = [
        figs.Figure("2 latency under load", f"check-in p{p:g} at {posted.rate:g}/s",
                    posted.pct(p), "ms", f"< {GOAL_P99_MS:g} ms" if p == 99 else "",
                    (posted.held and args.rate >= GOAL_RATE) if p == 99 else None,
                    reference, how)
        for p in (50, 99, 99.9)
    ]  # fmt: skip
    if search:
        kept = [r.rate for r in [posted, *search] if r.held]
        found.append(figs.Figure("2 latency under load", "highest rate keeping p99 < 50 ms",
                                 max(kept) if kept else 0.0, "check-ins/s", "", None, reference,
                                 f"{how}; then steps of {args.step:g}/s, "
                                 f"{args.step_seconds:g} s each"))  # fmt: skip
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument(
        "--clinicians",
        type=int,
        default=10,
        help="the bench clinician's caseload is people/clinicians; check-ins go to it (default 10)",
    )
    parser.add_argument("--rate", type=float, default=GOAL_RATE, help="check-ins/s (100)")
    parser.add_argument("--seconds", type=float, default=600.0, help="timed run (600)")
    parser.add_argument("--warmup-seconds", type=float, default=10.0)
    parser.add_argument("--search", action="store_true", help="then step the rate up")
    parser.add_argument("--step", type=float, default=50.0, help="rate step (50/s)")
    parser.add_argument("--step-seconds", type=float, default=30.0)
    parser.add_argument("--max-rate", type=float, default=1000.0)
    figs.add_option(parser)
    args = parser.parse_args()
    args.postgres = None
    posts = args.rate * (args.warmup_seconds + args.seconds)
    if args.search:
        steps = int((args.max_rate - args.rate) // args.step) + 1
        posts += sum((args.rate + args.step * (k + 1)) * args.step_seconds for k in range(steps))
    per_clinician = min(-(-args.people // args.clinicians), args.people)
    post_days = int(-(-posts // per_clinician)) + 1
    with tempfile.TemporaryDirectory(prefix="taperline-latency-") as folder:
        url = f"sqlite:///{Path(folder) / 'latency.db'}"
        print(
            f"Seeding {args.people:,} people × {args.days} days "
            f"(+{post_days} days free for the timed check-ins) ...",
            flush=True,
        )
        engine = make_engine(url)
        try:
            seeded = seed(engine, args, post_days)
        finally:
            engine.dispose()
        log_file = Path(folder) / "uvicorn.log"
        with serve(url, log_file, process=True) as base_url:
            runs = asyncio.run(measure(base_url, seeded, args))
        errors, _kinds = server_errors(log_file)
    report(runs, seeded, args, errors)
    figs.write(args.json, as_figures(runs, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
