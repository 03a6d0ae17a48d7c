"""Clinic admin: accounts, invitations (round trip), the audit log; and what admins may not see."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import login


def test_an_admin_invites_a_person_who_sets_a_password_and_logs_in(app_client: TestClient) -> None:
    csrf = login(app_client, "ada")
    accounts = app_client.get("/admin")
    assert accounts.status_code == 200 and "devon" in accounts.text
    made = app_client.post("/admin/invite/devon", data={"csrf_token": csrf})
    code = re.search(r"<strong>([0-9a-f-]{19})</strong>", made.text)
    assert made.status_code == 200 and code
    app_client.cookies.clear()
    short = app_client.post(
        "/invite", data={"code": code.group(1), "password": "short", "confirm": "short"}
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    done = app_client.post(
        "/invite",
        data={
            "code": code.group(1),
            "password": "devon-new-password",
            "confirm": "devon-new-password",
        },
    )
    assert done.status_code == 200 and "You're all set" in done.text
    again = app_client.post(
        "/invite",
        data={"code": code.group(1), "password": "another-password", "confirm": "another-password"},
    )
    assert again.status_code == 422 and "not valid or has expired" in again.text  # one use only
    login(app_client, "devon", "devon-new-password")


def test_the_admin_reads_and_exports_the_audit_log(app_client: TestClient) -> None:
    login(app_client, "ada")
    page = app_client.get("/admin/audit")
    assert page.status_code == 200 and "account.login" in page.text
    export = app_client.get("/admin/audit.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines()[0].startswith("occurred_at,actor,action,person_id")


def test_clinicians_and_people_cannot_read_the_audit_log(app_client: TestClient) -> None:
    for handle in ("cleo", "alex"):
        app_client.cookies.clear()
        login(app_client, handle)
        assert app_client.get("/admin/audit").status_code == 403
        assert app_client.get("/admin/audit.csv").status_code == 403


def test_an_admin_reads_no_health_data(app_client: TestClient) -> None:
    login(app_client, "ada")
    accounts = app_client.get("/admin")
    assert "SOWS" not in accounts.text and "check-in" not in accounts.text.lower()
