"""Wrong-shaped questionnaire answers over HTTP: the API and the check-in page refuse them,
naming the instrument and the item, and store nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import NOW, login


def _post(client: TestClient, csrf: str, responses: dict[str, object]) -> tuple[int, str]:
    answer = client.post(
        "/api/v1/people/harper/checkins",
        headers={"x-csrf-token": csrf},
        json={"date": NOW.date().isoformat(), "responses": responses},
    )
    return answer.status_code, answer.text


def test_the_api_refuses_wrong_answers_naming_instrument_and_item(app_client: TestClient) -> None:
    csrf = login(app_client, "harper")
    before = app_client.get("/api/v1/people/harper/checkins").json()
    cases = {
        "too many": ({"gad7": [0] * 9}, "GAD-7 has 8 items but 9 answers"),
        "too few": ({"phq9": [0] * 3}, "responses.phq9"),
        "out of range": ({"gad7": [0, 0, 7, 0, 0, 0, 0]}, "responses.gad7.item 3"),
        "not whole": ({"sows": [1.5] + [0] * 15}, "responses.sows.item 1"),
        "unknown item": ({"gad2": {"gad7_1": 1, "gad7_2": 0, "extra": 1}}, "not an item of"),
        "twice": ({"gad7": [0] * 7, "GAD7": [0] * 7}, "answered twice"),
    }
    for name, (responses, expected) in cases.items():
        status, text = _post(app_client, csrf, responses)
        assert status == 422, (name, text)
        assert expected in text, (name, text)
    assert app_client.get("/api/v1/people/harper/checkins").json() == before
