"""A clinician brings a person's whole record from another clinic: a page with a file upload
(a FHIR Bundle that Taperline exported there), and the person's page once it is in. The
service (services.fhir_record) decides access, imports all or nothing, and audits."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from taperline.domain.access import Action
from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role
from taperline.services import fhir_record
from taperline.services.authz import AccessDenied
from taperline.web.deps import ClockDep, SessionDep, ViewerDep, WriterDep
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)
MAX_BYTES = 50_000_000


def _only_clinicians(viewer: ViewerDep) -> None:
    if viewer.actor.role is not Role.CLINICIAN:
        raise AccessDenied(viewer.actor, Action.ACCOUNT_CREATE, None)


@router.get("/records/import", response_class=HTMLResponse)
def import_form(request: Request, viewer: ViewerDep) -> HTMLResponse:
    _only_clinicians(viewer)
    return render(request, "clinician/import_record.html", viewer, error=None)


@router.post("/records/import", response_class=HTMLResponse)
async def import_submit(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> Response:
    _only_clinicians(viewer)
    form = await request.form()
    upload = form.get("record")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("record", "choose the record's file (a .json FHIR Bundle)")
        body = await upload.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise InvalidInput("record", "is larger than 50 MB")
        done = fhir_record.import_record(session, clock, viewer.actor, body)
    except InvalidInput as error:
        return render(
            request,
            "clinician/import_record.html",
            viewer,
            status_code=422,
            error=f"{error.field}: {error.problem}",
        )
    return RedirectResponse(f"/people/{done.handle}?imported=1", status_code=303)
