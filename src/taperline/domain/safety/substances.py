"""Recognise substances in what people write, using the knowledge base's aliases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from taperline.domain.doses import DoseEntry
from taperline.domain.regimen import RegimenItem
from taperline.domain.safety.knowledge import Knowledge, Substance
from taperline.domain.types import Category, KratomForm

_FORM_SUBSTANCE = {
    KratomForm.LEAF_POWDER.value: "kratom",
    KratomForm.CAPSULES.value: "kratom",
    KratomForm.EXTRACT.value: "kratom_extract",
    KratomForm.SEVEN_OH.value: "seven_oh",
}
_CATEGORY_SUBSTANCE = {Category.MELATONIN: "melatonin", Category.MAGNESIUM: "magnesium"}


def _normalise(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9-]+", " ", text.lower()).strip() + " "


_NEEDLES: dict[int, tuple[Knowledge, list[tuple[str, Substance]]]] = {}


def _needles(knowledge: Knowledge) -> list[tuple[str, Substance]]:
    """Normalised aliases, computed once per knowledge base (a memo, not state)."""
    cached = _NEEDLES.get(id(knowledge))
    if cached is None or cached[0] is not knowledge:
        needles = [
            (_normalise(alias), substance)
            for substance in knowledge.substances.values()
            for alias in substance.aliases
        ]
        cached = (knowledge, needles)
        _NEEDLES[id(knowledge)] = cached
    return cached[1]


_RECOGNISED: dict[tuple[int, str], tuple[Knowledge, tuple[Substance, ...]]] = {}
_RECOGNISED_MAX = 4096  # names remembered per process (a memo of a pure function)


def recognise(knowledge: Knowledge, text: str) -> list[Substance]:
    """Every substance whose alias appears as whole words in `text` ("Suboxone 8mg film").

    Overlapping matches go to the longest alias: "buprenorphine/naloxone" is the combination
    product, not also buprenorphine and naloxone on their own. The same few names come with
    every check-in, so answers are remembered per knowledge base.
    """
    key = (id(knowledge), text)
    cached = _RECOGNISED.get(key)
    if cached is not None and cached[0] is knowledge:
        return list(cached[1])
    found = _recognise(knowledge, text)
    if len(_RECOGNISED) >= _RECOGNISED_MAX:
        _RECOGNISED.clear()
    _RECOGNISED[key] = (knowledge, tuple(found))
    return found


def _recognise(knowledge: Knowledge, text: str) -> list[Substance]:
    haystack = _normalise(text)
    matches: list[tuple[int, int, Substance]] = []
    for needle, substance in _needles(knowledge):
        start = haystack.find(needle)
        while start != -1:
            matches.append((start, start + len(needle), substance))
            start = haystack.find(needle, start + 1)
    matches.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: list[tuple[int, int]] = []
    found: dict[str, Substance] = {}
    for start, end, substance in matches:
        # Each match includes the spaces around it; neighbours may share one space.
        if any(start < other_end - 1 and other_start < end - 1 for other_start, other_end in taken):
            continue
        taken.append((start, end))
        found[substance.id] = substance
    return sorted(found.values(), key=lambda s: s.id)


def of_dose(knowledge: Knowledge, dose: DoseEntry | RegimenItem) -> list[Substance]:
    """The substance a dose or plan item is of: by kratom form or category, else by name."""
    if dose.category is Category.KRATOM and dose.form in _FORM_SUBSTANCE:
        named = recognise(knowledge, dose.product)
        concentrated = [s for s in named if "concentrated_kratom" in s.classes]
        return concentrated or [knowledge.substances[_FORM_SUBSTANCE[dose.form]]]
    if dose.category in _CATEGORY_SUBSTANCE:
        return [knowledge.substances[_CATEGORY_SUBSTANCE[dose.category]]]
    return recognise(knowledge, f"{dose.product} {dose.form or ''}")


@dataclass(frozen=True, slots=True)
class Present:
    """A substance in the picture, where it came from, and whether it was prescribed."""

    substance: Substance
    source: str  # "logged", "plan" or "medication"
    prescribed: bool = True

    def has(self, selector: str) -> bool:
        kind, _, name = selector.partition(":")
        if kind == "class" and name:
            return name in self.substance.classes
        return self.substance.id == selector


# -- names Taperline does not recognise ----------------------------------------------------

_DOSE_WORDS = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|ml|iu|units?|%)?\b|\b(?:mg|mcg|ml|tablets?|tabs?|"
    r"capsules?|caps?|pills?|films?|strips?|sprays?|drops?|daily|nightly|bid|tid|qd|qhs|prn|"
    r"er|xr|sr|cr|dr|hcl)\b",
    re.IGNORECASE,
)
SUGGESTION_CUTOFF = 80  # rapidfuzz WRatio, 0-100: below this a guess is more noise than help
MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    alias: str  # what the person may have meant, as the knowledge base spells it
    substance: Substance
    score: float


@dataclass(frozen=True, slots=True)
class Unrecognised:
    """A medicine name nothing in the knowledge base matches, and what it may have meant.
    Suggestions are offered for a person or clinician to confirm; never applied."""

    name: str
    source: str  # "medication", "plan" or "logged"
    suggestions: tuple[Suggestion, ...]

    def did_you_mean(self) -> str:
        if not self.suggestions:
            return ""
        options = [
            s.alias if s.alias == s.substance.name else f"{_title(s.alias)} ({s.substance.name})"
            for s in self.suggestions
        ]
        return " or ".join(options)


def _title(alias: str) -> str:
    return alias[:1].upper() + alias[1:]


def core_name(text: str) -> str:
    """The name without strengths, forms and schedules: 'luvoxx 50mg tablets' -> 'luvoxx'."""
    return " ".join(_DOSE_WORDS.sub(" ", text).split()).strip(" -/,.;:")


def suggest(knowledge: Knowledge, text: str) -> tuple[Suggestion, ...]:
    """Aliases close to `text` (typing slips, near spellings), best first, one per substance."""
    from rapidfuzz import fuzz, process, utils

    query = core_name(text)
    if len(query) < 3:
        return ()
    aliases = [(alias, substance) for substance in knowledge.substances.values()
               for alias in substance.aliases]  # fmt: skip
    found = process.extract(
        query,
        [alias for alias, _ in aliases],
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=SUGGESTION_CUTOFF,
        limit=20,
    )
    best: dict[str, Suggestion] = {}
    for alias, score, index in found:
        substance = aliases[index][1]
        if substance.id not in best:
            best[substance.id] = Suggestion(alias, substance, float(score))
    ranked = sorted(best.values(), key=lambda s: (-s.score, s.alias))
    return tuple(ranked[:MAX_SUGGESTIONS])


def unrecognised(knowledge: Knowledge, names: list[tuple[str, str]]) -> list[Unrecognised]:
    """Of (name, source) pairs, those no alias matches, with suggestions; blanks ignored."""
    out: dict[str, Unrecognised] = {}
    for name, source in names:
        cleaned = " ".join(name.split())
        if not cleaned or recognise(knowledge, cleaned) or cleaned.lower() in out:
            continue
        out[cleaned.lower()] = Unrecognised(cleaned, source, suggest(knowledge, cleaned))
    return list(out.values())
