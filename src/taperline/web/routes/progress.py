"""Progress pages and their JSON: a person's trends and plots, n-of-1 comparisons (a plain GET
form that works without JavaScript), printable reports, and the clinic overview.

Each route parses its input, calls one service in taperline.services.progress (which decides
access and audits) and renders. Bad query values answer 422 naming the field, never 500.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from taperline.domain.errors import InvalidInput
from taperline.domain.progress import nof1
from taperline.domain.progress.overview import PHASE_LABELS, Phase
from taperline.domain.progress.series import BY_ID
from taperline.reports import plots, printable
from taperline.schemas.api import Text
from taperline.schemas.base import WholeNumber
from taperline.schemas.progress import ComparisonPublic, OverviewPublic, ProgressPublic
from taperline.services import clinic_overview, progress
from taperline.web.deps import ClockDep, ReadingDep, SessionDep, Viewer, ViewerDep
from taperline.web.routes.api_v1 import companion_router
from taperline.web.templating import render

router = APIRouter()
api_router = companion_router("api")  # the JSON routes, under /api/v1

MAX_TEXT = 40
Days = Annotated[WholeNumber, Query(ge=14, le=366, description="The last N days, 14 to 366")]
Choice = Annotated[str, Query(max_length=MAX_TEXT)]


def _threshold(raw: str) -> float | None:
    """An empty box means no threshold; anything else must be a number."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput("threshold", f"'{raw[:MAX_TEXT]}' is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput("threshold", "must be a finite number")
    return value


@dataclass(frozen=True)
class PageQuery:
    """The progress page's plain GET form: an n-of-1 comparison to run (none without an
    exposure) over the last `days` days."""

    exposure: Choice = ""
    outcome: Choice = "sleep_onset_latency"
    threshold: Choice = ""
    days: int = progress.DEFAULT_DAYS


PageQueryDep = Annotated[PageQuery, Depends()]


def _page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    handle: str,
    template: str,
    query: PageQuery,
) -> HTMLResponse:
    view = progress.progress(session, clock, viewer.actor, handle, days=query.days)
    figures = plots.progress_plots(view.series)
    comparison = None
    comparison_plot = None
    errors: dict[str, str] = {}
    if query.exposure:
        try:
            comparison = progress.compare(
                session,
                clock,
                viewer.actor,
                handle,
                exposure=query.exposure,
                outcome=query.outcome,
                threshold=_threshold(query.threshold),
                days=query.days,
            )
            comparison_plot = plots.comparison(view.series.days, comparison)
        except InvalidInput as error:
            errors[error.field] = error.problem
    return render(
        request,
        template,
        viewer,
        status_code=422 if errors else 200,
        view=view,
        series=view.series,
        figures=figures,
        comparison=comparison,
        comparison_plot=comparison_plot,
        errors=errors,
        form=asdict(query),
        exposures=[
            (e.value, nof1.EXPOSURE_TEXT[e].replace("{threshold:g}", "N").replace(" {unit}", ""))
            for e in nof1.Exposure
        ],
        outcomes=[(o.value, nof1.OUTCOME_TEXT[o][0]) for o in nof1.Outcome],
        labels=BY_ID,
    )


@router.get("/me/progress", response_class=HTMLResponse, include_in_schema=False)
def my_progress(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep, query: PageQueryDep
) -> HTMLResponse:
    return _page(request, session, clock, viewer, viewer.handle, "progress/me.html", query)


@router.get("/people/{handle}/progress", response_class=HTMLResponse, include_in_schema=False)
def person_progress(
    request: Request,
    handle: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    query: PageQueryDep,
) -> HTMLResponse:
    return _page(request, session, clock, viewer, handle, "progress/person.html", query)


def _report(
    session: SessionDep, clock: ClockDep, viewer: Viewer, handle: str, kind: str, fmt: str
) -> Response:
    if fmt not in printable.FORMATS:
        raise InvalidInput("format", "use pdf or html")
    data = progress.report_data(session, clock, viewer.actor, handle, kind=kind)
    content = printable.build(data, fmt)
    name = f"taperline-{data.kind}-{data.handle}-{data.generated_on.isoformat()}.{fmt}"
    if fmt == "pdf":
        return Response(
            content,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    # A self-contained document: its own <style>, data-URI images, no script.
    return Response(
        content,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": printable.CSP},
    )


@router.get("/me/report", include_in_schema=False)
def my_report(
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    kind: Choice = "progress",
    format: Choice = "pdf",  # noqa: A002 - the query parameter's name
) -> Response:
    return _report(session, clock, viewer, viewer.handle, kind, format)


@router.get("/people/{handle}/report", include_in_schema=False)
def person_report(
    handle: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    kind: Choice = "visit",
    format: Choice = "pdf",  # noqa: A002 - the query parameter's name
) -> Response:
    return _report(session, clock, viewer, handle, kind, format)


@router.get("/clinic/overview", response_class=HTMLResponse, include_in_schema=False)
def clinic_overview_page(
    request: Request,
    session: SessionDep,
    reading: ReadingDep,
    clock: ClockDep,
    viewer: ViewerDep,
) -> HTMLResponse:
    found = clinic_overview.clinic_overview(session, clock, viewer.actor, reading=reading)
    return render(
        request,
        "progress/overview.html",
        viewer,
        found=found,
        result=found.overview,
        phase_labels={phase.value: PHASE_LABELS[phase] for phase in Phase},
        labels=BY_ID,
    )


# -- JSON, under /api/v1 ------------------------------------------------------------------


@api_router.get("/people/{handle}/progress", response_model=ProgressPublic)
def progress_api(
    handle: Text, session: SessionDep, clock: ClockDep, viewer: ViewerDep, days: Days = 90
) -> ProgressPublic:
    """Day series (gaps are null), weekly summaries, change since the start and since the last
    visit, and the relapse-risk signal (not a validated prediction model)."""
    return ProgressPublic.of(progress.progress(session, clock, viewer.actor, handle, days=days))


@api_router.get("/people/{handle}/nof1", response_model=ComparisonPublic)
def nof1_api(
    handle: Text,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    exposure: Annotated[
        str, Query(max_length=MAX_TEXT, description=", ".join(e.value for e in nof1.Exposure))
    ] = "",
    outcome: Annotated[
        str, Query(max_length=MAX_TEXT, description=", ".join(o.value for o in nof1.Outcome))
    ] = "",
    threshold: Annotated[
        float | None, Query(description="Minutes (exercise, meditation) or a kratom level")
    ] = None,
    days: Days = 90,
) -> ComparisonPublic:
    """Days with an exposure against days without: difference in means, a 95% bootstrap
    interval, a permutation p-value, the days in each arm and warnings. What was observed,
    never a claim of cause."""
    return ComparisonPublic.of(
        progress.compare(
            session,
            clock,
            viewer.actor,
            handle,
            exposure=exposure,
            outcome=outcome,
            threshold=threshold,
            days=days,
        )
    )


@api_router.get("/clinic/overview", response_model=OverviewPublic)
def overview_api(
    session: SessionDep, reading: ReadingDep, clock: ClockDep, viewer: ViewerDep
) -> OverviewPublic:
    """Aggregates over the viewer's clinic (its clinicians and admins): people per taper
    phase, retention, median change in SOWS and sleep efficiency, alert volumes."""
    return OverviewPublic.of(
        clinic_overview.clinic_overview(session, clock, viewer.actor, reading=reading)
    )
