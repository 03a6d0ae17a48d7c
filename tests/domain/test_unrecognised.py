"""Medicine names the engine cannot read are said out loud: one finding each, to the person
and the clinician, with 'did you mean' suggestions that are offered and never applied."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.safety import substances
from taperline.knowledge import load
from taperline.schemas.safety import SafetyCheckInput
from taperline.services.safety import check_situation

KNOWLEDGE = load()


def _findings(*meds: str) -> list[dict[str, object]]:
    data = {"today": "2026-03-14", "profile": {"medications": list(meds), "conditions": []}}
    return [f.to_dict() for f in check_situation(SafetyCheckInput.model_validate(data))]


def test_a_misspelt_brand_gets_a_suggestion_and_no_interaction_is_assumed() -> None:
    [finding] = [f for f in _findings("luvoxx 50mg") if f["rule"] == "notice.unrecognised_medicine"]
    assert finding["involved"] == ["luvoxx 50mg"]
    assert "Did you mean Luvox (fluvoxamine)?" in str(finding["person_message"])
    assert "not checked it for interactions" in str(finding["person_message"])
    assert "no interaction, class or dose rule was applied" in str(finding["clinician_message"])
    # The suggestion is not applied: fluvoxamine's interactions do not fire.
    with_melatonin = _findings("luvoxx 50mg", "melatonin 3 mg")
    assert not any(str(f["rule"]).startswith("interaction.") for f in with_melatonin)


def test_a_name_with_no_close_match_says_so_without_guessing() -> None:
    [finding] = [f for f in _findings("Zqxv Forte") if f["rule"] == "notice.unrecognised_medicine"]
    assert "Did you mean" not in str(finding["person_message"])


def test_every_unrecognised_name_is_its_own_finding_and_known_ones_are_not() -> None:
    rules = [f["involved"] for f in _findings("Xanaxx", "oxycontin 10mg", "Fooblex")
             if f["rule"] == "notice.unrecognised_medicine"]  # fmt: skip
    assert sorted(rules) == [["Fooblex"], ["Xanaxx"]]


@given(st.sampled_from(sorted({a for s in KNOWLEDGE.substances.values() for a in s.aliases})))
def test_no_known_alias_is_ever_called_unrecognised(alias: str) -> None:
    assert substances.unrecognised(KNOWLEDGE, [(alias, "medication")]) == []
    assert substances.unrecognised(KNOWLEDGE, [(f"{alias.upper()} 10 mg", "medication")]) == []


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("luvoxx", "fluvoxamine"), ("xanaxx", "alprazolam"), ("gabapentine", "gabapentin"),
     ("methadon", "methadone"), ("suboxon", "buprenorphine-naloxone")],
)  # fmt: skip
def test_typing_slips_suggest_the_medicine(typed: str, meant: str) -> None:
    [item] = substances.unrecognised(KNOWLEDGE, [(typed, "medication")])
    assert item.suggestions and item.suggestions[0].substance.name == meant


def test_the_engine_reports_names_from_plans_and_logged_doses_too() -> None:
    data = {
        "today": "2026-03-14",
        "profile": {"medications": [], "conditions": []},
        "plan": {"items": [{"category": "other_medication", "product": "Zolpidemm", "amount": "5",
                            "unit": "mg", "times": ["22:00"]}]},
    }  # fmt: skip
    findings = check_situation(SafetyCheckInput.model_validate(data))
    assert [f.involved for f in findings if f.rule_id == "notice.unrecognised_medicine"] == [
        ("Zolpidemm",)
    ]
