"""FHIR R4B (4.3.0) resources for one person's record. Pure: the service passes plain records
in and gets FHIR JSON documents out; `validated` reads a document with the fhir.resources R4B
model of its type, which is how every document is checked (each one of a person's export; a
sample of a clinic's bulk export, see services.fhir). A test holds every builder to the rule
that its document equals the model's own JSON of it, so what is written unvalidated is exactly
what the models would write.

What maps to what (docs/interop.md):
- the person → Patient (handle as identifier; no address or birth date is held);
- each instrument → Questionnaire (canonical URL and version; items with answer options;
  LOINC codes where the instrument definition cites them, none invented);
- each answered instrument in a check-in → QuestionnaireResponse, and its total → Observation
  (category survey; LOINC total code where cited, else Taperline's own code system);
- each medication in the safety profile → MedicationStatement (text only: no RxNorm code);
- each alert → Flag, with the rule id as an identifier, and a DetectedIssue carrying the
  rule's citations."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from taperline.domain.instruments.base import ItemScale
from taperline.domain.instruments.sleep_diary import AnswerKind, SleepDiaryInstrument
from taperline.domain.plans import PlanContent
from taperline.domain.units import Amount

BASE = "https://taperline.org/fhir"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
TOTALS = f"{BASE}/CodeSystem/instrument-total"
RULES = f"{BASE}/CodeSystem/safety-rule"
HANDLES = f"{BASE}/NamingSystem/handle"
FHIR_VERSION = "4.3.0"
CHECKIN_DATE = f"{BASE}/StructureDefinition/checkin-date"
PLAN_DOCUMENT = f"{BASE}/StructureDefinition/plan-document"
TIMEZONE = f"{BASE}/StructureDefinition/timezone"
MEDICATION_CATEGORY = f"{BASE}/CodeSystem/medication-category"

Document = dict[str, Any]


def resource(kind: str, fields: dict[str, Any]) -> Document:
    """A resource document: its type first, then every field that has a value."""
    return {"resourceType": kind, **resource_fields(**fields)}


def resource_fields(**fields: Any) -> Document:
    """An element's fields that have a value."""
    return {k: v for k, v in fields.items() if v is not None}


def validated(document: Document) -> Any:
    """The document read by the fhir.resources R4B model of its type (a ValidationError if it
    is not valid FHIR R4B)."""
    return get_fhir_model_class(document["resourceType"]).model_validate(document)


def model_json(document: Document) -> Document:
    """What the model library writes for the document: the test of every builder."""
    dumped: Document = validated(document).model_dump(mode="json", exclude_none=True)
    return dumped


def instant(moment: dt.datetime) -> str:
    """A dateTime/instant as the models write it (UTC as Z)."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def fhir_id(*parts: object) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) from parts: 'person-pat', 'qr-12-phq9'."""
    text = "-".join(map(str, parts))
    if text.isascii() and text.replace("-", "").replace(".", "").isalnum():
        return text[:64]  # already an id (the common case, without a regular expression)
    return _NOT_ID.sub("-", text)[:64]


_NOT_ID = re.compile(r"[^A-Za-z0-9.-]")


def canonical(instrument_id: str) -> str:
    return f"{BASE}/Questionnaire/{instrument_id}"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    handle: str
    name: str
    email: str | None
    active: bool
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    response_id: int
    checkin_id: int
    date: dt.date
    authored: dt.datetime
    instrument_id: str
    instrument_version: str
    answers: dict[str, Any]
    total: int | None
    band: str | None
    metrics: dict[str, Any] | None = None  # the sleep diary's derived metrics


@dataclass(frozen=True, slots=True)
class MedicationRecord:
    id: int
    name: str
    prescribed: bool
    schedule: str
    category: str | None = None
    amount: Amount | None = None
    started_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class PlanRecord:
    number: int
    status: str  # approved or superseded
    approved_at: dt.datetime | None
    approved_by: str | None  # the approving clinician's name
    content: PlanContent
    document: dict[str, Any] | None = None  # the plan as stored, carried for a re-import


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    rule_id: str
    title: str
    severity: str
    status: str
    day: dt.date
    citations: tuple[tuple[str, str | None], ...] = ()  # the rule's sources: text, address


