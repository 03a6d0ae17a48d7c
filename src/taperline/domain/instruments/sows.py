"""SOWS: Subjective Opiate Withdrawal Scale (Handelsman et al. 1987).

Source: shared/clinical/instruments.md §1, §6 and §8. Not Gossop's 10-item *Short* Opiate
Withdrawal Scale (also abbreviated SOWS), and not the ASAM/SAMHSA "Adapted from SOWS" form.

An opioid withdrawal scale, used off-label for kratom (kratom studies use it; it is not validated
for kratom withdrawal). No interpretation bands: none could be found in the original paper, and
the 1-10 / 11-20 / 21-30 bands seen on some forms have no source, so none are shipped.
"""

from __future__ import annotations

from taperline.domain.instruments.base import (
    Citation,
    Item,
    ItemScale,
    Option,
    Rater,
    WordingStatus,
)

INTENSITY = (
    Option(0, "Not at all"),
    Option(1, "A little", wording=WordingStatus.UNVERIFIED),
    Option(2, "Moderately", wording=WordingStatus.UNVERIFIED),
    Option(3, "Quite a bit", wording=WordingStatus.UNVERIFIED),
    Option(4, "Extremely"),
)

CITATION = Citation(
    text=(
        "Handelsman L, Cochrane KJ, Aronson MJ, Ness R, Rubinstein KJ, Kanof PD. Two new rating "
        "scales for opiate withdrawal. Am J Drug Alcohol Abuse 1987;13(3):293-308."
    ),
    pmid="3687892",
    doi="10.3109/00952998709001515",
    url="https://www.emcdda.europa.eu/drugs-library/subjective-opiate-withdrawal-scale_en",
    note=(
        "Journal, volume and pages confirmed by the EMCDDA page and several public code "
        "citations. PMID 3687892 was seen in one public code comment and not checked on PubMed: "
        "UNVERIFIED. DOI 10.3109/00952998709001515 was not seen in any source: UNVERIFIED."
    ),
)

_TEXTS = (
    "I feel anxious.",
    "I feel like yawning.",
    "I'm perspiring.",
    "My eyes are tearing.",
    "My nose is running.",
    "I have goose flesh.",
    "I am shaking.",
    "I have hot flashes.",
    "I have cold flashes.",
    "My bones and muscles ache.",
    "I feel restless.",
    "I feel nauseous.",
    "I feel like vomiting.",
    "My muscles twitch.",
    "I have cramps in my stomach.",
)

_WORDING_NOTE = (
    "Wording from the Guideline Central SOWS calculator (which cites Handelsman 1987); not "
    "checked against the 1987 original: UNVERIFIED."
)

_VARIANTS = {
    3: " Another public form reads 'I am sweating'; whether the original reads 'I'm perspiring' "
    "or 'I am perspiring' is UNVERIFIED.",
    6: " Another public form reads 'I have gooseflesh'.",
}

ITEMS = tuple(
    Item(
        number=n,
        key=f"sows_{n}",
        text=text,
        options=INTENSITY,
        wording=WordingStatus.UNVERIFIED,
        note=_WORDING_NOTE + _VARIANTS.get(n, ""),
    )
    for n, text in enumerate(_TEXTS, start=1)
) + (
    Item(
        number=16,
        key="sows_16",
        text="I feel like using now.",
        options=INTENSITY,
        wording=WordingStatus.LOCAL,
        note=(
            "Adaptation: the published wording (Guideline Central) is 'I feel like shooting up "
            "now.' The neutral 'using' (as on the metamorphosispain.com form, \"I feel like "
            "'using' now\") suits a kratom / oral-use population. A craving item that still "
            "counts toward the withdrawal total."
        ),
    ),
)

SOWS = ItemScale(
    id="sows",
    name="SOWS (Subjective Opiate Withdrawal Scale)",
    version="1987",
    rater=Rater.SELF,
    instructions="Choose the answer that best fits the way you feel now.",
    items=ITEMS,
    citation=CITATION,
    bands=(),
    loinc_panel=None,
    loinc_total=None,
    licence=(
        "Unclear: the article is copyright Taylor & Francis, and the ASAM-adapted form carries "
        "'Reprinted by permission of the publisher (Taylor & Francis Ltd)'. Widely reproduced in "
        "public-sector guidance, but no explicit free-to-reproduce grant was found: UNVERIFIED. "
        "Seek clarity or permission before shipping the item text commercially."
    ),
    notes=(
        "An opioid withdrawal scale used off-label for kratom: it is not validated for kratom "
        "withdrawal. Kratom research uses it (Rogers et al. 2024, 395 US kratom consumers, "
        "mean 13.5, SD 11.9, described as 'mild to moderate').",
        "No published bands: the total (sum of 16 items, 0-64) is reported without a band. "
        "Use the continuous score and its change over time. The 1-10 / 11-20 / 21-30 bands seen "
        "on some forms have no source and are not used.",
        "The 0-64 range is derived as 16 x 4; it is not a quoted figure.",
        "Item 16 is a craving item that counts toward the withdrawal total, so do not also count "
        "craving again in composite scores.",
        "Item wording (items 1-15) is UNVERIFIED against the 1987 original; item 16 is a local "
        "adaptation of 'I feel like shooting up now.'",
        "Response labels: 0 'Not at all' and 4 'Extremely' are sourced (EMCDDA, NIDA, abstract "
        "of the original); 1 'A little', 2 'Moderately', 3 'Quite a bit' come from one clinical "
        "form and are UNVERIFIED against the original.",
        "Instruction adapted from the ASAM-adapted form ('Circle the answer that best fits the "
        "way you feel now'), 'Circle' changed to 'Choose' for on-screen use. The time frame is "
        "right now; the 1987 instruction wording is UNVERIFIED.",
        "Licence uncertain: see the licence field. Check before shipping the item text.",
        "No LOINC code was found for the SOWS.",
    ),
)
