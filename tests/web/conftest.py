"""The real ASGI app on a real database of its own, with the demo clinic and cheap hashing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from taperline import demo
from taperline.clock import FixedClock
from taperline.config import Settings
from taperline.db import migrate
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.domain.access import Actor
from taperline.services.uow import unit_of_work
from taperline.web.app import create_app

NOW = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)
PASSWORD = demo.DEMO_PASSWORD


def web_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, password_time_cost=1, password_memory_kib=8)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the demo clinic, shared by a module's tests (they must not rely on order)."""
    from tests.databases import create_database, drop_database

    url = create_database(tmp_path_factory.mktemp("web"))
    engine = make_engine(url)
    migrate.upgrade(engine)
    clock = FixedClock(NOW)
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        actor = Actor.operator("tests")
        demo.seed(session, clock, actor)
        demo.set_passwords(session, clock, web_settings(url), actor)
    engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture
def app_client(demo_url: str) -> Iterator[TestClient]:
    app = create_app(web_settings(demo_url), clock=FixedClock(NOW))
    with TestClient(app, base_url="http://testserver") as client:
        yield client
    app.state.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: TestClient, handle: str, password: str = PASSWORD) -> str:
    """Log in through the real form; returns the session's CSRF token."""
    form = client.get("/login")
    prelogin = re.search(r'name="prelogin" value="([^"]+)"', form.text)
    assert prelogin
    response = client.post(
        "/login",
        data={"handle": handle, "password": password, "prelogin": prelogin.group(1), "next": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/help").text)  # every page carries it in the logout form
