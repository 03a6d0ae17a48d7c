"""Use of opioids that were not prescribed; and the standing notices (info)."""

from __future__ import annotations

from taperline.domain.safety.findings import Finding
from taperline.domain.safety.rules.base import Facts


def evaluate(facts: Facts) -> list[Finding]:
    findings: list[Finding] = []
    unprescribed = sorted(
        {
            p.substance.name
            for p in facts.present
            if p.has("class:other_opioid") and not p.prescribed
        }
    )
    reported = facts.checkin is not None and facts.checkin.used_non_prescribed_opioids
    if unprescribed or reported:
        involved = tuple(unprescribed) or ("opioids not prescribed",)
        findings.append(facts.finding("use.non_prescribed_opioid", involved=involved))
    if any(p.has("class:kratom_product") for p in facts.present) or any(
        d.category.value == "kratom" for d in facts.doses
    ):
        findings.append(facts.finding("notice.kratom_not_approved", involved=("kratom",)))
    if any(p.has("class:kratom_product") or p.has("class:other_opioid") for p in facts.present) or (
        findings and findings[0].rule_id == "use.non_prescribed_opioid"
    ):
        findings.append(facts.finding("notice.naloxone"))
    if any(p.substance.id == "melatonin" for p in facts.present):
        findings.append(facts.finding("notice.melatonin_children", involved=("melatonin",)))
    return findings
