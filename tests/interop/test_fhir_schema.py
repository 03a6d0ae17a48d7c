"""Taperline's FHIR export against the official R4B JSON schema (tests/data/fhir/SOURCE.md)."""

from __future__ import annotations

import copy
import gzip
import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from fastapi.testclient import TestClient

from tests.web.conftest import login

SCHEMA = Path(__file__).parent.parent / "data" / "fhir" / "fhir.schema.json.gz"
PER_TYPE = 25  # resources of each type validated (the whole record also passes fhir.resources)


@cache
def _schema() -> dict[str, Any]:
    with gzip.open(SCHEMA, "rt", encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def _validator(resource_type: str) -> jsonschema.Draft6Validator:
    root = _schema()
    schema = {"$ref": f"#/definitions/{resource_type}", "definitions": root["definitions"]}
    return jsonschema.Draft6Validator(schema)


def _problems(resource: dict[str, Any]) -> list[str]:
    validator = _validator(resource["resourceType"])
    return [
        f"{resource['resourceType']}/{resource.get('id')} {list(e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(resource)
    ]


def _sample(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in bundle["entry"]:
        by_type[entry["resource"]["resourceType"]].append(entry["resource"])
    return [r for resources in by_type.values() for r in resources[:PER_TYPE]]


def test_a_person_bundle_passes_the_official_schema(app_client: TestClient) -> None:
    login(app_client, "cleo")
    answer = app_client.get("/api/v1/people/alex/fhir")
    assert answer.status_code == 200
    bundle = answer.json()
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "CarePlan", "Questionnaire", "QuestionnaireResponse", "Observation",
            "Provenance", "Flag"} <= kinds  # fmt: skip
    problems = [p for resource in _sample(bundle) for p in _problems(resource)]
    assert problems == []
    shell = {**bundle, "entry": [bundle["entry"][0]]}  # the Bundle itself, with one entry
    assert _problems(shell) == []


def test_the_schema_catches_a_broken_resource(app_client: TestClient) -> None:
    """The check above can fail: a missing required element and an element FHIR does not have."""
    login(app_client, "cleo")
    bundle = app_client.get("/api/v1/people/alex/fhir").json()
    observation = copy.deepcopy(
        next(
            e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
        )
    )
    observation["colour"] = "blue"
    observation.pop("code")
    problems = _problems(observation)
    assert any("'colour' was unexpected" in p for p in problems)
    assert any("'code' is a required property" in p for p in problems)