def patient(person: PersonRecord) -> Document:
    telecom = [{"system": "email", "value": person.email}] if person.email else None
    return resource(
        "Patient",
        {
            "id": fhir_id("person", person.handle),
            "extension": [{"url": TIMEZONE, "valueCode": person.timezone}]
            if person.timezone
            else None,
            "identifier": [{"system": HANDLES, "value": person.handle}],
            "active": person.active,
            "name": [{"text": person.name}],
            "telecom": telecom,
        },
    )


def _coding(option: Any, system: str) -> dict[str, Any]:
    """An answer option as a Coding: its LOINC answer code where cited, else ours."""
    if option.loinc:
        return {"system": LOINC, "code": option.loinc, "display": option.label}
    return {"system": system, "code": str(option.value), "display": option.label}


def _option_codings(options: Iterable[Any], system: str) -> list[dict[str, Any]]:
    return [{"valueCoding": _coding(option, system)} for option in options]


def questionnaire(instrument: ItemScale | SleepDiaryInstrument) -> Document:
    system = f"{BASE}/CodeSystem/{instrument.id}-answers"
    items = []
    for item in instrument.items:
        entry: dict[str, Any] = {"linkId": item.key, "text": item.text, "prefix": str(item.number)}
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        if isinstance(instrument, SleepDiaryInstrument):
            kind = item.kind  # type: ignore[union-attr]
            entry["type"] = {
                AnswerKind.CLOCK: "time",
                AnswerKind.MINUTES: "integer",
                AnswerKind.COUNT: "integer",
                AnswerKind.RATING: "choice",
                AnswerKind.TEXT: "text",
            }[kind]
            if item.options:
                entry["answerOption"] = _option_codings(item.options, system)
            entry["required"] = bool(getattr(item, "required", False))
        else:
            entry["type"] = "choice"
            entry["answerOption"] = _option_codings(item.options, system)
            entry["required"] = item.required
        items.append(entry)
    code = [{"system": LOINC, "code": instrument.loinc_panel}] if instrument.loinc_panel else None
    return resource(
        "Questionnaire",
        {
            "id": fhir_id("questionnaire", instrument.id),
            "url": canonical(instrument.id),
            "version": instrument.version,
            "name": re.sub(r"[^A-Za-z0-9]", "", instrument.id.title()) or "Instrument",
            "title": instrument.name,
            "status": "active",
            "subjectType": ["Patient"],
            "code": code,
            "item": items,
        },
    )


def _answer(value: Any, kind: str) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    if kind == "time":
        text = str(value)
        return {"valueTime": text if text.count(":") == 2 else f"{text}:00"}
    if kind == "text":
        return {"valueString": str(value)}
    if kind == "integer":
        return {"valueInteger": int(value)}
    return {"valueCoding": {"code": str(value)}}


_Answering = dict[str, tuple[str, dict[str, Document]]]
_ANSWERING: dict[tuple[str, str], _Answering] = {}


def _answering(instrument: ItemScale | SleepDiaryInstrument, form: Document) -> _Answering:
    """Per item: its answer type in the form and, by option value, the response item that
    answers it (made once per instrument version; shared by every response, never changed)."""
    found = _ANSWERING.get((instrument.id, instrument.version))
    if found is None:
        system = f"{BASE}/CodeSystem/{instrument.id}-answers"
        kinds = {item["linkId"]: item["type"] for item in form.get("item", ())}
        found = {
            item.key: (
                kinds[item.key],
                {
                    str(o.value): {
                        "linkId": item.key,
                        "answer": [{"valueCoding": _coding(o, system)}],
                    }
                    for o in item.options
                },
            )
            for item in instrument.items
        }
        _ANSWERING[(instrument.id, instrument.version)] = found
    return found


