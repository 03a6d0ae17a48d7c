"""The JSON API under /api/v1: what the pages do, for other programs.

Authentication: `Authorization: Bearer <token>` (from `taperline token create`), or the login
cookie of a browser session. With the cookie, every POST must also send the session's CSRF
token in the `X-CSRF-Token` header; a bearer token needs none (there is no cookie to forge).
Without either the answer is 401. Errors are JSON: `{"detail": "field: problem", "field":
"field"}` with 422 for bad input (nothing is stored), 403 for a record outside the viewer's
care, 404 for what does not exist.

Each route parses its input, calls one service (which decides access and writes the audit
log in the same transaction) and returns a `...Public` model from `taperline.schemas.api`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response, Security
from fastapi.security import APIKeyCookie, HTTPBearer

from taperline.db.models import User
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.schemas.api import (
    MAX_ID,
    AdherencePublic,
    AlertNoteInput,
    AlertsPublic,
    AlertStepPublic,
    ChangesPublic,
    CheckinsPublic,
    CheckinSubmittedPublic,
    DueItemsPublic,
    FindingsPublic,
    InstrumentsPublic,
    PeoplePublic,
    PersonPublic,
    PlanApprovalInput,
    PlanCreate,
    PlanPauseInput,
    PlanReplanInput,
    PlanVersionPublic,
    PlanVersionsPublic,
    ProblemPublic,
    ScoreInput,
    ScorePublic,
    Text,
    TokenCreatedPublic,
    TokenCreateInput,
    TokenPublic,
    TokensPublic,
    ViewerPublic,
)
from taperline.schemas.base import WholeNumber
from taperline.schemas.checkins import CheckinCreate
from taperline.schemas.safety import SafetyCheckInput
from taperline.services import accounts, adherence, calendar, checkins, people, plans, safety
from taperline.web.deps import SESSION_COOKIE, ClockDep, SessionDep, ViewerDep, WriterDep


async def _csrf_header(
    x_csrf_token: Annotated[
        str | None,
        Header(
            description="With the login cookie: the session's CSRF token (required). "
            "Not needed with a bearer token."
        ),
    ] = None,
) -> None:
    """Documents the header in OpenAPI; `WriterDep` checks it."""
    del x_csrf_token


# These two only describe the ways in for the OpenAPI document (either one will do);
# taperline.web.deps reads and checks them.
router = APIRouter(
    tags=["api"],
    dependencies=[
        Security(HTTPBearer(auto_error=False, description="An API token")),
        Security(
            APIKeyCookie(
                name=SESSION_COOKIE,
                auto_error=False,
                description="A browser login; POSTs then need the X-CSRF-Token header",
            )
        ),
    ],
    responses={
        401: {"model": ProblemPublic, "description": "No login, or the API token is not valid"},
        403: {"model": ProblemPublic, "description": "Not allowed, or a cookie POST without CSRF"},
        404: {"model": ProblemPublic, "description": "No such person, plan version or alert"},
        422: {"model": ProblemPublic, "description": "Bad input; nothing was stored"},
    },
)
WRITES = [Depends(_csrf_header)]


def companion_router(tag: str) -> APIRouter:
    """A router for JSON routes kept beside their pages' module and served under /api/v1: the
    same ways in and the same error answers as this one, in the OpenAPI document too."""
    return APIRouter(tags=[tag], dependencies=router.dependencies, responses=router.responses)


Handle = Annotated[Text, Path(description="The person's handle", max_length=100)]
Id = Annotated[WholeNumber, Path(ge=1, le=MAX_ID)]
AlertStatusQuery = Annotated[
    Literal["open", "acknowledged", "resolved", "all"], Query(description="Which alerts")
]


# -- who, and whom --------------------------------------------------------------------------


@router.get("/me", response_model=ViewerPublic)
def me(session: SessionDep, viewer: ViewerDep) -> ViewerPublic:
    """The logged-in user (no health data)."""
    return ViewerPublic.of(session.get_one(User, viewer.account.user_id))


@router.get("/people", response_model=PeoplePublic)
def list_people(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> PeoplePublic:
    """The people the viewer may see: a clinician's caseload, a person themself, a clinic
    admin's clinic (without health data: `checkins` and `last_checkin` are null)."""
    return PeoplePublic.of(people.list_people(session, clock, viewer.actor))


