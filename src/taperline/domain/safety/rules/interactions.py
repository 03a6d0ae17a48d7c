"""Interactions (safety-evidence.md §G) among everything in the picture: logged doses, plan
items and the person's medications, and the person's conditions."""

from __future__ import annotations

from taperline.domain.safety.findings import Finding
from taperline.domain.safety.rules.base import Facts
from taperline.domain.safety.substances import Present


def evaluate(facts: Facts) -> list[Finding]:
    conditions = {c.value for c in facts.context.profile.conditions}
    findings = []
    for interaction in facts.knowledge.interactions:
        side_a = _matching(facts.present, interaction.a)
        if not side_a:
            continue
        if interaction.b.startswith("condition:"):
            condition = interaction.b.partition(":")[2]
            if condition in conditions:
                involved = (*_names(side_a), condition.replace("_", " "))
                findings.append(_finding(facts, interaction.rule.id, involved, interaction.spacing))
            continue
        side_b = _matching(facts.present, interaction.b)
        pairs = {(a.substance.id, b.substance.id) for a in side_a for b in side_b}
        if any(first != second for first, second in pairs):
            ids_a = {first for first, second in pairs if first != second}
            ids_b = {second for first, second in pairs if first != second}
            involved = (
                *_names([p for p in side_a if p.substance.id in ids_a]),
                *_names([p for p in side_b if p.substance.id in ids_b]),
            )
            findings.append(_finding(facts, interaction.rule.id, involved, interaction.spacing))
    return findings


def _matching(present: tuple[Present, ...], selector: str) -> list[Present]:
    return [p for p in present if p.has(selector)]


def _names(present: list[Present]) -> tuple[str, ...]:
    return tuple(sorted({p.substance.name for p in present}))


def _finding(facts: Facts, rule_id: str, involved: tuple[str, ...], spacing: str) -> Finding:
    return facts.finding(rule_id, involved=involved, values={"spacing": spacing}, detail=spacing)
