"""One person's record as a FHIR R4B Bundle: read with the same access rules as the record
(the person, or a clinician caring for them), audited; built by interop.fhir."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import BindParameter, Text, bindparam, select, type_coerce
from sqlalchemy.orm import Session, aliased

from taperline import knowledge
from taperline.clock import Clock
from taperline.db.models import Alert, Checkin, InstrumentResponse, Medication, PlanVersion, User
from taperline.domain.access import Action, Actor
from taperline.domain.doses import from_thousandths
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

VALIDATE_FIRST = 100  # of each resource type, in a bulk export; then a sample


def export_person(session: Session, clock: Clock, actor: Actor, handle: str) -> dict[str, Any]:
    """The Bundle as JSON (a dict): every resource read back by the model library, and the
    Bundle written as the library writes it."""
    person = find_user(session, handle)
    require(session, actor, Action.PERSON_READ, person=person)
    document = _bundle(session, clock, person)
    audit.record(
        session,
        clock,
        actor,
        "fhir.export",
        person_id=person.id,
        resource_type="person",
        resource_id=person.id,
        detail={"entries": len(document.get("entry", ()))},
    )
    return fhir.model_json(document)


def instruments() -> dict[str, ItemScale | SleepDiaryInstrument]:
    return {
        i.id: i
        for i in registry.INSTRUMENTS.values()
        if isinstance(i, ItemScale | SleepDiaryInstrument)
    }


_PERSON: BindParameter[int] = bindparam("person_id")
_APPROVER = aliased(User)
# Built once: a bulk export runs them for every person.
_ANSWERS = (
    select(
        InstrumentResponse.id,
        InstrumentResponse.checkin_id,
        InstrumentResponse.instrument_id,
        InstrumentResponse.instrument_version,
        type_coerce(InstrumentResponse.answers, Text),  # decoded by orjson below
        InstrumentResponse.total,
        InstrumentResponse.band,
        type_coerce(InstrumentResponse.metrics, Text),
        Checkin.checkin_date,
        Checkin.created_at,
    )
    .join(Checkin, Checkin.id == InstrumentResponse.checkin_id)
    .where(Checkin.person_id == _PERSON)
    .order_by(Checkin.checkin_date, Checkin.id, InstrumentResponse.id)
)
_MEDICATIONS = (
    select(
        Medication.id,
        Medication.name,
        Medication.prescribed,
        Medication.schedule,
        Medication.category,
        Medication.amount_thousandths,
        Medication.unit,
        Medication.started_on,
    )
    .where(Medication.person_id == _PERSON)
    .order_by(Medication.id)
)
_ALERTS = (
    select(Alert.id, Alert.rule_id, Alert.title, Alert.severity, Alert.status, Alert.day)
    .where(Alert.person_id == _PERSON)
    .order_by(Alert.id)
)
_PLANS = (
    select(
        PlanVersion.number,
        PlanVersion.status,
        PlanVersion.approved_at,
        PlanVersion.approved_by_name,
        PlanVersion.content,
        _APPROVER.display_name,
    )
    .outerjoin(_APPROVER, _APPROVER.id == PlanVersion.approved_by_id)
    .where(
        PlanVersion.person_id == _PERSON,
        PlanVersion.status.in_(("approved", "superseded")),
    )
    .order_by(PlanVersion.number)
)


def _json(value: Any) -> dict[str, Any]:
    """A JSON column read as text (SQLite), or as the driver decoded it (PostgreSQL's jsonb)."""
    if isinstance(value, str | bytes):
        value = orjson.loads(value)
    return value or {}


def _record(
    session: Session, person: User
) -> tuple[
    fhir.PersonRecord,
    list[fhir.AnswerRecord],
    list[fhir.MedicationRecord],
    list[fhir.AlertRecord],
    list[fhir.PlanRecord],
]:
    """A person's record as plain records (column reads: no ORM objects for the bulk)."""
    which = {"person_id": person.id}
    answers = [
        fhir.AnswerRecord(
            response_id=row[0],
            checkin_id=row[1],
            instrument_id=row[2],
            instrument_version=row[3],
            answers=_json(row[4]),
            total=row[5],
            band=row[6],
            metrics=_json(row[7]),
            date=row[8],
            authored=row[9],
        )
        for row in session.execute(_ANSWERS, which)
    ]
    medications = [
        fhir.MedicationRecord(
            *row[:5],
            amount=from_thousandths(row[5], row[6]) if row[5] is not None and row[6] else None,
            started_on=row[7],
        )
        for row in session.execute(_MEDICATIONS, which)
    ]
    alerts = [
        fhir.AlertRecord(*row, citations=_citations(row.rule_id))
        for row in session.execute(_ALERTS, which)
    ]
    plans = [
        fhir.PlanRecord(
            number=row.number,
            status=row.status,
            approved_at=row.approved_at,
            approved_by=row.display_name or row.approved_by_name,
            content=stored_content(row.content),
            document=row.content,
        )
        for row in session.execute(_PLANS, which)
    ]
    who = fhir.PersonRecord(
        person.handle, person.display_name, person.email, person.active, person.timezone
    )
    return who, answers, medications, alerts, plans


@lru_cache(maxsize=1024)
def _citations(rule_id: str) -> tuple[tuple[str, str | None], ...]:
    """The rule's sources as text and address, from the knowledge files (none for a rule
    the knowledge no longer has)."""
    loaded = knowledge.load()
    rule = loaded.rules.get(rule_id)
    if rule is None:
        return ()
    found = []
    for key in rule.citations:
        reference = loaded.references.get(key)
        if reference is None:
            continue
        url = reference.url or (
            f"https://doi.org/{reference.doi}"
            if reference.doi
            else f"https://pubmed.ncbi.nlm.nih.gov/{reference.pmid}/"
            if reference.pmid
            else None
        )
        found.append((reference.text, url))
    return tuple(found)


def _bundle(session: Session, clock: Clock, person: User) -> dict[str, Any]:
    who, answers, medications, alerts, plans = _record(session, person)
    return fhir.bundle(
        who, list(instruments().values()), answers, medications, alerts, now=clock.now(),
        plans=plans,
    )  # fmt: skip


def export_clinic(
    session: Session,
    clock: Clock,
    actor: Actor,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    validate_every: int = 100,
) -> dict[str, int]:
    """Every person of the actor's clinic as FHIR Bulk Data style NDJSON: one file per resource
    type, one resource per line, written person by person (memory stays that of one record),
    into a new folder that is renamed into place at the end. An admin, or the operator.

    Validation is sampled: the first VALIDATE_FIRST resources of each type and every
    `validate_every`-th after are read by the model library (1 for all of them). The builders
    are held by a test to write exactly the library's JSON, so the sample checks the data."""
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
    checked = 0
    handles: dict[str, IO[bytes]] = {}
    by_id = instruments()
    questionnaires = fhir.forms(by_id.values())

    def write(document: dict[str, Any]) -> None:
        nonlocal checked
        kind = document["resourceType"]
        count = counts.get(kind, 0)
        if count < VALIDATE_FIRST or count % validate_every == 0:
            fhir.validated(document)  # a ValidationError stops the export: nothing is renamed
            checked += 1
        if kind not in handles:
            handles[kind] = (staging / f"{kind}.ndjson").open("wb")
        handles[kind].write(orjson.dumps(document) + b"\n")
        counts[kind] = count + 1

    try:
        for document in questionnaires.values():
            write(document)
        for number, person in enumerate(people, start=1):
            record = _record(session, person)
            for document in fhir.record_resources(
                record[0], by_id, questionnaires, *record[1:4], plans=record[4]
            ):
                write(document)
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
        detail={"people": len(people), "resources": counts, "validated": checked},
    )
    return counts
