"""What the engine returns: findings with both messages and resolved citations."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from taperline.domain.safety.knowledge import (
    CrisisContacts,
    EvidenceStatus,
    Knowledge,
    Reference,
    Rule,
    Severity,
)

UNVERIFIED_NOTE = "This safety fact is not yet confirmed by a primary source."


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    family: str
    severity: Severity
    title: str
    involved: tuple[str, ...]  # substances, answers or measures that triggered it
    person_message: str
    clinician_message: str
    citations: tuple[Reference, ...]
    evidence_status: EvidenceStatus
    detail: str = ""

    @property
    def sort_key(self) -> tuple[int, str, tuple[str, ...]]:
        return (-self.severity.rank, self.rule_id, self.involved)

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule_id,
            "family": self.family,
            "severity": self.severity.value,
            "title": self.title,
            "involved": list(self.involved),
            "person_message": self.person_message,
            "clinician_message": self.clinician_message,
            "evidence_status": self.evidence_status.value,
            "detail": self.detail,
            "citations": [
                {"id": c.id, "text": c.text, "url": c.url, "pmid": c.pmid, "doi": c.doi}
                for c in self.citations
            ],
        }


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def make_finding(
    knowledge: Knowledge,
    rule: Rule,
    crisis: CrisisContacts,
    *,
    involved: tuple[str, ...] = (),
    values: Mapping[str, object] | None = None,
    detail: str = "",
) -> Finding:
    filled = _Values(
        emergency=crisis.emergency,
        crisis_line=crisis.crisis_line,
        crisis_line_name=crisis.crisis_line_name or crisis.crisis_line,
        poison_control=crisis.poison_control,
        poison_control_name=crisis.poison_control_name or "Poison Control",
        substances=" and ".join(involved),
        detail=detail,
    )
    filled.update({key: str(value) for key, value in (values or {}).items()})
    formatter = string.Formatter()
    person = formatter.vformat(rule.person_message, (), filled)
    clinician = formatter.vformat(rule.clinician_message, (), filled)
    if rule.evidence_status is EvidenceStatus.UNVERIFIED:
        clinician = f"{clinician} [{UNVERIFIED_NOTE}]"
    return Finding(
        rule_id=rule.id,
        family=rule.family,
        severity=rule.severity,
        title=rule.title,
        involved=involved,
        person_message=person,
        clinician_message=clinician,
        citations=tuple(knowledge.references[c] for c in rule.citations),
        evidence_status=rule.evidence_status,
        detail=detail,
    )
