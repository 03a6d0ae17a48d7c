"""evaluate(context, knowledge) -> findings. Pure and deterministic."""

from __future__ import annotations

from taperline.domain.errors import InvalidInput
from taperline.domain.safety import substances
from taperline.domain.safety.context import CheckinEvent, SafetyContext
from taperline.domain.safety.findings import Finding
from taperline.domain.safety.knowledge import Knowledge
from taperline.domain.safety.rules import (
    coverage,
    dose_limits,
    interactions,
    red_flags,
    taper,
    trends,
    use,
)
from taperline.domain.safety.rules.base import Facts
from taperline.domain.safety.substances import Present

FAMILIES = (red_flags, dose_limits, interactions, trends, taper, use, coverage)


def evaluate(context: SafetyContext, knowledge: Knowledge) -> list[Finding]:
    """Every finding for this context, most severe first, in a stable order."""
    crisis = knowledge.crisis.get(context.country)
    if crisis is None:
        raise InvalidInput("country", f"no crisis contacts are configured for '{context.country}'")
    facts = Facts(
        context=context, knowledge=knowledge, crisis=crisis, present=present(context, knowledge)
    )
    unknown = red_flags.unknown(facts)
    if unknown:
        raise InvalidInput("red_flags", f"unknown red-flag id(s): {', '.join(sorted(unknown))}")
    findings = [finding for family in FAMILIES for finding in family.evaluate(facts)]
    unique = {(f.rule_id, f.involved): f for f in findings}
    return sorted(unique.values(), key=lambda f: f.sort_key)


def present(context: SafetyContext, knowledge: Knowledge) -> tuple[Present, ...]:
    """Everything in the picture: logged doses, plan items, the person's medications."""
    found: dict[tuple[str, str], Present] = {}
    event = context.event
    if isinstance(event, CheckinEvent):
        for dose in event.doses:
            for substance in substances.of_dose(knowledge, dose):
                prescribed = _prescribed(context, knowledge, substance.id)
                found.setdefault((substance.id, "logged"), Present(substance, "logged", prescribed))
    if context.plan is not None:
        for item in context.plan.items:
            for substance in substances.of_dose(knowledge, item):
                found.setdefault((substance.id, "plan"), Present(substance, "plan", True))
    for medication in context.profile.medications:
        for substance in substances.recognise(knowledge, medication.name):
            key = (substance.id, "medication")
            if key not in found or not medication.prescribed:
                found[key] = Present(substance, "medication", medication.prescribed)
    return tuple(sorted(found.values(), key=lambda p: (p.substance.id, p.source)))


def _prescribed(context: SafetyContext, knowledge: Knowledge, substance_id: str) -> bool:
    """A logged dose counts as prescribed when the profile lists it as a prescribed medication
    or the clinician's plan holds it."""
    for medication in context.profile.medications:
        if medication.prescribed and any(
            s.id == substance_id for s in substances.recognise(knowledge, medication.name)
        ):
            return True
    if context.plan is not None:
        return any(
            s.id == substance_id
            for item in context.plan.items
            for s in substances.of_dose(knowledge, item)
        )
    return False
