"""Rewards over HTTP on the demo clinic: the person sees balance, progress and history; their
clinician enters screens and sessions, redeems and corrects; the clinic's staff set the
programme; bad input names the field and keeps the ledger; nobody else gets in."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.web.conftest import NOW, login


def test_the_demo_history_is_on_the_persons_page(app_client: TestClient) -> None:
    login(app_client, "alex")
    page = app_client.get("/me/rewards")
    assert page.status_code == 200 and "My rewards" in page.text
    assert "Negative urine drug screen" in page.text and "Bus pass top-up" in page.text
    assert "Never for a dose" in page.text and "Supported" in page.text  # the graded claim
    body = app_client.get("/api/v1/me/rewards").json()
    assert body["enrolled"] and body["programme"]["unit"] == "voucher_cents"
    kinds = {e["kind"] for e in body["entries"]}
    assert {"earned", "missed", "redeemed"} <= kinds
    assert body["balance"] == sum(e["amount"] for e in body["entries"])
    assert body["balance_text"].startswith("$")
    checkins = [e for e in body["entries"] if e["behaviour"] == "checkin_on_time"]
    assert checkins and all(e["by"] is None for e in checkins)  # earned by checking in


def test_the_clinician_enters_redeems_and_corrects(app_client: TestClient) -> None:
    csrf = login(app_client, "cleo")
    headers = {"x-csrf-token": csrf}
    before = app_client.get("/api/v1/people/alex/rewards").json()
    today = NOW.date().isoformat()
    page = app_client.post(
        "/people/alex/rewards/events",
        data={"csrf_token": csrf, "behaviour": "negative_uds", "date": today, "outcome": "met"},
    )
    assert page.status_code == 200 and "earned" in page.text
    after = app_client.get("/api/v1/people/alex/rewards").json()
    gained = after["balance"] - before["balance"]
    assert gained > 0 and after["entries"][0]["behaviour"] == "negative_uds"

    again = app_client.post(
        "/api/v1/people/alex/rewards/events",
        headers=headers,
        json={"behaviour": "negative_uds", "date": today, "met": True},
    )
    assert again.status_code == 422 and "already recorded" in again.text
    dose = app_client.post(
        "/api/v1/people/alex/rewards/events",
        headers=headers,
        json={"behaviour": "dose_reduction", "date": today, "met": True},
    )
    assert dose.status_code == 422 and "never rewards a dose" in dose.text

    too_much = app_client.post(
        "/people/alex/rewards/redeem",
        data={"csrf_token": csrf, "amount": str(after["balance"] + 1), "note": "Too much"},
    )
    assert too_much.status_code == 422 and "more than the balance" in too_much.text
    redeemed = app_client.post(
        "/api/v1/people/alex/rewards/redeem", headers=headers, json={"amount": 100, "note": "Card"}
    )
    assert redeemed.status_code == 201 and redeemed.json()["amount"] == -100

    wrong = after["entries"][0]["id"]
    fixed = app_client.post(
        "/api/v1/people/alex/rewards/corrections",
        headers=headers,
        json={"entry_id": wrong, "note": "Entered for the wrong day"},
    )
    assert fixed.status_code == 201 and fixed.json()["amount"] == -gained
    final = app_client.get("/api/v1/people/alex/rewards").json()
    assert final["balance"] == before["balance"] - 100
    assert any(e["id"] == wrong and e["corrected"] for e in final["entries"])


def test_the_programme_is_set_by_clinic_staff(app_client: TestClient) -> None:
    csrf = login(app_client, "ada")
    page = app_client.get("/clinic/rewards")
    assert page.status_code == 200 and "Recovery vouchers" in page.text
    bad = app_client.put(
        "/api/v1/clinic/rewards",
        headers={"x-csrf-token": csrf},
        json={"name": "X", "unit": "points", "rules": [{"behaviour": "kratom_dose", "first": 1}]},
    )
    assert bad.status_code == 422 and "rules[0].behaviour" in bad.text
    form = app_client.post(
        "/clinic/rewards",
        data={
            "csrf_token": csrf, "name": "Draws", "unit": "draws",
            "negative_uds.on": "yes", "negative_uds.first": "1", "negative_uds.step": "1",
            "negative_uds.cap": "0", "negative_uds.bonus_every": "0", "negative_uds.bonus": "x",
        },
    )  # fmt: skip
    assert form.status_code == 422
    assert "Negative urine drug screen, the bonus: Must be a whole number" in form.text
    assert "Recovery vouchers" in app_client.get("/clinic/rewards").text  # nothing changed


def test_nobody_else_reads_or_awards(app_client: TestClient) -> None:
    for other in ("blair", "sam"):  # another person; a clinician who does not care for alex
        app_client.cookies.clear()
        csrf = login(app_client, other)
        assert app_client.get("/api/v1/people/alex/rewards").status_code == 403
        award = app_client.post(
            "/api/v1/people/alex/rewards/events",
            headers={"x-csrf-token": csrf},
            json={
                "behaviour": "negative_uds",
                "date": dt.date(2026, 3, 1).isoformat(),
                "met": True,
            },
        )
        assert award.status_code == 403
    app_client.cookies.clear()
    csrf = login(app_client, "alex")
    self_award = app_client.post(
        "/api/v1/people/alex/rewards/redeem", headers={"x-csrf-token": csrf},
        json={"amount": 1, "note": "me"},
    )  # fmt: skip
    assert self_award.status_code == 403
