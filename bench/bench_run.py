"""Every figure of issue 19 in one table: runs the benches one after another (never side by
side: they share this machine's CPUs), each writing its figures as JSON, then prints them with
their goal, their verdict and the reference measured in the same run, and writes them all to
one JSON file. Nothing here asserts a speed.

    bench/run                    # quick: 1,000 people × 30 days, short runs (about 15 minutes)
    bench/run --full             # the issue's sizes: 10,000 people × 180 days, 10-minute runs
    bench/run --postgres URL     # also the check-in on PostgreSQL, and N=1 against N=2 there
    bench/run --only checkin,pages

Each bench's own output goes to a log beside the JSON (--out, default bench/results/).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import figures as figs
from bench_core import table
from taperline.clock import SystemClock
from web_seed import POSTGRES_ENV

HERE = Path(__file__).resolve().parent
SCALE_OUT_GOAL = 0.8  # throughput at N processes ≥ 0.8 × N × that of one


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    script: str
    quick: tuple[str, ...]
    full: tuple[str, ...]
    needs_postgres: bool = False


def steps(postgres: str | None) -> list[Step]:
    pg = ("--postgres", postgres) if postgres else ()
    web = ("--load", "wrk", "--concurrency", "16")
    return [
        Step("checkin", "bench_checkin.py", ("--people", "20", *pg), ("--people", "30", *pg)),
        Step("latency", "bench_latency.py",
             ("--people", "1000", "--days", "30", "--seconds", "30", "--search",
              "--step-seconds", "10", "--max-rate", "400"),
             ("--search",)),
        Step("pages", "bench_pages.py", ("--people", "1000", "--days", "30", "--seconds", "20"),
             ()),
        Step("start", "bench_start.py", ("--people", "1000",), ()),
        *(
            Step(f"web-{n}", "bench_web.py",
                 ("--people", "1000", "--days", "30", "--seconds", "20", "--workers", str(n),
                  *web, *pg),
                 ("--workers", str(n), "--seconds", "60", *web, *pg),
                 needs_postgres=True)
            for n in (1, 2)
        ),
    ]  # fmt: skip


def scale_out(found: list[figs.Figure]) -> list[figs.Figure]:
    """N=2 against N=1, from the two bench_web runs on PostgreSQL."""
    rates = {f.name.split(", ")[1]: f for f in found if f.goal == "4 scale-out"}
    one, two = rates.get("1 process"), rates.get("2 processes")
    if one is None or two is None or not one.value or two.value is None:
        return []
    ratio = two.value / one.value
    return [
        figs.Figure(
            "4 scale-out",
            "throughput at N=2 ÷ N=1",
            ratio,
            "×",
            f"≥ {SCALE_OUT_GOAL * 2:g} (0.8 × N)",
            ratio >= SCALE_OUT_GOAL * 2 and one.met is not False and two.met is not False,
            f"N=1: {one.value:,.0f} check-ins/s, N=2: {two.value:,.0f} check-ins/s",
            two.how,
        )
    ]


def verdict(figure: figs.Figure) -> str:
    if figure.value is None:
        return "not run"
    return {True: "met", False: "NOT MET", None: ""}[figure.met]


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the issue's sizes (hours)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(POSTGRES_ENV) or None,
        metavar="URL",
        help=f"a PostgreSQL server for throwaway databases (default: ${POSTGRES_ENV})",
    )
    parser.add_argument("--only", help="comma-separated steps: checkin,latency,pages,start,web")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="(bench/results)")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    args.out.mkdir(parents=True, exist_ok=True)
    scale = "full" if args.full else "quick"
    found: list[figs.Figure] = []
    skipped: list[str] = []
    for step in steps(args.postgres):
        if wanted is not None and step.name.split("-")[0] not in wanted:
            continue
        if step.needs_postgres and not args.postgres:
            skipped.append(f"{step.name}: needs --postgres URL (or ${POSTGRES_ENV})")
            continue
        if step.needs_postgres and shutil.which("wrk") is None:
            skipped.append(f"{step.name}: needs wrk on the PATH (Debian: apt-get install wrk)")
            continue
        output = args.out / f"{scale}-{step.name}.json"
        log = args.out / f"{scale}-{step.name}.log"
        command = [sys.executable, str(HERE / step.script),
                   *(step.full if args.full else step.quick), "--json", str(output)]  # fmt: skip
        print(f"{step.name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        with log.open("w", encoding="utf-8") as stream:
            done = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT, check=False)
        took = time.perf_counter() - started
        if done.returncode != 0:
            print(f"  failed (exit {done.returncode}) after {took:.0f} s: see {log}")
            skipped.append(f"{step.name}: failed, see {log}")
            continue
        print(f"  {took:.0f} s; its output: {log}", flush=True)
        found.extend(figs.read(output))
    found.extend(scale_out(found))
    found.sort(key=lambda f: f.goal)

    print()
    now = SystemClock().now()
    print(f"Issue 19, {scale} scale, {now:%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print(
        table(
            ["goal", "figure", "measured", "target", "verdict", "reference, same run"],
            [[f.goal, f.name, number(f.value, f.unit), f.target, verdict(f), f.reference]
             for f in found],
        )
    )  # fmt: skip
    print("Goal 5 (deployment: Dockerfile, compose, systemd, health, logs, metrics) has no")
    print("figure: see docs/deployment.md and deploy/; health, readiness, logs and metrics are")
    print("tested in tests/web/test_ops.py.")
    print("How each was measured:")
    for f in found:
        print(f"  {f.name}: {f.how}")
    for line in skipped:
        print(f"  not run: {line}")
    result = args.out / f"{scale}.json"
    result.write_text(
        json.dumps(
            {
                "scale": scale,
                "measured_at": now.isoformat(timespec="seconds"),
                "cpus": os.cpu_count(),
                "figures": [asdict(f) for f in found],
                "not_run": skipped,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"Written: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
