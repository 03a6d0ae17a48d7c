"""The pages of the person in recovery (mobile first): today, the daily check-in, the plan and
its calendar, history, and who can see the record.

Every page asks the services with the viewer's own handle, so the services decide access: a
clinician or an admin has no record of their own here and gets 403.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import urllib.parse
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from taperline.domain.calendar import item_name, item_title, kratom_form_name
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.instruments import registry
from taperline.domain.instruments.sleep_diary import SLEEP_DIARY, AnswerKind
from taperline.domain.plans import WEEKDAYS
from taperline.domain.types import KratomForm, MagnesiumForm
from taperline.schemas.base import WholeNumber
from taperline.services import calendar, checkins, consent, evidence
from taperline.services.consent import CHECKIN_STEPS
from taperline.web.deps import ClockDep, SessionDep, Viewer, ViewerDep, WriterDep
from taperline.web.routes.checkin_form import (
    HANDLE_PATTERN,
    KEY_PATTERN,
    KRATOM_ROWS,
    FieldError,
    FormDep,
    field_error,
    form_spec,
    form_values,
    submission_from,
)
from taperline.web.templating import render

router = APIRouter(prefix="/me", include_in_schema=False)
STEP_TITLES = {
    "doses": "Date and what you took",
    "craving": "Craving",
    "sows": "How you feel now (withdrawal)",
    "sleep": "Last night's sleep",
    "activities": "Activities",
    "safety": "Safety questions",
    "weekly": "Weekly questionnaires (PHQ-9 and GAD-7)",
}
KRATOM_FORMS = {
    KratomForm.LEAF_POWDER.value: "Leaf powder",
    KratomForm.CAPSULES.value: "Capsules",
    KratomForm.EXTRACT.value: "Extract or liquid shot",
    KratomForm.SEVEN_OH.value: "7-OH product",
}
KRATOM_UNITS = {
    "g": "grams (g)",
    "capsule": "capsules",
    "mg": "mg",
    "mL": "mL",
    "tablet": "tablets",
}
MAGNESIUM_FORMS = {"": "Not sure"} | {form.value: form.value.capitalize() for form in MagnesiumForm}
SEVERITY_LABELS = {
    "urgent": "Urgent",
    "warning": "Warning",
    "caution": "Caution",
    "info": "Information",
}
DUE_KINDS = {
    "dose": "Dose",
    "checkin": "Check-in",
    "questionnaire": "Questionnaire",
    "visit": "Visit",
    "activity": "Activity",
}
READ_WORDS = {
    "person.read": "looked at your record",
    "checkin.read": "looked at your check-ins",
    "plan.read": "looked at your plan",
    "adherence.read": "looked at how your doses matched your plan",
    "alert.list": "looked at your alerts",
    "calendar.export": "downloaded your calendar",
}


# -- the pages ---------------------------------------------------------------------------


@router.get("/today", response_class=HTMLResponse)
def today_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    today = consent.today(session, clock, viewer.actor, viewer.handle)
    return render(
        request,
        "person/today.html",
        viewer,
        today=today,
        due_kinds=DUE_KINDS,
        severity_labels=SEVERITY_LABELS,
    )


def _render_step(
    request: Request,
    viewer: Viewer,
    step: str,
    values: dict[str, str],
    key: str,
    *,
    today: dt.date | None = None,
    error: FieldError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    spec = form_spec()
    weekly_due = values.get("weekly_due") == "1"
    steps = [s for s in CHECKIN_STEPS if s != "weekly" or weekly_due or step == "weekly"]
    shown = set(spec.step_fields[step]) | {"weekly_due"}
    carry = sorted((name, value) for name, value in values.items() if name not in shown)
    return render(
        request,
        "person/checkin.html",
        viewer,
        status_code=status_code,
        step=step,
        step_title=STEP_TITLES[step],
        step_number=steps.index(step) + 1,
        step_total=len(steps),
        first=step == CHECKIN_STEPS[0],
        last=step == steps[-1],
        values=values,
        carry=carry,
        key=key,
        today=today,
        error=error,
        spec=spec,
        sleep_diary=SLEEP_DIARY,
        clock_kind=AnswerKind.CLOCK,
        rating_kind=AnswerKind.RATING,
        kratom_rows=range(1, KRATOM_ROWS + 1),
        kratom_forms=KRATOM_FORMS,
        kratom_units=KRATOM_UNITS,
        magnesium_forms=MAGNESIUM_FORMS,
    )


@router.get("/checkin", response_class=HTMLResponse)
def checkin_form(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    state = consent.checkin_step(session, clock, viewer.actor, viewer.handle)
    values = {"date": state.person_today.isoformat()}
    values["weekly_due"] = "1" if state.questionnaires_due else "0"
    for row in range(1, KRATOM_ROWS + 1):
        values[f"kratom_{row}_form"] = KratomForm.LEAF_POWDER.value
        values[f"kratom_{row}_unit"] = "g"
    return _render_step(
        request, viewer, "doses", values, secrets.token_urlsafe(24), today=state.person_today
    )


@router.post("/checkin", response_class=HTMLResponse)
def checkin_submit(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep, form: FormDep
) -> HTMLResponse:
    spec = form_spec()
    values = form_values(form, spec)
    step = form.get("step", "")
    if step not in CHECKIN_STEPS:
        step = CHECKIN_STEPS[0]
    key = form.get("idempotency_key", "")
    if not KEY_PATTERN.fullmatch(key):
        key = secrets.token_urlsafe(24)
    handle = viewer.handle
    if form.get("go") == "back":
        state = consent.checkin_step(session, clock, viewer.actor, handle)
        index = max(CHECKIN_STEPS.index(step) - 1, 0)
        return _render_step(
            request, viewer, CHECKIN_STEPS[index], values, key, today=state.person_today
        )
    prefixes: list[str] = []
    try:
        submission, prefixes = submission_from(values, step, key, spec)
        state = consent.checkin_step(
            session, clock, viewer.actor, handle, step=step, submission=submission
        )
        values["weekly_due"] = "1" if state.questionnaires_due else "0"
        final = step == "weekly" or (step == "safety" and not state.questionnaires_due)
        if not final:
            following = CHECKIN_STEPS[CHECKIN_STEPS.index(step) + 1]
            return _render_step(request, viewer, following, values, key, today=state.person_today)
        result = checkins.submit_checkin(
            session, clock, viewer.actor, submission, person_handle=handle
        )
    except InvalidInput as error:
        problem = field_error(error, prefixes, spec, step)
        return _render_step(
            request, viewer, problem.step, values, key, error=problem, status_code=422
        )
    order = list(SEVERITY_LABELS)  # worst first
    findings = sorted(
        result.findings,
        key=lambda f: order.index(str(f["severity"])) if f.get("severity") in order else len(order),
    )
    return render(
        request,
        "person/thanks.html",
        viewer,
        result=result,
        findings=findings,
        severity_labels=SEVERITY_LABELS,
        needs_clinician=any(f.get("severity") in ("urgent", "warning") for f in findings),
        evidence_notes=evidence.notes_for_checkin(submission),
    )


@router.get("/plan", response_class=HTMLResponse)
def plan_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    try:
        plan = consent.own_plan(session, clock, viewer.actor, viewer.handle)
    except NotFound:
        return render(request, "person/plan.html", viewer, plan=None)
    return render(
        request,
        "person/plan.html",
        viewer,
        plan=plan,
        content=plan.version.review.content,
        schedule=plan.version.review.schedule,
        item_name=item_name,
        item_title=item_title,
        kratom_form_name=kratom_form_name,
        weekdays=WEEKDAYS,
        evidence_notes=evidence.notes_for_plan(plan.version.review.content),
    )


@router.get("/plan.ics")
def plan_calendar(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> Response:
    content = calendar.export_ics(session, clock, viewer.actor, viewer.handle)
    name = re.sub(r"[^a-z0-9_-]", "-", viewer.handle.lower()) or "me"
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="taperline-plan-{name}.ics"'},
    )


@router.get("/history", response_class=HTMLResponse)
def history_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    days: Annotated[WholeNumber, Query(ge=1, le=90)] = 14,
) -> HTMLResponse:
    rows = checkins.history(session, clock, viewer.actor, viewer.handle, days=days)
    htmx = request.headers.get("hx-request") == "true"
    return render(
        request,
        "partials/person_history_table.html" if htmx else "person/history.html",
        viewer,
        rows=rows,
        days=days,
        day_choices=(7, 14, 30, 60, 90),
        flag_texts=_flag_texts(),
    )


@functools.cache
def _flag_texts() -> dict[str, str]:
    """What each instrument flag means, in the instrument's own words."""
    texts: dict[str, str] = {}
    for instrument in registry.INSTRUMENTS.values():
        for rule in getattr(instrument, "safety_items", ()):
            texts[rule.flag] = rule.description
    return texts


@router.get("/access", response_class=HTMLResponse)
def access_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    removed: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    overview = consent.access_overview(session, clock, viewer.actor, viewer.handle)
    shown = removed.strip().lower()
    still = any(entry.clinician == shown for entry in overview.clinicians)
    return render(
        request,
        "person/access.html",
        viewer,
        overview=overview,
        removed=shown if shown and not still and HANDLE_PATTERN.fullmatch(shown) else "",
        read_words=READ_WORDS,
    )


@router.post("/access/revoke")
def revoke_access(
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    clinician: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    consent.revoke(session, clock, viewer.actor, viewer.handle, clinician)
    removed = urllib.parse.quote(clinician.strip().lower(), safe="")
    return RedirectResponse(f"/me/access?removed={removed}", status_code=303)
