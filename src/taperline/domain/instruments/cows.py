"""COWS: Clinical Opiate Withdrawal Scale (Wesson & Ling 2003), rated by a clinician.

Source: shared/clinical/instruments.md §2, §6, §7 and §8. Each item uses only its listed points
(they are not contiguous); each anchor is an `Option(value=points, label=wording)`.

No LOINC code is verified for the COWS. 72514-3, which one public repository labels as a COWS
total, is the pain severity 0-10 numeric rating code: never use it for the COWS.
"""

from __future__ import annotations

from taperline.domain.instruments.base import Band, Citation, Item, ItemScale, Option, Rater

CITATION = Citation(
    text=(
        "Wesson DR, Ling W. The Clinical Opiate Withdrawal Scale (COWS). J Psychoactive Drugs "
        "2003;35(2):253-259."
    ),
    pmid="12924748",
    doi="10.1080/02791072.2003.10400007",
    url="https://www.ncbi.nlm.nih.gov/books/NBK64244/table/A72915/",
    note=(
        "PMID seen linked to this citation in several independent public code files, one of "
        "which also gives the DOI; not opened on PubMed itself. Validation: Tompkins DA et al., "
        "Drug Alcohol Depend 2009;105(1-2):154-159."
    ),
)

_ITEMS: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = (
    (
        "Resting pulse rate (beats/minute), measured after the patient has been sitting or "
        "lying for one minute",
        (
            (0, "pulse rate 80 or below"),
            (1, "pulse rate 81-100"),
            (2, "pulse rate 101-120"),
            (4, "pulse rate greater than 120"),
        ),
    ),
    (
        "Sweating over the past half hour, not accounted for by room temperature or patient "
        "activity",
        (
            (0, "no report of chills or flushing"),
            (1, "subjective report of chills or flushing"),
            (2, "flushed or observable moistness on face"),
            (3, "beads of sweat on brow or face"),
            (4, "sweat streaming off face"),
        ),
    ),
    (
        "Restlessness, observed during assessment",
        (
            (0, "able to sit still"),
            (1, "reports difficulty sitting still, but is able to do so"),
            (3, "frequent shifting or extraneous movements of legs/arms"),
            (5, "unable to sit still for more than a few seconds"),
        ),
    ),
    (
        "Pupil size",
        (
            (0, "pupils pinned or normal size for room light"),
            (1, "pupils possibly larger than normal for room light"),
            (2, "pupils moderately dilated"),
            (5, "pupils so dilated that only the rim of the iris is visible"),
        ),
    ),
    (
        "Bone or joint aches. If the patient was having pain before, only the additional "
        "component attributed to opiate withdrawal is scored",
        (
            (0, "not present"),
            (1, "mild diffuse discomfort"),
            (2, "patient reports severe diffuse aching of joints/muscles"),
            (
                4,
                "patient is rubbing joints or muscles and is unable to sit still because of "
                "discomfort",
            ),
        ),
    ),
    (
        "Runny nose or tearing, not accounted for by cold symptoms or allergies",
        (
            (0, "not present"),
            (1, "nasal stuffiness or unusually moist eyes"),
            (2, "nose running or tearing"),
            (4, "nose constantly running or tears streaming down cheeks"),
        ),
    ),
    (
        "GI upset over the last half hour",
        (
            (0, "no GI symptoms"),
            (1, "stomach cramps"),
            (2, "nausea or loose stool"),
            (3, "vomiting or diarrhea"),
            (5, "multiple episodes of diarrhea or vomiting"),
        ),
    ),
    (
        "Tremor, observed on outstretched hands",
        (
            (0, "no tremor"),
            (1, "tremor can be felt, but not observed"),
            (2, "slight tremor observable"),
            (4, "gross tremor or muscle twitching"),
        ),
    ),
    (
        "Yawning, observed during assessment",
        (
            (0, "no yawning"),
            (1, "yawning once or twice during assessment"),
            (2, "yawning three or more times during assessment"),
            (4, "yawning several times/minute"),
        ),
    ),
    (
        "Anxiety or irritability",
        (
            (0, "none"),
            (1, "patient reports increasing irritability or anxiousness"),
            (2, "patient obviously irritable, anxious"),
            (
                4,
                "patient so irritable or anxious that participation in the assessment is difficult",
            ),
        ),
    ),
    (
        "Gooseflesh skin",
        (
            (0, "skin is smooth"),
            (3, "piloerection of skin can be felt or hairs standing up on arms"),
            (5, "prominent piloerection"),
        ),
    ),
)

_NOTES = {
    6: "Level 4 wording from the PCSS-MAT COWS form; levels 0-2 from the NCBI Bookshelf table.",
    11: (
        "Levels 3 and 5 wording from several consistent public implementations plus the "
        "truncated NCBI Bookshelf table."
    ),
}

ITEMS = tuple(
    Item(
        number=n,
        key=f"cows_{n}",
        text=text,
        options=tuple(Option(points, label) for points, label in anchors),
        note=_NOTES.get(n, ""),
    )
    for n, (text, anchors) in enumerate(_ITEMS, start=1)
)

COWS = ItemScale(
    id="cows",
    name="COWS (Clinical Opiate Withdrawal Scale)",
    version="2003",
    rater=Rater.CLINICIAN,
    instructions=(
        "Rate each item on just the apparent relationship to opiate withdrawal. For example, if "
        "the heart rate is up because the patient was jogging just before the assessment, the "
        "higher pulse does not add to the score."
    ),
    items=ITEMS,
    citation=CITATION,
    bands=(
        Band(0, 4, "no clinically relevant withdrawal"),
        Band(5, 12, "mild"),
        Band(13, 24, "moderate"),
        Band(25, 36, "moderately severe"),
        Band(37, 48, "severe"),
    ),
    loinc_panel=None,
    loinc_total=None,
    licence=(
        "Effectively free for clinical use: Wesson & Ling appended a template version 'that can "
        "be copied and used clinically', and the COWS is reproduced in public-domain US federal "
        "material (SAMHSA TIP on NCBI Bookshelf; NIDA). Any formal licence statement: UNVERIFIED."
    ),
    notes=(
        "Published bands: 5-12 mild, 13-24 moderate, 25-36 moderately severe, more than 36 "
        "severe. 0-4 is below the published bands and is read as no clinically relevant "
        "withdrawal; it is not labelled 'minimal' (that label is not part of the published "
        "bands).",
        "At least one public repository shifts the bands by one step (0-4 'Mild', 5-12 "
        "'Moderate'). That is wrong; the bands here are the published ones.",
        "No LOINC code is verified for the COWS. 72514-3 is the pain severity 0-10 numeric "
        "rating code: never use it for the COWS.",
        "Points are not contiguous: each item accepts only its listed anchor points.",
        "An opioid withdrawal scale used off-label for kratom: it is not validated for kratom "
        "withdrawal.",
        "During buprenorphine induction the scale is scored at time zero, 30 minutes after the "
        "first dose, 2 hours after it, and so on.",
    ),
)
