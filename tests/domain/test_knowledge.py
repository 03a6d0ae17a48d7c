"""The knowledge base: cited, consistent with the engine, and validated at load time."""

from __future__ import annotations

import copy
import string
from typing import Any

import pytest

from taperline.domain.safety.knowledge import EvidenceStatus, Severity
from taperline.domain.safety.rules.triggers import TRIGGERS
from taperline.knowledge import FILES, KnowledgeError, _read, load, parse

CODE_FAMILIES = {"dose", "trend", "use", "taper", "notice"}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {name: _read(name) for name in FILES}


def test_the_shipped_knowledge_base_loads() -> None:
    knowledge = load()
    assert len(knowledge.rules) >= 40
    assert len(knowledge.interactions) >= 20
    assert len(knowledge.red_flags) == 8


def test_every_rule_and_substance_cites_a_resolvable_reference() -> None:
    knowledge = load()
    for rule in knowledge.rules.values():
        assert rule.citations, rule.id
        assert all(c in knowledge.references for c in rule.citations), rule.id
    for substance in knowledge.substances.values():
        assert substance.citations and all(c in knowledge.references for c in substance.citations)


def test_an_unknown_citation_fails_the_load(documents: dict[str, dict[str, Any]]) -> None:
    broken = copy.deepcopy(documents)
    broken["rules.toml"]["rules"][0]["citations"] = ["no-such-reference"]
    with pytest.raises(KnowledgeError, match="cites unknown reference 'no-such-reference'"):
        parse(broken)


def test_a_reference_that_nothing_cites_fails_the_load(
    documents: dict[str, dict[str, Any]],
) -> None:
    broken = copy.deepcopy(documents)
    broken["references.toml"]["references"]["orphan-2020"] = {
        "text": "Orphan et al. An uncited paper. 2020."
    }
    with pytest.raises(KnowledgeError, match="never cited: orphan-2020"):
        parse(broken)


def test_a_rule_without_citations_or_with_an_unknown_placeholder_fails(
    documents: dict[str, dict[str, Any]],
) -> None:
    broken = copy.deepcopy(documents)
    broken["rules.toml"]["rules"][0]["citations"] = []
    with pytest.raises(KnowledgeError):
        parse(broken)
    broken = copy.deepcopy(documents)
    broken["rules.toml"]["rules"][0]["person_message"] = "Please call {nobody} about this now."
    with pytest.raises(KnowledgeError, match="unknown placeholder"):
        parse(broken)


def test_an_interaction_naming_nothing_fails(documents: dict[str, dict[str, Any]]) -> None:
    broken = copy.deepcopy(documents)
    broken["interactions.toml"]["interactions"][0]["b"] = "class:unicorns"
    with pytest.raises(KnowledgeError, match="matches nothing"):
        parse(broken)


def test_the_engine_implements_exactly_the_rules_the_knowledge_base_defines() -> None:
    knowledge = load()
    in_code = set(TRIGGERS)
    in_data = {r.id for r in knowledge.rules.values() if r.family in CODE_FAMILIES}
    assert in_code == in_data


def test_urgent_messages_say_what_to_do_now_with_real_numbers() -> None:
    knowledge = load()
    from taperline.domain.safety.findings import make_finding

    us = knowledge.crisis["US"]
    assert (us.emergency, us.crisis_line, us.poison_control) == ("911", "988", "1-800-222-1222")
    for flag in knowledge.red_flags:
        assert flag.rule.severity is Severity.URGENT
        text = make_finding(knowledge, flag.rule, us).person_message
        assert "{" not in text
        assert any(number in text for number in ("911", "988", "1-800-222-1222")), flag.rule.id


def test_messages_never_suggest_taking_more_kratom() -> None:
    knowledge = load()
    for rule in knowledge.rules.values():
        text = rule.person_message.lower()
        for phrase in (
            "increase your kratom",
            "take more kratom",
            "raise your dose",
            "increase your dose",
        ):
            assert phrase not in text, rule.id


def test_unverified_entries_are_marked_and_still_present() -> None:
    knowledge = load()
    statuses = {r.evidence_status for r in knowledge.rules.values()}
    assert EvidenceStatus.SOURCED in statuses and EvidenceStatus.UNVERIFIED in statuses
    assert knowledge.rule("dose.kratom_rising").evidence_status is EvidenceStatus.UNVERIFIED


@pytest.mark.parametrize(
    "alias", ["suboxone", "subutex", "xanax", "neurontin", "lyrica", "luvox", "opms", "7-oh"]
)
def test_the_common_names_people_use_are_recognised(alias: str) -> None:
    from taperline.domain.safety.substances import recognise

    assert recognise(load(), f"I take {alias.title()} sometimes"), alias


def test_placeholders_in_messages_are_all_known() -> None:
    knowledge = load()
    from taperline.knowledge import PLACEHOLDERS

    for rule in knowledge.rules.values():
        names = {n for _, n, _, _ in string.Formatter().parse(rule.person_message) if n}
        assert names <= PLACEHOLDERS, rule.id
