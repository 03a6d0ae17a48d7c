"""The support circle on the web: /me/circle (the person invites, chooses what each supporter
sees, ends it), /circle/join/{token} (the invited supporter joins), /supporting (what a
supporter sees), and the same under /api/v1. The services decide access."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from taperline.domain.circle import (
    RELATION_NAMES,
    SHARE_LABELS,
    SHARE_NAMES,
    TREND_WORDS,
    SharedView,
    Shares,
    parse_shares,
)
from taperline.domain.errors import InvalidInput
from taperline.services import circle, supporting
from taperline.services.circle import MemberView
from taperline.services.people import find_user
from taperline.web.deps import (
    ClockDep,
    OptionalViewer,
    SessionDep,
    SettingsDep,
    Viewer,
    ViewerDep,
    WriterDep,
    client_ip,
)
from taperline.web.routes.api_v1 import WRITES, companion_router
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = companion_router("circle")

Text = Annotated[str, Form(max_length=320)]
Token = Annotated[str, Path(max_length=100)]
MemberId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The circle member's id")]


def _sentence(error: InvalidInput) -> str:
    return f"{error.problem[:1].upper()}{error.problem[1:]}."


def _circle_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    return render(
        request,
        "person/circle.html",
        viewer,
        status_code=status_code,
        members=circle.members(session, clock, viewer.actor, viewer.handle),
        relations=RELATION_NAMES,
        share_names=SHARE_NAMES,
        share_labels=SHARE_LABELS,
        default_shares=Shares().on(),
        **context,
    )


@router.get("/me/circle", response_class=HTMLResponse)
def circle_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    return _circle_page(request, session, clock, viewer)


async def _shares_from_form(request: Request) -> Shares:
    form = await request.form()
    return parse_shares(str(value) for value in form.getlist("share"))


@router.post("/me/circle/invite", response_class=HTMLResponse)
async def invite_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    viewer: WriterDep,
    email: Text = "",
    name: Annotated[str, Form(max_length=200)] = "",
    relation: Annotated[str, Form(max_length=20)] = "other",
) -> HTMLResponse:
    try:
        shares = await _shares_from_form(request)
        sent = circle.invite(
            session,
            clock,
            settings,
            viewer.actor,
            viewer.handle,
            email=email,
            name=name,
            relation=relation,
            shares=shares,
        )
    except InvalidInput as error:
        session.rollback()
        return _circle_page(
            request,
            session,
            clock,
            viewer,
            422,
            invite_error=_sentence(error),
            invite_field=error.field,
            typed={"email": email, "name": name, "relation": relation},
        )
    return _circle_page(request, session, clock, viewer, invited=sent)


@router.post("/me/circle/{member_id}/share", response_class=HTMLResponse)
async def share_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    member_id: MemberId,
) -> HTMLResponse:
    try:
        shares = await _shares_from_form(request)
        member = circle.set_shares(session, clock, viewer.actor, viewer.handle, member_id, shares)
    except InvalidInput as error:
        session.rollback()
        return _circle_page(request, session, clock, viewer, 422, share_error=_sentence(error))
    return _circle_page(
        request, session, clock, viewer, done=f"Saved. {member.name} sees this from now on."
    )


@router.post("/me/circle/{member_id}/end", response_class=HTMLResponse)
def end_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    member_id: MemberId,
) -> HTMLResponse:
    member = circle.end(session, clock, viewer.actor, viewer.handle, member_id)
    return _circle_page(
        request,
        session,
        clock,
        viewer,
        done=f"Done. {member.name} is no longer in your circle and sees nothing from now on.",
    )


@router.get("/people/{handle}/circle", response_class=HTMLResponse)
def clinician_circle_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    handle: Annotated[str, Path(max_length=100)],
) -> HTMLResponse:
    rows = circle.members(session, clock, viewer.actor, handle)
    person = find_user(session, handle)
    return render(
        request,
        "clinician/circle.html",
        viewer,
        person=person,
        members=rows,
        relations=RELATION_NAMES,
    )


# -- joining -------------------------------------------------------------------------------


def _join_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer | None,
    token: str,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    try:
        invitation = circle.invitation(session, clock, token)
    except InvalidInput as error:
        return render(
            request, "pages/circle_join.html", viewer, status_code=410, gone=_sentence(error)
        )
    return render(
        request,
        "pages/circle_join.html",
        viewer,
        status_code=status_code,
        invitation=invitation,
        token=token,
        **context,
    )


@router.get("/circle/join/{token}", response_class=HTMLResponse)
def join_form(
    request: Request, session: SessionDep, clock: ClockDep, viewer: OptionalViewer, token: Token
) -> HTMLResponse:
    return _join_page(request, session, clock, viewer, token)


@router.post("/circle/join/{token}", response_class=HTMLResponse)
def join(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    viewer: OptionalViewer,
    token: Token,
    handle: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    confirm: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        user = circle.join(
            session,
            clock,
            settings,
            token,
            handle=handle,
            display_name=name,
            password=password,
            confirm=confirm,
            source=f"web:{client_ip(request)}",
        )
    except InvalidInput as error:
        session.rollback()
        return _join_page(
            request,
            session,
            clock,
            viewer,
            token,
            422,
            error=_sentence(error),
            field=error.field,
            typed={"handle": handle, "name": name},
        )
    return render(request, "pages/circle_joined.html", None, handle=user.handle)


@router.post("/circle/join/{token}/accept", response_class=HTMLResponse)
def accept(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep, token: Token
) -> Response:
    try:
        circle.accept(session, clock, viewer.actor, token)
    except InvalidInput as error:
        session.rollback()
        return _join_page(request, session, clock, viewer, token, 422, error=_sentence(error))
    return RedirectResponse("/supporting", status_code=303)


@router.get("/supporting", response_class=HTMLResponse)
def supporting_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    views = supporting.supporting(session, clock, viewer.actor)
    return render(
        request, "supporter/supporting.html", viewer, views=views, trend_words=TREND_WORDS
    )


# -- the same under /api/v1 -----------------------------------------------------------------


class SharesPublic(BaseModel):
    checkins: bool = Field(
        default=True, strict=True, description="Checked in today, and the streak"
    )
    trend: bool = Field(
        default=False, strict=True, description="Craving easing, steady or harder (words)"
    )
    alerts: bool = Field(
        default=False, strict=True, description="Whether an alert is open (yes or no)"
    )
    scores: bool = Field(default=False, strict=True, description="Latest questionnaire scores")
    missed: bool = Field(
        default=False, strict=True, description="A nudge after several missed check-ins"
    )
    sos: bool = Field(
        default=True, strict=True, description="A message when the person presses SOS"
    )

    def shares(self) -> Shares:
        return Shares(**self.model_dump())


class MemberPublic(BaseModel):
    id: int
    name: str
    relation: str
    email: str
    status: str = Field(description="invited, joined, expired or ended")
    supporter: str | None = Field(description="The supporter's handle, once joined")
    invited_at: dt.datetime
    joined_at: dt.datetime | None
    ended_at: dt.datetime | None
    shares: SharesPublic

    @classmethod
    def of(cls, member: MemberView) -> MemberPublic:
        s = member.shares
        return cls(
            id=member.id,
            name=member.name,
            relation=member.relation,
            email=member.email,
            status=member.status,
            supporter=member.supporter_handle,
            invited_at=member.invited_at,
            joined_at=member.joined_at,
            ended_at=member.ended_at,
            shares=SharesPublic(
                checkins=s.checkins,
                trend=s.trend,
                alerts=s.alerts,
                scores=s.scores,
                missed=s.missed,
                sos=s.sos,
            ),
        )


class MembersPublic(BaseModel):
    data: list[MemberPublic]


class InvitePublic(BaseModel):
    email: str = Field(max_length=320, description="Where the invitation is sent")
    name: str = Field(max_length=200, description="Who this is, in your words")
    relation: str = Field(default="other", max_length=20, description=", ".join(RELATION_NAMES))
    shares: SharesPublic = Field(default_factory=SharesPublic)


class InvitedPublic(BaseModel):
    member: MemberPublic
    link: str = Field(description="The invitation link (also emailed); shown only this once")


class ScorePublic(BaseModel):
    instrument: str
    title: str
    total: int | None
    band: str | None
    date: dt.date


class SupportedPublic(BaseModel):
    handle: str
    name: str
    relation: str
    shared: list[str] = Field(description="What the person shares with you")
    checked_in_today: bool | None = Field(description="null: not shared")
    streak: int | None = Field(description="Days in a row with a check-in; null: not shared")
    trend: str | None = Field(description="easing, steady, harder or unknown; null: not shared")
    open_alerts: bool | None = Field(description="null: not shared")
    scores: list[ScorePublic] | None = Field(description="null: not shared")

    @classmethod
    def of(cls, view: SharedView) -> SupportedPublic:
        return cls(
            handle=view.person_handle,
            name=view.person_name,
            relation=view.relation,
            shared=list(view.shares.on()),
            checked_in_today=view.checked_in_today,
            streak=view.streak,
            trend=view.trend.value if view.trend else None,
            open_alerts=view.open_alerts,
            scores=None
            if view.scores is None
            else [
                ScorePublic(
                    instrument=s.instrument, title=s.title, total=s.total, band=s.band, date=s.day
                )
                for s in view.scores
            ],
        )


class SupportingPublic(BaseModel):
    data: list[SupportedPublic]


@api_router.get("/me/circle", response_model=MembersPublic)
def my_circle(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> MembersPublic:
    """Your support circle: everyone invited, joined or ended, and what each sees."""
    rows = circle.members(session, clock, viewer.actor, viewer.handle)
    return MembersPublic(data=[MemberPublic.of(m) for m in rows])


@api_router.post("/me/circle", response_model=InvitedPublic, status_code=201, dependencies=WRITES)
def invite_api(
    body: InvitePublic,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    viewer: WriterDep,
) -> InvitedPublic:
    """Invite a supporter by email, choosing what they will see."""
    sent = circle.invite(
        session,
        clock,
        settings,
        viewer.actor,
        viewer.handle,
        email=body.email,
        name=body.name,
        relation=body.relation,
        shares=body.shares.shares(),
    )
    return InvitedPublic(member=MemberPublic.of(sent.member), link=sent.link)


@api_router.put("/me/circle/{member_id}", response_model=MemberPublic, dependencies=WRITES)
def share_api(
    member_id: MemberId,
    body: SharesPublic,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
) -> MemberPublic:
    """Change what one supporter sees (all switches at once). Effective at once."""
    member = circle.set_shares(
        session, clock, viewer.actor, viewer.handle, member_id, body.shares()
    )
    return MemberPublic.of(member)


@api_router.delete("/me/circle/{member_id}", response_model=MemberPublic, dependencies=WRITES)
def end_api(
    member_id: MemberId, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> MemberPublic:
    """Take someone out of your circle, or withdraw an invitation."""
    return MemberPublic.of(circle.end(session, clock, viewer.actor, viewer.handle, member_id))


@api_router.get("/people/{handle}/circle", response_model=MembersPublic)
def person_circle(
    handle: Annotated[str, Path(max_length=100)],
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
) -> MembersPublic:
    """Who is in a person's support circle: for the person and their clinicians."""
    rows = circle.members(session, clock, viewer.actor, handle)
    return MembersPublic(data=[MemberPublic.of(m) for m in rows])


@api_router.get("/supporting", response_model=SupportingPublic)
def supporting_api(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> SupportingPublic:
    """For a supporter: each person you support, with only what they share with you."""
    return SupportingPublic(
        data=[SupportedPublic.of(v) for v in supporting.supporting(session, clock, viewer.actor)]
    )
