"""PHQ-2: items 1-2 of the PHQ-9, its LOINC panel, no safety item (its scoring, a positive
screen at 3 or more, and its validation are in test_frequency_scales.py)."""

from __future__ import annotations

from taperline.domain.instruments.phq2 import PHQ2
from taperline.domain.instruments.phq9 import PHQ9


def test_it_reuses_phq9_items_1_and_2_with_their_wording_options_and_loinc_codes() -> None:
    for phq2_item, phq9_item in zip(PHQ2.items, PHQ9.items[:2], strict=True):
        assert phq2_item.text == phq9_item.text
        assert phq2_item.options == phq9_item.options
        assert phq2_item.loinc == phq9_item.loinc
    assert [item.loinc for item in PHQ2.items] == ["44250-9", "44255-8"]


def test_its_panel_is_55757_9_and_its_total_55758_7() -> None:
    assert PHQ2.loinc_panel == "55757-9"
    assert PHQ2.loinc_total == "55758-7"


def test_it_has_no_safety_item_and_says_the_full_phq9_is_needed_weekly() -> None:
    assert PHQ2.safety_items == ()
    assert any("item 9" in note and "weekly" in note for note in PHQ2.notes)