def questionnaire_response(
    record: AnswerRecord,
    instrument: ItemScale | SleepDiaryInstrument,
    form: Document,
    patient_id: str,
) -> Document:
    items = []
    answers = record.answers
    for key, (kind, options) in _answering(instrument, form).items():
        value = answers.get(key)
        if value is None or value == "":
            continue
        chosen = options.get(str(value)) if kind == "choice" else None
        if chosen is not None:
            items.append(chosen)
        else:
            answer = {"valueInteger": int(value)} if kind == "choice" else _answer(value, kind)
            items.append({"linkId": key, "answer": [answer]})
    return resource(
        "QuestionnaireResponse",
        {
            "id": fhir_id("qr", record.response_id),
            "extension": [{"url": CHECKIN_DATE, "valueDate": record.date.isoformat()}],
            "questionnaire": f"{canonical(record.instrument_id)}|{record.instrument_version}",
            "status": "completed",
            "subject": {"reference": f"Patient/{patient_id}"},
            "authored": instant(record.authored),
            "item": items or None,
        },
    )


def observation(
    record: AnswerRecord, instrument: ItemScale | SleepDiaryInstrument, patient_id: str
) -> Document | None:
    if record.total is None:
        return None
    coding = (
        {"system": LOINC, "code": instrument.loinc_total}
        if instrument.loinc_total
        else {"system": TOTALS, "code": record.instrument_id}
    )
    coding["display"] = f"{instrument.name}: total"
    return resource(
        "Observation",
        {
            "id": fhir_id("obs", record.response_id),
            "status": "final",
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
            "code": {"coding": [coding], "text": f"{instrument.name} total"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": record.date.isoformat(),
            "valueInteger": record.total,
            "interpretation": [{"text": record.band}] if record.band else None,
            "derivedFrom": [
                {"reference": f"QuestionnaireResponse/{fhir_id('qr', record.response_id)}"}
            ],
        },
    )


UCUM = "http://unitsofmeasure.org"
SLEEP_METRICS = f"{BASE}/CodeSystem/sleep-metric"
_UCUM_CODES = {"min": "min", "%": "%", "count": "{#}"}


def sleep_observations(
    record: AnswerRecord, instrument: SleepDiaryInstrument, patient_id: str
) -> list[Document]:
    """One Observation per derived sleep metric (UCUM units; Taperline's own codes, as no
    LOINC code for these diary metrics is cited in the instrument definition)."""
    found = []
    for key, label, unit in instrument.metrics:
        value = (record.metrics or {}).get(key)
        if value is None:
            continue
        found.append(
            resource(
                "Observation",
                {
                    "id": fhir_id("obs", record.response_id, key.replace("_", "-")),
                    "status": "final",
                    "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
                    "code": {
                        "coding": [{"system": SLEEP_METRICS, "code": key, "display": label}],
                        "text": label,
                    },
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "effectiveDateTime": record.date.isoformat(),
                    "valueQuantity": {
                        "value": value,
                        "unit": unit,
                        "system": UCUM,
                        "code": _UCUM_CODES.get(unit, unit),
                    },
                    "derivedFrom": [
                        {"reference": f"QuestionnaireResponse/{fhir_id('qr', record.response_id)}"}
                    ],
                },
            )
        )
    return found


_UCUM_UNITS = {"g": "g", "mg": "mg", "mcg": "ug", "mL": "mL", "capsule": "{capsule}",
               "tablet": "{tablet}", "film": "{film}"}  # fmt: skip


def _number(value: Decimal | float | int) -> float | int:
    """A decimal as the models write it: whole numbers as integers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _quantity(amount: Amount) -> dict[str, Any]:
    unit = amount.unit.value
    return {
        "value": _number(amount.value),
        "unit": unit,
        "system": UCUM,
        "code": _UCUM_UNITS.get(unit, unit),
    }


def care_plan(record: PlanRecord, person_handle: str, patient_id: str) -> list[Any]:
    """An approved plan version as a CarePlan (a taper step or a regimen item per activity),
    a MedicationStatement per regimen item, and a Provenance for its approval."""
    plan_id = fhir_id("plan", person_handle, record.number)
    activities: list[dict[str, Any]] = []
    schedule = record.content.schedule()
    form = record.content.kratom_form or "kratom"
    for step in schedule.steps if schedule else ():
        activities.append(
            {
                "detail": {
                    "kind": "MedicationRequest",
                    "status": "scheduled",
                    "description": f"Kratom taper step {step.number}: {step.daily} a day",
                    "productCodeableConcept": {"text": f"kratom ({form.replace('_', ' ')})"},
                    "scheduledPeriod": {
                        "start": step.start.isoformat(),
                        "end": step.end.isoformat(),
                    },
                    "dailyAmount": _quantity(step.daily),
                }
            }
        )
    statements = []
    for index, item in enumerate(record.content.items, start=1):
        name = item.product or item.category.value.replace("_", " ")
        times = ", ".join(t.strftime("%H:%M") for t in item.times)
        activities.append(
            {
                "detail": {
                    "kind": "MedicationRequest",
                    "status": "scheduled",
                    "description": f"{name}: {item.amount_per_dose} at {times}",
                    "productCodeableConcept": {"text": name},
                    "dailyAmount": _quantity(item.daily_amount),
                }
            }
        )
        statements.append(
            resource(
                "MedicationStatement",
                {
                    "id": fhir_id("planmed", person_handle, record.number, index),
                    "status": "active" if record.status == "approved" else "completed",
                    "basedOn": [{"reference": f"CarePlan/{plan_id}"}],
                    "medicationCodeableConcept": {"text": name},
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "dosage": [{"text": f"{item.amount_per_dose} at {times}"}],
                },
            )
        )
    a = record.content.activities
    for amount, words in (
        (a.counseling_sessions_per_week, "counseling session(s) a week"),
        (a.exercise_minutes_per_week, "minutes of exercise a week"),
        (a.meditation_minutes_per_day, "minutes of meditation a day"),
        (a.support_meetings_per_week, "support meeting(s) a week"),
    ):
        if amount:
            activities.append(
                {"detail": {"status": "scheduled", "description": f"{amount} {words}"}}
            )
    plan = resource(
        "CarePlan",
        {
            "id": plan_id,
            "extension": [
                {
                    "url": PLAN_DOCUMENT,
                    "valueString": json.dumps(record.document, sort_keys=True),
                }
            ]
            if record.document is not None
            else None,
            "status": "active" if record.status == "approved" else "revoked",
            "intent": "plan",
            "title": f"Plan version {record.number}",
            "description": "; ".join(record.content.goals) or None,
            "subject": {"reference": f"Patient/{patient_id}"},
            "period": (
                {
                    "start": schedule.steps[0].start.isoformat(),
                    "end": schedule.steps[-1].end.isoformat(),
                }
                if schedule and schedule.steps
                else None
            ),
            "activity": activities or None,
        },
    )
    resources: list[Any] = [plan, *statements]
    if record.approved_at is not None:
        resources.append(
            resource(
                "Provenance",
                {
                    "id": fhir_id("prov", person_handle, record.number),
                    "target": [{"reference": f"CarePlan/{plan_id}"}],
                    "recorded": instant(record.approved_at),
                    "activity": {"text": "approved"},
                    "agent": [
                        {
                            "type": {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                        "code": "verifier",
                                    }
                                ]
                            },
                            "who": {"display": record.approved_by or "a clinician"},
                        }
                    ],
                },
            )
        )
    return resources


def medication_statement(record: MedicationRecord, patient_id: str) -> Document:
    return resource(
        "MedicationStatement",
        {
            "id": fhir_id("med", record.id),
            "status": "active",
            "category": {"coding": [{"system": MEDICATION_CATEGORY, "code": record.category}]}
            if record.category
            else None,
            "medicationCodeableConcept": {"text": record.name},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectivePeriod": {"start": record.started_on.isoformat()}
            if record.started_on
            else None,
            "dosage": [
                resource_fields(
                    text=record.schedule or None,
                    doseAndRate=[{"doseQuantity": _quantity(record.amount)}]
                    if record.amount
                    else None,
                )
            ]
            if record.schedule or record.amount
            else None,
            "note": None if record.prescribed else [{"text": "Taken without a prescription"}],
        },
    )


def flag(record: AlertRecord, patient_id: str) -> Document:
    return resource(
        "Flag",
        {
            "id": fhir_id("alert", record.id),
            "identifier": [{"system": RULES, "value": record.rule_id}],
            "status": "inactive" if record.status == "resolved" else "active",
            "category": [{"text": record.severity}],
            "code": {"coding": [{"system": RULES, "code": record.rule_id}], "text": record.title},
            "subject": {"reference": f"Patient/{patient_id}"},
            "period": {"start": record.day.isoformat()},
        },
    )


def forms(instruments: Iterable[ItemScale | SleepDiaryInstrument]) -> dict[str, Document]:
    """A Questionnaire per instrument, by instrument id (the same for every person)."""
    return {i.id: questionnaire(i) for i in instruments}


def record_resources(
    person: PersonRecord,
    instruments: dict[str, ItemScale | SleepDiaryInstrument],
    questionnaires: dict[str, Document],
    answers: Iterable[AnswerRecord],
    medications: Iterable[MedicationRecord],
    alerts: Iterable[AlertRecord],
    plans: Iterable[PlanRecord] = (),
) -> Iterator[Document]:
    """The person's own resources (no Questionnaires), in a fixed order: Patient, then each
    answered instrument's response with its Observations, plans, medications, alerts."""
    who = patient(person)
    yield who
    patient_id = who["id"]
    for record in answers:
        form = questionnaires.get(record.instrument_id)
        if form is None:
            continue
        instrument = instruments[record.instrument_id]
        yield questionnaire_response(record, instrument, form, patient_id)
        total = observation(record, instrument, patient_id)
        if total is not None:
            yield total
        if isinstance(instrument, SleepDiaryInstrument):
            yield from sleep_observations(record, instrument, patient_id)
    for plan in plans:
        yield from care_plan(plan, person.handle, patient_id)
    for medication in medications:
        yield medication_statement(medication, patient_id)
    for alert in alerts:
        yield flag(alert, patient_id)
        yield detected_issue(alert, patient_id)


_SEVERITY = {"urgent": "high", "warning": "moderate", "info": "low"}


def detected_issue(record: AlertRecord, patient_id: str) -> Document:
    """The finding behind an alert, with the rule's citations as evidence (a Reference that
    only names the source) and the first citation's address as the authority."""
    urls = [url for _, url in record.citations if url]
    return resource(
        "DetectedIssue",
        {
            "id": fhir_id("issue", record.id),
            "identifier": [{"system": RULES, "value": record.rule_id}],
            "status": "final",
            "code": {"coding": [{"system": RULES, "code": record.rule_id}], "text": record.title},
            "severity": _SEVERITY.get(record.severity),
            "patient": {"reference": f"Patient/{patient_id}"},
            "identifiedDateTime": record.day.isoformat(),
            "implicated": [{"reference": f"Flag/{fhir_id('alert', record.id)}"}],
            "evidence": [{"detail": [{"display": text} for text, _ in record.citations]}]
            if record.citations
            else None,
            "detail": record.title,
            "reference": urls[0] if urls else None,
        },
    )


def bundle(
    person: PersonRecord,
    instruments: Sequence[ItemScale | SleepDiaryInstrument],
    answers: Sequence[AnswerRecord],
    medications: Sequence[MedicationRecord],
    alerts: Sequence[AlertRecord],
    *,
    now: dt.datetime,
    plans: Sequence[PlanRecord] = (),
) -> Document:
    """The person's record as a Bundle of type collection: the Patient, the Questionnaires,
    then the rest of the record."""
    questionnaires = forms(instruments)
    by_id = {i.id: i for i in instruments}
    own = record_resources(person, by_id, questionnaires, answers, medications, alerts, plans)
    who = next(own)
    resources = [who, *questionnaires.values(), *own]
    return resource(
        "Bundle",
        {
            "id": fhir_id("export", person.handle, now.strftime("%Y%m%d%H%M%S")),
            "type": "collection",
            "timestamp": instant(now),
            "entry": [
                {"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r}
                for r in resources
            ],
        },
    )
