"""create_app(settings): the FastAPI application. No import-time side effects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from taperline import __version__
from taperline.clock import Clock, SystemClock
from taperline.config import Settings
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.gate import WriterGate
from taperline.knowledge import load
from taperline.web import errors
from taperline.web.routes import (
    account,
    admin,
    api_v1,
    auth,
    clinician,
    evidence,
    evidence_api,
    person,
    progress,
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
    # SQLite has one writer and every request may write (audit rows at least): requests of this
    # process queue for it first come, first served. PostgreSQL needs no gate.
    app.state.writer_gate = (
        WriterGate(settings.sqlite_busy_timeout_ms / 1000)
        if engine.dialect.name == "sqlite"
        else None
    )
    app.state.clock = clock or SystemClock()
    app.state.crisis = load().crisis["US"]

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.url.path.startswith(
            ("/api/", "/login", "/people", "/me", "/alerts", "/caseload", "/admin", "/clinic")
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

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
    app.include_router(evidence.router)
    app.include_router(evidence_api.router, prefix="/api/v1")
    return app
