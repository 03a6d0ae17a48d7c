"""A person's record as FHIR R4B: built and validated with fhir.resources, read back with the
same models, every answered instrument a QuestionnaireResponse with its total Observation
(LOINC where the instrument cites it), access as the record; over HTTP and the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.domain.access import Actor
from taperline.services import fhir, people
from taperline.services.authz import AccessDenied
from tests.actors import cast
from tests.factories import actor_for, checkin_data, submit
from tests.web.conftest import login


def test_a_person_record_round_trips_through_the_fhir_models(
    session: Session, clock: FixedClock
) -> None:
    who = cast(session, clock)
    data = checkin_data(clock.today())
    data["responses"] |= {"phq9": [1, 0, 2, 0, 1, 0, 0, 1, 0, 1], "gad7": [1, 1, 0, 0, 2, 1, 0]}
    submit(session, clock, actor_for(who.pat), "pat", data)
    people.add_medication(
        session, clock, Actor.operator("t"), "pat", name="Suboxone 8 mg", category="moud",
        amount=None, schedule="every morning",
    )  # fmt: skip
    document = fhir.export_person(session, clock, actor_for(who.cleo), "pat")
    bundle = Bundle.model_validate(document)  # the library reads back what it built
    assert bundle.type == "collection"
    kinds = Counter(entry.resource.get_resource_type() for entry in bundle.entry or [])
    assert kinds["Patient"] == 1 and kinds["Questionnaire"] >= 8
    assert kinds["QuestionnaireResponse"] == 4  # craving, sows, phq9, gad7
    assert kinds["Observation"] == 4 and kinds["MedicationStatement"] == 1
    text = json.dumps(document)
    assert '"code": "44249-1"' in text and '"code": "44261-6"' in text  # PHQ-9 panel, total
    assert '"code": "69737-5"' in text and '"code": "70274-6"' in text  # GAD-7 panel, total
    phq9 = next(
        e.resource
        for e in bundle.entry or []
        if e.resource.get_resource_type() == "Observation"
        and "PHQ-9" in (e.resource.code.text or "")
    )
    assert phq9.valueInteger == 5 and phq9.subject.reference == "Patient/person-pat"


def test_only_the_person_and_their_clinicians_export(session: Session, clock: FixedClock) -> None:
    who = cast(session, clock)
    for other in (who.uma, who.quinn, who.ada):
        with pytest.raises(AccessDenied):
            fhir.export_person(session, clock, actor_for(other), "pat")
    assert fhir.export_person(session, clock, actor_for(who.pat), "pat")["type"] == "collection"


def test_the_api_serves_fhir_json(app_client: TestClient) -> None:
    login(app_client, "cleo")
    answer = app_client.get("/api/v1/people/alex/fhir")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(answer.json())
    resources = [e.resource for e in bundle.entry or []]
    plans = [r for r in resources if r.get_resource_type() == "CarePlan"]
    assert plans and any(p.status == "active" for p in plans)
    active = next(p for p in plans if p.status == "active")
    steps = [a.detail for a in active.activity or [] if a.detail.scheduledPeriod]
    assert steps and steps[0].dailyAmount.system == "http://unitsofmeasure.org"
    provenance = [r for r in resources if r.get_resource_type() == "Provenance"]
    assert provenance and provenance[0].agent[0].who.display == "Dr. Cleo Park"
    assert app_client.get("/api/v1/people/devon/fhir").status_code == 403  # Sam's, not Cleo's


def test_the_cli_writes_a_bundle(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from taperline.cli import app

    env = {"TAPERLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'f.sqlite3'}", "TAPERLINE_AS": None}
    runner = CliRunner()
    assert runner.invoke(app, ["--today", "2026-03-14", "demo"], env=env).exit_code == 0
    out = tmp_path / "alex.json"
    result = runner.invoke(app, ["export", "fhir", "alex", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert Bundle.model_validate_json(out.read_text()).type == "collection"
    again = runner.invoke(app, ["export", "fhir", "alex", "--out", str(out)], env=env)
    assert again.exit_code == 2 and "already" in again.output and "exists" in again.output


def test_sleep_diary_metrics_are_observations_in_ucum(session: Session, clock: FixedClock) -> None:
    who = cast(session, clock)
    data = checkin_data(clock.today())
    data["responses"]["sleep_diary"] = {
        "into_bed": "22:30", "tried_to_sleep": "23:00", "sleep_onset_minutes": 30,
        "awakenings": 2, "awake_minutes": 40, "final_awakening": "06:30", "out_of_bed": "07:00",
        "quality": 3,
    }  # fmt: skip
    submit(session, clock, actor_for(who.pat), "pat", data)
    bundle = Bundle.model_validate(fhir.export_person(session, clock, actor_for(who.pat), "pat"))
    metrics = {
        e.resource.code.coding[0].code: e.resource.valueQuantity
        for e in bundle.entry or []
        if e.resource.get_resource_type() == "Observation" and e.resource.valueQuantity
    }
    assert metrics["total_sleep_time"].unit == "min" and metrics["total_sleep_time"].value > 0
    assert metrics["sleep_efficiency"].code == "%"
    assert metrics["awakenings"].code == "{#}" and metrics["awakenings"].value == 2


def test_the_clinic_exports_as_ndjson_per_resource_type(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from taperline.cli import app

    env = {"TAPERLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}", "TAPERLINE_AS": None}
    runner = CliRunner()
    assert runner.invoke(app, ["--today", "2026-03-14", "demo"], env=env).exit_code == 0
    out = tmp_path / "bulk"
    refused = runner.invoke(
        app, ["--as", "cleo", "export", "fhir", "--clinic", "--out", str(out)], env=env
    )
    assert refused.exit_code == 2 and not out.exists()
    done = runner.invoke(app, ["export", "fhir", "--clinic", "--out", str(out)], env=env)
    assert done.exit_code == 0, done.output
    patients = (out / "Patient.ndjson").read_text().splitlines()
    assert len(patients) == 8  # the demo's eight people
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.questionnaire import Questionnaire

    assert all(Patient.model_validate_json(line).id for line in patients)
    forms = (out / "Questionnaire.ndjson").read_text().splitlines()
    assert len(forms) == 8 and Questionnaire.model_validate_json(forms[0]).url
    assert (out / "QuestionnaireResponse.ndjson").stat().st_size > 0


def test_every_bulk_document_is_exactly_what_the_models_write(tmp_path: Path) -> None:
    """The bulk export validates a sample; this holds the builders to writing, for every
    resource of the demo clinic, exactly the JSON the fhir.resources models write for it, so
    an unvalidated line is the same as a validated one."""
    from typer.testing import CliRunner

    from taperline.cli import app
    from taperline.interop.fhir import model_json

    env = {"TAPERLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}", "TAPERLINE_AS": None}
    runner = CliRunner()
    assert runner.invoke(app, ["--today", "2026-03-14", "demo"], env=env).exit_code == 0
    out = tmp_path / "bulk"
    assert (
        runner.invoke(app, ["export", "fhir", "--clinic", "--out", str(out)], env=env).exit_code
        == 0
    )
    kinds: Counter[str] = Counter()
    for path in sorted(out.glob("*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            document = json.loads(line)
            assert model_json(document) == document, (path.name, document.get("id"))
            kinds[document["resourceType"]] += 1
    assert {"Patient", "Questionnaire", "QuestionnaireResponse", "Observation", "CarePlan",
            "MedicationStatement", "Provenance", "Flag", "DetectedIssue"} <= set(kinds)  # fmt: skip
    assert kinds["DetectedIssue"] == kinds["Flag"]
    issue = json.loads((out / "DetectedIssue.ndjson").read_text().splitlines()[0])
    assert issue["code"]["coding"][0]["code"] and issue["evidence"][0]["detail"][0]["display"]


def test_a_bulk_export_stops_on_an_invalid_resource_and_leaves_nothing(
    session: Session, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import ValidationError

    from taperline.interop import fhir as builders

    cast(session, clock)
    broken = builders.patient

    def patient_without_a_valid_status(person: builders.PersonRecord) -> dict[str, object]:
        return broken(person) | {"active": "perhaps"}

    monkeypatch.setattr(builders, "patient", patient_without_a_valid_status)
    with pytest.raises(ValidationError):
        fhir.export_clinic(session, clock, Actor.operator("t"), tmp_path / "bulk")
    assert not (tmp_path / "bulk").exists() and list(tmp_path.iterdir()) == []
