"""Importing QuestionnaireResponses (FHIR R4B) into a person's record: each becomes a
check-in scored again by Taperline and checked by the safety engine, all in one transaction
(nothing is imported if anything is refused), audited."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.domain.access import Actor
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import ItemScale
from taperline.domain.instruments.sleep_diary import SleepDiaryInstrument
from taperline.interop import fhir_import
from taperline.schemas.checkins import CheckinCreate
from taperline.services import audit, checkins
from taperline.services.people import find_user


@dataclass(frozen=True, slots=True)
class Imported:
    stored: int  # new check-ins
    already: int  # responses imported before (same source and contents)


def import_responses(
    session: Session, clock: Clock, actor: Actor, handle: str, text: str | bytes
) -> Imported:
    person = find_user(session, handle)
    instruments = {
        i.id: i
        for i in registry.INSTRUMENTS.values()
        if isinstance(i, ItemScale | SleepDiaryInstrument)
    }
    responses = fhir_import.read(fhir_import.parse(text), instruments)
    if not responses:
        raise InvalidInput("file", "holds no QuestionnaireResponse to import")
    stored = already = 0
    with session.begin_nested():  # all of them or none, whatever the caller's transaction does
        stored, already = _store(session, clock, actor, person.id, handle, responses)
    audit.record(
        session,
        clock,
        actor,
        "fhir.import",
        person_id=person.id,
        resource_type="person",
        resource_id=person.id,
        detail={"stored": stored, "already": already},
    )
    return Imported(stored, already)


def _store(
    session: Session,
    clock: Clock,
    actor: Actor,
    person_id: int,
    handle: str,
    responses: list[fhir_import.ImportedResponse],
) -> tuple[int, int]:
    stored = already = 0
    for response in responses:
        digest = hashlib.sha256(
            f"{person_id}|{response.source_id}|{response.instrument_id}|{response.date}".encode()
        ).hexdigest()[:40]
        submission = CheckinCreate.model_validate(
            {
                "date": response.date.isoformat(),
                "kind": "visit"
                if registry.get(response.instrument_id).rater.value == "clinician"
                else "daily",
                "idempotency_key": f"fhir-{digest}",
                "responses": {response.instrument_id: response.answers},
            }
        )
        try:
            result = checkins.submit_checkin(
                session, clock, actor, submission, person_handle=handle
            )
        except InvalidInput as error:
            raise InvalidInput(
                f"QuestionnaireResponse/{response.source_id}.{error.field}", error.problem
            ) from None
        if result.created:
            stored += 1
        else:
            already += 1
    return stored, already
