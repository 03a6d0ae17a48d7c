"""A whole record moves between clinics: a demo person's Bundle, imported into an empty clinic
of another database, exports again as the same resources apart from ids (and the Bundle's own
id and time); bad Bundles are refused by resource, with nothing stored; a clinician who imports
cares for the person; over the CLI and the API."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from taperline.cli import app
from taperline.clock import FixedClock
from taperline.db.engine import make_engine, make_sessionmaker
from taperline.db.models import AuditEvent, User
from taperline.domain.access import Actor
from taperline.domain.errors import InvalidInput
from taperline.domain.units import Amount
from taperline.services import fhir, fhir_record, people
from taperline.services.authz import AccessDenied
from taperline.services.uow import unit_of_work
from tests.actors import cast
from tests.factories import actor_for
from tests.web.conftest import login

TODAY = "2026-03-14"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """alex's record from the demo clinic, exported by the operator."""
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    env = {"TAPERLINE_DATABASE_URL": url, "TAPERLINE_AS": None}
    assert CliRunner().invoke(app, ["--today", TODAY, "demo"], env=env).exit_code == 0
    engine = make_engine(url)
    clock = FixedClock(dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC))  # the demo's today
    with unit_of_work(make_sessionmaker(engine), clock) as session:
        people.add_medication(
            session, clock, Actor.operator("t"), "alex", name="Buprenorphine", category="moud",
            amount=Amount.parse("8", "mg", field="amount"), schedule="every morning",
            started_on=dt.date(2026, 2, 1),
        )  # fmt: skip
        people.add_medication(
            session, clock, Actor.operator("t"), "alex", name="Melatonin", category="melatonin",
            amount=None, prescribed=False,
        )  # fmt: skip
        document = fhir.export_person(session, clock, Actor.operator("t"), "alex")
    engine.dispose()
    return document


