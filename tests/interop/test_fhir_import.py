"""Importing FHIR QuestionnaireResponses: Taperline's own export round-trips into another
person's record with the same answers and scores; another system's response (LOINC panel and
item codes) is scored again; bad resources are refused by name and nothing is imported."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db.models import Checkin
from taperline.domain.access import Actor
from taperline.domain.errors import InvalidInput
from taperline.services import fhir, fhir_import
from taperline.services.authz import AccessDenied
from tests.actors import cast
from tests.factories import actor_for, checkin_data, submit
from tests.web.conftest import login

OPERATOR = Actor.operator("tests")


def _answers(document: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """(questionnaire, answers) of every response, without ids or subject."""
    found = []
    for entry in document["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "QuestionnaireResponse":
            found.append((resource["questionnaire"], resource.get("item", [])))
    return sorted(found, key=json.dumps)


def _totals(document: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted(
        (e["resource"]["code"]["text"], e["resource"].get("valueInteger"))
        for e in document["entry"]
        if e["resource"]["resourceType"] == "Observation" and "valueInteger" in e["resource"]
    )


def test_an_export_round_trips_into_another_record(session: Session, clock: FixedClock) -> None:
    who = cast(session, clock)
    data = checkin_data(clock.today())
    data["responses"] |= {"phq9": [1, 0, 2, 0, 1, 0, 0, 1, 0, 1], "gad7": [1, 1, 0, 0, 2, 1, 0]}
    submit(session, clock, actor_for(who.pat), "pat", data)
    exported = fhir.export_person(session, clock, OPERATOR, "pat")
    done = fhir_import.import_responses(session, clock, OPERATOR, "quinn", json.dumps(exported))
    assert (done.stored, done.already) == (4, 0)
    again = fhir.export_person(session, clock, OPERATOR, "quinn")
    assert _answers(again) == _answers(exported) and _totals(again) == _totals(exported)
    # Importing the same file again stores nothing twice.
    repeat = fhir_import.import_responses(session, clock, OPERATOR, "quinn", json.dumps(exported))
    assert (repeat.stored, repeat.already) == (0, 4)


def test_another_systems_response_is_scored_again(session: Session, clock: FixedClock) -> None:
    cast(session, clock)
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": "ehr-123",
        "status": "completed",
        "questionnaire": "http://loinc.org/q/69737-5",  # GAD-7 by its LOINC panel
        "authored": "2026-03-13T09:30:00Z",
        "item": [
            {"linkId": f"gad7_{n}", "answer": [{"valueInteger": v}]}
            for n, v in enumerate([3, 2, 1, 0, 1, 2, 3], start=1)
        ],
    }
    done = fhir_import.import_responses(session, clock, OPERATOR, "pat", json.dumps(response))
    assert done.stored == 1
    document = fhir.export_person(session, clock, OPERATOR, "pat")
    totals = [v for text, v in _totals(document) if "GAD-7" in text]
    assert totals == [12]  # 3+2+1+0+1+2+3, scored again by Taperline


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"questionnaire": "http://example.org/Questionnaire/audit-c"}, "not an instrument"),
        ({"status": "in-progress"}, "only completed"),
        ({"item": [{"linkId": "gad7_99", "answer": [{"valueInteger": 1}]}]}, "not an item"),
        ({"item": [{"linkId": "gad7_1", "answer": [{"valueInteger": 9}]}]}, "item 1"),
        ({"authored": "not a date"}, "not valid FHIR"),
    ],
)
def test_bad_resources_are_refused_and_nothing_is_imported(
    session: Session, clock: FixedClock, change: dict[str, Any], expected: str
) -> None:
    cast(session, clock)
    good = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "https://taperline.org/fhir/Questionnaire/gad7",
        "authored": "2026-03-13T09:30:00Z",
        "item": [{"linkId": f"gad7_{n}", "answer": [{"valueInteger": 0}]} for n in range(1, 8)],
    }
    bad = {"resourceType": "Bundle", "type": "collection",
           "entry": [{"resource": good}, {"resource": good | change}]}  # fmt: skip
    with pytest.raises(InvalidInput, match=expected):
        fhir_import.import_responses(session, clock, OPERATOR, "pat", json.dumps(bad))
    assert session.scalar(select(func.count(Checkin.id))) == 0
    with pytest.raises(InvalidInput, match="is not JSON"):
        fhir_import.import_responses(session, clock, OPERATOR, "pat", b"{nope")
    with pytest.raises(InvalidInput, match="'Patient' cannot be imported"):
        fhir_import.import_responses(
            session, clock, OPERATOR, "pat", json.dumps({"resourceType": "Patient"})
        )


def test_only_those_who_may_check_in_for_the_person_import(
    session: Session, clock: FixedClock
) -> None:
    who = cast(session, clock)
    response = {
        "resourceType": "QuestionnaireResponse", "status": "completed",
        "questionnaire": "https://taperline.org/fhir/Questionnaire/gad2",
        "authored": "2026-03-13T09:30:00Z",
        "item": [{"linkId": "gad2_1", "answer": [{"valueInteger": 1}]},
                 {"linkId": "gad2_2", "answer": [{"valueInteger": 1}]}],
    }  # fmt: skip
    with pytest.raises(AccessDenied):
        fhir_import.import_responses(
            session, clock, actor_for(who.uma), "pat", json.dumps(response)
        )


def test_the_api_imports(app_client: TestClient) -> None:
    csrf = login(app_client, "cleo")
    exported = app_client.get("/api/v1/people/alex/fhir").json()
    answer = app_client.post(
        "/api/v1/people/casey/fhir", headers={"x-csrf-token": csrf}, content=json.dumps(exported)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] > 0
    broken = app_client.post(
        "/api/v1/people/casey/fhir", headers={"x-csrf-token": csrf}, content=b"[1, 2]"
    )
    assert broken.status_code == 422 and "JSON object" in broken.text
