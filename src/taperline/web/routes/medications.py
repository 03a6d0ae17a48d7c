"""Confirming a 'did you mean …?' for a medicine name: POST /people/{handle}/medications/{id}
(the clinician's person page) and PUT /api/v1/people/{handle}/medications/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from taperline.services import medications
from taperline.web.deps import ClockDep, SessionDep, WriterDep
from taperline.web.routes.api_v1 import WRITES, companion_router

router = APIRouter(include_in_schema=False)
api_router = companion_router("people")

Handle = Annotated[str, Path(max_length=100, description="The person's handle")]
MedicationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/people/{handle}/medications/{medication_id}")
def rename_page(
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    handle: Handle,
    medication_id: MedicationId,
    name: Annotated[str, Form(max_length=400)] = "",
) -> RedirectResponse:
    medications.rename(session, clock, viewer.actor, handle, medication_id, name)
    return RedirectResponse(f"/people/{handle}#profile-h", status_code=303)


class RenameInput(BaseModel):
    name: str = Field(max_length=400, description="The corrected name, one Taperline recognises")


class MedicationPublic(BaseModel):
    id: int
    name: str


@api_router.put(
    "/people/{handle}/medications/{medication_id}",
    response_model=MedicationPublic,
    dependencies=WRITES,
)
def rename_api(
    handle: Handle,
    medication_id: MedicationId,
    body: RenameInput,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
) -> MedicationPublic:
    """Correct a medication's name, for example to the suggestion shown with
    notice.unrecognised_medicine (the person themself, or a clinician caring for them)."""
    medication = medications.rename(session, clock, viewer.actor, handle, medication_id, body.name)
    return MedicationPublic(id=medication.id, name=medication.name)
