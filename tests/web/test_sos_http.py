"""SOS over HTTP: the API answer carries the steps and who was told; only a person raises one,
about themself; a form post needs its CSRF token."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import login


def test_a_person_raises_an_sos_through_the_api(app_client: TestClient) -> None:
    csrf = login(app_client, "emery")
    answer = app_client.post("/api/v1/sos", headers={"x-csrf-token": csrf})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["contacts"]["emergency"] == "911" and len(body["steps"]) == 5
    assert body["told"] and body["alert_raised"] is True
    assert "samhsa-overdose-toolkit" in body["citations"]
    again = app_client.post("/api/v1/sos", headers={"x-csrf-token": csrf}).json()
    assert again["alert_raised"] is False and again["told"] == body["told"]


def test_a_clinician_cannot_raise_an_sos_and_a_form_needs_its_token(
    app_client: TestClient,
) -> None:
    csrf = login(app_client, "cleo")
    refused = app_client.post("/api/v1/sos", headers={"x-csrf-token": csrf})
    assert refused.status_code == 403 and refused.json()["detail"]
    app_client.cookies.clear()
    login(app_client, "frankie")
    forged = app_client.post("/me/sos", data={})
    assert forged.status_code == 403
