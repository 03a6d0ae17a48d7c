"""GAD-2: GAD-7 items 1-2, no LOINC panel or total (its scoring, a positive screen at 3 or
more, and its validation are in test_frequency_scales.py)."""

from __future__ import annotations

from taperline.domain.instruments.gad2 import GAD2
from taperline.domain.instruments.gad7 import GAD7


def test_it_reuses_gad7_items_1_and_2() -> None:
    for gad2_item, gad7_item in zip(GAD2.items, GAD7.items[:2], strict=True):
        assert gad2_item.text == gad7_item.text
        assert gad2_item.options == gad7_item.options
        assert gad2_item.loinc == gad7_item.loinc
    assert [item.loinc for item in GAD2.items] == ["69725-0", "68509-9"]


def test_it_has_no_loinc_panel_or_total_and_says_70272_0_is_unverified() -> None:
    assert GAD2.loinc_panel is None
    assert GAD2.loinc_total is None
    assert any("70272-0" in note and "UNVERIFIED" in note for note in GAD2.notes)


def test_its_citation_gives_no_unread_pmid_or_doi() -> None:
    assert GAD2.citation.pmid is None
    assert GAD2.citation.doi is None
    assert "Ann Intern Med 2007;146:317-325" in GAD2.citation.text
