"""A person's data rights on the web and under /api/v1: download everything held about them
(/me/export.json, GET /api/v1/me/export), and an admin's erasure of a person
(POST /api/v1/people/{handle}/erase)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from taperline.domain.errors import InvalidInput
from taperline.services import data_rights
from taperline.services.messages import my_handle
from taperline.web.deps import ClockDep, SessionDep, ViewerDep, WriterDep
from taperline.web.routes.api_v1 import WRITES, companion_router

router = APIRouter(include_in_schema=False)
api_router = companion_router("data rights")

Handle = Annotated[str, Path(max_length=100, description="The person's handle")]


def _download(document: dict[str, Any], handle: str) -> Response:
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="taperline-{handle}.json"'},
    )


@router.get("/me/export.json")
def export_page(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> Response:
    handle = my_handle(session, viewer.actor)
    return _download(data_rights.export(session, clock, viewer.actor, handle), handle)


def _zip(name: str, content: bytes) -> Response:
    return Response(
        content,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/me/export.zip")
def export_zip_page(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> Response:
    handle = my_handle(session, viewer.actor)
    return _zip(*data_rights.archive(session, clock, viewer.actor, handle))


class ExportPublic(BaseModel):
    format: str
    exported_at: str
    person: str
    note: str
    tables: dict[str, list[dict[str, Any]]] = Field(description="Every row about you, by table")
    fhir: dict[str, Any] = Field(description="Your record as a FHIR R4B Bundle (collection)")


@api_router.get("/me/export", response_model=ExportPublic)
def export_api(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> ExportPublic:
    """Everything Taperline holds about you (no passwords or login secrets)."""
    handle = my_handle(session, viewer.actor)
    return ExportPublic(**data_rights.export(session, clock, viewer.actor, handle))


@api_router.get(
    "/me/export.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "A zip file"}},
)
def export_zip_api(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> Response:
    """Everything Taperline holds about you, your FHIR record and your printable progress
    report (PDF), in one zip file."""
    handle = my_handle(session, viewer.actor)
    return _zip(*data_rights.archive(session, clock, viewer.actor, handle))


@api_router.get(
    "/people/{handle}/fhir",
    response_model=dict[str, Any],
    responses={200: {"content": {"application/fhir+json": {}}}},
)
def fhir_api(handle: Handle, session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> Response:
    """A person's record as a FHIR R4B (4.3.0) Bundle of type collection: Patient, a
    Questionnaire per instrument, a QuestionnaireResponse and total Observation per answered
    instrument, MedicationStatements, and a Flag per alert (the person, or their clinician)."""
    from taperline.services import fhir

    document = fhir.export_person(session, clock, viewer.actor, handle)
    return Response(json.dumps(document, ensure_ascii=False), media_type="application/fhir+json")


class ImportedPublic(BaseModel):
    stored: int = Field(description="New check-ins, one per QuestionnaireResponse")
    already: int = Field(description="Responses imported before (nothing changed)")


@api_router.post(
    "/people/{handle}/fhir",
    response_model=ImportedPublic,
    dependencies=WRITES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def fhir_import_api(
    handle: Handle, request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> ImportedPublic:
    """Import QuestionnaireResponses (a FHIR R4B Bundle or one response) as check-ins, scored
    again by Taperline; nothing is imported if any response is refused."""
    from taperline.services import fhir_import

    body = await request.body()
    if len(body) > 20_000_000:
        raise InvalidInput("body", "is larger than 20 MB; split the Bundle")
    done = fhir_import.import_responses(session, clock, viewer.actor, handle, body)
    return ImportedPublic(stored=done.stored, already=done.already)


class ImportedRecordPublic(BaseModel):
    handle: str = Field(description="The new person's handle (as in the record)")
    checkins: int
    plans: int
    medications: int
    alerts: int


@api_router.post(
    "/fhir/records",
    response_model=ImportedRecordPublic,
    status_code=201,
    dependencies=WRITES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def fhir_record_import_api(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> ImportedRecordPublic:
    """Bring a whole record (a Bundle Taperline exported at another clinic) into your clinic as
    a new person you care for: account, medications, plans, check-ins (scored again), alerts.
    A clinician; all or nothing."""
    from taperline.services import fhir_record

    body = await request.body()
    if len(body) > 50_000_000:
        raise InvalidInput("body", "is larger than 50 MB")
    done = fhir_record.import_record(session, clock, viewer.actor, body)
    return ImportedRecordPublic(
        handle=done.handle, checkins=done.checkins, plans=done.plans,
        medications=done.medications, alerts=done.alerts,
    )  # fmt: skip


class EraseInput(BaseModel):
    confirm: str = Field(max_length=100, description="The person's handle again, to confirm")


class ErasedPublic(BaseModel):
    person_id: int
    rows_scrubbed: int = Field(description="Rows where the person's name or free text was removed")
    rows_deleted: int = Field(description="Sessions, tokens, supporters, contact settings, inbox")


@api_router.post("/people/{handle}/erase", response_model=ErasedPublic, dependencies=WRITES)
def erase_api(
    handle: Handle, body: EraseInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> ErasedPublic:
    """Erase a person (a clinic admin): their name, email, handle and free text are removed
    everywhere; the records of care stay, de-identified. Cannot be undone."""
    if body.confirm.strip().lower() != handle.strip().lower():
        raise InvalidInput("confirm", "type the person's handle again to confirm the erasure")
    done = data_rights.erase(session, clock, viewer.actor, handle)
    return ErasedPublic(
        person_id=done.person_id, rows_scrubbed=done.rows_scrubbed, rows_deleted=done.rows_deleted
    )
