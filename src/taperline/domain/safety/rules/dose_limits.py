"""Dose limits (safety-evidence.md §H): kratom, concentrates and 7-OH, melatonin, magnesium;
loperamide above its label maximum (FDA 2016)."""

from __future__ import annotations

from decimal import Decimal

from taperline.domain.safety.findings import Finding
from taperline.domain.safety.rules.base import Facts, number
from taperline.domain.types import Category, KratomForm
from taperline.domain.units import Dimension, Unit

_LEAF = {KratomForm.LEAF_POWDER.value, KratomForm.CAPSULES.value}
_CONCENTRATED = {KratomForm.EXTRACT.value, KratomForm.SEVEN_OH.value}


def evaluate(facts: Facts) -> list[Finding]:
    return [
        *_kratom(facts),
        *_concentrates(facts),
        *_above_plan(facts),
        *_rising(facts),
        *_melatonin(facts),
        *_magnesium(facts),
        *_loperamide(facts),
    ]


def _leaf_grams(facts: Facts) -> list[Decimal]:
    return [
        d.amount.to(Unit.G).value
        for d in facts.doses
        if d.category is Category.KRATOM
        and d.form in _LEAF
        and d.amount.dimension is Dimension.MASS
        and not _named_concentrate(facts, d.product)
    ]


def _named_concentrate(facts: Facts, product: str) -> bool:
    from taperline.domain.safety.substances import recognise

    return any("concentrated_kratom" in s.classes for s in recognise(facts.knowledge, product))


def _kratom(facts: Facts) -> list[Finding]:
    grams = _leaf_grams(facts)
    if not grams:
        return []
    findings: list[Finding] = []
    single = facts.param("dose.kratom_single_dose", "above_g")
    largest = max(grams)
    if largest > single:
        findings.append(
            facts.finding(
                "dose.kratom_single_dose",
                involved=("kratom",),
                values={"amount": f"{number(largest)} g", "limit": f"{number(single)} g"},
                detail=f"largest single dose {number(largest)} g",
            )
        )
    day = sum(grams, Decimal(0))
    escalate = facts.param("dose.kratom_daily_escalate", "above_g")
    warn = facts.param("dose.kratom_daily_total", "above_g")
    rule, limit = (
        ("dose.kratom_daily_escalate", escalate)
        if day > escalate
        else ("dose.kratom_daily_total", warn)
        if day > warn
        else (None, None)
    )
    if rule and limit is not None:
        findings.append(
            facts.finding(
                rule,
                involved=("kratom",),
                values={"amount": f"{number(day)} g", "limit": f"{number(limit)} g"},
                detail=f"daily total {number(day)} g",
            )
        )
    return findings


def _concentrates(facts: Facts) -> list[Finding]:
    names = sorted(
        {p.substance.name for p in facts.present if p.has("class:concentrated_kratom")}
        | {
            "kratom extract" if d.form == KratomForm.EXTRACT.value else "7-OH product"
            for d in facts.doses
            if d.category is Category.KRATOM and d.form in _CONCENTRATED
        }
    )
    if not names:
        return []
    return [facts.finding("dose.concentrate_or_7oh", involved=tuple(names))]


def _above_plan(facts: Facts) -> list[Finding]:
    plan = facts.context.plan
    if plan is None or not facts.doses:
        return []
    findings = []
    for planned in plan.kratom_daily():
        logged = [
            d.amount
            for d in facts.doses
            if d.category is Category.KRATOM
            and d.amount.dimension is planned.dimension
            and (planned.dimension is Dimension.MASS or d.amount.unit is planned.unit)
        ]
        if not logged:
            continue
        taken = sum((a.to(planned.unit).value for a in logged), Decimal(0))
        if taken > planned.value:
            findings.append(
                facts.finding(
                    "dose.above_plan",
                    involved=("kratom",),
                    values={
                        "amount": f"{number(taken)} {planned.unit.value}",
                        "limit": f"{number(planned.value)} {planned.unit.value}",
                    },
                    detail=(
                        f"logged {number(taken)} vs planned {number(planned.value)} "
                        f"{planned.unit.value}"
                    ),
                )
            )
    return findings


def _rising(facts: Facts) -> list[Finding]:
    rule = "dose.kratom_rising"
    window = int(facts.param(rule, "window_days"))
    minimum_days = int(facts.param(rule, "min_days_logged"))
    rise = facts.param(rule, "min_rise_percent")
    days = [d for d in facts.context.history if d.date <= facts.context.today]
    recent = [d.kratom_grams for d in days[-window:] if d.kratom_grams is not None]
    before = [d.kratom_grams for d in days[-2 * window : -window] if d.kratom_grams is not None]
    if len(recent) < minimum_days or len(before) < minimum_days:
        return []
    recent_mean = sum(recent, Decimal(0)) / len(recent)
    before_mean = sum(before, Decimal(0)) / len(before)
    if before_mean <= 0 or (recent_mean - before_mean) * 100 < rise * before_mean:
        return []
    return [
        facts.finding(
            rule,
            involved=("kratom",),
            values={
                "amount": f"{number(recent_mean.quantize(Decimal('0.1')))} g",
                "limit": f"{number(before_mean.quantize(Decimal('0.1')))} g",
                "days": window,
            },
            detail=(
                f"mean {recent_mean:.1f} g/day over {window} days vs {before_mean:.1f} g/day before"
            ),
        )
    ]


def _melatonin(facts: Facts) -> list[Finding]:
    night = sum(
        (d.amount.to(Unit.MG).value for d in facts.doses if d.category is Category.MELATONIN),
        Decimal(0),
    )
    escalate = facts.param("dose.melatonin_nightly_escalate", "above_mg")
    caution = facts.param("dose.melatonin_nightly_caution", "above_mg")
    for rule, limit in (
        ("dose.melatonin_nightly_escalate", escalate),
        ("dose.melatonin_nightly_caution", caution),
    ):
        if night > limit:
            return [
                facts.finding(
                    rule,
                    involved=("melatonin",),
                    values={"amount": f"{number(night)} mg", "limit": f"{number(limit)} mg"},
                    detail=f"{number(night)} mg in one day",
                )
            ]
    return []


def _magnesium(facts: Facts) -> list[Finding]:
    day = sum(
        (d.amount.to(Unit.MG).value for d in facts.doses if d.category is Category.MAGNESIUM),
        Decimal(0),
    )
    limit = facts.param("dose.magnesium_above_ul", "above_mg")
    if day > limit:
        return [
            facts.finding(
                "dose.magnesium_above_ul",
                involved=("magnesium",),
                values={"amount": f"{number(day)} mg", "limit": f"{number(limit)} mg"},
                detail=f"{number(day)} mg supplemental magnesium in one day",
            )
        ]
    return []


def _loperamide(facts: Facts) -> list[Finding]:
    from taperline.domain.safety.substances import of_dose

    day = sum(
        (
            d.amount.to(Unit.MG).value
            for d in facts.doses
            if d.amount.dimension is Dimension.MASS
            and any(s.id == "loperamide" for s in of_dose(facts.knowledge, d))
        ),
        Decimal(0),
    )
    limit = facts.param("dose.loperamide_above_label", "above_mg")
    if day > limit:
        return [
            facts.finding(
                "dose.loperamide_above_label",
                involved=("loperamide",),
                values={"amount": f"{number(day)} mg", "limit": f"{number(limit)} mg"},
                detail=f"{number(day)} mg in one day",
            )
        ]
    return []
