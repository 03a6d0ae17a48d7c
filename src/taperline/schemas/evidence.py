"""The evidence library's JSON: claims and claim-check reports (GET/POST /api/v1/claims...)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from taperline.schemas.base import ListPublic

MAX_TEXT = 200_000


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    return text


class ClaimCheckInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, AfterValidator(_no_nul)] = Field(
        min_length=1, max_length=MAX_TEXT, description="The text to check"
    )
    format: Literal["text", "markdown", "html"] = Field(
        default="text", description="How the text is written"
    )
    method: Literal["lexical", "embedding", "combined"] = Field(
        default="lexical",
        description="Matching method; embedding and combined need the optional extra",
    )


class SourcePublic(BaseModel):
    id: str
    text: str
    url: str
    pmid: str
    doi: str
    status: str


class ClaimPublic(BaseModel):
    id: str
    statement: str
    grade: str = Field(
        description="supported, partly supported, limited evidence, no evidence or contradicted"
    )
    topics: list[str]
    summary: str
    explanation: str
    instead: str
    sources: list[SourcePublic]
    reviewed: str
    phrasings: list[str]
    unverified: str
    sources_silent: bool


class ClaimsPublic(ListPublic[ClaimPublic]):
    """The library's claims."""


class CheckedSentencePublic(BaseModel):
    index: int
    sentence: str
    start: int
    end: int
    status: str = Field(description="matched or not assessed")
    topics: list[str]
    claim: ClaimPublic | None = None
    grade: str | None = None
    score: float | None = None
    confidence: str | None = Field(default=None, description="high, medium or low")
    may_say_the_opposite: bool | None = None


class CheckReportPublic(BaseModel):
    method: str
    sentences: int
    counts: dict[str, int]
    claims: list[CheckedSentencePublic]
    note: str
