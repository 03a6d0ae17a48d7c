"""Importing a whole record (a Bundle Taperline exported) into this clinic as a new person:
their account, safety-profile medications, approved plan versions (with who approved them, by
name), check-ins scored again, and alerts. One transaction: nothing is stored if anything is
refused. A clinician brings in a person they will care for (and is assigned to them), or the
operator names the clinic and the clinicians; audited."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Alert, Clinic, PlanVersion, User
from taperline.domain.access import Action, Actor
from taperline.domain.checkins import prepare_checkin
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import Rater
from taperline.domain.types import CheckinKind, Role
from taperline.domain.units import Amount
from taperline.interop import fhir_record
from taperline.schemas.checkins import CheckinCreate
from taperline.schemas.plans import stored_content
from taperline.services import audit, checkins, people
from taperline.services.authz import AccessDenied
from taperline.services.fhir import instruments


@dataclass(frozen=True, slots=True)
class ImportedRecord:
    handle: str
    checkins: int
    plans: int
    medications: int
    alerts: int


def import_record(
    session: Session,
    clock: Clock,
    actor: Actor,
    text: str | bytes,
    *,
    clinic_ref: str | None = None,
    clinicians: tuple[str, ...] = (),
) -> ImportedRecord:
    if actor.is_operator:
        clinic = people.find_clinic(session, clinic_ref)
    elif actor.role is Role.CLINICIAN and actor.clinic_id is not None and actor.user_id:
        clinic = people.find_clinic(session, str(actor.clinic_id))
        me = session.get(User, actor.user_id)
        if me is None:
            raise AccessDenied(actor, Action.ACCOUNT_CREATE, None)
        clinicians = tuple(dict.fromkeys((*clinicians, me.handle)))  # they will care for them
    else:
        raise AccessDenied(actor, Action.ACCOUNT_CREATE, None)
    record = fhir_record.read(text, instruments())
    with session.begin_nested():  # all of it or none, whatever the caller's transaction does
        done = _store(session, clock, actor, record, clinic, clinicians)
    return done


def _store(
    session: Session,
    clock: Clock,
    actor: Actor,
    record: fhir_record.Record,
    clinic: Clinic,
    clinicians: tuple[str, ...],
) -> ImportedRecord:
    who = record.person
    person = people.add_account(
        session, clock, actor, handle=who.handle, display_name=who.name, role=Role.PERSON,
        clinic=clinic, timezone=who.timezone or "UTC", clinician_handles=clinicians,
        email=who.email,
    )  # fmt: skip
    person.active = who.active
    for index, medication in enumerate(record.medications):
        where = f"MedicationStatement[{index}]"
        amount = (
            Amount.parse(medication.amount[0], medication.amount[1], field=f"{where}.dosage")
            if medication.amount
            else None
        )
        people.add_medication(
            session, clock, actor, person.handle, name=medication.name,
            category=medication.category, amount=amount, schedule=medication.schedule,
            prescribed=medication.prescribed, started_on=medication.started_on,
        )  # fmt: skip
    for plan in record.plans:
        try:
            stored_content(plan.document)
        except InvalidInput as error:
            raise InvalidInput(
                f"CarePlan[version {plan.number}].{error.field}", error.problem
            ) from None
        session.add(
            PlanVersion(
                person_id=person.id, number=plan.number, status=plan.status,
                content=plan.document, note="", approved_at=plan.approved_at,
                approved_by_name=plan.approved_by, acknowledged=[],
                created_at=plan.approved_at or clock.now(), created_by_id=actor.user_id,
            )
        )  # fmt: skip
    today = people.local_today(person, clock)
    for checkin in record.checkins:
        visit = any(registry.get(i).rater is Rater.CLINICIAN for i in checkin.responses)
        digest = hashlib.sha256(
            f"{checkin.date}|{checkin.authored.isoformat()}".encode()
        ).hexdigest()[:40]
        submission = CheckinCreate.model_validate(
            {
                "date": checkin.date.isoformat(),
                "kind": "visit" if visit else "daily",
                "idempotency_key": f"fhir-record-{digest}",
                "responses": checkin.responses,
            }
        )
        where = f"QuestionnaireResponse[{checkin.date}]"
        try:
            prepared = prepare_checkin(
                kind=CheckinKind.VISIT if visit else CheckinKind.DAILY,
                checkin_date=checkin.date, person_today=today, responses=checkin.responses,
                doses=[], note="", rated_by_clinician=visit,
            )  # fmt: skip
        except InvalidInput as error:
            raise InvalidInput(f"{where}.{error.field}", error.problem) from None
        checkins.store_history(session, actor, person, prepared, submission, checkin.authored)
    for alert in record.alerts:
        session.add(
            Alert(
                person_id=person.id, rule_id=alert.rule_id, day=alert.day,
                severity=alert.severity, title=alert.title,
                clinician_message="Brought with the record from another clinic.",
                involved=[], status=alert.status, created_at=clock.now(),
                created_by_id=actor.user_id,
            )
        )  # fmt: skip
    session.flush()
    done = ImportedRecord(
        person.handle, len(record.checkins), len(record.plans), len(record.medications),
        len(record.alerts),
    )  # fmt: skip
    audit.record(
        session, clock, actor, "fhir.import_record", person_id=person.id,
        resource_type="person", resource_id=person.id,
        detail={"checkins": done.checkins, "plans": done.plans,
                "medications": done.medications, "alerts": done.alerts},
    )  # fmt: skip
    return done
