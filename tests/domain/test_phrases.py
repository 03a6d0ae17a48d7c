"""Urgent-word screening of messages: whole words, any case or punctuation, every phrase the
knowledge lists found, ordinary messages left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.safety.phrases import matches, normalise
from taperline.knowledge import load

FLAGS = load().red_flags
WITH_PHRASES = [flag for flag in FLAGS if flag.phrases]


def test_the_two_urgent_flags_have_cited_phrases() -> None:
    ids = {flag.rule.id for flag in WITH_PHRASES}
    assert ids == {"red_flag.suicidal_thoughts", "red_flag.overdose_signs"}
    references = load().references
    for flag in WITH_PHRASES:
        assert flag.phrase_citations and all(c in references for c in flag.phrase_citations)
        assert "not a validated instrument" in flag.phrase_note


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("I don’t want to live like this anymore", "red_flag.suicidal_thoughts"),
        (
            "Sometimes I think everyone would be better off without me.",
            "red_flag.suicidal_thoughts",
        ),
        ("thinking of SELF-HARM again", "red_flag.suicidal_thoughts"),
        ("i want to die", "red_flag.suicidal_thoughts"),
        ("He was unresponsive and gurgling", "red_flag.overdose_signs"),
        ("we couldn't wake him up", "red_flag.overdose_signs"),
        ("I think I overdosed last night", "red_flag.overdose_signs"),
    ],
)
def test_urgent_sentences_are_found(text: str, rule: str) -> None:
    assert [flag.rule.id for flag, _ in matches(text, FLAGS)] == [rule]


@pytest.mark.parametrize(
    "text",
    [
        "Slept six hours, craving was low. See you Friday.",
        "The blueberries helped my stomach.",  # 'blue' inside a word
        "Can I move my appointment? I have work.",
        "That was an odd day but a good one.",
        "My dose time is 8am; I'm doing well with the plan.",
    ],
)
def test_ordinary_messages_raise_nothing(text: str) -> None:
    assert matches(text, FLAGS) == []


@given(
    flag=st.sampled_from(WITH_PHRASES),
    data=st.data(),
    before=st.text(alphabet="abc .,!?\n", max_size=20),
    after=st.text(alphabet="abc .,!?\n", max_size=20),
    upper=st.booleans(),
)
def test_every_phrase_is_found_in_any_surrounding_text(
    flag: object, data: st.DataObject, before: str, after: str, upper: bool
) -> None:
    assert hasattr(flag, "phrases")
    phrase: str = data.draw(st.sampled_from(flag.phrases))  # type: ignore[attr-defined]
    said = phrase.upper() if upper else phrase
    found = matches(f"{before} {said}, {after}", FLAGS)
    assert flag in [f for f, _ in found]


@given(st.text(max_size=200))
def test_normalise_keeps_only_single_spaced_words(text: str) -> None:
    cleaned = normalise(text)
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert all(ch.isalnum() or ch == " " for ch in cleaned)
