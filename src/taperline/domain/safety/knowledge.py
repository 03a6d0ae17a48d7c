"""The shape of the safety knowledge base, as frozen dataclasses the engine reads.

The data lives in `taperline/knowledge/*.toml`; `taperline.knowledge.load()` reads and
validates it (Pydantic) and hands the engine a `Knowledge`. The engine never reads files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from taperline.domain.evidence.model import Library


class Severity(StrEnum):
    INFO = "info"
    CAUTION = "caution"
    WARNING = "warning"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.CAUTION: 1, Severity.WARNING: 2, Severity.URGENT: 3}


class EvidenceStatus(StrEnum):
    SOURCED = "sourced"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class Reference:
    id: str
    text: str
    url: str = ""
    pmid: str = ""
    doi: str = ""
    status: EvidenceStatus = EvidenceStatus.SOURCED
    note: str = ""

    @property
    def identifiers(self) -> str:
        """ "PMID … DOI … URL", whichever the reference has, for a printed source line."""
        found = (
            f"PMID {self.pmid}" if self.pmid else "",
            f"DOI {self.doi}" if self.doi else "",
            self.url,
        )
        return " ".join(x for x in found if x)


@dataclass(frozen=True, slots=True)
class Substance:
    id: str
    name: str
    classes: tuple[str, ...]
    aliases: tuple[str, ...]
    evidence_status: EvidenceStatus
    citations: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """Everything the product says about one rule id, and its parameters."""

    id: str
    family: str  # dose, interaction, red_flag, trend, taper, use
    title: str
    severity: Severity
    person_message: str  # plain; says what to do next; may hold {placeholders}
    clinician_message: str
    citations: tuple[str, ...]
    evidence_status: EvidenceStatus
    note: str = ""
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Interaction:
    rule: Rule
    a: str  # a substance id, "class:<name>" or "condition:<name>"
    b: str
    mechanism: str
    spacing: str = ""  # plain spacing advice, e.g. "antibiotic ≥2 h before or 4-6 h after"


@dataclass(frozen=True, slots=True)
class RedFlag:
    rule: Rule
    question: str  # what the check-in asks the person (yes/no)
    phrases: tuple[str, ...] = ()  # words in a person's message that raise the same flag
    phrase_citations: tuple[str, ...] = ()  # where the phrase list comes from
    phrase_note: str = ""


@dataclass(frozen=True, slots=True)
class CrisisContacts:
    country: str
    emergency: str
    crisis_line: str
    poison_control: str
    crisis_line_name: str = ""
    poison_control_name: str = ""


@dataclass(frozen=True, slots=True)
class Knowledge:
    version: str
    references: Mapping[str, Reference]
    substances: Mapping[str, Substance]
    rules: Mapping[str, Rule]  # every rule id, all families
    interactions: tuple[Interaction, ...]
    red_flags: tuple[RedFlag, ...]
    crisis: Mapping[str, CrisisContacts]
    overdose_steps: tuple[str, ...] = ()  # what to do for a suspected overdose, in order
    overdose_citations: tuple[str, ...] = ()
    library: Library = field(default_factory=lambda: Library(()))  # the evidence library

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def param(self, rule_id: str, name: str) -> Decimal:
        return Decimal(str(self.rules[rule_id].params[name]))
