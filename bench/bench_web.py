"""Benchmark Taperline's web stack on a seeded clinic: pages, API and check-ins over real HTTP.

This prints figures; it checks nothing about speed (the goal lines only say how the figures
compare). Run from the repository root:

    .venv/bin/python bench/bench_web.py [--people N] [--days D] [--postgres URL]

A clinic of N people with D days of check-ins each is bulk-inserted into a fresh database,
the real app is served by uvicorn on 127.0.0.1, and httpx drives it with 16 concurrent
connections. GET /healthz is measured in the same run as the reference. See bench/README.md.

In parts: web_seed.py (the clinic), web_server.py (serving it), web_load.py (driving it);
this file holds the backends, the report and the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import fastapi
import httpx
import sqlalchemy
import uvicorn
from sqlalchemy import create_engine

import figures as figs
import taperline
from bench_core import table, throwaway_postgres
from taperline.db.engine import make_engine
from web_load import WebFigures, measure, measure_wrk
from web_seed import (
    GOAL_CASELOAD_FACTOR,
    GOAL_CHECKIN_P99_MS,
    GOAL_CHECKIN_RATIO,
    POSTGRES_ENV,
    WRK_CHECKINS_PER_S_CAP,
    WRK_THREADS,
    Seeded,
    seed,
)
from web_server import serve, serve_command, server_errors

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
    figs.add_option(parser)
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
    figs.write(args.json, as_figures(args, server, web))
    return 0


def as_figures(args: argparse.Namespace, server: str, web: WebFigures) -> list[figs.Figure]:
    """Check-ins/s with this many processes: bench/run divides N=2's by N=1's."""
    processes = args.workers or 1
    database = "PostgreSQL" if args.postgres else "SQLite"
    return [
        figs.Figure(
            "4 scale-out",
            f"check-ins/s, {processes} process{'es' if processes > 1 else ''}, {database}",
            web.checkins.per_s,
            "check-ins/s",
            "",
            None if web.checkins.non_2xx == 0 else False,
            f"GET /healthz in the same run: {web.hello.per_s:,.0f} req/s",
            f"bench_web: {args.people:,} people × {args.days} days, {server_text(args)}, "
            f"{client_text(args)}; {server}",
        )
    ]


if __name__ == "__main__":
    sys.exit(main())
