"""Durable background jobs in the database.

The guarantee (docs/support.md): a job's database effects and its completion commit in one
transaction, so each is applied exactly once. A worker claims jobs under a lease (`locked_until`);
if it dies, the lease runs out and another worker claims the job again — retried, not lost.
PostgreSQL claims with `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent workers never take the
same job; SQLite has one writer at a time, so its claim (an UPDATE) is atomic by itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Job
from taperline.domain.errors import InvalidInput
from taperline.domain.outreach import retry_delay

_JOBS = cast(Table, Job.__table__)
LEASE = dt.timedelta(minutes=5)
STATES = ("queued", "running", "done", "dead")


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # this attempt included
    max_attempts: int


def enqueue(
    session: Session,
    clock: Clock,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> bool:
    """Add a job in the caller's transaction. With `dedupe_key`, a job with the same key that
    already exists (done or not) wins and nothing is added. Returns whether a job was added."""
    values = {
        "kind": kind,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "state": "queued",
        "run_at": run_at or clock.now(),
        "attempts": 0,
        "max_attempts": max_attempts,
        "created_at": clock.now(),
    }
    dialect = session.get_bind().dialect.name
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        builder(_JOBS)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_JOBS.c.id)
    )
    return session.execute(statement).first() is not None


def enqueue_many(session: Session, clock: Clock, rows: list[dict[str, Any]]) -> int:
    """Add many jobs in one statement (each row: kind, payload, run_at, dedupe_key). Rows whose
    dedupe key already exists are skipped. Returns how many were added."""
    if not rows:
        return 0
    now = clock.now()
    values = [
        {
            "kind": row["kind"],
            "payload": row["payload"],
            "dedupe_key": row.get("dedupe_key"),
            "state": "queued",
            "run_at": row.get("run_at") or now,
            "attempts": 0,
            "max_attempts": row.get("max_attempts", 8),
            "created_at": now,
        }
        for row in rows
    ]
    dialect = session.get_bind().dialect.name
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        builder(_JOBS).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_JOBS.c.id)
    )
    return len(session.execute(statement, values).all())


def claim(
    session: Session,
    now: dt.datetime,
    worker: str,
    *,
    limit: int = 20,
    lease: dt.timedelta = LEASE,
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs for `worker`, leasing them until now + lease. Commits.
    A worker that dies leaves its jobs leased; when the lease runs out they are claimed again."""
    queued = and_(_JOBS.c.state == "queued", _JOBS.c.run_at <= now)
    # claimed by a worker that died: its lease ran out
    abandoned = and_(_JOBS.c.state == "running", _JOBS.c.locked_until < now)
    postgresql = session.get_bind().dialect.name == "postgresql"
    ids: list[int] = []
    # Two picks, each along the (state, run_at) index; the oldest due first.
    for due, order in ((abandoned, _JOBS.c.locked_until), (queued, _JOBS.c.run_at)):
        if len(ids) >= limit:
            break
        pick = select(_JOBS.c.id).where(due).order_by(order, _JOBS.c.id).limit(limit - len(ids))
        if postgresql:
            pick = pick.with_for_update(skip_locked=True)
        ids.extend(session.scalars(pick))
    if not ids:
        session.commit()
        return []
    statement = (
        update(_JOBS)
        .where(_JOBS.c.id.in_(ids), or_(queued, abandoned))
        .values(
            state="running",
            locked_by=worker,
            locked_until=now + lease,
            attempts=_JOBS.c.attempts + 1,
        )
        .returning(
            _JOBS.c.id, _JOBS.c.kind, _JOBS.c.payload, _JOBS.c.attempts, _JOBS.c.max_attempts
        )
    )
    rows = session.execute(statement).all()
    session.commit()
    return sorted(
        (ClaimedJob(r.id, r.kind, dict(r.payload), r.attempts, r.max_attempts) for r in rows),
        key=lambda job: job.id,
    )


_FINISH = (
    update(_JOBS)
    .where(
        _JOBS.c.id == bindparam("b_id"),
        _JOBS.c.locked_by == bindparam("b_worker"),
        _JOBS.c.state == "running",
    )
    .values(state="done", finished_at=bindparam("b_now"), locked_until=None, last_error=None)
)


def finish(session: Session, clock: Clock, job: ClaimedJob, worker: str) -> bool:
    """Mark `job` done in the caller's transaction (with the job's effects). False when the
    lease was lost to another worker: then the caller must roll back its effects."""
    result = session.execute(_FINISH, {"b_id": job.id, "b_worker": worker, "b_now": clock.now()})
    return bool(getattr(result, "rowcount", 0))


def fail(session: Session, clock: Clock, job: ClaimedJob, worker: str, error: str) -> str:
    """Record a failed attempt: retry later with backoff, or give up after max_attempts.
    Returns the new state. Commits."""
    now = clock.now()
    dead = job.attempts >= job.max_attempts
    session.execute(
        update(_JOBS)
        .where(_JOBS.c.id == job.id, _JOBS.c.locked_by == worker, _JOBS.c.state == "running")
        .values(
            state="dead" if dead else "queued",
            run_at=now if dead else now + retry_delay(job.attempts),
            locked_until=None,
            last_error=error[:2000],
            finished_at=now if dead else None,
        )
    )
    session.commit()
    return "dead" if dead else "queued"


def recent(session: Session, *, state: str | None = None, limit: int = 50) -> list[Any]:
    """The newest jobs (without payloads: those name accounts), optionally in one state."""
    statement = select(
        _JOBS.c.id,
        _JOBS.c.kind,
        _JOBS.c.state,
        _JOBS.c.run_at,
        _JOBS.c.attempts,
        _JOBS.c.last_error,
    )
    if state is not None:
        if state not in STATES:
            raise InvalidInput("state", f"'{state}' is not one of {', '.join(STATES)}")
        statement = statement.where(_JOBS.c.state == state)
    return list(session.execute(statement.order_by(_JOBS.c.id.desc()).limit(max(1, limit))))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(_JOBS.c.state, func.count()).group_by(_JOBS.c.state)).all()
    return {state: int(n) for state, n in rows}


def due_count(session: Session, now: dt.datetime) -> int:
    statement = select(func.count()).where(_JOBS.c.state == "queued", _JOBS.c.run_at <= now)
    return int(session.scalar(statement) or 0)


def oldest_due_age(session: Session, now: dt.datetime) -> dt.timedelta | None:
    """How late the most overdue queued job is (the worker's lag), or None if none is due."""
    oldest: dt.datetime | None = session.scalar(
        select(func.min(_JOBS.c.run_at)).where(_JOBS.c.state == "queued", _JOBS.c.run_at <= now)
    )
    if oldest is None:
        return None
    if oldest.tzinfo is None:  # SQLite aggregate: the type decorator does not apply
        oldest = oldest.replace(tzinfo=dt.UTC)
    return now - oldest


Handler = Callable[[Session, ClaimedJob], None]
