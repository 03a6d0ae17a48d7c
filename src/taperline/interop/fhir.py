"""FHIR R4B (4.3.0) resources for one person's record, built with the fhir.resources models
(every resource is validated as it is built). Pure: the service passes plain records in.

What maps to what (docs/interop.md):
- the person → Patient (handle as identifier; no address or birth date is held);
- each instrument → Questionnaire (canonical URL and version; items with answer options;
  LOINC codes where the instrument definition cites them, none invented);
- each answered instrument in a check-in → QuestionnaireResponse, and its total → Observation
  (category survey; LOINC total code where cited, else Taperline's own code system);
- each medication in the safety profile → MedicationStatement (text only: no RxNorm code);
- each alert → Flag, with the rule id as an identifier."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

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


def fhir_id(*parts: object) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) from parts: 'person-pat', 'qr-12-phq9'."""
    text = "-".join(str(p) for p in parts)
    return re.sub(r"[^A-Za-z0-9.-]", "-", text)[:64]


def canonical(instrument_id: str) -> str:
    return f"{BASE}/Questionnaire/{instrument_id}"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    handle: str
    name: str
    email: str | None
    active: bool


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


@dataclass(frozen=True, slots=True)
class PlanRecord:
    number: int
    status: str  # approved or superseded
    approved_at: dt.datetime | None
    approved_by: str | None  # the approving clinician's name
    content: PlanContent


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    rule_id: str
    title: str
    severity: str
    status: str
    day: dt.date


def patient(person: PersonRecord) -> Patient:
    telecom = [{"system": "email", "value": person.email}] if person.email else None
    return Patient.model_validate(
        {
            "id": fhir_id("person", person.handle),
            "identifier": [{"system": HANDLES, "value": person.handle}],
            "active": person.active,
            "name": [{"text": person.name}],
            "telecom": telecom,
        }
    )


def _coding(option: Any, system: str) -> dict[str, Any]:
    """An answer option as a Coding: its LOINC answer code where cited, else ours."""
    if option.loinc:
        return {"system": LOINC, "code": option.loinc, "display": option.label}
    return {"system": system, "code": str(option.value), "display": option.label}


def _option_codings(options: Iterable[Any], system: str) -> list[dict[str, Any]]:
    return [{"valueCoding": _coding(option, system)} for option in options]


def questionnaire(instrument: ItemScale | SleepDiaryInstrument) -> Questionnaire:
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
    return Questionnaire.model_validate(
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
        }
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


def questionnaire_response(
    record: AnswerRecord,
    instrument: ItemScale | SleepDiaryInstrument,
    form: Questionnaire,
    patient_id: str,
) -> QuestionnaireResponse:
    system = f"{BASE}/CodeSystem/{instrument.id}-answers"
    kinds = {str(item.linkId): str(item.type) for item in form.item or []}
    items = []
    for item in instrument.items:
        value = record.answers.get(item.key)
        kind = kinds[item.key]
        answer = _answer(value, kind)
        if answer is None or value is None:
            continue
        if kind == "choice":
            option = next((o for o in item.options if str(o.value) == str(value)), None)
            answer = (
                {"valueCoding": _coding(option, system)}
                if option is not None
                else {"valueInteger": int(value)}
            )
        items.append({"linkId": item.key, "answer": [answer]})
    return QuestionnaireResponse.model_validate(
        {
            "id": fhir_id("qr", record.response_id),
            "questionnaire": f"{canonical(record.instrument_id)}|{record.instrument_version}",
            "status": "completed",
            "subject": {"reference": f"Patient/{patient_id}"},
            "authored": record.authored.isoformat(),
            "item": items or None,
        }
    )


def observation(
    record: AnswerRecord, instrument: ItemScale | SleepDiaryInstrument, patient_id: str
) -> Observation | None:
    if record.total is None:
        return None
    coding = (
        {"system": LOINC, "code": instrument.loinc_total}
        if instrument.loinc_total
        else {"system": TOTALS, "code": record.instrument_id}
    )
    coding["display"] = f"{instrument.name}: total"
    return Observation.model_validate(
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
        }
    )


