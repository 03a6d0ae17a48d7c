"""Names the engine cannot read: every medicine name that matches nothing in the knowledge
base becomes a finding, so that 'no warning' never silently means 'not checked'."""

from __future__ import annotations

from taperline.domain.safety import substances
from taperline.domain.safety.findings import Finding
from taperline.domain.safety.rules.base import Facts
from taperline.domain.types import Category

RULE = "notice.unrecognised_medicine"
_NAMED = (Category.OTHER_MEDICATION, Category.MOUD)


def names(facts: Facts) -> list[tuple[str, str]]:
    """(name, source) of every medicine given by name: profile, plan items, logged doses."""
    found = [(m.name, "medication") for m in facts.context.profile.medications]
    if facts.context.plan is not None:
        found += [
            (item.product, "plan") for item in facts.context.plan.items if item.category in _NAMED
        ]
    found += [(dose.product, "logged") for dose in facts.doses if dose.category in _NAMED]
    return found


def evaluate(facts: Facts) -> list[Finding]:
    findings = []
    for item in substances.unrecognised(facts.knowledge, names(facts)):
        guess = item.did_you_mean()
        findings.append(
            facts.finding(
                RULE,
                involved=(item.name,),
                detail=f" Did you mean {guess}?" if guess else "",
            )
        )
    return findings
