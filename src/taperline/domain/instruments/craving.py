"""Daily craving rating: a LOCAL single-item 0-10 rating, NOT a validated scale.

Source: shared/clinical/instruments.md §5. The wording ("How strong has your craving for
[opioids / kratom] been in the past 24 hours?", 0 = none, 10 = extreme) is a locally chosen
adaptation of the common single-item VAS/NRS format; it has no norms or thresholds, so there are
no bands. The reported figure is the stronger of the two ratings (`TotalRule.MAX`).
"""

from __future__ import annotations

from taperline.domain.instruments.base import (
    Citation,
    Item,
    ItemScale,
    Option,
    Rater,
    TotalRule,
    WordingStatus,
)

SCALE = (
    (Option(0, "None", wording=WordingStatus.LOCAL),)
    + tuple(Option(n, str(n), wording=WordingStatus.LOCAL) for n in range(1, 10))
    + (Option(10, "Extreme", wording=WordingStatus.LOCAL),)
)

CITATION = Citation(
    text=(
        "2019 scoping review of craving measures in opioid use disorder (authors and title "
        "not read). Drug Alcohol Depend 2019;205:107639."
    ),
    doi="10.1016/j.drugalcdep.2019.107639",
    note=(
        "Cited as the basis for a single-item rating, not as the source of the wording: the "
        "review found a visual analogue scale (VAS) in 41 of 87 OUD craving studies, usually a "
        "0-100 mm line or a 0-10 numeric rating scale (NRS) anchored 'no craving / not at all' "
        "to 'extreme / strongest craving imaginable'. Only the abstract was read."
    ),
)

_LOCAL_NOTE = (
    "Locally chosen wording, not a published validated item; recorded as an adaptation of the "
    "single-item VAS/NRS format."
)

ITEMS = (
    Item(
        number=1,
        key="craving_kratom",
        text="How strong has your craving for kratom been in the past 24 hours?",
        options=SCALE,
        wording=WordingStatus.LOCAL,
        note=_LOCAL_NOTE,
    ),
    Item(
        number=2,
        key="craving_opioids",
        text="How strong has your craving for opioids been in the past 24 hours?",
        options=SCALE,
        wording=WordingStatus.LOCAL,
        note=_LOCAL_NOTE,
    ),
)

CRAVING = ItemScale(
    id="craving",
    name="Daily craving rating (local, not validated)",
    version="local-1",
    rater=Rater.SELF,
    instructions="Rate from 0 (none) to 10 (extreme).",
    items=ITEMS,
    citation=CITATION,
    bands=(),
    total_rule=TotalRule.MAX,
    total_label="Strongest craving",
    loinc_panel=None,
    loinc_total=None,
    licence="Local wording written for Taperline; no published instrument text is reproduced.",
    notes=(
        "This is a locally chosen wording, not a published validated item or scale.",
        "A single-item rating has no norms or thresholds: there are no bands. Use it as a "
        "within-person trend, and keep the wording, the anchors and the 24-hour time frame "
        "fixed across days.",
        "Separate items for kratom and for opioids; the reported figure is the stronger of the "
        "two.",
        "SOWS item 16 is also a craving item; do not add this rating to the SOWS total in "
        "composite scores.",
    ),
)