@router.get("/people/{handle}", response_model=PersonPublic)
def show_person(
    handle: Handle, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> PersonPublic:
    """A person's profile: clinicians, conditions and current medications."""
    return PersonPublic.of(people.show_person(session, clock, viewer.actor, handle))


# -- check-ins ------------------------------------------------------------------------------


@router.get("/people/{handle}/checkins", response_model=CheckinsPublic)
def checkin_history(
    handle: Handle,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    days: Annotated[
        WholeNumber, Query(ge=1, le=3660, description="The last N days, 1 to 3660")
    ] = 14,
) -> CheckinsPublic:
    """Check-ins of the last `days` days in the person's own calendar, newest first."""
    return CheckinsPublic.of(checkins.history(session, clock, viewer.actor, handle, days=days))


@router.post(
    "/people/{handle}/checkins",
    response_model=CheckinSubmittedPublic,
    status_code=201,
    dependencies=WRITES,
    responses={
        200: {
            "model": CheckinSubmittedPublic,
            "description": "A replay: this idempotency_key already stored this check-in",
        },
        201: {"description": "Stored, scored and checked by the safety engine"},
    },
)
def submit_checkin(
    handle: Handle,
    body: CheckinCreate,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
) -> Response:
    """Submit a check-in for the person in the path. Send an `idempotency_key` to retry
    safely: the same key with the same check-in answers 200 with the stored one; the same key
    with a different check-in is a 422. `person` in the body may be left out."""
    if body.person is not None and body.person.strip().lower() != handle.strip().lower():
        raise InvalidInput("person", "does not match the person in the address")
    result = checkins.submit_checkin(session, clock, viewer.actor, body, person_handle=handle)
    # Serialised here, by the model that made it: FastAPI would validate it again first.
    return Response(
        CheckinSubmittedPublic.of_result(result).model_dump_json(),
        status_code=201 if result.created else 200,
        media_type="application/json",
    )


# -- alerts ---------------------------------------------------------------------------------


@router.get("/people/{handle}/alerts", response_model=AlertsPublic)
def person_alerts(
    handle: Handle,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    status: AlertStatusQuery = "open",
) -> AlertsPublic:
    """One person's safety alerts, most urgent first."""
    return AlertsPublic.of(
        safety.list_alerts(session, clock, viewer.actor, status=status, person=handle)
    )


@router.get("/alerts", response_model=AlertsPublic)
def list_alerts(
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    status: AlertStatusQuery = "open",
    limit: Annotated[WholeNumber, Query(ge=1, le=1000, description="At most this many")] = 200,
    offset: Annotated[WholeNumber, Query(ge=0, le=10_000_000, description="Skip this many")] = 0,
) -> AlertsPublic:
    """Every alert the viewer may see (a clinician's caseload, a person's own): unresolved
    first, then most urgent, newest first. Page with `limit` and `offset`."""
    return AlertsPublic.of(
        safety.list_alerts(session, clock, viewer.actor, status=status, limit=limit, offset=offset)
    )


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertStepPublic, dependencies=WRITES)
def acknowledge_alert(
    alert_id: Id, body: AlertNoteInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> AlertStepPublic:
    """Acknowledge an open alert (a clinician who cares for the person), saying what you
    have done or will do."""
    return AlertStepPublic.of(safety.acknowledge(session, clock, viewer.actor, alert_id, body.note))


@router.post("/alerts/{alert_id}/resolve", response_model=AlertStepPublic, dependencies=WRITES)
def resolve_alert(
    alert_id: Id, body: AlertNoteInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> AlertStepPublic:
    """Resolve an open or acknowledged alert (a clinician who cares for the person), saying
    how."""
    return AlertStepPublic.of(safety.resolve(session, clock, viewer.actor, alert_id, body.note))


# -- plans ----------------------------------------------------------------------------------


@router.get("/people/{handle}/plan", response_model=PlanVersionPublic)
def approved_plan(
    handle: Handle, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> PlanVersionPublic:
    """The plan in force (the approved version) with its schedule and safety review."""
    return PlanVersionPublic.of(plans.show(session, clock, viewer.actor, handle))


@router.get("/people/{handle}/plans", response_model=PlanVersionsPublic)
def plan_versions(
    handle: Handle, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> PlanVersionsPublic:
    """Every version of the person's plan, oldest first (a person does not see drafts)."""
    return PlanVersionsPublic.of(plans.versions(session, clock, viewer.actor, handle))


@router.post(
    "/people/{handle}/plans",
    response_model=PlanVersionPublic,
    status_code=201,
    dependencies=WRITES,
)
def draft_plan(
    handle: Handle,
    body: PlanCreate,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    note: Annotated[Text, Query(max_length=2000, description="Why this version")] = "",
) -> PlanVersionPublic:
    """Save a new draft version (a clinician who cares for the person). The answer carries
    the safety review: the rule ids in `review.needs_acknowledging` must be acknowledged to
    approve it. Nothing changes for the person until a draft is approved."""
    return PlanVersionPublic.of(plans.draft(session, clock, viewer.actor, handle, body, note))


@router.post(
    "/people/{handle}/plans/{number}/approve",
    response_model=PlanVersionPublic,
    dependencies=WRITES,
)
def approve_plan(
    handle: Handle,
    number: Id,
    body: PlanApprovalInput,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
) -> PlanVersionPublic:
    """Approve a draft (a clinician who cares for the person). Without every rule id of its
    `needs_acknowledging` in `acknowledge` the answer is 422 naming `acknowledge`."""
    return PlanVersionPublic.of(
        plans.approve(session, clock, viewer.actor, handle, number, body.acknowledge)
    )


@router.post(
    "/people/{handle}/plans/pause",
    response_model=PlanVersionPublic,
    status_code=201,
    dependencies=WRITES,
)
def pause_plan(
    handle: Handle, body: PlanPauseInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> PlanVersionPublic:
    """Draft a new version that holds the current taper step `days` days longer from `start`
    (a clinician who cares for the person). It takes effect only once approved."""
    return PlanVersionPublic.of(
        plans.pause(session, clock, viewer.actor, handle, body.start, body.days, body.note)
    )


@router.post(
    "/people/{handle}/plans/replan",
    response_model=PlanVersionPublic,
    status_code=201,
    dependencies=WRITES,
)
def replan_plan(
    handle: Handle,
    body: PlanReplanInput,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
) -> PlanVersionPublic:
    """Draft a new version that restarts the taper from what the person actually took lately
    (the mean of the last `days` logged days, rounded down to the smallest step). It takes
    effect only once approved."""
    return PlanVersionPublic.of(
        plans.replan(
            session,
            clock,
            viewer.actor,
            handle,
            days=body.days,
            start=body.start,
            note=body.note,
        )
    )


@router.get("/people/{handle}/plans/{old}/diff/{new}", response_model=ChangesPublic)
def compare_plans(
    handle: Handle, old: Id, new: Id, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> ChangesPublic:
    """What changed from version `old` to version `new`."""
    return ChangesPublic.of(old, new, plans.compare(session, clock, viewer.actor, handle, old, new))


# -- adherence and the calendar -------------------------------------------------------------


@router.get("/people/{handle}/adherence", response_model=AdherencePublic)
def adherence_report(
    handle: Handle,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    days: Annotated[WholeNumber, Query(ge=1, le=366, description="The last N days, 1 to 366")] = 14,
) -> AdherencePublic:
    """What was logged against the approved plan. A day without a check-in is unknown,
    never zero."""
    return AdherencePublic.of(adherence.report(session, clock, viewer.actor, handle, days=days))


@router.get("/people/{handle}/today", response_model=DueItemsPublic)
def due_today(
    handle: Handle, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> DueItemsPublic:
    """What the approved plan has due today, in the person's time zone."""
    day, items = calendar.due_today(session, clock, viewer.actor, handle)
    return DueItemsPublic.of(day, items)


@router.get(
    "/people/{handle}/calendar.ics",
    response_class=Response,
    responses={
        200: {
            "description": "The approved plan as an iCalendar file",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    },
)
def calendar_file(
    handle: Handle, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> Response:
    """The approved plan's doses, check-ins and visits for a calendar app."""
    return Response(
        calendar.export_ics(session, clock, viewer.actor, handle),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{handle}-taperline.ics"'},
    )


# -- tools that store nothing ---------------------------------------------------------------


@router.get("/instruments", response_model=InstrumentsPublic)
def list_instruments(viewer: ViewerDep) -> InstrumentsPublic:
    """Every questionnaire Taperline can score (see docs/instruments.md for sources)."""
    del viewer  # a login is required, as everywhere in /api/v1
    return InstrumentsPublic.of(registry.INSTRUMENTS.values())


@router.post("/instruments/{instrument_id}/score", response_model=ScorePublic, dependencies=WRITES)
def score_instrument(
    instrument_id: Annotated[str, Path(max_length=50, description="e.g. phq9, sows, cows")],
    body: ScoreInput,
    viewer: WriterDep,
) -> ScorePublic:
    """Score one questionnaire; nothing is stored and no health record is read.

    A login is still required: every route under /api/v1 answers only to the clinic's own
    users, so there is one rule to reason about and no anonymous surface to abuse, and the
    CSRF check keeps another site from using a logged-in browser for it."""
    del viewer
    instrument = registry.get(instrument_id)
    try:
        return ScorePublic.of(instrument.score(body.answers))
    except InvalidInput as error:  # name the field as it sits in the body
        field = error.field if error.field == "answers" else f"answers.{error.field}"
        raise InvalidInput(field, error.problem) from None


@router.post("/safety/check", response_model=FindingsPublic, dependencies=WRITES)
def check_situation(body: SafetyCheckInput, viewer: WriterDep) -> FindingsPublic:
    """Evaluate a described situation (profile, plan, event, recent days) with the safety
    engine. Stores nothing and reads no health data; a login is required as for `score`."""
    del viewer
    return FindingsPublic.of(safety.check_situation(body))


# -- your own account ---------------------------------------------------------------------


@router.get("/account/tokens", response_model=TokensPublic)
def list_tokens(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> TokensPublic:
    """Your own API tokens: names and dates, never the tokens themselves."""
    tokens = [
        TokenPublic(
            id=t.id,
            name=t.name,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
        )
        for t in accounts.list_tokens(session, clock, viewer.actor)
    ]
    return TokensPublic(data=tokens)


@router.post(
    "/account/tokens",
    response_model=TokenCreatedPublic,
    status_code=201,
    dependencies=WRITES,
)
def create_token(
    body: TokenCreateInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> TokenCreatedPublic:
    """Create an API token for yourself. The answer is the only time it is shown."""
    return TokenCreatedPublic(token=accounts.create_token(session, clock, viewer.actor, body.name))


@router.post("/account/tokens/{token_id}/revoke", response_model=TokensPublic, dependencies=WRITES)
def revoke_token(
    token_id: Id, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> TokensPublic:
    """Revoke one of your own API tokens; it stops working at once. Answers your tokens."""
    accounts.revoke_token(session, clock, viewer.actor, token_id)
    return list_tokens(session, clock, viewer)