UCUM = "http://unitsofmeasure.org"
SLEEP_METRICS = f"{BASE}/CodeSystem/sleep-metric"
_UCUM_CODES = {"min": "min", "%": "%", "count": "{#}"}


def sleep_observations(
    record: AnswerRecord, instrument: SleepDiaryInstrument, patient_id: str
) -> list[Observation]:
    """One Observation per derived sleep metric (UCUM units; Taperline's own codes, as no
    LOINC code for these diary metrics is cited in the instrument definition)."""
    found = []
    for key, label, unit in instrument.metrics:
        value = (record.metrics or {}).get(key)
        if value is None:
            continue
        found.append(
            Observation.model_validate(
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
                }
            )
        )
    return found


_UCUM_UNITS = {"g": "g", "mg": "mg", "mcg": "ug", "mL": "mL", "capsule": "{capsule}",
               "tablet": "{tablet}", "film": "{film}"}  # fmt: skip


def _quantity(amount: Amount) -> dict[str, Any]:
    unit = amount.unit.value
    return {
        "value": amount.value,
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
            MedicationStatement.model_validate(
                {
                    "id": fhir_id("planmed", person_handle, record.number, index),
                    "status": "active" if record.status == "approved" else "completed",
                    "basedOn": [{"reference": f"CarePlan/{plan_id}"}],
                    "medicationCodeableConcept": {"text": name},
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "dosage": [{"text": f"{item.amount_per_dose} at {times}"}],
                }
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
    plan = CarePlan.model_validate(
        {
            "id": plan_id,
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
        }
    )
    resources: list[Any] = [plan, *statements]
    if record.approved_at is not None:
        resources.append(
            Provenance.model_validate(
                {
                    "id": fhir_id("prov", person_handle, record.number),
                    "target": [{"reference": f"CarePlan/{plan_id}"}],
                    "recorded": record.approved_at.isoformat(),
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
                }
            )
        )
    return resources


def medication_statement(record: MedicationRecord, patient_id: str) -> MedicationStatement:
    return MedicationStatement.model_validate(
        {
            "id": fhir_id("med", record.id),
            "status": "active",
            "medicationCodeableConcept": {"text": record.name},
            "subject": {"reference": f"Patient/{patient_id}"},
            "dosage": [{"text": record.schedule}] if record.schedule else None,
            "note": None if record.prescribed else [{"text": "Taken without a prescription"}],
        }
    )


def flag(record: AlertRecord, patient_id: str) -> Flag:
    return Flag.model_validate(
        {
            "id": fhir_id("alert", record.id),
            "identifier": [{"system": RULES, "value": record.rule_id}],
            "status": "inactive" if record.status == "resolved" else "active",
            "category": [{"text": record.severity}],
            "code": {"coding": [{"system": RULES, "code": record.rule_id}], "text": record.title},
            "subject": {"reference": f"Patient/{patient_id}"},
            "period": {"start": record.day.isoformat()},
        }
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
) -> Bundle:
    """The person's record as a Bundle of type collection."""
    who = patient(person)
    assert who.id is not None
    forms = {i.id: questionnaire(i) for i in instruments}
    resources: list[Any] = [who, *forms.values()]
    by_id = {i.id: i for i in instruments}
    for record in answers:
        if record.instrument_id not in forms:
            continue
        instrument = by_id[record.instrument_id]
        form = forms[record.instrument_id]
        resources.append(questionnaire_response(record, instrument, form, who.id))
        total = observation(record, instrument, who.id)
        if total is not None:
            resources.append(total)
        if isinstance(instrument, SleepDiaryInstrument):
            resources += sleep_observations(record, instrument, who.id)
    for plan in plans:
        resources += care_plan(plan, person.handle, who.id)
    resources += [medication_statement(m, who.id) for m in medications]
    resources += [flag(a, who.id) for a in alerts]
    return Bundle.model_validate(
        {
            "id": fhir_id("export", person.handle, now.strftime("%Y%m%d%H%M%S")),
            "type": "collection",
            "timestamp": now.isoformat(),
            "entry": [
                {"fullUrl": f"{BASE}/{r.get_resource_type()}/{r.id}", "resource": r}
                for r in resources
            ],
        }
    )
