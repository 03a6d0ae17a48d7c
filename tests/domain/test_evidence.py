"""The evidence library: graded and cited claims, sentence splitting, the matcher's measured
quality on the labelled set, and the notes shown beside a plan."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from taperline.domain.evidence.match import LexicalMatcher, Status, check_text
from taperline.domain.evidence.model import Grade, Topic
from taperline.domain.evidence.quality import NONE, NOT_ASSESSED, measure, parse_labelled
from taperline.domain.evidence.report import claims_for_substances
from taperline.domain.evidence.text import split_sentences, topics_in
from taperline.knowledge import FILES, KnowledgeError, _read, load, parse

LABELLED = Path(__file__).resolve().parents[1] / "fixtures" / "claims_labelled.tsv"
LIBRARY = load().library

# shared/clinical/safety-evidence.md §F, grades verbatim ("Partially supported" -> partly)
SECTION_F = {
    "kratom-acts-on-opioid-receptors": Grade.SUPPORTED,
    "kratom-eases-opioid-withdrawal": Grade.LIMITED,
    "kratom-safe-alternative-to-opioids": Grade.CONTRADICTED,
    "kratom-melatonin-synergy": Grade.NO_EVIDENCE,
    "melatonin-sleep-during-withdrawal": Grade.LIMITED,
    "kratom-natural-magnesium": Grade.NO_EVIDENCE,
    "magnesium-enhances-kratom": Grade.NO_EVIDENCE,
    "magnesium-reduces-anxiety": Grade.LIMITED,
    "kratom-before-bed-improves-sleep": Grade.NO_EVIDENCE,
    "melatonin-enhances-kratom-sedation": Grade.NO_EVIDENCE,
    "kratom-under-professional-guidance": Grade.PARTLY_SUPPORTED,
}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {name: _read(name) for name in FILES}


@pytest.fixture(scope="module")
def lexical() -> LexicalMatcher:
    return LexicalMatcher(LIBRARY)


def test_the_library_has_the_section_f_claims_with_their_grades() -> None:
    assert len(LIBRARY.claims) >= 30
    for claim_id, grade in SECTION_F.items():
        claim = LIBRARY.get(claim_id)
        assert claim is not None and claim.grade is grade, claim_id
    topics = {t for c in LIBRARY.claims for t in c.topics}
    assert {Topic.KRATOM, Topic.MELATONIN, Topic.MAGNESIUM, Topic.MOUD, Topic.NALOXONE} <= topics
    assert {Topic.TAPERING, Topic.SLEEP, Topic.EXERCISE, Topic.MEDITATION} <= topics
    assert {Topic.COUNSELING, Topic.SUPPORT} <= topics


def test_every_claim_is_cited_explained_and_reviewed() -> None:
    references = load().references
    for claim in LIBRARY.claims:
        assert claim.citations and all(c in references for c in claim.citations), claim.id
        assert claim.grade in Grade and claim.reviewed.year >= 2026, claim.id
        assert claim.phrasings and claim.explanation and claim.summary, claim.id
        if claim.sources_silent:
            assert claim.grade is Grade.NO_EVIDENCE and "silent" in claim.explanation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"citations": []}, "citations"),
        ({"citations": ["no-such-paper"]}, "cites unknown reference 'no-such-paper'"),
        ({"grade": "probably true"}, "grade"),
        ({"grade": None}, "grade"),
        ({"sources_silent": True, "grade": "supported"}, "sources are silent"),
        ({"requires": ["naloxone"]}, "requires must be a subset"),
        (
            {"explanation": "Only one sentence here, which is not enough to explain it."},
            "two to four",
        ),
    ],
)
def test_a_claim_without_citations_or_a_grade_fails_the_load(
    documents: dict[str, dict[str, Any]], change: dict[str, Any], message: str
) -> None:
    broken = copy.deepcopy(documents)
    claim = broken["claims.toml"]["claims"][0]
    for key, value in change.items():
        if value is None:
            claim.pop(key)
        else:
            claim[key] = value
    with pytest.raises(KnowledgeError, match=message):
        parse(broken)


def test_a_reference_only_claims_cite_counts_as_used(documents: dict[str, dict[str, Any]]) -> None:
    broken = copy.deepcopy(documents)
    broken["claims.toml"]["claims"] = [
        c for c in broken["claims.toml"]["claims"] if "goyal-2014-meditation" not in c["citations"]
    ]
    with pytest.raises(KnowledgeError, match="never cited: goyal-2014-meditation"):
        parse(broken)


def test_sentences_split_with_offsets_and_list_items_apart() -> None:
    text = "Kratom helps. Dr. Lee disagrees, e.g. in 2019!\n\n- Melatonin works\n- Magnesium too"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Kratom helps.",
        "Dr. Lee disagrees, e.g. in 2019!",
        "- Melatonin works",
        "- Magnesium too",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_topics_are_found_in_everyday_words() -> None:
    assert topics_in("Narcan and Suboxone") == {Topic.NALOXONE, Topic.MOUD}
    assert Topic.SEDATIVES in topics_in("kratom with a few beers")
    assert topics_in("Take your medication with food.") == frozenset()


def test_non_claims_are_skipped_and_uncovered_claims_are_not_assessed(
    lexical: LexicalMatcher,
) -> None:
    report = check_text(
        "Kratom grows in Thailand. Kratom boosts your immune system. Kratom is not addictive.",
        LIBRARY,
        lexical,
    )
    statuses = [r.status for r in report.results]
    assert statuses == [Status.NOT_A_CLAIM, Status.NOT_ASSESSED, Status.MATCHED]
    assert report.counts["not assessed"] == 1 and report.counts["contradicted"] == 1


def test_the_labelled_set_is_big_varied_and_not_copied_from_the_library() -> None:
    rows = parse_labelled(LABELLED.read_text(encoding="utf-8"))
    assert len(rows) >= 80
    expected = {r.expected for r in rows}
    assert {NONE, NOT_ASSESSED} <= expected
    assert len(expected - {NONE, NOT_ASSESSED}) >= 30
    assert all(r.expected in (NONE, NOT_ASSESSED) or LIBRARY.get(r.expected) for r in rows)
    library_texts = {t.lower().strip(" .") for c in LIBRARY.claims for t in c.texts}
    assert [r.sentence for r in rows if r.sentence.lower().strip(" .") in library_texts] == []


def test_the_lexical_matcher_meets_the_targets_on_the_labelled_set(
    lexical: LexicalMatcher,
) -> None:
    rows = parse_labelled(LABELLED.read_text(encoding="utf-8"))
    quality = measure(rows, LIBRARY, lexical)
    assert quality.recall >= 0.9, quality.mistakes
    assert quality.precision >= 0.85, quality.mistakes
    assert quality.unsafe == 0, quality.mistakes


def test_the_quality_measure_can_fail(lexical: LexicalMatcher) -> None:
    rows = parse_labelled(
        "x\tkratom-not-addictive\tKratom is a safe alternative to opioids.\n"
        "x\tnone\tKratom is not addictive.\n"
    )
    quality = measure(rows, LIBRARY, lexical)
    assert quality.recall == 0 and quality.precision == 0 and len(quality.mistakes) == 2


def test_the_notes_beside_a_plan_are_about_what_it_involves() -> None:
    notes = claims_for_substances(LIBRARY, ["melatonin", "other_medication"])
    ids = [c.id for c in notes]
    assert ids[0] == "melatonin-helps-fall-asleep"
    assert all(Topic.MELATONIN in c.requires for c in notes)
    both = [c.id for c in claims_for_substances(LIBRARY, ["kratom", "magnesium"], tapering=True)]
    assert "kratom-natural-magnesium" in both and "kratom-safe-alternative-to-opioids" in both
    assert claims_for_substances(LIBRARY, ["other_medication"]) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "This ancient leaf boosts energy and immunity.",
        "Our blend supports a healthy mood and sharp focus.",
        "Taken daily, it melts stress and relieves aches.",
        "Proven to help your liver detox naturally.",
    ],
)
def test_a_health_claim_on_no_known_topic_is_listed_not_graded(
    lexical: LexicalMatcher, sentence: str
) -> None:
    report = check_text(f"{sentence} Free shipping on orders over fifty dollars.", LIBRARY, lexical)
    statuses = [r.status for r in report.results]
    assert statuses == [Status.NOT_ASSESSED, Status.NOT_A_CLAIM]
    assert report.counts["not assessed"] == 1


@pytest.mark.parametrize(
    "sentence",
    [
        "Does it help with energy?",
        "Our customer service team is here to help.",
        "Read about the history of the plant.",
    ],
)
def test_questions_and_shop_talk_are_not_claims(lexical: LexicalMatcher, sentence: str) -> None:
    [result] = check_text(sentence, LIBRARY, lexical).results
    assert result.status is Status.NOT_A_CLAIM


PUBLIC = Path(__file__).resolve().parents[1] / "fixtures" / "claims_public.tsv"


def test_marketing_sentences_from_public_pages_are_checked_well_and_cited(
    lexical: LexicalMatcher,
) -> None:
    """The public set (reworded from named kratom pages, labelled by hand) is measured with
    the same rules: every claim seen, no contradicted claim passed off as supported."""
    text = PUBLIC.read_text(encoding="utf-8")
    rows = parse_labelled(text)
    assert len(rows) >= 25 and text.count("# source: http") >= 10
    quality = measure(rows, LIBRARY, lexical)
    assert quality.unsafe == 0, quality.mistakes
    assert quality.recall >= 0.85 and quality.precision >= 0.8, quality.mistakes
    assert quality.non_claims_skipped == quality.non_claims_total, quality.mistakes
