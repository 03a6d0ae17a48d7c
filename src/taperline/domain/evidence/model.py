"""The evidence library's shape: grades, topics and claims, as frozen dataclasses.

The claims themselves are data (`taperline/knowledge/claims.toml`), loaded and validated by
`taperline.knowledge.load()`; nothing here reads files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Grade(StrEnum):
    """How well a claim, as stated, holds up against the sources we read."""

    SUPPORTED = "supported"
    PARTLY_SUPPORTED = "partly supported"
    LIMITED = "limited evidence"
    NO_EVIDENCE = "no evidence"
    CONTRADICTED = "contradicted"

    @property
    def slug(self) -> str:
        """For CSS classes and URLs: `partly-supported`, `no-evidence`."""
        return self.value.replace(" ", "-")

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Topic(StrEnum):
    KRATOM = "kratom"
    SEVEN_OH = "7-oh"  # concentrated 7-hydroxymitragynine products
    MELATONIN = "melatonin"
    MAGNESIUM = "magnesium"
    MOUD = "moud"  # medications for opioid use disorder
    NALOXONE = "naloxone"
    OPIOIDS = "opioids"
    SEDATIVES = "sedatives"  # alcohol, benzodiazepines, gabapentinoids and other sedatives
    TAPERING = "tapering"
    WITHDRAWAL = "withdrawal"
    SLEEP = "sleep"
    ANXIETY = "anxiety"
    EXERCISE = "exercise"
    MEDITATION = "meditation"
    COUNSELING = "counseling"
    SUPPORT = "support"  # support groups and networks

    @property
    def label(self) -> str:
        return TOPIC_LABELS[self]


TOPIC_LABELS = {
    Topic.KRATOM: "Kratom",
    Topic.SEVEN_OH: "7-OH products",
    Topic.MELATONIN: "Melatonin",
    Topic.MAGNESIUM: "Magnesium",
    Topic.MOUD: "Medications for opioid use disorder",
    Topic.NALOXONE: "Naloxone",
    Topic.OPIOIDS: "Opioids",
    Topic.SEDATIVES: "Alcohol and sedatives",
    Topic.TAPERING: "Tapering",
    Topic.WITHDRAWAL: "Withdrawal",
    Topic.SLEEP: "Sleep",
    Topic.ANXIETY: "Anxiety",
    Topic.EXERCISE: "Exercise",
    Topic.MEDITATION: "Meditation",
    Topic.COUNSELING: "Counseling",
    Topic.SUPPORT: "Support groups and networks",
}


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim people meet, graded from the sources, in plain words."""

    id: str
    statement: str  # the canonical wording
    grade: Grade
    topics: tuple[Topic, ...]
    requires: tuple[Topic, ...]  # topics a sentence must mention to be matched to this claim
    summary: str  # one line for contextual notes
    explanation: str  # two to four plain sentences
    instead: str  # what to do instead ("" when nothing is needed)
    citations: tuple[str, ...]  # reference ids in references.toml
    reviewed: dt.date
    phrasings: tuple[str, ...]  # other ways people say the same thing
    unverified: str = ""  # what in the grade rests on UNVERIFIED material, if anything
    sources_silent: bool = False  # the sources say nothing for or against the claim
    key: bool = False  # shown first beside a plan that involves its topics

    @property
    def texts(self) -> tuple[str, ...]:
        """The statement and every phrasing: what matching compares a sentence with."""
        return (self.statement, *self.phrasings)


_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class Library:
    """All claims, in file order, with look-ups for the pages and the CLI."""

    claims: tuple[Claim, ...]

    def get(self, claim_id: str) -> Claim | None:
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        return None

    def search(
        self,
        query: str = "",
        *,
        grade: Grade | None = None,
        topic: Topic | None = None,
    ) -> list[Claim]:
        """Claims whose words contain every word of `query` (any order, any case)."""
        words = _WORD.findall(query.lower())
        found = []
        for claim in self.claims:
            if grade is not None and claim.grade is not grade:
                continue
            if topic is not None and topic not in claim.topics:
                continue
            haystack = " ".join(
                (
                    claim.id,
                    *claim.texts,
                    claim.summary,
                    claim.explanation,
                    *(t.label for t in claim.topics),
                )
            ).lower()
            if all(word in haystack for word in words):
                found.append(claim)
        return found

    def for_topics(self, topics: Iterable[Topic]) -> list[Claim]:
        """Claims that need only the given topics (for notes beside a plan)."""
        wanted = set(topics)
        return [c for c in self.claims if c.requires and set(c.requires) <= wanted]
