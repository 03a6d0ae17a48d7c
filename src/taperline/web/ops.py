"""For operators: readiness (/readyz), Prometheus metrics (/metrics), and the middleware that
times every request by its route template and writes one access-log line."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taperline import metrics
from taperline.db import migrate
from taperline.services import jobs

router = APIRouter(include_in_schema=False)
access = logging.getLogger("taperline.access")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and its schema is this version's."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.current_revision(engine)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", said plainly
        return JSONResponse(
            {"status": "unavailable", "problem": f"the database does not answer: {error}"},
            status_code=503,
        )
    if current != migrate.head_revision():
        return JSONResponse(
            {
                "status": "unavailable",
                "problem": (
                    f"the database schema is at {current or 'nothing'}, this version needs "
                    f"{migrate.head_revision()}: run `taperline db upgrade`"
                ),
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready", "revision": current})


@router.get("/metrics")
def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format. With TAPERLINE_METRICS_TOKEN set, for that bearer token only;
    without it, for loopback only. Anyone else gets 404, as if it were not there."""
    token = request.app.state.settings.metrics_token
    given = request.headers.get("authorization", "")
    if token is not None:
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return Response(status_code=404)
    elif (request.client.host if request.client else "") not in LOOPBACK:
        return Response(status_code=404)
    _read_queue(request)
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


def _read_queue(request: Request) -> None:
    now = dt.datetime.now(dt.UTC)  # noqa: TID251 - a gauge of real lag, not domain time
    try:
        with request.app.state.sessions() as session:
            lag = jobs.oldest_due_age(session, now)
            due = jobs.due_count(session, now)
    except Exception:  # noqa: BLE001 - the metrics must still answer when the database does not
        return
    metrics.JOB_LAG.set(lag.total_seconds() if lag else 0.0)
    metrics.JOBS_QUEUED.set(due)


def route_template(scope: Scope) -> str:
    """The matched route as written, prefix included (/api/v1/people/{handle}): bounded label
    values. FastAPI gives the route's own path only, so the prefix is read off the request."""
    route = scope.get("route")
    path = str(scope.get("path", ""))
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return "unmatched"
    concrete = template
    for name, value in (scope.get("path_params") or {}).items():
        concrete = concrete.replace("{" + name + "}", str(value))
        concrete = concrete.replace("{" + name + ":path}", str(value))
    if concrete and path.endswith(concrete):
        return path[: len(path) - len(concrete)] + template
    return template


class RequestMetrics:
    """Times every HTTP request into REQUEST_SECONDS and writes one access-log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def tell(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tell)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            metrics.REQUEST_SECONDS.labels(method, route, str(status["code"])).observe(seconds)
            if access.isEnabledFor(logging.INFO) and not access.disabled:
                client: Any = scope.get("client") or ("", 0)
                access.info(
                    "%s %s %s %.1fms",
                    method,
                    scope.get("path", ""),
                    status["code"],
                    seconds * 1000,
                    extra={
                        "method": method,
                        "path": scope.get("path", ""),
                        "route": route,
                        "status": status["code"],
                        "duration_ms": round(seconds * 1000, 2),
                        "client": client[0],
                    },
                )
