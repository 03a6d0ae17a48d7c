"""Table-driven safety scenarios: each names a situation and the exact rule ids it raises.

Situations are written in the `taperline safety check` input format and evaluated with the
shipped knowledge base. Notices are part of the expected sets, so every set is exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from taperline.domain.safety.knowledge import Severity
from taperline.schemas.safety import SafetyCheckInput
from taperline.services.safety import check_situation

TODAY = dt.date(2026, 3, 14)
KRATOM = {"notice.kratom_not_approved", "notice.naloxone"}
MELATONIN = {"notice.melatonin_children"}


def day(offset: int) -> str:
    return (TODAY - dt.timedelta(days=offset)).isoformat()


def kratom(
    grams: float | str, form: str = "leaf_powder", unit: str = "g", product: str = ""
) -> dict[str, Any]:
    return {"category": "kratom", "form": form, "amount": grams, "unit": unit, "product": product}


def dose(
    category: str, amount: float, unit: str = "mg", form: str | None = None, product: str = ""
) -> dict[str, Any]:
    return {"category": category, "amount": amount, "unit": unit, "form": form, "product": product}


def checkin(
    *doses: dict[str, Any],
    responses: dict[str, Any] | None = None,
    red_flags: tuple[str, ...] = (),
    used: bool = False,
) -> dict[str, Any]:
    return {
        "type": "checkin",
        "doses": list(doses),
        "responses": responses or {},
        "red_flags": list(red_flags),
        "used_non_prescribed_opioids": used,
    }


def change(
    before: float, after: float, days: int, long_term: bool = True, original: float | None = None
) -> dict[str, Any]:
    return {
        "type": "plan_change",
        "before": {"amount": before, "unit": "g"},
        "after": {"amount": after, "unit": "g"},
        "original": {"amount": original if original is not None else before, "unit": "g"},
        "step_days": days,
        "long_term_use": long_term,
    }


def history(**series: list[Any]) -> list[dict[str, Any]]:
    """Day records ending today; each series lists values oldest first (None = not reported)."""
    length = max(len(values) for values in series.values())
    records = []
    for index in range(length):
        record: dict[str, Any] = {"date": day(length - 1 - index), "checked_in": True}
        for name, values in series.items():
            value = values[index] if index < len(values) else None
            if name == "checked_in":
                record["checked_in"] = bool(value)
            elif value is not None:
                record[name] = value
        records.append(record)
    return records


def situation(
    event: dict[str, Any] | None = None,
    *,
    meds: tuple[Any, ...] = (),
    conditions: tuple[str, ...] = (),
    plan: list[dict[str, Any]] | None = None,
    hist: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "today": TODAY.isoformat(),
        "profile": {"medications": list(meds), "conditions": list(conditions)},
    }
    if event is not None:
        data["event"] = event
    if plan is not None:
        data["plan"] = {"items": plan}
    if hist is not None:
        data["history"] = hist
    return data


PLAN_6G = [
    {
        "category": "kratom",
        "form": "leaf_powder",
        "amount": 2,
        "unit": "g",
        "times": ["08:00", "14:00", "20:00"],
    }
]
PLAN_6_CAPS = [
    {
        "category": "kratom",
        "form": "capsules",
        "amount": 3,
        "unit": "capsule",
        "times": ["08:00", "20:00"],
    }
]
PHQ9_ITEM9 = [1, 1, 1, 1, 0, 0, 0, 0, 1]
PHQ9_HIGH_NO_ITEM9 = [3, 3, 3, 3, 3, 3, 3, 3, 0]

SCENARIOS: list[tuple[str, dict[str, Any], set[str]]] = [
    # -- a benign day, and dose limits ----------------------------------------------------------
    (
        "benign day: 2 g twice, calm scores",
        situation(checkin(kratom(2), kratom(2), responses={"craving": [3, 0], "sows": [1] * 16})),
        KRATOM,
    ),
    ("nothing at all to evaluate", situation(), set()),
    (
        "single kratom dose of 6 g",
        situation(checkin(kratom(6))),
        {"dose.kratom_single_dose", *KRATOM},
    ),
    ("single kratom dose of exactly 5 g", situation(checkin(kratom(5))), KRATOM),
    (
        "16 g over four doses of 4 g",
        situation(checkin(*[kratom(4)] * 4)),
        {"dose.kratom_daily_total", *KRATOM},
    ),
    ("exactly 15 g over three doses", situation(checkin(*[kratom(5)] * 3)), KRATOM),
    (
        "21 g over three doses of 7 g",
        situation(checkin(*[kratom(7)] * 3)),
        {"dose.kratom_single_dose", "dose.kratom_daily_escalate", *KRATOM},
    ),
    (
        "exactly 20 g is a caution, not an escalation",
        situation(checkin(*[kratom(5)] * 4)),
        {"dose.kratom_daily_total", *KRATOM},
    ),
    (
        "500 mg plus 5 g adds up in grams",
        situation(checkin(kratom(500, unit="mg"), kratom(5))),
        KRATOM,
    ),
    (
        "20 capsules are not compared with gram limits",
        situation(checkin(kratom(20, form="capsules", unit="capsule"))),
        KRATOM,
    ),
    (
        "a kratom extract shot",
        situation(checkin(kratom(10, form="extract", unit="mL"))),
        {"dose.concentrate_or_7oh", *KRATOM},
    ),
    (
        "a misspelt medicine: not checked, and said so",
        situation(meds=("luvoxx 50mg",)),
        {"notice.unrecognised_medicine"},
    ),
    (
        "a sedating antihistamine not in the substance list",
        situation(meds=("hydroxyzine 25mg",)),
        {"notice.unrecognised_medicine"},
    ),
    (
        "kratom with an over-the-counter sleep aid",
        situation(checkin(kratom(3)), meds=("ZzzQuil",)),
        {"interaction.kratom_sedating_medicine", *KRATOM},
    ),
    (
        "an opioid with a sedating antihistamine",
        situation(meds=("oxycodone 5 mg", "Benadryl")),
        {"interaction.opioid_sedating_medicine", "notice.naloxone"},
    ),
    (
        "loperamide logged above the label's daily maximum",
        situation(checkin(dose("other_medication", 24, product="Imodium"))),
        {"dose.loperamide_above_label"},
    ),
    (
        "loperamide at the label dose raises nothing",
        situation(checkin(dose("other_medication", 4, product="loperamide"))),
        set(),
    ),
    (
        "'7-OH tablets' among the medications",
        situation(meds=("7-OH tablets",)),
        {"dose.concentrate_or_7oh", *KRATOM},
    ),
    (
        "a 7-OH tablet logged",
        situation(checkin(kratom(1, form="seven_oh", unit="tablet"))),
        {"dose.concentrate_or_7oh", *KRATOM},
    ),
    (
        "'OPMS' logged as powder is a concentrate, not leaf",
        situation(checkin(kratom(6, product="OPMS Gold"))),
        {"dose.concentrate_or_7oh", *KRATOM},
    ),
    ("melatonin 5 mg", situation(checkin(dose("melatonin", 5))), MELATONIN),
    (
        "melatonin 6 mg",
        situation(checkin(dose("melatonin", 6))),
        {"dose.melatonin_nightly_caution", *MELATONIN},
    ),
    (
        "melatonin 12 mg",
        situation(checkin(dose("melatonin", 12))),
        {"dose.melatonin_nightly_escalate", *MELATONIN},
    ),
    (
        "melatonin 3000 mcg twice is 6 mg",
        situation(checkin(dose("melatonin", 3000, "mcg"), dose("melatonin", 3000, "mcg"))),
        {"dose.melatonin_nightly_caution", *MELATONIN},
    ),
    ("magnesium 350 mg", situation(checkin(dose("magnesium", 350, form="citrate"))), set()),
    (
        "magnesium 400 mg",
        situation(checkin(dose("magnesium", 400, form="citrate"))),
        {"dose.magnesium_above_ul"},
    ),
    (
        "magnesium with CKD",
        situation(
            checkin(dose("magnesium", 200, form="glycinate")), conditions=("kidney_disease",)
        ),
        {"interaction.magnesium_kidney_disease"},
    ),
    (
        "magnesium listed as a medication with CKD",
        situation(meds=("Magnesium oxide 400 mg",), conditions=("kidney_disease",)),
        {"interaction.magnesium_kidney_disease"},
    ),
    (
        "CKD without magnesium",
        situation(checkin(kratom(2)), conditions=("kidney_disease",)),
        KRATOM,
    ),
    (
        "7 g logged against a 6 g plan",
        situation(checkin(kratom(4), kratom(3)), plan=PLAN_6G),
        {"dose.above_plan", *KRATOM},
    ),
    (
        "6 g logged against a 6 g plan",
        situation(checkin(kratom(3), kratom(3)), plan=PLAN_6G),
        KRATOM,
    ),
    (
        "8 capsules against a 6-capsule plan",
        situation(checkin(kratom(8, form="capsules", unit="capsule")), plan=PLAN_6_CAPS),
        {"dose.above_plan", *KRATOM},
    ),
    (
        "kratom rising 6 g → 7 g a day over two weeks",
        situation(hist=history(kratom_grams=[6] * 7 + [7] * 7)),
        {"dose.kratom_rising"},
    ),
    ("kratom up only 5%", situation(hist=history(kratom_grams=[10] * 7 + [10.5] * 7)), set()),
    (
        "kratom rising but only 3 recent days logged",
        situation(hist=history(kratom_grams=[6] * 7 + [None] * 4 + [9] * 3)),
        set(),
    ),
    ("kratom falling", situation(hist=history(kratom_grams=[8] * 7 + [6] * 7)), set()),
    # -- interactions, with brand names -------------------------------------------------------
    (
        "'Suboxone' + kratom",
        situation(checkin(kratom(2)), meds=("Suboxone 8 mg/2 mg film",)),
        {"interaction.kratom_buprenorphine", *KRATOM},
    ),
    (
        "'Subutex' + kratom",
        situation(checkin(kratom(2)), meds=("Subutex",)),
        {"interaction.kratom_buprenorphine", *KRATOM},
    ),
    (
        "'Xanax' + kratom",
        situation(checkin(kratom(2)), meds=("Xanax 0.5 mg",)),
        {"interaction.kratom_benzodiazepine", *KRATOM},
    ),
    (
        "'Neurontin' + kratom",
        situation(checkin(kratom(2)), meds=("Neurontin",)),
        {"interaction.kratom_gabapentinoid", *KRATOM},
    ),
    (
        "'Lyrica' + kratom",
        situation(checkin(kratom(2)), meds=("Lyrica",)),
        {"interaction.kratom_gabapentinoid", *KRATOM},
    ),
    (
        "alcohol + kratom",
        situation(checkin(kratom(2)), meds=("beer",)),
        {"interaction.kratom_alcohol", "interaction.kratom_hepatotoxic", *KRATOM},
    ),
    (
        "prescribed oxycodone + kratom",
        situation(checkin(kratom(2)), meds=("oxycodone",)),
        {"interaction.kratom_other_opioid", *KRATOM},
    ),
    (
        "heroin (not prescribed) + kratom",
        situation(checkin(kratom(2)), meds=({"name": "heroin", "prescribed": False},)),
        {"interaction.kratom_other_opioid", "use.non_prescribed_opioid", *KRATOM},
    ),
    (
        "'Vivitrol' + kratom",
        situation(checkin(kratom(2)), meds=("Vivitrol injection",)),
        {"interaction.kratom_naltrexone", *KRATOM},
    ),
    (
        "methadone + kratom",
        situation(checkin(kratom(2)), meds=("methadone 60 mg",)),
        {"interaction.kratom_methadone", "interaction.kratom_qt_prolonging", *KRATOM},
    ),
    (
        "midazolam + kratom",
        situation(checkin(kratom(2)), meds=("midazolam",)),
        {"interaction.kratom_cyp3a_substrate", "interaction.kratom_benzodiazepine", *KRATOM},
    ),
    (
        "dextromethorphan + kratom",
        situation(checkin(kratom(2)), meds=("dextromethorphan",)),
        {"interaction.kratom_cyp2d6_substrate", *KRATOM},
    ),
    (
        "kratom + melatonin",
        situation(checkin(kratom(2), dose("melatonin", 3))),
        {
            "interaction.kratom_melatonin",
            "interaction.melatonin_cns_depressant",
            *KRATOM,
            *MELATONIN,
        },
    ),
    (
        "kratom + magnesium",
        situation(checkin(kratom(2), dose("magnesium", 200, form="glycinate"))),
        {"interaction.kratom_magnesium", *KRATOM},
    ),
    (
        "'Luvox' + melatonin",
        situation(checkin(dose("melatonin", 3)), meds=("Luvox 100 mg",)),
        {"interaction.melatonin_fluvoxamine", *MELATONIN},
    ),
    (
        "ciprofloxacin + melatonin",
        situation(checkin(dose("melatonin", 3)), meds=("ciprofloxacin",)),
        {"interaction.melatonin_cyp1a2_inhibitor", *MELATONIN},
    ),
    (
        "ciprofloxacin + magnesium",
        situation(checkin(dose("magnesium", 200, form="citrate")), meds=("ciprofloxacin",)),
        {"interaction.magnesium_fluoroquinolone"},
    ),
    (
        "doxycycline + magnesium",
        situation(checkin(dose("magnesium", 200, form="citrate")), meds=("doxycycline",)),
        {"interaction.magnesium_tetracycline"},
    ),
    (
        "'Fosamax' + magnesium",
        situation(checkin(dose("magnesium", 200, form="citrate")), meds=("Fosamax weekly",)),
        {"interaction.magnesium_oral_bisphosphonate"},
    ),
    (
        "'Synthroid' + magnesium",
        situation(checkin(dose("magnesium", 200, form="citrate")), meds=("Synthroid",)),
        {"interaction.magnesium_levothyroxine"},
    ),
    (
        "'Lasix' + magnesium",
        situation(checkin(dose("magnesium", 200, form="citrate")), meds=("Lasix",)),
        {"interaction.magnesium_loop_or_thiazide_diuretic"},
    ),
    (
        "spironolactone + magnesium",
        situation(checkin(dose("magnesium", 200, form="citrate")), meds=("spironolactone",)),
        {"interaction.magnesium_potassium_sparing_diuretic"},
    ),
    (
        "warfarin + melatonin",
        situation(checkin(dose("melatonin", 3)), meds=("Coumadin",)),
        {"interaction.melatonin_warfarin", *MELATONIN},
    ),
    (
        "nifedipine + melatonin",
        situation(checkin(dose("melatonin", 3)), meds=("nifedipine",)),
        {"interaction.melatonin_nifedipine", *MELATONIN},
    ),
    (
        "'Xanax' + melatonin",
        situation(checkin(dose("melatonin", 3)), meds=("Xanax",)),
        {"interaction.melatonin_cns_depressant", *MELATONIN},
    ),
    ("Suboxone alone", situation(meds=("Suboxone",)), set()),
    ("Xanax with Lyrica, no kratom", situation(meds=("Xanax", "Lyrica")), set()),
    (
        "kratom in the plan + Xanax",
        situation(plan=PLAN_6G, meds=("Xanax",)),
        {"interaction.kratom_benzodiazepine", *KRATOM},
    ),
    # -- red flags --------------------------------------------------------------------------
    (
        "overdose signs",
        situation(checkin(red_flags=("red_flag.overdose_signs",))),
        {"red_flag.overdose_signs"},
    ),
    ("a seizure", situation(checkin(red_flags=("red_flag.seizure",))), {"red_flag.seizure"}),
    (
        "jaundice or dark urine",
        situation(checkin(red_flags=("red_flag.liver_injury",))),
        {"red_flag.liver_injury"},
    ),
    (
        "fainting or palpitations",
        situation(checkin(red_flags=("red_flag.heart_rhythm",))),
        {"red_flag.heart_rhythm"},
    ),
    (
        "suicidal thoughts answered yes",
        situation(checkin(red_flags=("red_flag.suicidal_thoughts",))),
        {"red_flag.suicidal_thoughts"},
    ),
    (
        "PHQ-9 item 9 = 1",
        situation(checkin(responses={"phq9": PHQ9_ITEM9})),
        {"red_flag.suicidal_thoughts"},
    ),
    (
        "PHQ-9 severe but item 9 = 0",
        situation(checkin(responses={"phq9": PHQ9_HIGH_NO_ITEM9})),
        set(),
    ),
    (
        "severe withdrawal after naltrexone",
        situation(checkin(red_flags=("red_flag.naltrexone_withdrawal",))),
        {"red_flag.naltrexone_withdrawal"},
    ),
    (
        "a child swallowed melatonin gummies",
        situation(checkin(red_flags=("red_flag.child_ingestion",))),
        {"red_flag.child_ingestion"},
    ),
    (
        "weakness and slow heartbeat on magnesium",
        situation(checkin(red_flags=("red_flag.high_magnesium",))),
        {"red_flag.high_magnesium"},
    ),
    (
        "two red flags at once",
        situation(checkin(red_flags=("red_flag.seizure", "red_flag.heart_rhythm"))),
        {"red_flag.seizure", "red_flag.heart_rhythm"},
    ),
    # -- withdrawal and trends ----------------------------------------------------------------
    ("craving 7, 7, 7", situation(hist=history(craving=[7, 7, 7])), {"trend.craving_high"}),
    ("craving 9, 8, 10", situation(hist=history(craving=[9, 8, 10])), {"trend.craving_high"}),
    ("craving 7, 6, 7", situation(hist=history(craving=[7, 6, 7])), set()),
    ("craving 7, missing, 7", situation(hist=history(craving=[7, None, 7])), set()),
    (
        "sleep efficiency under 70% on 5 of 7 nights",
        situation(hist=history(sleep_efficiency=[65, 80, 60, 69.9, 85, 50, 68])),
        {"trend.poor_sleep"},
    ),
    (
        "sleep efficiency under 70% on 4 of 7 nights",
        situation(hist=history(sleep_efficiency=[65, 80, 60, 70, 85, 50, 68])),
        set(),
    ),
    (
        "two missed check-ins this week",
        situation(hist=history(checked_in=[1, 1, 1, 0, 1, 0, 1])),
        {"trend.missed_checkins"},
    ),
    (
        "one missed check-in this week",
        situation(hist=history(checked_in=[1, 1, 1, 0, 1, 1, 1])),
        set(),
    ),
    (
        "days before the first check-in are not missed",
        situation(hist=history(checked_in=[0, 0, 0, 0, 1, 1, 1])),
        set(),
    ),
    ("no history: a new person", situation(hist=[]), set()),
    (
        "SOWS 10 for a week then 16 for three days",
        situation(hist=history(sows=[10] * 7 + [16] * 3)),
        {"trend.sows_rising"},
    ),
    ("SOWS up only 4 points", situation(hist=history(sows=[10] * 7 + [14] * 3)), set()),
    (
        "COWS from mild (8) to moderate (14)",
        situation(
            hist=[
                {"date": day(14), "checked_in": False, "cows": 8},
                {"date": day(0), "checked_in": True, "cows": 14},
            ]
        ),
        {"trend.cows_rising"},
    ),
    (
        "a daily check-in after a COWS rise does not raise it again",
        situation(
            checkin(responses={"craving": [2, 0]}),
            hist=[
                {"date": day(14), "checked_in": False, "cows": 8},
                {"date": day(1), "checked_in": True, "cows": 14},
            ],
        ),
        set(),
    ),
    (
        "a visit recording a COWS rise raises it",
        situation(
            checkin(responses={"cows": [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3]}),
            hist=[
                {"date": day(14), "checked_in": False, "cows": 8},
                {"date": day(0), "checked_in": True, "cows": 14},
            ],
        ),
        {"trend.cows_rising"},
    ),
    (
        "COWS 6 to 11, both mild",
        situation(
            hist=[
                {"date": day(14), "checked_in": False, "cows": 6},
                {"date": day(0), "checked_in": True, "cows": 11},
            ]
        ),
        set(),
    ),
    (
        "COWS falling from moderate to mild",
        situation(
            hist=[
                {"date": day(14), "checked_in": False, "cows": 14},
                {"date": day(0), "checked_in": True, "cows": 8},
            ]
        ),
        set(),
    ),
    # -- use ---------------------------------------------------------------------------------
    (
        "says they used opioids not prescribed",
        situation(checkin(used=True)),
        {"use.non_prescribed_opioid", "notice.naloxone"},
    ),
    (
        "'Percocet' not prescribed, no kratom",
        situation(meds=({"name": "Percocet", "prescribed": False},)),
        {"use.non_prescribed_opioid", "notice.naloxone"},
    ),
    ("prescribed Percocet only", situation(meds=("Percocet",)), {"notice.naloxone"}),
    # -- taper pace ----------------------------------------------------------------------------
    ("long-term: 10 g → 9 g over 30 days (10%/month)", situation(change(10, 9, 30)), set()),
    ("long-term: 10 g → 8 g over 30 days", situation(change(10, 8, 30)), {"taper.too_fast"}),
    ("long-term: 10 g → 9.5 g in a week", situation(change(10, 9.5, 7)), {"taper.too_fast"}),
    (
        "shorter use: 10 g → 9 g in a week (10% of start)",
        situation(change(10, 9, 7, long_term=False)),
        set(),
    ),
    (
        "shorter use: 10 g → 8.5 g in a week",
        situation(change(10, 8.5, 7, long_term=False)),
        {"taper.too_fast"},
    ),
    (
        "shorter use below 30%: 3 g → 2.7 g in a week",
        situation(change(3, 2.7, 7, long_term=False, original=10)),
        set(),
    ),
    (
        "shorter use below 30%: 3 g → 2.5 g in a week",
        situation(change(3, 2.5, 7, long_term=False, original=10)),
        {"taper.too_fast"},
    ),
    ("abrupt stop from 4 g", situation(change(4, 0, 7)), {"taper.abrupt_stop"}),
    (
        "a clinician's increase raises nothing and suggests nothing",
        situation(change(8, 10, 7)),
        set(),
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenario_raises_exactly_the_expected_rules(
    name: str, data: dict[str, Any], expected: set[str]
) -> None:
    findings = check_situation(SafetyCheckInput.model_validate(data))
    assert {f.rule_id for f in findings} == expected, name


def test_there_are_enough_scenarios_and_every_rule_fires_in_one() -> None:
    from taperline.knowledge import load

    assert len(SCENARIOS) >= 60
    fired = set().union(*(expected for _, _, expected in SCENARIOS))
    assert set(load().rules) == fired


def test_a_benign_day_raises_nothing_above_info() -> None:
    findings = check_situation(SafetyCheckInput.model_validate(SCENARIOS[0][1]))
    assert findings and all(f.severity is Severity.INFO for f in findings)


def test_urgent_findings_come_first_and_tell_the_person_what_to_do_now() -> None:
    data = situation(
        checkin(kratom(7), kratom(7), kratom(7), red_flags=("red_flag.overdose_signs",)),
        meds=("Xanax",),
    )
    findings = check_situation(SafetyCheckInput.model_validate(data))
    assert findings[0].rule_id == "red_flag.overdose_signs"
    assert findings[0].severity is Severity.URGENT
    assert "911" in findings[0].person_message and "naloxone" in findings[0].person_message.lower()
    assert [f.severity.rank for f in findings] == sorted(
        (f.severity.rank for f in findings), reverse=True
    )


def test_child_ingestion_gives_poison_control_and_suicidal_thoughts_give_988() -> None:
    child = check_situation(
        SafetyCheckInput.model_validate(situation(checkin(red_flags=("red_flag.child_ingestion",))))
    )
    assert "1-800-222-1222" in child[0].person_message
    thoughts = check_situation(
        SafetyCheckInput.model_validate(situation(checkin(responses={"phq9": PHQ9_ITEM9})))
    )
    assert "988" in thoughts[0].person_message and thoughts[0].involved == ("PHQ-9 item 9",)


def test_non_prescribed_opioid_use_warns_that_tolerance_falls() -> None:
    (finding, _) = check_situation(SafetyCheckInput.model_validate(situation(checkin(used=True))))
    assert finding.rule_id == "use.non_prescribed_opioid"
    text = finding.person_message.lower()
    assert "tolerance" in text and "overdose" in text and "naloxone" in text


def test_spacing_advice_is_given_for_magnesium_and_antibiotics() -> None:
    (finding,) = check_situation(
        SafetyCheckInput.model_validate(
            situation(checkin(dose("magnesium", 200, form="citrate")), meds=("doxycycline",))
        )
    )
    assert "2 hours" in finding.detail and "4" in finding.detail


def test_an_unverified_rule_says_so_to_the_clinician() -> None:
    findings = check_situation(
        SafetyCheckInput.model_validate(situation(hist=history(kratom_grams=[6] * 7 + [7] * 7)))
    )
    (finding,) = findings
    assert finding.evidence_status.value == "unverified"
    assert "not yet confirmed" in finding.clinician_message


def test_the_taper_finding_names_the_bound_it_used() -> None:
    (finding,) = check_situation(SafetyCheckInput.model_validate(situation(change(10, 8, 30))))
    assert "10% per month" in finding.detail and "2 g" in finding.detail
