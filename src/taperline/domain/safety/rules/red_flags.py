"""Red flags (safety-evidence.md §I): each tells the person exactly what to do now."""

from __future__ import annotations

from taperline.domain.safety.findings import Finding
from taperline.domain.safety.rules.base import Facts

SUICIDAL = "red_flag.suicidal_thoughts"


def evaluate(facts: Facts) -> list[Finding]:
    checkin = facts.checkin
    if checkin is None:
        return []
    answered = set(checkin.red_flags)
    phq9_item9 = any("phq9.item9_positive" in score.flags for score in checkin.scores)
    if phq9_item9:
        answered.add(SUICIDAL)
    findings = []
    for flag in facts.knowledge.red_flags:
        if flag.rule.id in answered:
            involved = (
                ("PHQ-9 item 9",)
                if flag.rule.id == SUICIDAL and phq9_item9
                else ("check-in answer",)
            )
            findings.append(facts.finding(flag.rule.id, involved=involved))
    return findings


def unknown(facts: Facts) -> set[str]:
    """Red-flag ids in the event that the knowledge base does not define."""
    checkin = facts.checkin
    known = {flag.rule.id for flag in facts.knowledge.red_flags}
    return set(checkin.red_flags) - known if checkin else set()
