"""Every route, as each kind of actor: the answer, and the audit row for refusals.

The cast (on the demo clinic plus a second clinic): alex, the person whose record is asked
for; blair, another person; cleo, alex's clinician; sam, a clinician of the same clinic who
does not care for alex; olga, a clinician of another clinic; ada, the clinic admin; and
anonymous. Routes are taken from the routers themselves, so a new route is in the matrix the
day it is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from taperline.clock import FixedClock
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import Alert, AuditEvent, User
from taperline.domain.access import Actor
from taperline.domain.types import Role
from taperline.services import accounts, people
from taperline.services.uow import unit_of_work
from taperline.web.app import create_app
from tests.web.conftest import NOW, PASSWORD, login, web_settings
from tests.web.openapi import Document

PUBLIC = {"/healthz", "/", "/help", "/login", "/login/second-factor", "/logout", "/invite"}
PUBLIC |= {"/readyz", "/metrics"}  # for operators, no health data (/metrics: loopback or token)
PUBLIC |= {"/evidence", "/evidence/{claim_id}"}  # the evidence library holds no health data
PUBLIC |= {"/circle/join/{token}"}  # an invitation link: the token is the key (test_circle_http)
DENIED_TO_OTHERS = ("blair", "sam", "olga", "ada")  # none of them may touch alex's record
ACTORS = ("alex", "cleo", *DENIED_TO_OTHERS, None)


def routes() -> list[tuple[str, str]]:
    """Every route the application serves, read off the app itself: a new router is in the
    matrix the day it is included."""
    app = create_app(web_settings("sqlite://"))
    found = []
    for entry in app.routes:
        # FastAPI 0.165 keeps each included router as one entry with its prefix.
        included = getattr(entry, "include_context", None)
        pairs = (
            [(included.prefix, r) for r in included.included_router.routes]
            if included
            else [("", entry)]
        )
        for prefix, route in pairs:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods - {"HEAD"}):
                    found.append((method, prefix + route.path))
    return sorted(set(found))


ROUTES = [r for r in routes() if r[1] not in PUBLIC]


@pytest.fixture(scope="module")
def matrix_client(demo_url: str) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    engine = make_engine(demo_url)
    clock = FixedClock(NOW)
    settings = web_settings(demo_url)
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        operator = Actor.operator("tests")
        far = people.create_clinic(session, clock, operator, "Far Clinic")
        olga = people.add_account(
            session,
            clock,
            operator,
            handle="olga",
            display_name="Olga",
            role=Role.CLINICIAN,
            clinic=far,
            timezone="UTC",
        )
        accounts.set_password(session, clock, settings, olga, PASSWORD, operator)
        alex = session.scalar(select(User).where(User.handle == "alex"))
        assert alex is not None
        alert_id = session.scalar(select(Alert.id).where(Alert.person_id == alex.id))
        if alert_id is None:  # alex's demo history raises no alert: make one through the service
            from tests.factories import checkin_data, submit

            submit(
                session,
                clock,
                operator,
                "alex",
                checkin_data(clock.today(), red_flags=["red_flag.seizure"]),
            )
            alert_id = session.scalar(select(Alert.id).where(Alert.person_id == alex.id))
        from taperline.services import messages
        from tests.factories import actor_for

        thread_id = messages.start_thread(
            session, clock, actor_for(alex), "alex", "Matrix", "A message only alex's team reads"
        ).thread_id
        facts = {
            "alex_id": alex.id,
            "alert_id": alert_id,
            "thread_id": thread_id,
            "engine": engine,
        }
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        yield client, facts
    app.state.engine.dispose()
    engine.dispose()


def concrete(path: str, facts: dict[str, Any]) -> str:
    values = {
        "handle": "alex",
        "alert_id": str(facts["alert_id"]),
        "number": "1",
        "old": "1",
        "new": "1",
        "instrument_id": "phq9",
        "thread_id": str(facts.get("thread_id", 1)),
    }
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "1"), path)


def call(client: TestClient, method: str, path: str, csrf: str) -> Any:
    api = path.startswith("/api/")
    headers = {"x-csrf-token": csrf, "accept": "application/json" if api else "text/html"}
    if method == "GET":
        return client.get(path, headers=headers, follow_redirects=False)
    if api:
        return client.request(method, path, headers=headers, json={}, follow_redirects=False)
    return client.post(path, headers=headers, data={"csrf_token": csrf}, follow_redirects=False)


def about_alex(path: str) -> bool:
    return (
        "/people/alex" in path
        or "/alerts/" in path
        or "/messages/" in path
        or path.startswith("/me")
    )


def denied_count(facts: dict[str, Any], user_id: int) -> int:
    with facts["engine"].connect() as connection:
        return (
            connection.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.actor_id == user_id, AuditEvent.outcome == "denied")
            )
            or 0
        )


@pytest.mark.parametrize("actor", ACTORS, ids=[a or "anonymous" for a in ACTORS])
def test_every_route_answers_each_actor_as_the_policy_says(
    matrix_client: tuple[TestClient, dict[str, Any]], actor: str | None
) -> None:
    client, facts = matrix_client
    client.cookies.clear()
    csrf = login(client, actor) if actor else ""
    with facts["engine"].connect() as connection:
        user_id = connection.scalar(select(User.id).where(User.handle == actor)) if actor else None
    problems = []
    document = Document(client.get("/api/v1/openapi.json").json())
    for method, template in ROUTES:
        path = concrete(template, facts)
        before = denied_count(facts, user_id) if user_id else 0
        answer = call(client, method, path, csrf)
        status = answer.status_code
        where = f"{method} {path} as {actor or 'anonymous'} → {status}"
        if status >= 500:
            problems.append(f"{where}: server error")
        if path.startswith("/api/") and status < 500:  # every API answer, as documented
            problems.extend(document.problems(method, path, answer))
        elif actor is None:
            if not (
                status == 401 or (status == 303 and answer.headers["location"].startswith("/login"))
            ):
                problems.append(f"{where}: anonymous must be sent to log in")
        elif actor in DENIED_TO_OTHERS and about_alex(path):
            if path.startswith("/me"):
                continue  # /me is the viewer's own record, not alex's
            if status not in (403, 404, 422) or (status == 422 and method == "GET"):
                problems.append(f"{where}: must be refused")
            elif status == 403 and method == "GET" and denied_count(facts, user_id) <= before:  # type: ignore[arg-type]
                problems.append(f"{where}: the refusal was not audited")
        elif actor == "cleo" and about_alex(path) and not path.startswith("/me"):
            if status in (401, 403):
                problems.append(f"{where}: alex's own clinician was refused")
        elif (
            actor == "alex" and path.startswith(("/me", "/api/v1/people/alex")) and method == "GET"
        ):
            if status in (401, 403):
                problems.append(f"{where}: alex was refused their own record")
    assert problems == []


def test_the_matrix_covers_every_router() -> None:
    paths = {path for _, path in ROUTES}
    assert any(p.startswith("/me") for p in paths) and any(p.startswith("/api/v1") for p in paths)
    assert "/caseload" in paths and "/admin/audit" in paths and len(ROUTES) >= 40
