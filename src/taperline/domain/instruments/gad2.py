"""GAD-2: GAD-7 items 1 and 2, a brief anxiety screen.

Source: shared/clinical/instruments.md §3d and §7. No dedicated GAD-2 LOINC panel or total code
was confirmed: 70272-0 appears in one repository but is UNVERIFIED and is not used. The two
items keep their GAD-7 LOINC item codes (and item 2 its LA18938-3 answer code, see gad7.py).
"""

from __future__ import annotations

from taperline.domain.instruments.base import Band, Citation, ItemScale, Rater
from taperline.domain.instruments.gad7 import ITEM2_NOTE, LICENCE, STEM, gad7_item

CITATION = Citation(
    text="Kroenke K, et al. Ann Intern Med 2007;146:317-325.",
    note=(
        "Only the first author, journal, year, volume and pages were read. The full author "
        "list, title, PMID and DOI are UNVERIFIED and not given."
    ),
)

ITEMS = (gad7_item(1, "gad2"), gad7_item(2, "gad2"))

GAD2 = ItemScale(
    id="gad2",
    name="GAD-2",
    version="2007",
    rater=Rater.SELF,
    instructions=STEM,
    items=ITEMS,
    citation=CITATION,
    bands=(
        Band(0, 2, "negative screen"),
        Band(3, 6, "positive screen"),
    ),
    loinc_panel=None,
    loinc_total=None,
    licence=LICENCE,
    notes=(
        "A total of 3 or more is a positive screen and leads to the full GAD-7.",
        "No GAD-2 LOINC panel or total code is used: 70272-0 is UNVERIFIED (one repository maps "
        "GAD-2 to it, another says there is no dedicated GAD-2 panel). Items are coded with "
        "their GAD-7 LOINC item codes; keep the total as a local code until checked in LOINC.",
        "Sensitivity 86% and specificity 83% at 3 or more come from a secondary source only: "
        "UNVERIFIED against the paper.",
        ITEM2_NOTE,
    ),
    screen_positive_at=3,
)
