"""The background worker: plans the coming day's jobs, claims due ones and runs them.

Run with `taperline worker`. Any number of workers may run against one database (PostgreSQL
claims with SKIP LOCKED); each job's effects commit together with its completion, so a job that
was cut short by a crash runs again from the start, and one that finished is never run again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from taperline import metrics
from taperline.clock import Clock
from taperline.services import jobs, outreach
from taperline.services.jobs import ClaimedJob
from taperline.services.outreach import JobContext

log = logging.getLogger("taperline.worker")

Handler = Callable[[Session, Clock, ClaimedJob, JobContext], None]


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Tally:
    done: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0
    planned: int = 0

    def add(self, other: Tally) -> None:
        for name in ("done", "retried", "dead", "lost", "planned"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Worker:
    factory: sessionmaker[Session]
    clock: Clock
    context: JobContext
    worker_id: str = field(default_factory=default_worker_id)
    handlers: Mapping[str, Handler] = field(default_factory=lambda: dict(outreach.HANDLERS))
    batch: int = 20
    plan_every: dt.timedelta = dt.timedelta(minutes=10)
    lease: dt.timedelta = jobs.LEASE
    _planned_at: dt.datetime | None = None

    def plan(self) -> int:
        """Queue a planning job for this period: with many workers, one of them plans the next
        day's reminders, checks and digests (as its own job; see outreach.handle_plan)."""
        now = self.clock.now()
        period = int(self.plan_every.total_seconds()) or 1
        slot = int(now.timestamp()) // period * period
        with self.factory() as session:
            added = jobs.enqueue(session, self.clock, "plan", {}, dedupe_key=f"plan:{slot}")
            session.commit()
        self._planned_at = now
        return int(added)

    def run_once(self) -> Tally:
        """Plan if it is time, then claim one batch of due jobs and run each. Returns a tally."""
        tally = Tally()
        now = self.clock.now()
        if self._planned_at is None or now - self._planned_at >= self.plan_every:
            tally.planned = self.plan()
        with self.factory() as session:
            claimed = jobs.claim(
                session, self.clock.now(), self.worker_id, limit=self.batch, lease=self.lease
            )
        for job in claimed:
            outcome = self.run_job(job)
            metrics.JOBS.labels(job.kind, outcome).inc()
            setattr(tally, outcome, getattr(tally, outcome) + 1)
        return tally

    def run_job(self, job: ClaimedJob) -> str:
        """Run one claimed job: 'done', 'retried', 'dead' or 'lost' (lease taken by another)."""
        handler = self.handlers.get(job.kind)
        with self.factory() as session:
            try:
                if handler is None:
                    raise LookupError(f"no handler for job kind '{job.kind}'")
                handler(session, self.clock, job, self.context)
                if not jobs.finish(session, self.clock, job, self.worker_id):
                    session.rollback()
                    log.warning("job %s: lease lost to another worker; its work is undone", job.id)
                    return "lost"
                session.commit()
                log.info("job %s (%s) done", job.id, job.kind, extra={"job_kind": job.kind})
                return "done"
            except Exception as error:  # noqa: BLE001 - any failure is recorded and retried
                session.rollback()
                state = jobs.fail(session, self.clock, job, self.worker_id, f"{error}")
                log.warning(
                    "job %s (%s) attempt %s failed: %s; %s",
                    job.id,
                    job.kind,
                    job.attempts,
                    error,
                    "giving up" if state == "dead" else "will retry",
                )
                return "dead" if state == "dead" else "retried"

    def run_until_idle(self, max_rounds: int = 1000) -> Tally:
        """Run batches until none is due (tests, `taperline worker --once`)."""
        total = Tally()
        for _ in range(max_rounds):
            tally = self.run_once()
            total.add(tally)
            if tally.done + tally.retried + tally.dead + tally.lost == 0:
                break
        return total

    def run_forever(self, poll_seconds: float, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        log.info("worker %s started; polling every %ss", self.worker_id, poll_seconds)
        while not stop.is_set():
            try:
                tally = self.run_once()
            except Exception:  # the database went away: say so and try again
                log.exception("worker round failed; retrying in %ss", poll_seconds)
                tally = Tally()
            if tally.done + tally.retried + tally.dead + tally.lost == 0:
                stop.wait(poll_seconds)
        log.info("worker %s stopped", self.worker_id)
