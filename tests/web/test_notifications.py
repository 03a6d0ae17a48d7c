"""Notifications and contact preferences through the real ASGI app on the demo database:
each account sees and changes only its own; bad input names the field and changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from taperline.clock import FixedClock
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import Job, User
from taperline.services import notifications
from taperline.services.uow import unit_of_work
from tests.web.conftest import NOW, login


def notify_alex(demo_url: str, title: str) -> None:
    clock = FixedClock(NOW)
    with unit_of_work(make_sessionmaker(make_engine(demo_url)), clock) as session:
        alex = session.scalars(select(User).where(User.handle == "alex")).one()
        notifications.notify(session, clock, alex, kind="message", title=title, body="Hello.")


def test_a_person_reads_their_notifications_and_marks_them_read(
    app_client: TestClient, demo_url: str
) -> None:
    notify_alex(demo_url, "A note from Dr Cleo")
    csrf = login(app_client, "alex")
    page = app_client.get("/notifications")
    assert page.status_code == 200 and "A note from Dr Cleo" in page.text and "New: " in page.text
    listed = app_client.get("/api/v1/notifications?unread=true").json()["data"]
    assert [n["title"] for n in listed if n["title"] == "A note from Dr Cleo"]
    done = app_client.post("/notifications/read", data={"csrf_token": csrf})
    assert done.status_code == 200  # followed the 303 back to the page
    assert app_client.get("/api/v1/notifications?unread=true").json()["data"] == []


def test_nobody_else_sees_a_persons_notifications(app_client: TestClient, demo_url: str) -> None:
    notify_alex(demo_url, "Only for alex")
    for handle in ("blair", "cleo", "ada"):
        app_client.cookies.clear()
        login(app_client, handle)
        titles = [n["title"] for n in app_client.get("/api/v1/notifications").json()["data"]]
        assert "Only for alex" not in titles
        assert "Only for alex" not in app_client.get("/notifications").text


def test_contact_preferences_change_and_bad_input_names_the_field(
    app_client: TestClient, demo_url: str
) -> None:
    csrf = login(app_client, "blair")
    saved = app_client.put(
        "/api/v1/account/contact",
        headers={"x-csrf-token": csrf},
        json={
            "email": "blair@example.org",
            "emails": True,
            "details": False,
            "reminders": True,
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["quiet_start"] == "22:00"
    bad = app_client.put(
        "/api/v1/account/contact",
        headers={"x-csrf-token": csrf},
        json={"email": "not an address", "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert bad.status_code == 422 and "email" in bad.text
    half = app_client.put(
        "/api/v1/account/contact",
        headers={"x-csrf-token": csrf},
        json={"email": "blair@example.org", "quiet_start": "22:00"},
    )
    assert half.status_code == 422 and "quiet_end" in half.text
    form = app_client.post(
        "/notifications/contact",
        data={"csrf_token": csrf, "email": "blair@example.org", "quiet_start": "25:00"},
    )
    assert (
        form.status_code == 422
        and "quiet_start" in form.text
        and 'aria-invalid="true"' in form.text
    )
    kept = app_client.get("/api/v1/account/contact").json()
    assert kept == {
        "email": "blair@example.org",
        "emails": True,
        "details": False,
        "reminders": True,
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }


def test_a_notification_for_an_account_with_email_queues_one_email_job(demo_url: str) -> None:
    clock = FixedClock(NOW)
    sessions = make_sessionmaker(make_engine(demo_url))
    with unit_of_work(sessions, clock) as session:
        casey = session.scalars(select(User).where(User.handle == "casey")).one()
        casey.email = "casey@example.org"
        first = notifications.notify(session, clock, casey, kind="message", title="t", body="b")
    with sessions() as session:
        queued = session.scalars(
            select(Job.dedupe_key).where(Job.dedupe_key == f"email:notification:{first}")
        ).all()
    assert queued == [f"email:notification:{first}"]
