"""Reading a whole record from a Bundle that Taperline exported (one person: Patient, their
QuestionnaireResponses, CarePlans with their plan document, MedicationStatements, Flags), for
import into another clinic. Pure: JSON in, plain records out, or an InvalidInput that names the
resource and the problem. Derived resources (the Questionnaires, score and sleep Observations,
a plan's own MedicationStatements, Provenance's name aside, DetectedIssues) are not read: the
importing Taperline scores and derives them again.

Another system's Bundle is refused for a whole-record import: only its QuestionnaireResponses
can be imported, into an existing person (interop.fhir_import)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from taperline.domain.errors import InvalidInput
from taperline.interop import fhir, fhir_import
from taperline.interop.fhir_import import Instrument

READ = {"Patient", "QuestionnaireResponse", "CarePlan", "MedicationStatement", "Provenance", "Flag"}
DERIVED = {"Questionnaire", "Observation", "DetectedIssue"}  # made again from what is read
MAX_ENTRIES = 200_000


@dataclass(frozen=True, slots=True)
class Person:
    handle: str
    name: str
    email: str | None
    active: bool
    timezone: str | None


@dataclass(frozen=True, slots=True)
class CheckinRecord:
    date: dt.date
    authored: dt.datetime
    responses: dict[str, dict[str, Any]]  # instrument id → answers


@dataclass(frozen=True, slots=True)
class PlanRecord:
    number: int
    status: str
    approved_at: dt.datetime | None
    approved_by: str | None
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MedicationRecord:
    name: str
    category: str
    schedule: str
    prescribed: bool
    amount: tuple[str, str] | None  # value, unit as written
    started_on: dt.date | None


@dataclass(frozen=True, slots=True)
class AlertRecord:
    rule_id: str
    title: str
    severity: str
    status: str
    day: dt.date


@dataclass(slots=True)
class Record:
    person: Person
    checkins: list[CheckinRecord] = field(default_factory=list)
    plans: list[PlanRecord] = field(default_factory=list)
    medications: list[MedicationRecord] = field(default_factory=list)
    alerts: list[AlertRecord] = field(default_factory=list)


def _extension(resource: dict[str, Any], url: str) -> dict[str, Any] | None:
    return next((e for e in resource.get("extension", ()) if e.get("url") == url), None)


def _entries(text: str | bytes) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidInput("file", "is not JSON") from None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise InvalidInput("resourceType", "a whole record is imported from a Bundle")
    try:
        fhir.validated(document)
    except ValidationError as error:
        raise InvalidInput(
            "Bundle", f"is not valid FHIR R4B ({fhir_import.first_error(error)})"
        ) from None
    entries = [e.get("resource") for e in document.get("entry", ())]
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput("Bundle", f"holds {len(entries)} entries; at most {MAX_ENTRIES}")
    return [e for e in entries if isinstance(e, dict)]


def read(text: str | bytes, instruments: dict[str, Instrument]) -> Record:
    """The record in a Taperline Bundle, or the first thing that is wrong with it."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in _entries(text):
        kind = str(resource.get("resourceType"))
        name = f"{kind}/{resource.get('id', '?')}"
        if kind not in READ | DERIVED:
            raise InvalidInput(
                name, f"a {kind} cannot be imported into a record (supported: "
                f"{', '.join(sorted(READ | DERIVED))})",
            )  # fmt: skip
        by_kind[kind].append(resource)
    patients = by_kind["Patient"]
    if len(patients) != 1:
        raise InvalidInput("Bundle", f"holds {len(patients)} Patients; a record has one")
    record = Record(_person(patients[0]))
    record.checkins = _checkins(by_kind["QuestionnaireResponse"], instruments)
    record.plans = _plans(by_kind["CarePlan"], by_kind["Provenance"])
    record.medications = [
        _medication(m) for m in by_kind["MedicationStatement"] if not m.get("basedOn")
    ]
    record.alerts = [_alert(f) for f in by_kind["Flag"]]
    return record


def _person(patient: dict[str, Any]) -> Person:
    name = f"Patient/{patient.get('id', '?')}"
    handle = next(
        (i.get("value") for i in patient.get("identifier", ()) if i.get("system") == fhir.HANDLES),
        None,
    )
    if not handle:
        raise InvalidInput(
            f"{name}.identifier",
            f"has no Taperline handle ({fhir.HANDLES}): only a record Taperline exported can "
            "be imported whole; import another system's answers into an existing person",
        )
    email = next(
        (t.get("value") for t in patient.get("telecom", ()) if t.get("system") == "email"), None
    )
    zone = _extension(patient, fhir.TIMEZONE)
    names = patient.get("name") or [{}]
    return Person(
        handle=str(handle),
        name=str(names[0].get("text") or handle),
        email=email,
        active=bool(patient.get("active", True)),
        timezone=zone.get("valueCode") if zone else None,
    )


