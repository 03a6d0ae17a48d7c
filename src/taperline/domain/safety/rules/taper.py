"""Taper pace (safety-evidence.md §B1/§H): no abrupt stops; steps no faster than the bound."""

from __future__ import annotations

from decimal import Decimal

from taperline.domain.safety.context import PlanChange
from taperline.domain.safety.findings import Finding
from taperline.domain.safety.rules.base import Facts, number

RULE = "taper.too_fast"


def evaluate(facts: Facts) -> list[Finding]:
    change = facts.context.event
    if not isinstance(change, PlanChange):
        return []
    before = change.before.value
    after = change.after.to(change.before.unit).value
    original = change.original.to(change.before.unit).value
    unit = change.before.unit.value
    smallest = change.smallest_step.to(change.before.unit).value if change.smallest_step else None
    if before > 0 and after == 0 and smallest is not None and before <= smallest:
        return []  # the final measurable step: nothing smaller exists
    if before > 0 and after == 0:
        return [
            facts.finding(
                "taper.abrupt_stop",
                involved=("kratom",),
                values={"amount": f"{number(before)} {unit}"},
                detail=f"{number(before)} {unit} a day to none in one step",
            )
        ]
    if after >= before or change.step_days <= 0:
        return []
    cut = before - after
    allowed, basis = allowed_cut(facts, change, before, original)
    if cut > allowed:
        return [
            facts.finding(
                RULE,
                involved=("kratom",),
                values={
                    "amount": f"{number(cut)} {unit}",
                    "limit": f"{number(allowed)} {unit}",
                    "days": change.step_days,
                    "detail": basis,
                },
                detail=(
                    f"cut {number(cut)} {unit} in {change.step_days} days; "
                    f"bound {number(allowed)} {unit} ({basis})"
                ),
            )
        ]
    return []


def allowed_cut(
    facts: Facts, change: PlanChange, before: Decimal, original: Decimal
) -> tuple[Decimal, str]:
    """The largest cut the configured guideline bound allows over this step's length."""
    days = Decimal(change.step_days)
    if change.long_term_use:
        percent = facts.param(RULE, "long_term_percent_per_month")
        return (before * percent / 100 * days / 30).quantize(Decimal("0.001")), (
            f"{number(percent)}% per month for use of a year or more"
        )
    until = facts.param(RULE, "short_term_until_percent_of_original")
    if before * 100 > until * original:
        percent = facts.param(RULE, "short_term_percent_of_original_per_week")
        return (original * percent / 100 * days / 7).quantize(Decimal("0.001")), (
            f"{number(percent)}% of the starting amount per week"
        )
    percent = facts.param(RULE, "short_term_then_percent_of_remaining_per_week")
    return (before * percent / 100 * days / 7).quantize(Decimal("0.001")), (
        f"{number(percent)}% of the remaining amount per week"
    )
