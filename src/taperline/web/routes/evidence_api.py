"""The evidence library under /api/v1: list claims, check a text. Stores nothing.

Like every route under /api/v1 these answer only to logged-in users (bearer token or the
login cookie, with X-CSRF-Token on POST); the library itself is also public as web pages.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from taperline.domain.evidence.report import claim_dict
from taperline.knowledge import load
from taperline.schemas.evidence import CheckReportPublic, ClaimCheckInput, ClaimsPublic
from taperline.services import evidence
from taperline.web.deps import ViewerDep, WriterDep
from taperline.web.routes.api_v1 import WRITES, companion_router
from taperline.web.routes.evidence import _grade, _topic

router = companion_router("evidence")


@router.get("/claims", response_model=ClaimsPublic)
def list_claims(
    viewer: ViewerDep,
    q: Annotated[str, Query(max_length=200, description="Words to look for")] = "",
    grade: Annotated[str, Query(max_length=40, description="e.g. contradicted")] = "",
    topic: Annotated[str, Query(max_length=40, description="e.g. kratom")] = "",
) -> ClaimsPublic:
    """The evidence library's claims, each with its grade, explanation and sources."""
    del viewer
    claims = evidence.library().search(q, grade=_grade(grade), topic=_topic(topic))
    references = load().references
    data = [claim_dict(c, references) for c in claims]
    return ClaimsPublic.model_validate({"data": data})


@router.post("/claims/check", response_model=CheckReportPublic, dependencies=WRITES)
def check_text(body: ClaimCheckInput, viewer: WriterDep) -> CheckReportPublic:
    """Split a text into sentences and grade each health claim against the library.

    Sentences that make a health claim the library does not cover come back as
    `not assessed`. The text is not stored or logged."""
    del viewer
    text = evidence.to_text(body.text, evidence.Format(body.format))
    report = evidence.check(text, body.method)
    return CheckReportPublic.model_validate(evidence.as_json(report))
