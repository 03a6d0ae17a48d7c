"""The evidence library pages and the claim checker.

The library holds no health data, so /evidence and /evidence/{claim_id} are public (a person
can share a link with family; a clinician can read it before logging in). The claim checker
needs a login, like every tool: what is pasted is checked, shown back and not stored or logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse

from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.evidence.model import Grade, Topic
from taperline.domain.evidence.report import GRADE_ORDER, worst_first
from taperline.knowledge import load
from taperline.services import evidence
from taperline.web.deps import OptionalViewer, ViewerDep, WriterDep
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)

SEARCH_LIMIT = 200
NO_STORE = {"Cache-Control": "no-store"}


def _grade(value: str) -> Grade | None:
    if not value:
        return None
    try:
        return Grade(value.replace("-", " "))
    except ValueError:
        raise InvalidInput("grade", f"'{value}' is not a grade") from None


def _topic(value: str) -> Topic | None:
    if not value:
        return None
    try:
        return Topic(value)
    except ValueError:
        raise InvalidInput("topic", f"'{value}' is not a topic") from None


@router.get("/evidence", response_class=HTMLResponse)
def library_page(
    request: Request,
    viewer: OptionalViewer,
    q: Annotated[str, Query(max_length=SEARCH_LIMIT)] = "",
    grade: Annotated[str, Query(max_length=40)] = "",
    topic: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    claims = evidence.library().search(q, grade=_grade(grade), topic=_topic(topic))
    htmx = request.headers.get("hx-request") == "true"
    return render(
        request,
        "partials/evidence_claim_list.html" if htmx else "evidence/library.html",
        viewer,
        claims=claims,
        total=len(evidence.library().claims),
        q=q,
        grade=grade,
        topic=topic,
        grades=GRADE_ORDER,
        topics=list(Topic),
    )


@router.get("/evidence/check", response_class=HTMLResponse)
def check_form(request: Request, viewer: ViewerDep) -> HTMLResponse:
    return render(request, "evidence/check.html", viewer, text="", report=None, error=None)


@router.post("/evidence/check", response_class=HTMLResponse)
def check_submit(
    request: Request,
    viewer: WriterDep,
    text: Annotated[str, Form(max_length=evidence.MAX_TEXT)] = "",
    kind: Annotated[str, Form(max_length=20)] = "text",
) -> HTMLResponse:
    try:
        chosen = evidence.Format(kind)
    except ValueError:
        chosen = evidence.Format.TEXT
    try:
        report = evidence.check(evidence.to_text(text, chosen))
    except InvalidInput as error:
        response = render(
            request,
            "evidence/check.html",
            viewer,
            status_code=422,
            text=text,
            kind=chosen.value,
            report=None,
            error=error,
        )
        response.headers.update(NO_STORE)
        return response
    response = render(
        request,
        "evidence/check.html",
        viewer,
        text=text,
        kind=chosen.value,
        report=report,
        error=None,
        references=load().references,
        grades=GRADE_ORDER,
        worst_first=worst_first,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/evidence/{claim_id}", response_class=HTMLResponse)
def claim_page(
    request: Request, claim_id: Annotated[str, Path(max_length=100)], viewer: OptionalViewer
) -> HTMLResponse:
    claim = evidence.library().get(claim_id)
    if claim is None:
        raise NotFound(f"there is no claim '{claim_id}' in the evidence library")
    return render(request, "evidence/claim.html", viewer, claim=claim, references=load().references)
