"""Clinician pages: caseload, a person's page, alert triage, COWS at a visit, the plan editor.

Each route parses its input, calls the service that decides access and audits, and renders.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar, get_args

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import ItemScale
from taperline.domain.plans import Change, describe_item, describe_taper
from taperline.domain.safety.findings import Finding
from taperline.domain.taper import Method
from taperline.domain.types import Category, CheckinKind
from taperline.domain.units import Amount, Unit
from taperline.schemas import parse, problem_of
from taperline.schemas.api import PlanPauseInput, PlanReplanInput
from taperline.schemas.base import MAX_DATE, MIN_DATE, WholeNumber
from taperline.schemas.checkins import CheckinCreate
from taperline.schemas.plans import PlanInput
from taperline.services import adherence, caseload, checkins, evidence, people, plans, safety
from taperline.web.deps import ClockDep, ReadingDep, SessionDep, ViewerDep, WriterDep
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)

ALERT_STATUSES = ("open", "acknowledged", "resolved", "all")
REGIMEN_ROWS = 4  # empty rows offered in the plan editor (more when the plan has more items)
REGIMEN_MAX = 20  # rows read from a submitted form
REGIMEN_FIELDS = ("category", "form", "product", "amount", "unit", "times")
TAPER_FIELDS = (
    "form",
    "start",
    "current",
    "target",
    "method",
    "step",
    "step_days",
    "smallest_step",
    "doses",
    "long_term_use",
)
SHARE = re.compile(r"^(?P<time>\S+)\s*[x×*]\s*(?P<share>\d+)$")


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]
ALERTS_PER_PAGE = 50


def _wants_partial(request: Request) -> bool:
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def _safe_next(target: str) -> str:
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/alerts"


# -- caseload ----------------------------------------------------------------------------


@router.get("/caseload", response_class=HTMLResponse)
def caseload_page(
    request: Request,
    session: SessionDep,
    reading: ReadingDep,
    clock: ClockDep,
    viewer: ViewerDep,
    q: str = "",
    alerts: str = "",
) -> HTMLResponse:
    only_alerts = alerts.strip().lower() in ("1", "on", "true", "yes")
    template = (
        "partials/clinician_caseload_rows.html"
        if _wants_partial(request)
        else "clinician/caseload.html"
    )
    try:
        rows = caseload.caseload(
            session, clock, viewer.actor, search=q or None, only_alerts=only_alerts, reading=reading
        )
    except InvalidInput as error:
        return render(
            request,
            template,
            viewer,
            status_code=422,
            rows=[],
            q=q,
            only_alerts=only_alerts,
            errors={error.field: error.problem},
        )
    return render(request, template, viewer, rows=rows, q=q, only_alerts=only_alerts, errors={})


# -- a person's page ---------------------------------------------------------------------


@router.get("/people/{handle}", response_class=HTMLResponse)
def person_page(
    request: Request, handle: str, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    detail = people.show_person(session, clock, viewer.actor, handle)
    history = checkins.history(session, clock, viewer.actor, handle, days=28)
    alerts = [
        alert
        for alert in safety.list_alerts(session, clock, viewer.actor, status="all", person=handle)
        if alert.status != safety.AlertStatus.RESOLVED
    ]
    try:
        plan: plans.VersionView | None = plans.show(session, clock, viewer.actor, handle)
    except NotFound:
        plan = None
    suggestions = plans.hold_suggestions(session, detail.id)
    try:
        report: adherence.AdherenceReport | None = adherence.report(
            session, clock, viewer.actor, handle, days=14
        )
    except NotFound:
        report = None
    return render(
        request,
        "clinician/person.html",
        viewer,
        person=detail,
        history=history,
        alerts=alerts,
        plan=plan,
        grouped=_grouped(plan.review) if plan else [],
        suggestions=suggestions,
        report=report,
        describe_item=describe_item,
        describe_taper=describe_taper,
        today=_local_today(clock, detail.timezone),
        evidence_notes=evidence.notes_for_plan(plan.review.content if plan else None),
    )


# -- alerts ------------------------------------------------------------------------------


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    status: str = "open",
    page: Annotated[WholeNumber, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    found = safety.list_alerts(
        session,
        clock,
        viewer.actor,
        status=status,
        limit=ALERTS_PER_PAGE + 1,  # one more: is there a next page?
        offset=(page - 1) * ALERTS_PER_PAGE,
    )
    return render(
        request,
        "clinician/alerts.html",
        viewer,
        alerts=found[:ALERTS_PER_PAGE],
        status=status,
        page=page,
        more=len(found) > ALERTS_PER_PAGE,
        failed=None,
        kept_note="",
    )


@router.post("/alerts/{alert_id}/{step}", response_class=HTMLResponse)
def alert_step(
    request: Request,
    alert_id: int,
    step: Literal["acknowledge", "resolve"],
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    note: Annotated[str, Form(max_length=4000)] = "",
    next: Annotated[str, Form(max_length=500)] = "",  # noqa: A002
    status: Annotated[str, Form(max_length=20)] = "all",
) -> Response:
    """Acknowledge or resolve an alert, with a note (a clinician who cares for the person)."""
    action = safety.acknowledge if step == "acknowledge" else safety.resolve
    try:
        action(session, clock, viewer.actor, alert_id, note)
    except InvalidInput as error:
        return _alert_failed(request, session, clock, viewer, alert_id, step, note, status, error)
    return RedirectResponse(_safe_next(next), status_code=303)


def _alert_failed(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    alert_id: int,
    step: str,
    note: str,
    status: str,
    error: InvalidInput,
) -> HTMLResponse:
    """The triage page again, with the problem next to the form that failed and the note kept."""
    status = status if status in ALERT_STATUSES else "all"
    found = safety.list_alerts(session, clock, viewer.actor, status=status)
    if not any(alert.id == alert_id for alert in found):
        status = "all"
        found = safety.list_alerts(session, clock, viewer.actor, status=status)
    failed = {"id": alert_id, "step": step, "field": error.field, "problem": error.problem}
    return render(
        request,
        "clinician/alerts.html",
        viewer,
        status_code=422,
        alerts=found,
        status=status,
        page=1,
        more=False,
        failed=failed,
        kept_note=note,
    )


# -- COWS at a visit ---------------------------------------------------------------------


def _cows() -> ItemScale:
    instrument = registry.get("cows")
    assert isinstance(instrument, ItemScale)
    return instrument


def _local_today(clock: ClockDep, timezone: str) -> dt.date:
    return clock.now().astimezone(zoneinfo.ZoneInfo(timezone)).date()


@router.get("/people/{handle}/cows", response_class=HTMLResponse)
def cows_form(
    request: Request, handle: str, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    detail = people.show_person(session, clock, viewer.actor, handle)
    return render(
        request,
        "clinician/cows.html",
        viewer,
        person_handle=detail.handle,
        person_name=detail.display_name,
        cows=_cows(),
        values={"date": _local_today(clock, detail.timezone).isoformat()},
        errors={},
        key=secrets.token_urlsafe(16),
    )


@router.post("/people/{handle}/cows", response_class=HTMLResponse)
def cows_submit(
    request: Request,
    handle: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    form: FormDep,
) -> HTMLResponse:
    cows = _cows()
    values = {name: _text(form, name, 40) for name in [i.key for i in cows.items] + ["date"]}
    values["note"] = _text(form, "note", 2000)
    key = _text(form, "idempotency_key", 100) or secrets.token_urlsafe(16)
    try:
        submission = parse(
            CheckinCreate,
            {
                "date": values["date"] or None,
                "kind": CheckinKind.VISIT.value,
                "idempotency_key": key,
                "responses": {"cows": [values[item.key] or None for item in cows.items]},
                "note": values["note"],
            },
        )
        result = checkins.submit_checkin(
            session, clock, viewer.actor, submission, person_handle=handle
        )
    except InvalidInput as error:
        field = _cows_field(error.field)
        if field == "idempotency_key":
            key = secrets.token_urlsafe(16)
        detail = people.show_person(session, clock, viewer.actor, handle)
        return render(
            request,
            "clinician/cows.html",
            viewer,
            status_code=422,
            person_handle=detail.handle,
            person_name=detail.display_name,
            cows=cows,
            values=values,
            errors={field: error.problem},
            key=key,
        )
    return render(
        request,
        "clinician/cows_done.html",
        viewer,
        person_handle=handle,
        result=result,
        score=result.checkin.score("cows"),
        cows=cows,
    )


def _cows_field(field: str) -> str:
    item = re.search(r"item (\d+)$", field)
    if item:
        return f"cows_{item.group(1)}"
    return field if field in ("date", "note", "idempotency_key") else "general"


# -- the plan editor ---------------------------------------------------------------------


@router.get("/people/{handle}/plan/edit", response_class=HTMLResponse)
def plan_edit(
    request: Request, handle: str, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    editor = caseload.plan_editor(session, clock, viewer.actor, handle)
    data = editor.approved.data if editor.approved else None
    values, rest = _values_from(data)
    return _editor_page(
        request,
        viewer,
        editor,
        values=values,
        rest=rest,
        rows=max(REGIMEN_ROWS, len(data.regimen) if data else 0),
        review=editor.approved.review if editor.approved else None,
    )


@router.post("/people/{handle}/plan/review", response_class=HTMLResponse)
def plan_review(
    request: Request,
    handle: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    form: FormDep,
) -> HTMLResponse:
    """The live check: the schedule and the findings, computed and not stored."""
    values, rest, rows = _values_of(form)
    data: PlanInput | None = None
    index: list[int] = []
    errors: dict[str, str] = {}
    try:
        data, index = _plan_input(form)
    except InvalidInput as error:
        errors = {_form_field(error.field): f"{error.field}: {error.problem}"}
    try:
        # Without a plan (the form does not parse yet) this only checks access.
        review = caseload.review_draft(session, clock, viewer.actor, handle, data)
    except InvalidInput as error:
        error = _translated(error, index)
        errors = {_form_field(error.field): f"{error.field}: {error.problem}"}
        review = None
    if _wants_partial(request):
        # htmx swaps only successful answers in, so a half-filled form answers 200 here and
        # names the problem; the page without JavaScript answers 422 below.
        return render(
            request,
            "partials/clinician_plan_review.html",
            viewer,
            review=review,
            grouped=_grouped(review) if review else [],
            problems=list(errors.values()),
        )
    editor = caseload.plan_editor(session, clock, viewer.actor, handle)
    return _editor_page(
        request,
        viewer,
        editor,
        values=values,
        rest=rest,
        rows=rows,
        review=review,
        errors=errors,
        status_code=422 if errors else 200,
    )


@router.post("/people/{handle}/plan/draft", response_class=HTMLResponse)
def plan_draft(
    request: Request,
    handle: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    form: FormDep,
) -> Response:
    values, rest, rows = _values_of(form)
    try:
        data, index = _plan_input(form)
        try:
            version = plans.draft(session, clock, viewer.actor, handle, data, values["note"])
        except InvalidInput as error:
            raise _translated(error, index) from None
    except InvalidInput as error:
        editor = caseload.plan_editor(session, clock, viewer.actor, handle)
        return _editor_page(
            request,
            viewer,
            editor,
            values=values,
            rest=rest,
            rows=rows,
            review=None,
            errors={_form_field(error.field): f"{error.field}: {error.problem}"},
            status_code=422,
        )
    return RedirectResponse(f"/people/{handle}/plan/{version.number}", status_code=303)


@router.get("/people/{handle}/plan/{number:int}", response_class=HTMLResponse)
def plan_version(
    request: Request,
    handle: str,
    number: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
) -> HTMLResponse:
    version = plans.show(session, clock, viewer.actor, handle, number)
    changes = (
        plans.compare(session, clock, viewer.actor, handle, number - 1, number)
        if number > 1
        else None
    )
    return _version_page(request, viewer, handle, version, changes=changes)


@router.post("/people/{handle}/plan/pause", response_class=HTMLResponse)
def plan_pause(
    request: Request,
    handle: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    form: FormDep,
) -> Response:
    """Hold the current step longer: a new draft to review and approve."""

    def pause(body: PlanPauseInput) -> plans.VersionView:
        return plans.pause(session, clock, viewer.actor, handle, body.start, body.days, body.note)

    return _adjusted(request, session, clock, viewer, handle, form, PlanPauseInput, pause)


@router.post("/people/{handle}/plan/replan", response_class=HTMLResponse)
def plan_replan(
    request: Request,
    handle: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    form: FormDep,
) -> Response:
    """Restart the taper from what was actually taken lately: a new draft to review."""

    def replan(body: PlanReplanInput) -> plans.VersionView:
        return plans.replan(
            session, clock, viewer.actor, handle, days=body.days, start=body.start, note=body.note
        )

    return _adjusted(request, session, clock, viewer, handle, form, PlanReplanInput, replan)


def _adjusted(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    handle: str,
    form: FormData,
    model: type[M],
    adjust: Callable[[M], plans.VersionView],
) -> Response:
    """Draft the adjustment the form asks for and show it; or the approved plan again, with
    the problem and what was typed."""
    try:
        version = adjust(_form_input(model, form))
    except InvalidInput as error:
        adjusting: Literal["pause", "replan"] = "pause" if model is PlanPauseInput else "replan"
        version = plans.show(session, clock, viewer.actor, handle)
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        return _version_page(
            request,
            viewer,
            handle,
            version,
            errors={error.field: error.problem},
            values=values,
            adjusting=adjusting,
            status_code=422,
        )
    return RedirectResponse(f"/people/{handle}/plan/{version.number}", status_code=303)


def _form_input(model: type[M], form: FormData) -> M:
    """The form's fields that `model` has, stripped, validated by it: the same rules as the
    API, but a problem in plain words for a person at a form."""
    data = {
        name: value.strip()
        for name, value in form.items()
        if name in model.model_fields and isinstance(value, str)
    }
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _in_plain_words(model, error) from None


def _in_plain_words(model: type[BaseModel], error: ValidationError) -> InvalidInput:
    """The first problem, worded for the field's type (whole numbers, dates, text)."""
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    field = model.model_fields.get(name)
    if field is None:
        return problem_of(error)
    if first["type"] == "string_too_long":
        return InvalidInput(name, f"use at most {first['ctx']['max_length']} characters")
    if _allows(field.annotation, int):
        low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
        high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
        if low is None or high is None:
            return InvalidInput(name, "enter a whole number")
        return InvalidInput(name, f"enter a whole number from {low} to {high}")
    if _allows(field.annotation, dt.date):
        if first["type"] == "value_error":  # parsed, but outside SaneDate's range
            return InvalidInput(name, f"enter a date between {MIN_DATE.year} and {MAX_DATE.year}")
        return InvalidInput(name, "enter a date as YYYY-MM-DD")
    return problem_of(error)


