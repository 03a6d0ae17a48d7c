"""The support circle over the real HTTP stack: the person invites on /me/circle, the invited
supporter joins through the emailed link, sees only what is shared, and a supporter account
is refused every other route (the supporter-access matrix)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from taperline.clock import FixedClock
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import AuditEvent, User
from taperline.domain.circle import Shares
from taperline.services import circle, messages
from taperline.services.uow import unit_of_work
from taperline.web.app import create_app
from tests.factories import actor_for
from tests.web.conftest import NOW, csrf_of, login, web_settings
from tests.web.test_authz_matrix import ROUTES, call, concrete

SKY_PASSWORD = "sky's long password"
# What a supporter account may open: its own account, notifications, the evidence library,
# and what people share with it. Everything else answers 401, 403, 404 or 422.
SUPPORTER_MAY = (
    "/supporting",
    "/api/v1/supporting",
    "/notifications",
    "/api/v1/notifications",
    "/account",
    "/api/v1/account",
    "/circle/join",
    "/evidence",
    "/api/v1/evidence",
    "/api/v1/claims",
    "/api/v1/instruments",
    "/api/v1/openapi",
    "/api/v1/me/tokens",
)


@pytest.fixture(scope="module")
def circle_client(demo_url: str) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    engine = make_engine(demo_url)
    clock = FixedClock(NOW)
    settings = web_settings(demo_url)
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        alex = session.scalars(select(User).where(User.handle == "alex")).one()
        actor = actor_for(alex)
        sent = circle.invite(
            session, clock, settings, actor, "alex", email="sky@example.org", name="Sky",
            relation="friend", shares=Shares(checkins=True),
        )  # fmt: skip
        circle.join(
            session, clock, settings, sent.link.rsplit("/", 1)[1], handle="sky",
            display_name="Sky", password=SKY_PASSWORD, confirm=SKY_PASSWORD, source="test",
        )  # fmt: skip
        thread_id = messages.start_thread(
            session, clock, actor, "alex", "Private", "Only my care team reads this"
        ).thread_id
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        yield client, {"engine": engine, "thread_id": thread_id}
    app.state.engine.dispose()
    engine.dispose()


def test_invite_join_and_look_through_the_pages(
    circle_client: tuple[TestClient, dict[str, Any]],
) -> None:
    client, _ = circle_client
    client.cookies.clear()
    csrf = login(client, "blair")
    page = client.get("/me/circle")
    assert page.status_code == 200 and "Invite someone" in page.text
    bad = client.post(
        "/me/circle/invite",
        data={"csrf_token": csrf, "name": "Rowan", "email": "not-an-email", "share": "checkins"},
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    assert "email" in bad.text.lower()
    sent = client.post(
        "/me/circle/invite",
        data={
            "csrf_token": csrf, "name": "Rowan", "email": "rowan@example.org",
            "relation": "sponsor", "share": ["checkins", "trend"],
        },
    )  # fmt: skip
    assert sent.status_code == 200 and "Invitation sent to" in sent.text
    link = re.search(r'<code class="invite-link">[^<]*(/circle/join/[^<]+)</code>', sent.text)
    assert link
    again = client.post(
        "/me/circle/invite",
        data={"csrf_token": csrf, "name": "Rowan", "email": "ROWAN@example.org"},
    )
    assert again.status_code == 422 and "already in your circle" in again.text
    client.cookies.clear()
    form = client.get(link.group(1))
    assert form.status_code == 200 and "Join Blair" in form.text
    short = client.post(
        link.group(1),
        data={"handle": "rowan", "name": "Rowan", "password": "short", "confirm": "short"},
    )
    assert short.status_code == 422 and 'id="join-password"' in short.text
    joined = client.post(
        link.group(1),
        data={
            "handle": "rowan",
            "name": "Rowan",
            "password": SKY_PASSWORD,
            "confirm": SKY_PASSWORD,
        },
    )
    assert joined.status_code == 200 and "You are in the circle" in joined.text
    reused = client.get(link.group(1))
    assert reused.status_code == 410 and "already used" in reused.text
    login(client, "rowan", SKY_PASSWORD)
    home = client.get("/", follow_redirects=True)
    assert home.url.path == "/supporting" and "Blair" in home.text
    assert "Craving" in home.text and "Checked in today" in home.text
    shared = client.get("/api/v1/supporting").json()["data"]
    assert [p["handle"] for p in shared] == ["blair"]
    assert shared[0]["scores"] is None and shared[0]["open_alerts"] is None


def test_the_person_withdraws_sharing_and_it_is_gone_at_once(
    circle_client: tuple[TestClient, dict[str, Any]],
) -> None:
    client, _ = circle_client
    client.cookies.clear()
    login(client, "sky", SKY_PASSWORD)
    assert [p["handle"] for p in client.get("/api/v1/supporting").json()["data"]] == ["alex"]
    client.cookies.clear()
    csrf = login(client, "alex")
    [member] = [m for m in client.get("/api/v1/me/circle").json()["data"] if m["name"] == "Sky"]
    headers = {"x-csrf-token": csrf}
    changed = client.put(
        f"/api/v1/me/circle/{member['id']}", json={"checkins": False}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["shares"]["checkins"] is False
    client.cookies.clear()
    login(client, "sky", SKY_PASSWORD)
    [view] = client.get("/api/v1/supporting").json()["data"]
    assert view["checked_in_today"] is None and view["streak"] is None
    client.cookies.clear()
    csrf = login(client, "alex")
    ended = client.delete(f"/api/v1/me/circle/{member['id']}", headers={"x-csrf-token": csrf})
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    client.cookies.clear()
    login(client, "sky", SKY_PASSWORD)
    assert client.get("/api/v1/supporting").json()["data"] == []
    client.cookies.clear()
    login(client, "cleo")  # alex's clinician sees who was in the circle
    names = [m["name"] for m in client.get("/api/v1/people/alex/circle").json()["data"]]
    assert "Sky" in names
    page = client.get("/people/alex/circle")
    assert page.status_code == 200 and "Sky" in page.text and "ended" in page.text


def test_a_supporter_is_refused_every_other_route(
    circle_client: tuple[TestClient, dict[str, Any]],
) -> None:
    client, facts = circle_client
    client.cookies.clear()
    csrf = login(client, "sky", SKY_PASSWORD)
    with facts["engine"].connect() as connection:
        sky = connection.scalar(select(User.id).where(User.handle == "sky"))
        persons = connection.execute(
            select(User.handle, User.display_name).where(User.role == "person")
        ).all()
    names = {n for row in persons for n in row}
    problems = []
    for method, template in ROUTES:
        path = concrete(template, {"alert_id": 1, "thread_id": facts["thread_id"]})
        if path.startswith(SUPPORTER_MAY) or path in ("/api/v1/me/circle",):
            continue
        before = _denied(facts, sky)
        answer = call(client, method, path, csrf)
        status = answer.status_code
        where = f"{method} {path} as sky → {status}"
        if status == 200 and method == "GET":  # a list of what sky may see: must be empty
            told = sorted(n for n in names if re.search(rf"\b{re.escape(n)}\b", answer.text))
            if told:
                problems.append(f"{where}: shows {told}")
        elif status not in (401, 403, 404, 405, 422) or (status == 422 and method == "GET"):
            problems.append(f"{where}: a supporter must be refused")
        elif status == 403 and method == "GET" and "alex" in path and _denied(facts, sky) <= before:
            problems.append(f"{where}: the refusal was not audited")
    assert problems == []


def _denied(facts: dict[str, Any], user_id: int | None) -> int:
    with facts["engine"].connect() as connection:
        return int(
            connection.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.actor_id == user_id, AuditEvent.outcome == "denied")
            )
            or 0
        )


def test_csrf_is_needed_to_change_the_circle(
    circle_client: tuple[TestClient, dict[str, Any]],
) -> None:
    client, _ = circle_client
    client.cookies.clear()
    login(client, "alex")
    csrf_of(client.get("/me/circle").text)
    refused = client.post("/me/circle/invite", data={"name": "X", "email": "x@example.org"})
    assert refused.status_code in (403, 422)
