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


def test_a_suggested_medicine_name_is_confirmed_by_a_clinician(app_client: TestClient) -> None:
    """An unrecognised name is flagged on the person's page with its 'did you mean'; the
    clinician confirms it, and only then is it the recognised medicine."""
    from sqlalchemy import select

    from taperline.clock import FixedClock
    from taperline.db.models import Medication, User
    from taperline.domain.access import Actor
    from taperline.services import people

    state = app_client.app.state  # type: ignore[attr-defined]
    with state.sessions() as session:
        people.add_medication(
            session, FixedClock(NOW), Actor.operator("tests"), "harper",
            name="luvoxx 50mg", category="other_medication", amount=None,
        )  # fmt: skip
        session.commit()
        harper = session.scalars(select(User).where(User.handle == "harper")).one()
        medication_id = session.scalars(
            select(Medication.id).where(Medication.person_id == harper.id)
        ).all()[-1]
    csrf = login(app_client, "sam")  # Harper's clinician
    page = app_client.get("/people/harper")
    assert "not recognised: interactions not checked" in page.text
    assert "Correct “luvoxx 50mg” to “luvox”" in page.text
    wrong = app_client.put(
        f"/api/v1/people/harper/medications/{medication_id}",
        headers={"x-csrf-token": csrf},
        json={"name": "luvoxxx"},
    )
    assert wrong.status_code == 422 and "does not recognise" in wrong.text
    done = app_client.post(
        f"/people/harper/medications/{medication_id}",
        data={"csrf_token": csrf, "name": "luvox"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "not recognised" not in app_client.get("/people/harper").text
    app_client.cookies.clear()
    other = login(app_client, "cleo")  # not Harper's clinician
    refused = app_client.put(
        f"/api/v1/people/harper/medications/{medication_id}",
        headers={"x-csrf-token": other},
        json={"name": "luvox"},
    )
    assert refused.status_code == 403
