"""The web benchmark's load: httpx clients (closed loop, 16 connections) and wrk, timing pages,
API calls and check-ins; the figures they return."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import re
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench_core import checkin_data
from taperline.web.deps import SESSION_COOKIE
from web_seed import PASSWORD, WRK_THREADS, Seeded

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
