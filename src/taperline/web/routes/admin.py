"""Clinic admin pages: accounts and invitations, and the clinic's audit log (view and CSV)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from taperline.services import accounts, audit, people
from taperline.web.deps import ClockDep, SessionDep, ViewerDep, WriterDep
from taperline.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def accounts_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    rows = people.list_people(session, clock, viewer.actor)
    return render(request, "admin/accounts.html", viewer, people=rows)


@router.post("/invite/{handle}", response_class=HTMLResponse)
def invite(
    request: Request, handle: str, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> HTMLResponse:
    code = accounts.invite(session, clock, viewer.actor, handle)
    return render(request, "admin/invite_code.html", viewer, handle=handle, code=code)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    events = audit.clinic_log(session, clock, viewer.actor, limit=300)
    return render(request, "admin/audit.html", viewer, events=events)


@router.get("/audit.csv")
def audit_csv(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> Response:
    events = audit.clinic_log(session, clock, viewer.actor, limit=100_000)
    return Response(
        audit.to_csv(events),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="taperline-audit.csv"'},
    )
