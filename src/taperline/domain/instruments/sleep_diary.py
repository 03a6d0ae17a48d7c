"""Consensus Sleep Diary, Core version (Carney et al. 2012), with derived sleep metrics.

Source: shared/clinical/instruments.md §4, §7 and §8. Wording of items 1-4 was read in the CSD-M
instruction sheet (SOURCED). Items 5-8 match several independent implementations, and a research
codebook maps them to the Core items, but the paper's appendix was not read (UNVERIFIED). The
five quality labels (Very poor ... Very good) and item 9 ("Comments") are UNVERIFIED as printed.
No LOINC code was found; none is used.

A structured instrument: answers are named fields, not a list in item order.

Derived metrics, in minutes (conventional definitions; the paper's own formulas were not read):

- time_in_bed (TIB) = out_of_bed - into_bed
- sleep_onset_latency (SOL) = item 3
- awakenings (NWAK) = item 4
- wake_after_sleep_onset (WASO) = item 5
- terminal_wakefulness (TWT) = out_of_bed - final_awakening
- total_sleep_time (TST) = (final_awakening - tried_to_sleep) - SOL - WASO
- sleep_efficiency (SE, %) = TST / TIB x 100, rounded to 1 decimal

Design decisions (docs/decisions/0002-sleep-diary-derived-metrics.md):

- The SE denominator is time in bed from into_bed (item 1) to out_of_bed (item 7). Some groups
  use the time from tried_to_sleep (item 2) instead; that is not what is computed here.
- WASO excludes terminal wakefulness. WASO is item 5, the awakenings before the final awakening
  (item 4 counts awakenings "not counting your final awakening"); time in bed after the final
  awakening is reported separately as terminal_wakefulness. Carney et al. note that definitions
  vary on this point.

Clock times cross midnight and a bedtime can be after midnight (into bed at 01:30). The four
clock times are walked in order (into_bed, tried_to_sleep, final_awakening, out_of_bed), each step
advancing by (t - previous) mod 1440 minutes. A step longer than 20 hours means the times are out
of order and is rejected naming the later field. Time in bed must be more than 0 and under 24
hours. SOL + WASO may not exceed the time from tried_to_sleep to final_awakening.

The diary does not cross-check item 4 (the number of awakenings) against item 5 (their length).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments.base import (
    Citation,
    Option,
    Rater,
    Score,
    WordingStatus,
)

MINUTES_PER_DAY = 24 * 60
MAX_STEP_MINUTES = 20 * 60  # a step between two diary times longer than this is out of order

ORDER_HINT = "times must be in order: into bed, tried to sleep, final awakening, out of bed"


class AnswerKind(StrEnum):
    CLOCK = "clock"  # 24-hour "HH:MM"
    MINUTES = "minutes"  # whole minutes, 0 or more
    COUNT = "count"  # a whole number, 0 or more
    RATING = "rating"  # one of the item's options
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class DiaryItem:
    """One diary question, described like `Item` so docs and UI can show it."""

    number: int
    key: str  # the answer key `score` reads
    text: str
    kind: AnswerKind
    options: tuple[Option, ...] = ()
    loinc: str | None = None
    wording: WordingStatus = WordingStatus.SOURCED
    scored: bool = False
    required: bool = True
    note: str = ""


_UNVERIFIED_5_TO_8 = (
    "Wording matches several independent implementations and a codebook of the CSD Core items; "
    "not read in the paper itself: UNVERIFIED."
)

QUALITY = (
    Option(1, "Very poor", wording=WordingStatus.UNVERIFIED),
    Option(2, "Poor", wording=WordingStatus.UNVERIFIED),
    Option(3, "Fair", wording=WordingStatus.UNVERIFIED),
    Option(4, "Good", wording=WordingStatus.UNVERIFIED),
    Option(5, "Very good", wording=WordingStatus.UNVERIFIED),
)

ITEMS = (
    DiaryItem(
        number=1,
        key="into_bed",
        text="What time did you get into bed?",
        kind=AnswerKind.CLOCK,
        note="Clock time; may differ from when you began trying to sleep.",
    ),
    DiaryItem(
        number=2,
        key="tried_to_sleep",
        text="What time did you try to go to sleep?",
        kind=AnswerKind.CLOCK,
    ),
    DiaryItem(
        number=3,
        key="sleep_onset_minutes",
        text="How long did it take you to fall asleep?",
        kind=AnswerKind.MINUTES,
        note="Minutes, counted from the time you tried to go to sleep.",
    ),
    DiaryItem(
        number=4,
        key="awakenings",
        text="How many times did you wake up, not counting your final awakening?",
        kind=AnswerKind.COUNT,
    ),
    DiaryItem(
        number=5,
        key="awake_minutes",
        text="In total, how long did these awakenings last?",
        kind=AnswerKind.MINUTES,
        wording=WordingStatus.UNVERIFIED,
        note=_UNVERIFIED_5_TO_8 + " Minutes; this is WASO and excludes time awake after the "
        "final awakening.",
    ),
    DiaryItem(
        number=6,
        key="final_awakening",
        text="What time was your final awakening?",
        kind=AnswerKind.CLOCK,
        wording=WordingStatus.UNVERIFIED,
        note=_UNVERIFIED_5_TO_8,
    ),
    DiaryItem(
        number=7,
        key="out_of_bed",
        text="What time did you get out of bed for the day?",
        kind=AnswerKind.CLOCK,
        wording=WordingStatus.UNVERIFIED,
        note=_UNVERIFIED_5_TO_8,
    ),
    DiaryItem(
        number=8,
        key="quality",
        text="How would you rate the quality of your sleep?",
        kind=AnswerKind.RATING,
        options=QUALITY,
        wording=WordingStatus.UNVERIFIED,
        note=_UNVERIFIED_5_TO_8 + " The five labels (Very poor ... Very good) are UNVERIFIED as "
        "printed; scored 1-5 as in the codebook.",
    ),
    DiaryItem(
        number=9,
        key="comments",
        text="Comments (if applicable)",
        kind=AnswerKind.TEXT,
        wording=WordingStatus.UNVERIFIED,
        required=False,
        note="Exact wording UNVERIFIED.",
    ),
)

METRICS = (
    ("time_in_bed", "Time in bed (TIB)", "min"),
    ("sleep_onset_latency", "Sleep onset latency (SOL)", "min"),
    ("awakenings", "Number of awakenings (NWAK)", "count"),
    ("wake_after_sleep_onset", "Wake after sleep onset (WASO)", "min"),
    ("terminal_wakefulness", "Terminal wakefulness (TWT)", "min"),
    ("total_sleep_time", "Total sleep time (TST)", "min"),
    ("sleep_efficiency", "Sleep efficiency (SE)", "%"),
)

CITATION = Citation(
    text=(
        "Carney CE, Buysse DJ, Ancoli-Israel S, Edinger JD, Krystal AD, Lichstein KL, Morin CM. "
        "The Consensus Sleep Diary: standardizing prospective sleep self-monitoring. SLEEP "
        "2012;35(2):287-302."
    ),
    pmid="22294820",
    doi="10.5665/sleep.1642",
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC3250369",
)

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


@dataclass(frozen=True, slots=True)
class SleepDiaryInstrument:
    """The Consensus Sleep Diary Core: a structured instrument with derived metrics, no bands."""

    id: str
    name: str
    version: str
    rater: Rater
    instructions: str
    items: tuple[DiaryItem, ...]
    citation: Citation
    metrics: tuple[tuple[str, str, str], ...]
    licence: str
    notes: tuple[str, ...]
    loinc_panel: str | None = None
    loinc_total: str | None = None
    structured: bool = True

    @property
    def has_bands(self) -> bool:
        return False

    def score(self, answers: object) -> Score:
        if not isinstance(answers, Mapping):
            keys = ", ".join(item.key for item in self.items)
            raise InvalidInput("answers", f"give the sleep diary as named fields ({keys})")
        known = {item.key for item in self.items}
        for key in answers:
            if key not in known:
                raise InvalidInput(str(key), "is not a sleep-diary field")
        for item in self.items:
            if item.required and _blank(answers.get(item.key)):
                raise InvalidInput(item.key, "is missing")

        clocks = {
            key: _clock(key, answers[key])
            for key in ("into_bed", "tried_to_sleep", "final_awakening", "out_of_bed")
        }
        sol = _whole(answers["sleep_onset_minutes"], field="sleep_onset_minutes", low=0)
        awakenings = _whole(answers["awakenings"], field="awakenings", low=0)
        waso = _whole(answers["awake_minutes"], field="awake_minutes", low=0)
        quality = _whole(answers["quality"], field="quality", low=1, high=5)
        comments = _comments(answers.get("comments"))

        before_trying = _step(clocks, "into_bed", "tried_to_sleep")
        sleep_period = _step(clocks, "tried_to_sleep", "final_awakening")
        terminal = _step(clocks, "final_awakening", "out_of_bed")
        time_in_bed = before_trying + sleep_period + terminal
        if time_in_bed == 0:
            raise InvalidInput(
                "out_of_bed",
                "is the same time as into_bed; time in bed must be more than 0 minutes",
            )
        if time_in_bed >= MINUTES_PER_DAY:
            raise InvalidInput(
                "out_of_bed",
                f"makes time in bed {_duration(time_in_bed)}, which must be under 24 hours; "
                + ORDER_HINT,
            )

        window = (
            f"the {sleep_period} min between trying to sleep ({_show(clocks['tried_to_sleep'])}) "
            f"and final awakening ({_show(clocks['final_awakening'])})"
        )
        if sol > sleep_period:
            raise InvalidInput("sleep_onset_minutes", f"{sol} min is longer than {window}")
        if sol + waso > sleep_period:
            raise InvalidInput(
                "awake_minutes",
                f"{waso} min awake plus {sol} min to fall asleep is {sol + waso} min, "
                f"longer than {window}",
            )

        total_sleep = sleep_period - sol - waso
        return Score(
            instrument_id=self.id,
            instrument_version=self.version,
            total=None,
            band=None,
            answers={
                "into_bed": _show(clocks["into_bed"]),
                "tried_to_sleep": _show(clocks["tried_to_sleep"]),
                "sleep_onset_minutes": sol,
                "awakenings": awakenings,
                "awake_minutes": waso,
                "final_awakening": _show(clocks["final_awakening"]),
                "out_of_bed": _show(clocks["out_of_bed"]),
                "quality": quality,
                "comments": comments,
            },
            metrics={
                "time_in_bed": time_in_bed,
                "sleep_onset_latency": sol,
                "awakenings": awakenings,
                "wake_after_sleep_onset": waso,
                "terminal_wakefulness": terminal,
                "total_sleep_time": total_sleep,
                "sleep_efficiency": round(total_sleep / time_in_bed * 100, 1),
            },
        )


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def _clock(field: str, raw: object) -> int:
    """Minutes after midnight of a 24-hour "HH:MM" clock time."""
    if not isinstance(raw, str):
        raise InvalidInput(field, f"'{raw}' is not a clock time; use 24-hour HH:MM, e.g. 23:15")
    match = _CLOCK.fullmatch(raw.strip())
    if match is None:
        raise InvalidInput(field, f"'{raw}' is not a clock time; use 24-hour HH:MM, e.g. 23:15")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise InvalidInput(field, f"'{raw}' is not a clock time; hours run 00-23, minutes 00-59")
    return hours * 60 + minutes


def _whole(raw: object, *, field: str, low: int, high: int | None = None) -> int:
    if isinstance(raw, bool):
        raise InvalidInput(field, "must be a whole number, not true/false")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()):
            raise InvalidInput(field, f"'{raw}' is not a whole number")
        raw = int(text)
    if not isinstance(raw, int):
        raise InvalidInput(field, f"'{raw}' is not a whole number")
    if high is not None and not low <= raw <= high:
        raise InvalidInput(field, f"{raw} is out of range ({low} to {high})")
    if raw < low:
        raise InvalidInput(field, f"{raw} is out of range (must be {low} or more)")
    return raw


def _comments(raw: object) -> str | None:
    if _blank(raw):
        return None
    if not isinstance(raw, str):
        raise InvalidInput("comments", "must be text")
    return raw.strip()


def _step(clocks: Mapping[str, int], before: str, after: str) -> int:
    step = (clocks[after] - clocks[before]) % MINUTES_PER_DAY
    if step > MAX_STEP_MINUTES:
        raise InvalidInput(after, f"is {_duration(step)} after {before}; {ORDER_HINT}")
    return step


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min"


def _show(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


SLEEP_DIARY = SleepDiaryInstrument(
    id="sleep_diary",
    name="Consensus Sleep Diary (Core)",
    version="2012-core",
    rater=Rater.SELF,
    instructions=(
        "Complete each morning, within one hour of getting out of bed if possible. The date is "
        "the morning you fill it in. Estimate the times; do not watch the clock."
    ),
    items=ITEMS,
    citation=CITATION,
    metrics=METRICS,
    licence=(
        "Generally treated as free for clinical and research use: published in SLEEP and "
        "distributed by clinical sites (Psychology Tools, WWDPI). No explicit licence statement "
        "was read: UNVERIFIED."
    ),
    notes=(
        "Items 1-4 wording SOURCED (CSD-M instruction sheet). Items 5-8 wording, the five "
        "quality labels and item 9 are UNVERIFIED against the paper.",
        "Derived metrics use conventional definitions; the paper's own formulas were not read "
        "(UNVERIFIED as a quotation of the paper).",
        "Sleep efficiency = total sleep time / time in bed (into bed to out of bed) x 100.",
        "WASO excludes terminal wakefulness, which is reported separately.",
        "No published bands. Thresholds such as SE < 85% are conventions without a primary "
        "citation read; none is applied.",
        "The authors call the diary 'a living document which still needs to be tested, refined, "
        "and validated'. It is not validated for kratom withdrawal.",
        "No LOINC code was found for the Consensus Sleep Diary; none is used.",
    ),
)
