"""GAD-7 (Spitzer, Kroenke, Williams & Löwe 2006).

Source: shared/clinical/instruments.md §3c and §7 (wording from the printed form; LOINC codes
from an NLM LHC-Forms-generated GAD-7 Questionnaire). Item 2 (LOINC 68509-9) is a shared LOINC
term whose answer list codes option 2 as LA18938-3 "More days than not"; the form, and this
module, show "More than half the days" and score it 2.
"""

from __future__ import annotations

from taperline.domain.instruments.base import (
    Band,
    Citation,
    Item,
    ItemScale,
    Option,
    Rater,
    WordingStatus,
)
from taperline.domain.instruments.phq9 import DIFFICULTY, FREQUENCY, PHQ9

STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"

CITATION = Citation(
    text=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized "
        "anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-1097."
    ),
    pmid="16717171",
    doi="10.1001/archinte.166.10.1092",
    note=(
        "PMID and DOI seen in several independent public code citations; not opened on PubMed "
        "itself."
    ),
)

ITEM2_NOTE = (
    "LOINC 68509-9 is a shared term ('Over the past 2 weeks have you not been able to stop or "
    "control worrying'). Its LOINC answer list codes option 2 as LA18938-3 'More days than not', "
    "not LA6570-1. The patient sees 'More than half the days', scored 2; the stored answer code "
    "is LA18938-3."
)

# Option 2 of item 2 keeps the form's label and score but carries LOINC's answer code.
ITEM2_FREQUENCY = (
    FREQUENCY[0],
    FREQUENCY[1],
    Option(2, "More than half the days", "LA18938-3"),
    FREQUENCY[3],
)

_TEXTS = (
    ("Feeling nervous, anxious or on edge", "69725-0"),
    ("Not being able to stop or control worrying", "68509-9"),
    ("Worrying too much about different things", "69733-4"),
    ("Trouble relaxing", "69734-2"),
    ("Being so restless that it is hard to sit still", "69735-9"),
    ("Becoming easily annoyed or irritable", "69689-8"),
    ("Feeling afraid as if something awful might happen", "69736-7"),
)


def gad7_item(number: int, key_prefix: str) -> Item:
    """GAD-7 item `number` (1-7) as printed, with its options and LOINC code (GAD-2 reuses it)."""
    text, loinc = _TEXTS[number - 1]
    if number == 2:
        return Item(
            number=2,
            key=f"{key_prefix}_2",
            text=text,
            options=ITEM2_FREQUENCY,
            loinc=loinc,
            note=ITEM2_NOTE,
        )
    return Item(
        number=number, key=f"{key_prefix}_{number}", text=text, options=FREQUENCY, loinc=loinc
    )


DIFFICULTY_ITEM = Item(
    number=8,
    key="gad7_difficulty",
    text=PHQ9.items[9].text,
    # The same four options as PHQ-9 item 10. Their LOINC answer codes are only verified on the
    # PHQ-9 item, and this item has no verified LOINC code, so no codes are attached here.
    options=tuple(Option(option.value, option.label) for option in DIFFICULTY),
    loinc=None,
    wording=WordingStatus.UNVERIFIED,
    scored=False,
    required=False,
    note=(
        "Not scored. Optional. The form has a difficulty item with the same four options as "
        "PHQ-9 item 10; its exact GAD-7 wording was not printed in the source, so the PHQ-9 "
        "item 10 wording is shown (UNVERIFIED for the GAD-7). Its LOINC code is UNVERIFIED, so "
        "none is used."
    ),
)

ITEMS = tuple(gad7_item(n, "gad7") for n in range(1, 8)) + (DIFFICULTY_ITEM,)

LICENCE = (
    "Free. The form carries the Pfizer notice: 'No permission required to reproduce, translate, "
    "display or distribute.'"
)

GAD7 = ItemScale(
    id="gad7",
    name="GAD-7",
    version="2006",
    rater=Rater.SELF,
    instructions=STEM,
    items=ITEMS,
    citation=CITATION,
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    loinc_panel="69737-5",
    loinc_total="70274-6",
    licence=LICENCE,
    notes=(
        "A total of 10 or more is the recommended cut point for further evaluation "
        "(sensitivity 89%, specificity 82% for GAD).",
        ITEM2_NOTE,
        "The optional difficulty item is not scored; its wording for the GAD-7 and its LOINC "
        "code are UNVERIFIED.",
    ),
)
