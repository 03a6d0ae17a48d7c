"""Login, sessions, CSRF, lockout, invitations, security headers: the real ASGI app."""

from __future__ import annotations

import re
import threading

import pytest
from fastapi.testclient import TestClient

from taperline.db.gate import WriterGate
from tests.web.conftest import PASSWORD, login


def test_the_help_page_is_public_and_gives_the_crisis_numbers(app_client: TestClient) -> None:
    page = app_client.get("/help")
    assert page.status_code == 200
    for number in ("911", "988", "1-800-222-1222"):
        assert number in page.text
    assert "naloxone" in page.text.lower()


def test_security_headers_forbid_inline_scripts_and_framing(app_client: TestClient) -> None:
    headers = app_client.get("/login").headers
    csp = headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp
        and "frame-ancestors 'none'" in csp
    )
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"


def test_security_headers_are_on_every_answer_and_health_data_is_never_cached(
    app_client: TestClient,
) -> None:
    refused = app_client.get("/api/v1/people")  # an error answer, from an exception handler
    asset = app_client.get("/static/app.css")  # a mounted app, outside the routers
    help_page = app_client.get("/help")
    for answer in (refused, asset, help_page):
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
    assert "no-store" not in asset.headers.get("cache-control", "")
    assert "no-store" not in help_page.headers.get("cache-control", "")


def test_pages_need_a_login_and_the_api_says_401(app_client: TestClient) -> None:
    page = app_client.get("/me/today", follow_redirects=False)
    assert page.status_code in (303, 404)  # 404 until the person pages exist
    assert app_client.get("/api/v1/me", headers={"accept": "application/json"}).status_code in (
        401,
        404,
    )


def test_a_login_sets_an_httponly_samesite_cookie_and_logout_needs_csrf(
    app_client: TestClient,
) -> None:
    csrf = login(app_client, "cleo")
    cookie = next(c for c in app_client.cookies.jar if c.name == "taperline_session")
    assert cookie.has_nonstandard_attr("HttpOnly") or "httponly" in str(cookie._rest).lower()
    refused = app_client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert (
        app_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code
        == 303
    )


def test_wrong_passwords_lock_the_account_and_every_attempt_is_audited(
    app_client: TestClient,
) -> None:
    for _ in range(5):
        form = app_client.get("/login")
        prelogin = re.search(r'name="prelogin" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        answer = app_client.post(
            "/login",
            data={
                "handle": "sam",
                "password": "wrong-password-1",
                "prelogin": prelogin,
                "next": "",
            },
        )
        assert answer.status_code == 401 and "handle or password is not right" in answer.text
    form = app_client.get("/login")
    prelogin = re.search(r'name="prelogin" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    locked = app_client.post(
        "/login", data={"handle": "sam", "password": PASSWORD, "prelogin": prelogin, "next": ""}
    )
    assert locked.status_code == 401 and "too many failed attempts" in locked.text.lower()


def test_a_login_form_without_its_prelogin_token_is_refused(app_client: TestClient) -> None:
    app_client.get("/login")
    answer = app_client.post(
        "/login", data={"handle": "cleo", "password": PASSWORD, "prelogin": "x", "next": ""}
    )
    assert answer.status_code == 403 and "expired" in answer.text


def test_login_never_redirects_off_site(app_client: TestClient) -> None:
    form = app_client.get("/login?next=//evil.example/")
    assert 'name="next" value=""' in form.text


def test_a_clinician_with_a_second_factor_needs_the_current_code(demo_url: str) -> None:
    import datetime as dt

    import pyotp

    from taperline.clock import FixedClock
    from taperline.db.engine import make_engine, make_sessionmaker
    from taperline.services import accounts, people
    from taperline.services.uow import unit_of_work
    from taperline.web.app import create_app
    from tests.factories import actor_for
    from tests.web.conftest import NOW, web_settings

    clock = FixedClock(NOW)
    engine = make_engine(demo_url)
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        from taperline.domain.access import Actor
        from taperline.domain.types import Role

        operator = Actor.operator("tests")
        clinic = people.find_clinic(session, None)
        tess = people.add_account(
            session,
            clock,
            operator,
            handle="tess",
            display_name="Tess",
            role=Role.CLINICIAN,
            clinic=clinic,
            timezone="UTC",
        )
        accounts.set_password(session, clock, web_settings(demo_url), tess, PASSWORD, operator)
        secret, uri = accounts.new_totp_secret(actor_for(tess))
        assert uri.startswith("otpauth://totp/") and "Taperline" in uri
        accounts.confirm_totp(session, clock, actor_for(tess), secret, pyotp.TOTP(secret).at(NOW))
    engine.dispose()
    app = create_app(web_settings(demo_url), clock=clock)
    with TestClient(app) as client:
        form = client.get("/login")
        prelogin = re.search(r'name="prelogin" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        first = client.post(
            "/login",
            data={"handle": "tess", "password": PASSWORD, "prelogin": prelogin, "next": ""},
            follow_redirects=False,
        )
        assert first.status_code == 303, first.text[-600:]
        assert first.headers["location"] == "/login/second-factor"
        assert client.get("/caseload", follow_redirects=False).status_code == 303  # not in yet
        wrong = client.post("/login/second-factor", data={"code": "000000"}, follow_redirects=False)
        assert wrong.status_code == 401
        code = pyotp.TOTP(secret).at(NOW + dt.timedelta(seconds=5))
        right = client.post("/login/second-factor", data={"code": code}, follow_redirects=False)
        assert right.status_code == 303 and right.headers["location"] == "/caseload"
        assert client.get("/caseload").status_code == 200
    app.state.engine.dispose()


