"""PHQ-9 (Kroenke, Spitzer & Williams 2001), with PHQ-9 item 9 as a safety item.

Source: shared/clinical/instruments.md §3a and §7 (wording from the Pfizer form; LOINC codes
checked against NLM LHC-Forms output).
"""

from __future__ import annotations

from taperline.domain.instruments.base import (
    Band,
    Citation,
    Item,
    ItemScale,
    Option,
    Rater,
    SafetyItem,
)

FREQUENCY = (
    Option(0, "Not at all", "LA6568-5"),
    Option(1, "Several days", "LA6569-3"),
    Option(2, "More than half the days", "LA6570-1"),
    Option(3, "Nearly every day", "LA6571-9"),
)

DIFFICULTY = (
    Option(0, "Not difficult at all", "LA6572-7"),
    Option(1, "Somewhat difficult", "LA6573-5"),
    Option(2, "Very difficult", "LA6575-0"),  # LOINC answer codes are not in display order
    Option(3, "Extremely difficult", "LA6574-3"),
)

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

CITATION = Citation(
    text=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
        "severity measure. J Gen Intern Med 2001;16(9):606-613."
    ),
    pmid="11556941",
    doi="10.1046/j.1525-1497.2001.016009606.x",
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC1495268/",
)

_TEXTS = (
    ("Little interest or pleasure in doing things", "44250-9"),
    ("Feeling down, depressed, or hopeless", "44255-8"),
    ("Trouble falling or staying asleep, or sleeping too much", "44259-0"),
    ("Feeling tired or having little energy", "44254-1"),
    ("Poor appetite or overeating", "44251-7"),
    (
        "Feeling bad about yourself — or that you are a failure or have let yourself or "
        "your family down",
        "44258-2",
    ),
    (
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "44252-5",
    ),
    (
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "44253-3",
    ),
    ("Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"),
)

ITEMS = tuple(
    Item(number=n, key=f"phq9_{n}", text=text, options=FREQUENCY, loinc=loinc)
    for n, (text, loinc) in enumerate(_TEXTS, start=1)
) + (
    Item(
        number=10,
        key="phq9_difficulty",
        text=(
            "If you checked off any problems, how difficult have these problems made it for you "
            "to do your work, take care of things at home, or get along with other people?"
        ),
        options=DIFFICULTY,
        loinc="69722-7",
        scored=False,
        required=False,
        note="Not scored.",
    ),
)

PHQ9 = ItemScale(
    id="phq9",
    name="PHQ-9",
    version="2001",
    rater=Rater.SELF,
    instructions=STEM,
    items=ITEMS,
    citation=CITATION,
    bands=(
        Band(0, 4, "none-minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    licence=(
        "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
        "with an educational grant from Pfizer Inc. No permission required to reproduce, "
        "translate, display or distribute."
    ),
    notes=(
        "Any answer above 'Not at all' on item 9 is a safety event whatever the total: "
        "same-day clinician follow-up and crisis resources shown at once (standard practice; "
        "the escalation protocol is the clinical team's decision).",
        "A zero on item 9 does not rule out risk (Uebelacker et al. 2011, PMC3121214).",
    ),
    safety_items=(
        SafetyItem(
            item_number=9,
            at_least=1,
            flag="phq9.item9_positive",
            description=(
                "Thoughts of being better off dead or of self-harm on at least several days"
            ),
        ),
    ),
)
