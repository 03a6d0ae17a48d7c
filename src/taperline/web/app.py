"""create_app(settings): the FastAPI application. No import-time side effects."""

from __future__ import annotations

import datetime as dt
import gc
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taperline import __version__, logs
from taperline.clock import Clock, FixedClock, SystemClock
from taperline.config import Settings
from taperline.db.checkpoint import Checkpointer
from taperline.db.engine import make_engine, make_sessionmaker, reader_sessions
from taperline.db.gate import WriterGate, gate_transactions, lock_file_for
from taperline.knowledge import load
from taperline.web import errors, ops
from taperline.web.routes import (
    account,
    admin,
    api_v1,
    auth,
    circle,
    clinician,
    data_rights,
    evidence,
    evidence_api,
    medications,
    messages,
    notifications,
    person,
    progress,
    record_import,
    rewards,
    rewards_api,
    sos,
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(
        title="Taperline",
        version=__version__,
        summary="Supervised taper support: plans, check-ins, safety checks. It does not prescribe.",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    engine = make_engine(
        settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    # SQLite has one writer and every request may write (audit rows at least): transactions of
    # this process queue for it first come, first served, from their first statement. With
    # several server processes on one SQLite file, they also take turns through a lock file
    # beside it (taperline.db.gate). Logins are read on connections of their own that never
    # write, so that a request holds the writer only for its own work. PostgreSQL needs none
    # of this.
    app.state.writer_gate = None
    app.state.readers = None
    if engine.dialect.name == "sqlite":
        lock_file = lock_file_for(engine.url.database)
        app.state.writer_gate = WriterGate(
            settings.sqlite_busy_timeout_ms / 1000, lock_file=lock_file
        )
        gate_transactions(app.state.sessions, app.state.writer_gate)
        if lock_file is not None:  # a file, so other connections see the same database
            # WAL checkpoints in a thread of their own, not in a request's commit
            checkpointer = Checkpointer(engine)
            app.router.on_startup.append(checkpointer.start)
            app.router.on_shutdown.append(checkpointer.stop)
            app.state.readers = reader_sessions(
                settings.resolved_database_url,
                sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            )
    app.state.clock = clock or SystemClock()
    app.state.crisis = load().crisis["US"]

    errors.install(app)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    app.include_router(auth.router)
    app.include_router(person.router)
    app.include_router(clinician.router)
    app.include_router(admin.router)
    app.include_router(account.router)
    app.include_router(api_v1.router, prefix="/api/v1")
    app.include_router(progress.router)
    app.include_router(progress.api_router, prefix="/api/v1")
    app.include_router(evidence.router)
    app.include_router(evidence_api.router, prefix="/api/v1")
    app.include_router(notifications.router)
    app.include_router(notifications.api_router, prefix="/api/v1")
    app.include_router(sos.router)
    app.include_router(circle.router)
    app.include_router(circle.api_router, prefix="/api/v1")
    app.include_router(data_rights.router)
    app.include_router(data_rights.api_router, prefix="/api/v1")
    app.include_router(medications.router)
    app.include_router(medications.api_router, prefix="/api/v1")
    app.include_router(messages.router)
    app.include_router(record_import.router)
    app.include_router(messages.api_router, prefix="/api/v1")
    app.include_router(rewards.router)
    app.include_router(rewards_api.api_router, prefix="/api/v1")
    app.include_router(sos.api_router, prefix="/api/v1")
    # Outermost: its headers go on every answer, error pages included. Plain ASGI rather than
    # @app.middleware("http"), which costs a task and a stream per request.
    app.include_router(ops.router)
    app.add_middleware(ops.RequestMetrics)
    app.add_middleware(SecurityHeaders)
    return app


NO_STORE_PREFIXES = (
    "/api/",
    "/login",
    "/people",
    "/me",
    "/alerts",
    "/caseload",
    "/admin",
    "/clinic",
)


class SecurityHeaders:
    """Adds the security headers to every HTTP answer, and Cache-Control: no-store to pages
    and API answers that may hold health data (unless the route set its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = str(scope.get("path", "")).startswith(NO_STORE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


SERVE_TODAY_ENV = "TAPERLINE_SERVE_TODAY"


def settle_heap() -> None:
    """Once a serving process has built its app: move everything made so far (modules, the
    FHIR and Pydantic models, the knowledge base) out of the garbage collector's sight.

    Python's full collections walk every live object; with the app loaded they took about
    0.3 s, stalling every request in flight (bench/bench_latency.py showed it as the p99).
    Frozen objects are still freed when nothing refers to them; only cycles among them are
    never collected, which is right for what lives as long as the process. Not called by
    create_app: tests build many apps in one process."""
    gc.collect()
    gc.freeze()


def app_from_environment() -> FastAPI:
    """The app as each of uvicorn's worker processes builds it (`taperline serve --workers`):
    settings from the environment (TAPERLINE_*), and the clock fixed at noon UTC of
    TAPERLINE_SERVE_TODAY (YYYY-MM-DD) when the CLI was given --today."""
    today = os.environ.get(SERVE_TODAY_ENV)
    clock: Clock | None = None
    if today:
        noon = dt.datetime.combine(dt.date.fromisoformat(today), dt.time(12, 0), tzinfo=dt.UTC)
        clock = FixedClock(noon)
    settings = Settings()
    logs.configure(settings)
    made = create_app(settings, clock=clock)
    settle_heap()
    return made
