"""Operators' endpoints through the real app: readiness (database and schema), Prometheus
metrics (who may read them, what they count), and the request latency labels."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from taperline.clock import FixedClock
from taperline.db import migrate
from taperline.db.engine import make_engine
from taperline.web.app import create_app
from tests.web.conftest import NOW, login, web_settings

LOCAL = ("127.0.0.1", 50000)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format (0 if absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match and match.group(1) == name:
            have = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if have == wanted:
                return float(match.group(3))
    return 0.0


def test_ready_when_the_database_is_at_this_versions_schema(demo_url: str) -> None:
    app = create_app(web_settings(demo_url), clock=FixedClock(NOW))
    with TestClient(app) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "revision": migrate.head_revision()}


def test_not_ready_on_an_empty_database_says_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    make_engine(url).dispose()
    app = create_app(web_settings(url), clock=FixedClock(NOW))
    with TestClient(app) as client:
        answer = client.get("/readyz")
        alive = client.get("/healthz")
    assert answer.status_code == 503 and "taperline db upgrade" in answer.json()["problem"]
    assert alive.status_code == 200  # alive, only not ready


def test_metrics_count_committed_check_ins_and_time_requests_by_route(demo_url: str) -> None:
    app = create_app(web_settings(demo_url), clock=FixedClock(NOW))
    with TestClient(app, client=LOCAL) as client:
        before = client.get("/metrics").text
        csrf = login(client, "blair")
        body = {"date": "2026-03-14", "responses": {"craving": [2, 1]}}
        stored = client.post(
            "/api/v1/people/blair/checkins", headers={"x-csrf-token": csrf}, json=body
        )
        refused = client.post(
            "/api/v1/people/blair/checkins",
            headers={"x-csrf-token": csrf},
            json={"date": "2026-03-14", "responses": {"craving": [99, 1]}},
        )
        client.get("/api/v1/people/blair")
        after = client.get("/metrics").text
    assert stored.status_code == 201 and refused.status_code == 422
    added = sample(after, "taperline_checkins_total", kind="daily") - sample(
        before, "taperline_checkins_total", kind="daily"
    )
    assert added == 1  # the refused one was rolled back and not counted
    people = sample(
        after,
        "taperline_http_request_duration_seconds_count",
        method="GET",
        route="/api/v1/people/{handle}",
        status="200",
    )
    assert people >= 1  # the template, never the handle, is the label
    assert "blair" not in after
    assert "taperline_job_lag_seconds" in after


def test_metrics_are_hidden_from_others_and_open_to_the_token(demo_url: str) -> None:
    settings = web_settings(demo_url)
    app = create_app(settings, clock=FixedClock(NOW))
    with TestClient(app, client=("10.1.2.3", 4000)) as remote:
        assert remote.get("/metrics").status_code == 404
    token_settings = settings.model_copy(update={"metrics_token": SecretStr("s3cret-token")})
    app = create_app(token_settings, clock=FixedClock(NOW))
    with TestClient(app, client=("10.1.2.3", 4000)) as remote:
        assert remote.get("/metrics").status_code == 404
        wrong = remote.get("/metrics", headers={"authorization": "Bearer nope"})
        right = remote.get("/metrics", headers={"authorization": "Bearer s3cret-token"})
    assert wrong.status_code == 404
    assert right.status_code == 200 and "taperline_http_request_duration_seconds" in right.text