def _checkins(
    responses: list[dict[str, Any]], instruments: dict[str, Instrument]
) -> list[CheckinRecord]:
    """Responses grouped into the check-ins they were answered in: the same check-in day and
    the same moment of answering."""
    read = fhir_import.read(
        [QuestionnaireResponse.model_validate(r) for r in responses], instruments
    )
    groups: dict[tuple[dt.date, str], dict[str, dict[str, Any]]] = {}
    moments: dict[tuple[dt.date, str], dt.datetime] = {}
    for raw, answered in zip(responses, read, strict=True):
        day_extension = _extension(raw, fhir.CHECKIN_DATE)
        day = dt.date.fromisoformat(day_extension["valueDate"]) if day_extension else answered.date
        authored = dt.datetime.fromisoformat(str(raw["authored"]).replace("Z", "+00:00"))
        key = (day, authored.isoformat())
        group = groups.setdefault(key, {})
        if answered.instrument_id in group:
            raise InvalidInput(
                f"QuestionnaireResponse/{answered.source_id}",
                f"answers {answered.instrument_id} twice in one check-in",
            )
        group[answered.instrument_id] = answered.answers
        moments[key] = authored
    return [CheckinRecord(day, moments[(day, at)], group) for (day, at), group in groups.items()]


def _plans(plans: list[dict[str, Any]], provenance: list[dict[str, Any]]) -> list[PlanRecord]:
    approvals = {}
    for entry in provenance:
        for target in entry.get("target", ()):
            approvals[str(target.get("reference", ""))] = entry
    found = []
    for plan in plans:
        name = f"CarePlan/{plan.get('id', '?')}"
        carried = _extension(plan, fhir.PLAN_DOCUMENT)
        if carried is None:
            raise InvalidInput(
                name, "carries no Taperline plan document: only Taperline's own plans import"
            )
        try:
            document = json.loads(carried["valueString"])
        except (KeyError, ValueError):
            raise InvalidInput(f"{name}.extension", "the plan document is not JSON") from None
        title = str(plan.get("title", ""))
        number = title.rsplit(" ", 1)[-1]
        if not number.isdigit():
            raise InvalidInput(f"{name}.title", "should be 'Plan version N'")
        approval = approvals.get(f"CarePlan/{plan.get('id')}")
        approved_at = (
            dt.datetime.fromisoformat(str(approval["recorded"]).replace("Z", "+00:00"))
            if approval
            else None
        )
        agents = approval.get("agent", ()) if approval else ()
        approved_by = next((a.get("who", {}).get("display") for a in agents), None)
        found.append(
            PlanRecord(
                number=int(number),
                status="approved" if plan.get("status") == "active" else "superseded",
                approved_at=approved_at,
                approved_by=approved_by,
                document=document,
            )
        )
    return sorted(found, key=lambda p: p.number)


def _medication(statement: dict[str, Any]) -> MedicationRecord:
    name = f"MedicationStatement/{statement.get('id', '?')}"
    text = (statement.get("medicationCodeableConcept") or {}).get("text")
    if not text:
        raise InvalidInput(f"{name}.medicationCodeableConcept", "has no medicine name")
    codings = (statement.get("category") or {}).get("coding", ())
    category = next(
        (c.get("code") for c in codings if c.get("system") == fhir.MEDICATION_CATEGORY),
        "other_medication",
    )
    dosage = (statement.get("dosage") or [{}])[0]
    quantity = next(
        (d.get("doseQuantity") for d in dosage.get("doseAndRate", ()) if d.get("doseQuantity")),
        None,
    )
    start = (statement.get("effectivePeriod") or {}).get("start")
    return MedicationRecord(
        name=str(text),
        category=str(category),
        schedule=str(dosage.get("text") or ""),
        prescribed=not statement.get("note"),
        amount=(str(quantity["value"]), str(quantity.get("unit", ""))) if quantity else None,
        started_on=dt.date.fromisoformat(start[:10]) if start else None,
    )


def _alert(flag: dict[str, Any]) -> AlertRecord:
    name = f"Flag/{flag.get('id', '?')}"
    rule = next(
        (i.get("value") for i in flag.get("identifier", ()) if i.get("system") == fhir.RULES),
        None,
    )
    start = (flag.get("period") or {}).get("start")
    if not rule or not start:
        raise InvalidInput(name, "is not a Taperline alert (no rule id or no start day)")
    return AlertRecord(
        rule_id=str(rule),
        title=str((flag.get("code") or {}).get("text") or rule),
        severity=str(((flag.get("category") or [{}])[0]).get("text") or "warning"),
        status="resolved" if flag.get("status") == "inactive" else "open",
        day=dt.date.fromisoformat(start[:10]),
    )
