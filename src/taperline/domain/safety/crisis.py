"""What to do now: the crisis steps for a person's country, in the knowledge base's own words."""

from __future__ import annotations

import string
from dataclasses import dataclass

from taperline.domain.safety.knowledge import CrisisContacts, Knowledge


@dataclass(frozen=True, slots=True)
class CrisisSteps:
    contacts: CrisisContacts
    overdose: tuple[str, ...]  # in order, numbers filled in
    citations: tuple[str, ...]

    @property
    def summary(self) -> str:
        crisis = self.contacts.crisis_line_name or self.contacts.crisis_line
        poison = self.contacts.poison_control_name or "Poison Control"
        return (
            f"In an emergency call {self.contacts.emergency}. If you are thinking about "
            f"suicide, call or text {self.contacts.crisis_line} ({crisis}). For a poisoning, "
            f"call {poison} at {self.contacts.poison_control}."
        )


def crisis_steps(knowledge: Knowledge, country: str) -> CrisisSteps:
    """The steps for `country`, or the US defaults when the country has none of its own."""
    contacts = knowledge.crisis.get(country) or knowledge.crisis["US"]
    values = {
        "emergency": contacts.emergency,
        "crisis_line": contacts.crisis_line,
        "crisis_line_name": contacts.crisis_line_name or contacts.crisis_line,
        "poison_control": contacts.poison_control,
        "poison_control_name": contacts.poison_control_name or "Poison Control",
    }
    formatter = string.Formatter()
    steps = tuple(formatter.vformat(step, (), values) for step in knowledge.overdose_steps)
    return CrisisSteps(contacts, steps, knowledge.overdose_citations)
