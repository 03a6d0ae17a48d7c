"""My account, through the real ASGI app on the demo database: change a password, create, use
and revoke API tokens (page and API), and a clinician turning on the second factor."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from taperline.clock import FixedClock
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import ApiToken, AuditEvent, User
from taperline.domain.access import Actor
from taperline.domain.types import Role
from taperline.services import accounts, people
from taperline.services.uow import unit_of_work
from taperline.web.app import create_app
from tests.web.conftest import NOW, PASSWORD, login, web_settings


@pytest.fixture(scope="module")
def fresh(demo_url: str) -> Iterator[tuple[TestClient, str]]:
    """Two new accounts of their own (the demo's are shared by other tests): vic, a clinician,
    and wren, a person in vic's care."""
    clock = FixedClock(NOW)
    engine = make_engine(demo_url)
    operator = Actor.operator("tests")
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        clinic = people.find_clinic(session, None)
        for handle, role, clinicians in (
            ("vic", Role.CLINICIAN, ()),
            ("wren", Role.PERSON, ("vic",)),
        ):
            user = people.add_account(
                session,
                clock,
                operator,
                handle=handle,
                display_name=handle.title(),
                role=role,
                clinic=clinic,
                timezone="UTC",
                clinician_handles=clinicians,
            )
            accounts.set_password(session, clock, web_settings(demo_url), user, PASSWORD, operator)
    engine.dispose()
    app = create_app(web_settings(demo_url), clock=clock)
    with TestClient(app) as client:
        yield client, demo_url
    app.state.engine.dispose()


def test_a_person_changes_their_password_and_a_wrong_current_one_changes_nothing(
    fresh: tuple[TestClient, str],
) -> None:
    client, _ = fresh
    client.cookies.clear()
    csrf = login(client, "wren")
    page = client.get("/account")
    assert page.status_code == 200 and "Second factor" not in page.text  # clinicians only
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": "not-my-password",
            "new_password": "a-brand-new-one",
            "confirm": "a-brand-new-one",
        },
    )
    assert (
        wrong.status_code == 422 and "current_password: is not your current password" in wrong.text
    )
    mismatch = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "a-brand-new-one",
            "confirm": "a-brand-new-two",
        },
    )
    assert mismatch.status_code == 422 and "confirm: does not match" in mismatch.text
    no_csrf = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "x" * 12, "confirm": "x" * 12},
    )
    assert no_csrf.status_code == 403
    client.cookies.clear()
    login(client, "wren")  # the old password still works: nothing was changed
    csrf = csrf_of_account(client)
    done = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "a-brand-new-one",
            "confirm": "a-brand-new-one",
        },
    )
    assert done.status_code == 200 and "Your password is changed" in done.text
    client.cookies.clear()
    login(client, "wren", "a-brand-new-one")


def csrf_of_account(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert found
    return found.group(1)


def test_a_token_is_shown_once_works_and_stops_working_when_revoked(
    fresh: tuple[TestClient, str],
) -> None:
    client, url = fresh
    client.cookies.clear()
    csrf = login(client, "vic")
    empty = client.post("/account/tokens", data={"csrf_token": csrf, "name": "  "})
    assert empty.status_code == 422 and "name: give the token a name" in empty.text
    made = client.post("/account/tokens", data={"csrf_token": csrf, "name": "my script"})
    found = re.search(r'<code id="new-token">(tl_[^<]+)</code>', made.text)
    assert made.status_code == 200 and found
    token = found.group(1)
    assert token not in client.get("/account").text  # shown once
    bearer = {"authorization": f"Bearer {token}"}
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=bearer).json()["handle"] == "vic"
    listed = client.get("/api/v1/account/tokens", headers=bearer).json()["data"]
    mine = next(t for t in listed if t["name"] == "my script")
    assert mine["revoked_at"] is None and mine["last_used_at"] is not None
    assert "token" not in mine and all(token not in str(v) for v in mine.values())

    csrf = login(client, "vic")
    gone = client.post(
        f"/account/tokens/{mine['id']}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert gone.status_code == 303
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    engine = make_engine(url)
    with engine.connect() as connection:
        actions = set(
            connection.scalars(
                select(AuditEvent.action).where(AuditEvent.resource_type == "api_token")
            )
        )
        revoked = connection.scalar(select(ApiToken.revoked_at).where(ApiToken.id == mine["id"]))
    engine.dispose()
    assert {"account.token_create", "account.token_revoke", "account.token_list"} <= actions
    assert revoked is not None


def test_the_api_creates_tokens_and_nobody_revokes_another_users_token(
    fresh: tuple[TestClient, str],
) -> None:
    client, _ = fresh
    client.cookies.clear()
    csrf = login(client, "blair")
    made = client.post(
        "/api/v1/account/tokens", json={"name": "phone"}, headers={"x-csrf-token": csrf}
    )
    assert made.status_code == 201
    blair_token = made.json()["token"]
    bad = client.post("/api/v1/account/tokens", json={"name": ""}, headers={"x-csrf-token": csrf})
    assert bad.status_code == 422 and "name" in bad.text
    blair_id = next(
        t["id"]
        for t in client.get("/api/v1/account/tokens").json()["data"]
        if t["name"] == "phone" and t["revoked_at"] is None
    )
    client.cookies.clear()
    csrf = login(client, "vic")
    other = client.post(f"/api/v1/account/tokens/{blair_id}/revoke", headers={"x-csrf-token": csrf})
    assert other.status_code == 404  # not vic's token (blair's): as if it did not exist
    client.cookies.clear()
    assert (
        client.get("/api/v1/me", headers={"authorization": f"Bearer {blair_token}"}).json()[
            "handle"
        ]
        == "blair"
    )


def test_a_clinician_turns_on_the_second_factor_only_with_a_right_code(
    fresh: tuple[TestClient, str],
) -> None:
    client, url = fresh
    client.cookies.clear()
    csrf = login(client, "vic")
    started = client.post("/account/totp/start", data={"csrf_token": csrf})
    key = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', started.text)
    assert started.status_code == 200 and key and 'src="data:image/svg+xml' in started.text
    secret = key.group(1)
    wrong = client.post(
        "/account/totp/confirm", data={"csrf_token": csrf, "secret": secret, "code": "000000"}
    )
    assert wrong.status_code == 422 and "code: does not match" in wrong.text
    assert secret in wrong.text  # the same key stays on the page to try again
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(select(User.totp_secret).where(User.handle == "vic")) is None
    right = client.post(
        "/account/totp/confirm",
        data={"csrf_token": csrf, "secret": secret, "code": pyotp.TOTP(secret).at(NOW)},
    )
    assert right.status_code == 200 and "Your second factor is on" in right.text
    with engine.connect() as connection:
        assert connection.scalar(select(User.totp_secret).where(User.handle == "vic")) == secret
    engine.dispose()
    client.cookies.clear()
    form = client.get("/login")
    prelogin = re.search(r'name="prelogin" value="([^"]+)"', form.text)
    assert prelogin
    first = client.post(
        "/login",
        data={"handle": "vic", "password": PASSWORD, "prelogin": prelogin.group(1), "next": ""},
        follow_redirects=False,
    )
    assert first.headers["location"] == "/login/second-factor"


def test_a_person_is_not_offered_a_second_factor(fresh: tuple[TestClient, str]) -> None:
    client, _ = fresh
    client.cookies.clear()
    login(client, "blair")
    csrf = csrf_of_account(client)
    refused = client.post("/account/totp/start", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "offered to clinicians" in refused.text
