"""PHQ-2 (Kroenke, Spitzer & Williams 2003): PHQ-9 items 1 and 2, for daily or brief use.

Source: shared/clinical/instruments.md §3b and §7. Items, options, item LOINC codes and the
licence are the PHQ-9's (phq9.py); the panel is 55757-9 and the total 55758-7 (not the reverse).
"""

from __future__ import annotations

from dataclasses import replace

from taperline.domain.instruments.base import Band, Citation, ItemScale, Rater
from taperline.domain.instruments.phq9 import ITEMS as PHQ9_ITEMS
from taperline.domain.instruments.phq9 import PHQ9, STEM

CITATION = Citation(
    text="Kroenke K, Spitzer RL, Williams JB. Med Care 2003;41(11):1284-1292.",
    pmid="14583691",
    doi="10.1097/01.MLR.0000093487.78664.3C",
    note=(
        "PMID and DOI were seen together in a published reference list reproduced in public "
        "code, not opened on PubMed itself. The article title was not read, so it is not given."
    ),
)

ITEMS = tuple(replace(item, key=f"phq2_{item.number}") for item in PHQ9_ITEMS[:2])

PHQ2 = ItemScale(
    id="phq2",
    name="PHQ-2",
    version="2003",
    rater=Rater.SELF,
    instructions=STEM,
    items=ITEMS,
    citation=CITATION,
    bands=(
        Band(0, 2, "negative screen"),
        Band(3, 6, "positive screen"),
    ),
    loinc_panel="55757-9",
    loinc_total="55758-7",
    licence=PHQ9.licence,
    notes=(
        "The PHQ-2 has no self-harm item: a daily check-in built on the PHQ-2 alone will not "
        "detect suicidal ideation. Give the full PHQ-9, including item 9, at least weekly, and "
        "consider a separate daily safety question approved by the clinical team.",
        "A total of 3 or more is the usual positive screen and leads to the full PHQ-9. "
        "Arroll et al. 2010 (PMC2906530): cut-off 3 or more gave sensitivity 61% and "
        "specificity 92%; cut-off 2 or more gave 86% and 78%.",
        "Same stem, items, response options and LOINC item and answer codes as PHQ-9 items 1-2.",
    ),
    screen_positive_at=3,
)
