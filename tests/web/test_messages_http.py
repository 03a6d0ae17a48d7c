"""Messages over HTTP: a person writes to their care team through the page and the API, the
clinician sees the unread count and replies, the person sees the read receipt; urgent words
answer with the crisis steps at once; bad input names the field and stores nothing; other
people get nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from taperline.domain.messages import MAX_BODY
from tests.web.conftest import csrf_of, login


def test_a_conversation_on_the_pages(app_client: TestClient) -> None:
    csrf = login(app_client, "blair")
    page = app_client.get("/me/messages")
    assert page.status_code == 200 and "Messages with my care team" in page.text
    sent = app_client.post(
        "/me/messages",
        data={"csrf_token": csrf, "subject": "Appointment", "body": "Can we meet on Friday?"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    thread_url = sent.headers["location"].split("?")[0]
    shown = app_client.get(sent.headers["location"])
    assert "Can we meet on Friday?" in shown.text and "Not read yet" in shown.text

    app_client.cookies.clear()
    csrf = login(app_client, "cleo")
    listing = app_client.get("/people/blair/messages")
    assert "Appointment" in listing.text and "1 new" in listing.text
    caseload = app_client.get("/caseload")
    assert "1 new message" in caseload.text
    opened = app_client.get(thread_url)
    assert opened.status_code == 200 and "Can we meet on Friday?" in opened.text
    replied = app_client.post(
        thread_url, data={"csrf_token": csrf, "body": "Yes, 10:00 works."}, follow_redirects=False
    )
    assert replied.status_code == 303

    app_client.cookies.clear()
    login(app_client, "blair")
    again = app_client.get(thread_url)
    assert "Yes, 10:00 works." in again.text and "Read by" in again.text


def test_urgent_words_show_the_crisis_steps_at_once(app_client: TestClient) -> None:
    csrf = login(app_client, "casey")
    answer = app_client.post(
        "/me/messages",
        data={"csrf_token": csrf, "subject": "Tonight", "body": "I want to die. I can't do this."},
        follow_redirects=False,
    )
    assert answer.status_code == 201
    assert "your care team has an urgent alert" in answer.text
    assert "988" in answer.text and 'href="tel:911"' in answer.text

    api = app_client.post(
        "/api/v1/me/messages",
        headers={"x-csrf-token": csrf},
        json={"subject": "Friend", "body": "My friend is unresponsive and his lips are blue"},
    )
    assert api.status_code == 201, api.text
    body = api.json()
    assert [u["rule"] for u in body["urgent"]] == ["red_flag.overdose_signs"]
    assert "lips are blue" in body["urgent"][0]["words"]
    assert body["crisis_steps"] and "911" in body["crisis_summary"]


def test_the_api_round_trip_with_receipts(app_client: TestClient) -> None:
    csrf = login(app_client, "alex")
    started = app_client.post(
        "/api/v1/me/messages",
        headers={"x-csrf-token": csrf},
        json={"subject": "Magnesium", "body": "Should I take it at night?"},
    )
    assert started.status_code == 201 and started.json()["urgent"] == []
    thread_id = started.json()["thread_id"]
    mine = app_client.get("/api/v1/me/messages").json()["data"]
    assert any(t["id"] == thread_id and t["unread"] == 0 for t in mine)

    app_client.cookies.clear()
    csrf = login(app_client, "cleo")
    [row] = [
        t
        for t in app_client.get("/api/v1/people/alex/messages").json()["data"]
        if t["id"] == thread_id
    ]
    assert row["unread"] == 1
    thread = app_client.get(f"/api/v1/messages/{thread_id}").json()
    assert thread["messages"][0]["body"] == "Should I take it at night?"
    reply = app_client.post(
        f"/api/v1/messages/{thread_id}",
        headers={"x-csrf-token": csrf},
        json={"body": "Ask me at your visit; the plan says evening."},
    )
    assert reply.status_code == 201

    app_client.cookies.clear()
    login(app_client, "alex")
    seen = app_client.get(f"/api/v1/messages/{thread_id}").json()
    first = seen["messages"][0]
    assert first["mine"] and [r["name"] for r in first["read_by"]]


def test_bad_input_names_the_field_and_keeps_what_was_typed(app_client: TestClient) -> None:
    csrf = login(app_client, "devon")
    long = "x" * (MAX_BODY + 1)
    page = app_client.post("/me/messages", data={"csrf_token": csrf, "subject": "Hi", "body": long})
    assert page.status_code == 422 and "4001 characters long" in page.text
    assert 'aria-invalid="true"' in page.text and "xxxxxxxx" in page.text
    api = app_client.post(
        "/api/v1/me/messages",
        headers={"x-csrf-token": csrf},
        json={"subject": "", "body": "hello"},
    )
    assert api.status_code == 422 and "subject" in api.text
    assert app_client.get("/api/v1/me/messages").json()["data"] == []
    missing = app_client.get("/api/v1/messages/999999")
    assert missing.status_code == 404 and "thread" in missing.text


def test_nobody_else_reads_or_writes(app_client: TestClient) -> None:
    csrf = login(app_client, "emery")
    started = app_client.post(
        "/api/v1/me/messages",
        headers={"x-csrf-token": csrf},
        json={"subject": "Private", "body": "Just for Sam."},
    ).json()
    thread = started["thread_id"]
    for other in ("frankie", "cleo", "ada"):  # another person; a clinician not caring; admin
        app_client.cookies.clear()
        token = login(app_client, other)
        assert app_client.get(f"/api/v1/messages/{thread}").status_code == 404
        assert app_client.get(f"/messages/{thread}").status_code == 404
        write = app_client.post(
            f"/api/v1/messages/{thread}", headers={"x-csrf-token": token}, json={"body": "hi"}
        )
        assert write.status_code == 404
        assert app_client.get("/api/v1/people/emery/messages").status_code == 403
    app_client.cookies.clear()
    login(app_client, "sam")
    thread_json = app_client.get(f"/api/v1/messages/{thread}").json()
    assert [m["body"] for m in thread_json["messages"]] == ["Just for Sam."]
    assert csrf_of(app_client.get("/people/emery/messages").text)
