"""One person's record as a FHIR R4B Bundle: read with the same access rules as the record
(the person, or a clinician caring for them), audited; built by interop.fhir."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Alert, Checkin, InstrumentResponse, Medication, PlanVersion, User
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import ItemScale
from taperline.domain.instruments.sleep_diary import SleepDiaryInstrument
from taperline.domain.types import Role
from taperline.interop import fhir
from taperline.schemas.plans import stored_content
from taperline.services import audit
from taperline.services.authz import AccessDenied, require
from taperline.services.people import find_user


def export_person(session: Session, clock: Clock, actor: Actor, handle: str) -> dict[str, Any]:
    """The Bundle as JSON (a dict), validated by the model library as it was built."""
    person = find_user(session, handle)
    require(session, actor, Action.PERSON_READ, person=person)
    bundle = _bundle(session, clock, person)
    audit.record(
        session,
        clock,
        actor,
        "fhir.export",
        person_id=person.id,
        resource_type="person",
        resource_id=person.id,
        detail={"entries": len(bundle.entry or [])},
    )
    document: dict[str, Any] = bundle.model_dump(mode="json", exclude_none=True)
    return document


def _bundle(session: Session, clock: Clock, person: User) -> Any:
    answers = [
        fhir.AnswerRecord(
            response_id=response.id,
            checkin_id=checkin.id,
            date=checkin.checkin_date,
            authored=checkin.created_at,
            instrument_id=response.instrument_id,
            instrument_version=response.instrument_version,
            answers=dict(response.answers),
            total=response.total,
            band=response.band,
            metrics=dict(response.metrics or {}),
        )
        for response, checkin in session.execute(
            select(InstrumentResponse, Checkin)
            .join(Checkin, Checkin.id == InstrumentResponse.checkin_id)
            .where(Checkin.person_id == person.id)
            .order_by(Checkin.checkin_date, Checkin.id, InstrumentResponse.id)
        )
    ]
    medications = [
        fhir.MedicationRecord(m.id, m.name, m.prescribed, m.schedule)
        for m in session.scalars(
            select(Medication).where(Medication.person_id == person.id).order_by(Medication.id)
        )
    ]
    alerts = [
        fhir.AlertRecord(a.id, a.rule_id, a.title, a.severity, a.status, a.day)
        for a in session.scalars(
            select(Alert).where(Alert.person_id == person.id).order_by(Alert.id)
        )
    ]
    approvers = {
        user.id: user.display_name
        for user in session.scalars(
            select(User)
            .join(PlanVersion, PlanVersion.approved_by_id == User.id)
            .where(PlanVersion.person_id == person.id)
        )
    }
    plans = [
        fhir.PlanRecord(
            number=version.number,
            status=version.status,
            approved_at=version.approved_at,
            approved_by=approvers.get(version.approved_by_id or 0),
            content=stored_content(version.content),
        )
        for version in session.scalars(
            select(PlanVersion)
            .where(
                PlanVersion.person_id == person.id,
                PlanVersion.status.in_(("approved", "superseded")),
            )
            .order_by(PlanVersion.number)
        )
    ]
    bundle = fhir.bundle(
        fhir.PersonRecord(person.handle, person.display_name, person.email, person.active),
        [
            i
            for i in registry.INSTRUMENTS.values()
            if isinstance(i, ItemScale | SleepDiaryInstrument)
        ],
        answers,
        medications,
        alerts,
        now=clock.now(),
        plans=plans,
    )
    return bundle


def export_clinic(
    session: Session,
    clock: Clock,
    actor: Actor,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Every person of the actor's clinic as FHIR Bulk Data style NDJSON: one file per resource
    type, one resource per line, written person by person (memory stays that of one record),
    into a new folder that is renamed into place at the end. An admin, or the operator."""
    if not actor.is_operator and actor.role is not Role.ADMIN:
        raise AccessDenied(actor, Action.AUDIT_READ, None)
    if out.exists():
        raise InvalidInput("--out", f"{out} already exists; choose a new folder")
    statement = select(User).where(User.role == Role.PERSON.value).order_by(User.id)
    if actor.clinic_id is not None:
        statement = statement.where(User.clinic_id == actor.clinic_id)
    people = list(session.scalars(statement))
    staging = Path(
        tempfile.mkdtemp(prefix=".fhir-", dir=out.parent if out.parent.exists() else None)
    )
    counts: dict[str, int] = {}
    handles: dict[str, IO[str]] = {}
    seen_questionnaires = False
    try:
        for number, person in enumerate(people, start=1):
            bundle = _bundle(session, clock, person)
            for entry in bundle.entry or []:
                resource = entry.resource
                kind = resource.get_resource_type()
                if kind == "Questionnaire" and seen_questionnaires:
                    continue
                if kind not in handles:
                    handles[kind] = (staging / f"{kind}.ndjson").open("w", encoding="utf-8")
                handles[kind].write(resource.model_dump_json(exclude_none=True) + "\n")
                counts[kind] = counts.get(kind, 0) + 1
            seen_questionnaires = True
            session.expunge_all()  # keep memory flat across a large clinic
            if progress is not None:
                progress(number, len(people))
        for handle in handles.values():
            handle.close()
        os.replace(staging, out)
    finally:
        for handle in handles.values():
            handle.close()
        shutil.rmtree(staging, ignore_errors=True)
    audit.record(
        session,
        clock,
        actor,
        "fhir.export_clinic",
        resource_type="clinic",
        resource_id=actor.clinic_id,
        detail={"people": len(people), "resources": counts},
    )
    return counts
