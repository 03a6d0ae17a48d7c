"""SOS: POST /me/sos (a plain form in every person page's header: works without JavaScript) and
POST /api/v1/sos. One step: the crisis steps, an urgent alert, the care team told."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from taperline.services import sos
from taperline.web.deps import ClockDep, SessionDep, WriterDep
from taperline.web.routes.api_v1 import WRITES, companion_router
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = companion_router("sos")


@router.post("/me/sos", response_class=HTMLResponse)
def sos_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> HTMLResponse:
    result = sos.raise_sos(session, clock, viewer.actor, viewer.handle)
    return render(request, "pages/sos.html", viewer, result=result)


class ContactsPublic(BaseModel):
    emergency: str = Field(description="The emergency number, e.g. 911")
    crisis_line: str
    crisis_line_name: str
    poison_control: str
    poison_control_name: str


class SosPublic(BaseModel):
    steps: list[str] = Field(description="What to do for a suspected overdose, in order")
    summary: str = Field(description="Emergency, crisis line and poison control in one sentence")
    contacts: ContactsPublic
    alert_raised: bool = Field(description="False if today's SOS alert was already open")
    told: list[str] = Field(description="Handles of the care team members notified")
    citations: list[str]


@api_router.post("/sos", response_model=SosPublic, dependencies=WRITES)
def sos_api(session: SessionDep, clock: ClockDep, viewer: WriterDep) -> SosPublic:
    """I need help now: returns the crisis steps, opens an urgent alert for the care team and
    notifies them (in the app at once, and by email). For a person, about themself."""
    result = sos.raise_sos(session, clock, viewer.actor, viewer.handle)
    contacts = result.steps.contacts
    return SosPublic(
        steps=list(result.steps.overdose),
        summary=result.steps.summary,
        contacts=ContactsPublic(
            emergency=contacts.emergency,
            crisis_line=contacts.crisis_line,
            crisis_line_name=contacts.crisis_line_name,
            poison_control=contacts.poison_control,
            poison_control_name=contacts.poison_control_name,
        ),
        alert_raised=result.alert_id is not None,
        told=list(result.told),
        citations=list(result.steps.citations),
    )