def test_a_busy_sqlite_writer_answers_503_never_500(demo_url: str) -> None:
    import sqlite3

    from sqlalchemy.engine import make_url

    from taperline.clock import FixedClock
    from taperline.web.app import create_app
    from tests.web.conftest import NOW, web_settings

    url = make_url(demo_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's single-writer lock only")
    settings = web_settings(demo_url).model_copy(update={"sqlite_busy_timeout_ms": 50})
    app = create_app(settings, clock=FixedClock(NOW))
    token = _token_for(demo_url, "cleo")
    holder = sqlite3.connect(url.database or "", isolation_level=None)
    try:
        with TestClient(app) as client:
            holder.execute("BEGIN IMMEDIATE")  # someone else is writing
            page = client.post(
                "/invite", data={"code": "a-b-c-d", "password": "x" * 12, "confirm": "x" * 12}
            )
            assert page.status_code == 503 and page.headers["retry-after"] == "2"
            assert "busy right now" in page.text
            bearer = {"authorization": f"Bearer {token}"}
            api = client.get("/api/v1/me", headers=bearer)
            assert api.status_code == 503 and "busy" in api.json()["detail"]
            # A login is read without the writer: a wrong token is refused at once.
            wrong = client.get("/api/v1/me", headers={"authorization": "Bearer tl_nothing"})
            assert wrong.status_code == 401
            holder.execute("ROLLBACK")
            again = client.get("/api/v1/me", headers=bearer)
            assert again.status_code == 200  # the lock is gone: a normal answer again
            assert again.json()["handle"] == "cleo"
    finally:
        holder.close()
        app.state.engine.dispose()


def test_requests_queue_first_come_first_served_and_a_long_wait_answers_503(
    demo_url: str,
) -> None:
    """On SQLite, the app's own requests wait at its writer gate; past the timeout: 503."""
    from sqlalchemy.engine import make_url

    from taperline.clock import FixedClock
    from taperline.web.app import create_app
    from tests.web.conftest import NOW, web_settings

    if make_url(demo_url).get_backend_name() != "sqlite":
        pytest.skip("SQLite's single-writer gate only")
    settings = web_settings(demo_url).model_copy(update={"sqlite_busy_timeout_ms": 300})
    app = create_app(settings, clock=FixedClock(NOW))
    gate = app.state.writer_gate
    bearer = {"authorization": f"Bearer {_token_for(demo_url, 'cleo')}"}
    try:
        with TestClient(app) as client:
            gate.acquire()  # a long request of this process holds the database
            api = client.get("/api/v1/me", headers=bearer)
            assert api.status_code == 503 and api.headers["retry-after"] == "2"
            answers: list[int] = []
            waiting = threading.Thread(
                target=lambda: answers.append(client.get("/api/v1/me", headers=bearer).status_code)
            )
            waiting.start()
            gate.release()  # freed in time: the queued request is answered normally
            waiting.join(5)
            assert answers == [200]
            # Nothing is left holding the gate: it is free at once.
            assert gate_is_free(gate)
    finally:
        app.state.engine.dispose()


def _token_for(database_url: str, handle: str) -> str:
    """An API token for a demo user, made the way the CLI makes one."""
    from sqlalchemy import select

    from taperline.clock import FixedClock
    from taperline.db.engine import make_engine, make_sessionmaker
    from taperline.db.models import User
    from taperline.services import accounts
    from taperline.services.uow import unit_of_work
    from tests.factories import actor_for
    from tests.web.conftest import NOW

    engine = make_engine(database_url)
    try:
        with unit_of_work(make_sessionmaker(engine), FixedClock(NOW)) as session:
            user = session.scalars(select(User).where(User.handle == handle)).one()
            return accounts.create_token(session, FixedClock(NOW), actor_for(user), "tests")
    finally:
        engine.dispose()


def gate_is_free(gate: WriterGate) -> bool:
    """True when the gate can be taken at once (it is then let go again)."""
    done = threading.Event()

    def take() -> None:
        gate.acquire()
        gate.release()
        done.set()

    threading.Thread(target=take, daemon=True).start()
    return done.wait(1)