def _allows(annotation: Any, kind: type) -> bool:
    """Whether a field's annotation is `kind`, also inside Optional or Annotated."""
    return annotation is kind or any(_allows(arg, kind) for arg in get_args(annotation))


@router.post("/people/{handle}/plan/{number:int}/approve", response_class=HTMLResponse)
def plan_approve(
    request: Request,
    handle: str,
    number: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    form: FormDep,
) -> Response:
    acknowledged = [v for v in form.getlist("acknowledge") if isinstance(v, str)][:50]
    try:
        plans.approve(session, clock, viewer.actor, handle, number, acknowledged)
    except InvalidInput as error:
        version = plans.show(session, clock, viewer.actor, handle, number)
        return _version_page(
            request,
            viewer,
            handle,
            version,
            acknowledged=acknowledged,
            errors={error.field: error.problem},
            status_code=422,
        )
    return RedirectResponse(f"/people/{handle}", status_code=303)


def _version_page(
    request: Request,
    viewer: ViewerDep,
    handle: str,
    version: plans.VersionView,
    *,
    acknowledged: list[str] | None = None,
    errors: dict[str, str] | None = None,
    changes: list[Change] | None = None,
    values: dict[str, str] | None = None,
    adjusting: Literal["pause", "replan"] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    titles = {finding.rule_id: finding.title for finding, _ in _grouped(version.review)}
    return render(
        request,
        "clinician/plan_version.html",
        viewer,
        status_code=status_code,
        person_handle=handle,
        version=version,
        review=version.review,
        grouped=_grouped(version.review),
        titles=titles,
        acknowledged=acknowledged or [],
        errors=errors or {},
        changes=changes,
        values=values or {},
        adjusting=adjusting,
        describe_item=describe_item,
        describe_taper=describe_taper,
    )


def _editor_page(
    request: Request,
    viewer: ViewerDep,
    editor: caseload.PlanEditor,
    *,
    values: dict[str, str],
    rest: str,
    rows: int,
    review: plans.PlanReview | None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "clinician/plan_edit.html",
        viewer,
        status_code=status_code,
        editor=editor,
        person_handle=editor.handle,
        values=values,
        rest=rest,
        rows=rows,
        review=review,
        grouped=_grouped(review) if review else [],
        problems=[],
        errors=errors or {},
        units_options=[(u.value, u.value) for u in Unit],
        units_blank=[("", "(choose)")] + [(u.value, u.value) for u in Unit],
        categories_options=[("", "(empty row)")]
        + [(c.value, c.value.replace("_", " ")) for c in Category],
        evidence_notes=evidence.notes_for_plan(review.content if review else None),
    )


def _grouped(review: plans.PlanReview | None) -> list[tuple[Finding, list[int]]]:
    """Each finding once, worst first, with the taper steps it was found in (none for the
    regimen's own findings)."""
    if review is None:
        return []
    found: dict[tuple[str, tuple[str, ...]], tuple[Finding, list[int]]] = {}
    for finding in review.findings:
        found.setdefault((finding.rule_id, finding.involved), (finding, []))
    for step in review.steps:
        for finding in step.findings:
            found.setdefault((finding.rule_id, ()), (finding, []))[1].append(step.step.number)
    return sorted(found.values(), key=lambda pair: pair[0].sort_key)


# -- plan form <-> PlanInput -------------------------------------------------------------


def _text(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _values_of(form: FormData) -> tuple[dict[str, str], str, int]:
    """What the clinician typed, to show again exactly as typed."""
    names = [f"taper.{name}" for name in TAPER_FIELDS] + ["taper.unit", "note"]
    values = {name: _text(form, name, 2000) for name in names}
    values["taper.long_term_use"] = "on" if form.get("taper.long_term_use") else ""
    rows = REGIMEN_ROWS
    for index in range(REGIMEN_MAX):
        for name in REGIMEN_FIELDS:
            value = _text(form, f"regimen[{index}].{name}")
            if value:
                values[f"regimen[{index}].{name}"] = value
                rows = max(rows, index + 1)
    return values, _text(form, "rest", 20000), rows


def _plan_input(form: FormData) -> tuple[PlanInput, list[int]]:
    """The form as a PlanInput, and for each regimen item the form row it came from."""
    try:
        rest = json.loads(_text(form, "rest", 20000) or "{}")
    except ValueError:
        raise InvalidInput(
            "rest", "the plan's other settings were damaged; reload the editor"
        ) from None
    if not isinstance(rest, dict):
        raise InvalidInput("rest", "the plan's other settings were damaged; reload the editor")
    data: dict[str, Any] = {k: rest[k] for k in ("activities", "monitoring", "goals") if k in rest}
    taper_form = _text(form, "taper.form")
    if taper_form:
        unit = _text(form, "taper.unit")
        data["taper"] = {
            "form": taper_form,
            "start": _text(form, "taper.start") or None,
            "current": {"amount": _text(form, "taper.current") or None, "unit": unit},
            "target": {"amount": _text(form, "taper.target") or None, "unit": unit},
            "method": _text(form, "taper.method") or None,
            "step": _text(form, "taper.step") or None,
            "step_days": _text(form, "taper.step_days") or None,
            "smallest_step": {"amount": _text(form, "taper.smallest_step") or None, "unit": unit},
            "doses": _dose_times(_text(form, "taper.doses", 500)),
            "long_term_use": bool(form.get("taper.long_term_use")),
            "pauses": rest.get("pauses", []),
        }
    regimen: list[dict[str, Any]] = []
    index: list[int] = []
    for row in range(REGIMEN_MAX):
        fields = {name: _text(form, f"regimen[{row}].{name}") for name in REGIMEN_FIELDS}
        if not any(fields.values()):
            continue
        index.append(row)
        regimen.append(
            {
                "category": fields["category"] or None,
                "form": fields["form"] or None,
                "product": fields["product"],
                "amount": fields["amount"] or None,
                "unit": fields["unit"] or None,
                "times": [t for t in re.split(r"[,;\s]+", fields["times"]) if t],
            }
        )
    data["regimen"] = regimen
    try:
        return parse(PlanInput, data), index
    except InvalidInput as error:
        raise _translated(error, index) from None


def _dose_times(text: str) -> list[dict[str, str]]:
    doses = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        shared = SHARE.match(part)
        if shared:
            doses.append({"time": shared.group("time"), "share": shared.group("share")})
        else:
            doses.append({"time": part})
    return doses


def _translated(error: InvalidInput, index: list[int]) -> InvalidInput:
    """Name the form row, not the position among the filled-in rows."""
    found = re.match(r"^regimen\[(\d+)\]", error.field)
    if found and int(found.group(1)) < len(index):
        row = index[int(found.group(1))]
        return InvalidInput(f"regimen[{row}]" + error.field[found.end() :], error.problem)
    return error


def _form_field(field: str) -> str:
    """The form input a problem belongs to ("general" when none fits)."""
    row = re.match(r"^regimen\[(\d+)\](?:\.(\w+))?", field)
    if row:
        part = "unit" if field.endswith(".unit") else row.group(2)
        return f"regimen[{row.group(1)}].{part if part in REGIMEN_FIELDS else 'category'}"
    if field.startswith("taper."):
        if field.endswith(".unit"):
            return "taper.unit"
        head = re.split(r"[.\[]", field[len("taper.") :])[0]
        if head in TAPER_FIELDS:
            return f"taper.{head}"
    if field in ("current", "target", "step", "step_days", "smallest_step", "doses"):
        return f"taper.{field}"
    return "general"


def _values_from(data: PlanInput | None) -> tuple[dict[str, str], str]:
    """Form values (and the settings the editor does not show) from a stored plan."""
    values: dict[str, str] = {
        "taper.method": Method.FIXED.value,
        "taper.unit": Unit.G.value,
        "taper.long_term_use": "on",
    }
    if data is None:
        return values, "{}"
    rest: dict[str, Any] = {
        "activities": data.activities.model_dump(mode="json"),
        "monitoring": data.monitoring.model_dump(mode="json"),
        "goals": list(data.goals),
    }
    taper = data.taper
    if taper is not None:
        unit = taper.current.unit
        values.update(
            {
                "taper.form": taper.form,
                "taper.start": taper.start.isoformat(),
                "taper.current": _number(taper.current.amount),
                "taper.unit": unit,
                "taper.target": _in_unit(taper.target.amount, taper.target.unit, unit),
                "taper.method": taper.method.value,
                "taper.step": _number(taper.step),
                "taper.step_days": str(taper.step_days),
                "taper.smallest_step": _in_unit(
                    taper.smallest_step.amount, taper.smallest_step.unit, unit
                ),
                "taper.doses": ", ".join(
                    d.time.strftime("%H:%M") + (f" x{d.share}" if d.share != 1 else "")
                    for d in taper.doses
                ),
                "taper.long_term_use": "on" if taper.long_term_use else "",
            }
        )
        rest["pauses"] = [pause.model_dump(mode="json") for pause in taper.pauses]
    for row, item in enumerate(data.regimen):
        values.update(
            {
                f"regimen[{row}].category": item.category,
                f"regimen[{row}].form": item.form or "",
                f"regimen[{row}].product": item.product,
                f"regimen[{row}].amount": _number(item.amount),
                f"regimen[{row}].unit": item.unit,
                f"regimen[{row}].times": ", ".join(t.strftime("%H:%M") for t in item.times),
            }
        )
    return values, json.dumps(rest, separators=(",", ":"))


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _in_unit(amount: Decimal, unit: str, wanted: str) -> str:
    try:
        return _number(Amount.parse(amount, unit).to(Unit(wanted)).value)
    except (InvalidInput, ValueError):
        return _number(amount)
