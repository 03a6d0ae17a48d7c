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


def recognise(knowledge: Knowledge, text: str) -> list[Substance]:
    """Every substance whose alias appears as whole words in `text` ("Suboxone 8mg film").

    Overlapping matches go to the longest alias: "buprenorphine/naloxone" is the combination
    product, not also buprenorphine and naloxone on their own.
    """
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
