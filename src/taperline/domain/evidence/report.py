"""The claim-check report as plain data (for JSON), and claims relevant to a plan."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from taperline.domain.evidence.match import CheckReport, SentenceResult, Status
from taperline.domain.evidence.model import Claim, Grade, Library, Topic
from taperline.domain.safety.knowledge import Reference

GRADE_ORDER = (
    Grade.CONTRADICTED,
    Grade.NO_EVIDENCE,
    Grade.LIMITED,
    Grade.PARTLY_SUPPORTED,
    Grade.SUPPORTED,
)


def source(reference: Reference) -> dict[str, str]:
    return {
        "id": reference.id,
        "text": reference.text,
        "url": reference.url,
        "pmid": reference.pmid,
        "doi": reference.doi,
        "status": reference.status.value,
    }


def claim_dict(claim: Claim, references: Mapping[str, Reference]) -> dict[str, Any]:
    return {
        "id": claim.id,
        "statement": claim.statement,
        "grade": claim.grade.value,
        "topics": [t.value for t in claim.topics],
        "summary": claim.summary,
        "explanation": claim.explanation,
        "instead": claim.instead,
        "sources": [source(references[c]) for c in claim.citations],
        "reviewed": claim.reviewed.isoformat(),
        "phrasings": list(claim.phrasings),
        "unverified": claim.unverified,
        "sources_silent": claim.sources_silent,
    }


def result_dict(result: SentenceResult, references: Mapping[str, Reference]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "index": result.sentence.index,
        "sentence": result.sentence.text,
        "start": result.sentence.start,
        "end": result.sentence.end,
        "status": result.status.value,
        "topics": [t.value for t in result.topics],
    }
    if result.match is not None:
        data |= {
            "claim": claim_dict(result.match.claim, references),
            "grade": result.match.claim.grade.value,
            "score": result.match.score,
            "confidence": result.match.confidence.value,
            "may_say_the_opposite": result.match.opposite,
        }
    return data


def report_dict(report: CheckReport, references: Mapping[str, Reference]) -> dict[str, Any]:
    """Every health-claim sentence (matched or "not assessed"); non-claims are counted only."""
    return {
        "method": report.method,
        "sentences": len(report.results),
        "counts": dict(report.counts),
        "claims": [result_dict(r, references) for r in report.claims],
        "note": (
            "Grades come from the sources listed with each claim. 'not assessed' means the "
            "sentence makes a health claim the library does not cover: it is not in the "
            "library and not graded. Matching is automatic "
            "and can be wrong: read the explanation before relying on it."
        ),
    }


def worst_first(results: Iterable[SentenceResult]) -> list[SentenceResult]:
    def key(result: SentenceResult) -> int:
        if result.match is None:
            return len(GRADE_ORDER) if result.status is Status.NOT_ASSESSED else 99
        return GRADE_ORDER.index(result.match.claim.grade)

    return sorted(results, key=key)


# -- context: claims beside a plan or a check-in ------------------------------------------------

CATEGORY_TOPICS = {
    "kratom": Topic.KRATOM,
    "moud": Topic.MOUD,
    "melatonin": Topic.MELATONIN,
    "magnesium": Topic.MAGNESIUM,
}
ACTIVITY_TOPICS = {
    "exercise": Topic.EXERCISE,
    "meditation": Topic.MEDITATION,
    "counseling": Topic.COUNSELING,
    "support": Topic.SUPPORT,
}


def claims_for_substances(
    library: Library,
    substances: Iterable[str],
    *,
    activities: Iterable[str] = (),
    tapering: bool = False,
    limit: int = 6,
) -> list[Claim]:
    """The claims worth showing beside a plan: those about exactly what the plan involves.

    `substances` are regimen categories (kratom, moud, melatonin, magnesium; others are
    ignored), `activities` are exercise / meditation / counseling / support. A claim is shown
    when every topic it needs is one the plan involves (plus sleep, withdrawal and opioids,
    which every taper touches), each topic's key claim first, then the graded-against claims
    so the warnings show.
    """
    present = {CATEGORY_TOPICS[s] for s in substances if s in CATEGORY_TOPICS}
    present |= {ACTIVITY_TOPICS[a] for a in activities if a in ACTIVITY_TOPICS}
    if not present:
        return []
    context = present | {Topic.SLEEP, Topic.WITHDRAWAL, Topic.OPIOIDS, Topic.ANXIETY}
    if tapering:
        context.add(Topic.TAPERING)
    chosen = [c for c in library.claims if set(c.requires) <= context and set(c.requires) & present]
    chosen.sort(
        key=lambda c: (not c.key, GRADE_ORDER.index(c.grade), -len(set(c.requires) & present))
    )
    # one of each subject first, so a kratom-heavy list still shows the melatonin note
    picked: list[Claim] = []
    for topic in sorted(present):
        for claim in chosen:
            if topic in claim.requires and claim not in picked:
                picked.append(claim)
                break
    for claim in chosen:
        if len(picked) >= limit:
            break
        if claim not in picked:
            picked.append(claim)
    return picked[:limit]