def _normalised(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries with every resource id replaced by its type and position, in the ids
    themselves and wherever they are referred to."""
    names: dict[str, str] = {}
    seen: dict[str, int] = defaultdict(int)
    for entry in bundle["entry"]:
        kind, rid = entry["resource"]["resourceType"], entry["resource"]["id"]
        names[f"{kind}/{rid}"] = f"{kind}/#{seen[kind]}"
        seen[kind] += 1
    text = json.dumps(bundle["entry"], sort_keys=True)
    text = re.sub(
        r'"(?:[A-Za-z:/.]*/)?([A-Z][A-Za-z]+/[A-Za-z0-9.-]+)"',
        lambda m: json.dumps(names.get(m.group(1), m.group(1))),
        text,
    )
    entries: list[dict[str, Any]] = json.loads(text)
    for entry in entries:
        kind = entry["resource"]["resourceType"]
        entry["resource"]["id"] = names[f"{kind}/{entry['resource']['id']}"]
    return entries


def test_a_record_round_trips_into_an_empty_clinic(
    session: Session, clock: FixedClock, exported: dict[str, Any]
) -> None:
    kinds = {e["resource"]["resourceType"] for e in exported["entry"]}
    assert {"QuestionnaireResponse", "CarePlan", "MedicationStatement", "Flag"} <= kinds
    people.create_clinic(session, clock, Actor.operator("t"), "Receiving Clinic")
    done = fhir_record.import_record(
        session, clock, Actor.operator("t"), json.dumps(exported), clinic_ref="Receiving Clinic"
    )
    assert done.handle == "alex" and done.checkins > 10 and done.plans >= 1
    again = fhir.export_person(session, clock, Actor.operator("t"), "alex")
    before, after = _normalised(exported), _normalised(again)
    assert len(after) == len(before)
    for one, two in zip(before, after, strict=True):
        assert two == one
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "fhir.import_record")
        )
        == 1
    )


def test_a_clinician_who_imports_cares_for_the_person(
    session: Session, clock: FixedClock, exported: dict[str, Any]
) -> None:
    who = cast(session, clock)  # a clinic with cleo (clinician) and pat; the record is renamed
    text = json.dumps(exported).replace('"value": "alex"', '"value": "alex.moved"')
    done = fhir_record.import_record(session, clock, actor_for(who.cleo), text)
    assert done.handle == "alex.moved"
    # cleo may read what she brought in: the care relationship was made with the account
    bundle = fhir.export_person(session, clock, actor_for(who.cleo), "alex.moved")
    assert len(bundle["entry"]) == len(exported["entry"])
    with pytest.raises(AccessDenied):
        fhir_record.import_record(session, clock, actor_for(who.pat), text)


def _refused(session: Session, clock: FixedClock, text: str) -> InvalidInput:
    people.create_clinic(session, clock, Actor.operator("t"), "Receiving Clinic")
    before = session.scalar(select(func.count()).select_from(User))
    with pytest.raises(InvalidInput) as refused:
        fhir_record.import_record(
            session, clock, Actor.operator("t"), text, clinic_ref="Receiving Clinic"
        )
    assert session.scalar(select(func.count()).select_from(User)) == before  # nothing stored
    return refused.value


def test_bad_bundles_are_refused_by_resource_with_nothing_stored(
    session: Session, clock: FixedClock, exported: dict[str, Any]
) -> None:
    assert _refused(session, clock, "{not json").field == "file"
    unknown = dict(exported, entry=[*exported["entry"], {"resource": {
        "resourceType": "Encounter", "id": "e1", "status": "finished",
        "class": {"code": "AMB"}}}])  # fmt: skip
    error = _refused(session, clock, json.dumps(unknown))
    assert error.field == "Encounter/e1" and "cannot be imported" in error.problem
    foreign = json.loads(json.dumps(exported))
    for entry in foreign["entry"]:
        if entry["resource"]["resourceType"] == "CarePlan":
            entry["resource"].pop("extension")
    error = _refused(session, clock, json.dumps(foreign))
    assert error.field.startswith("CarePlan/") and "plan document" in error.problem
    wrong = json.loads(json.dumps(exported))
    response = next(
        e["resource"] for e in wrong["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )  # fmt: skip
    response["item"][0]["linkId"] = "no-such-item"
    error = _refused(session, clock, json.dumps(wrong))
    assert "no-such-item" in error.field
    invalid = json.loads(json.dumps(exported))
    invalid["entry"][0]["resource"]["active"] = "perhaps"
    assert "not valid FHIR R4B" in _refused(session, clock, json.dumps(invalid)).problem


def test_a_handle_already_here_is_refused(
    session: Session, clock: FixedClock, exported: dict[str, Any]
) -> None:
    cast(session, clock)  # pat exists here already
    error = _refused(
        session, clock, json.dumps(exported).replace('"value": "alex"', '"value": "pat"')
    )
    assert error.field == "handle" and "taken" in error.problem


def test_the_cli_and_the_api_import_a_record(
    tmp_path: Path, exported: dict[str, Any], app_client: TestClient
) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    env = {"TAPERLINE_DATABASE_URL": url, "TAPERLINE_AS": None}
    runner = CliRunner()
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    assert runner.invoke(app, ["clinic", "add", "New Clinic"], env=env).exit_code == 0
    source = tmp_path / "alex.json"
    source.write_text(json.dumps(exported), encoding="utf-8")
    done = runner.invoke(app, ["import", "record", str(source), "--clinic", "New Clinic"], env=env)
    assert done.exit_code == 0, done.output
    assert "Imported alex:" in done.output
    again = runner.invoke(app, ["import", "record", str(source), "--clinic", "New Clinic"], env=env)
    assert again.exit_code != 0 and "already taken" in again.output

    renamed = json.dumps(exported).replace('"value": "alex"', '"value": "alex.api"')
    csrf = login(app_client, "cleo")
    answer = app_client.post(
        "/api/v1/fhir/records",
        content=renamed,
        headers={"content-type": "application/json", "x-csrf-token": csrf},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["handle"] == "alex.api"
    bad = app_client.post(
        "/api/v1/fhir/records",
        content=b"[]",
        headers={"content-type": "application/json", "x-csrf-token": csrf},
    )
    assert bad.status_code == 422 and "Bundle" in bad.text
