"""Prometheus metrics: request latency, check-ins, alerts raised, jobs run, and the job queue.

With several server processes, set PROMETHEUS_MULTIPROC_DIR (`taperline serve --workers N` does)
so that every process writes its samples there and /metrics sums them.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

REQUEST_SECONDS = Histogram(
    "taperline_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and status.",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CHECKINS = Counter("taperline_checkins_total", "Check-ins stored, by kind.", ["kind"])
ALERTS = Counter("taperline_alerts_raised_total", "Alerts raised, by severity.", ["severity"])
JOBS = Counter(
    "taperline_jobs_total", "Background jobs run, by kind and outcome.", ["kind", "outcome"]
)
JOB_LAG = Gauge(
    "taperline_job_lag_seconds",
    "How late the most overdue queued job is (0 when none is due), read at scrape time.",
    multiprocess_mode="max",
)
JOBS_QUEUED = Gauge(
    "taperline_jobs_due",
    "Queued jobs that are due now, read at scrape time.",
    multiprocess_mode="max",
)

_PENDING = "taperline_metrics_pending"


def count_on_commit(session: Session, counter: Counter, *labels: str) -> None:
    """Count +1 on `counter` once the session's transaction commits (never for a rollback)."""
    pending: list[tuple[Counter, tuple[str, ...]]] = session.info.setdefault(_PENDING, [])
    if not pending:
        event.listen(session, "after_commit", _flush, once=True)
        event.listen(session, "after_rollback", _discard, once=True)
    pending.append((counter, labels))


def _flush(session: Session) -> None:
    for counter, labels in session.info.pop(_PENDING, []):
        counter.labels(*labels).inc()
    if event.contains(session, "after_rollback", _discard):
        event.remove(session, "after_rollback", _discard)


def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
    if event.contains(session, "after_commit", _flush):
        event.remove(session, "after_commit", _flush)


def exposition() -> tuple[bytes, str]:
    """The text exposition format: this process's registry, or all processes' when
    PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry: Any = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
