"""What every instrument declares, and the shared scoring and validation.

An instrument is data: its items, the response options of each item, how a total is formed,
its bands, its citation, its LOINC codes where they are verified, and the status of its
wording. Scoring is pure: answers in, a `Score` out, or an `InvalidInput` naming the item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from taperline.domain.errors import InvalidInput


class WordingStatus(StrEnum):
    """Where a piece of instrument text comes from."""

    SOURCED = "sourced"  # read in a source named in shared/clinical/instruments.md
    UNVERIFIED = "unverified"  # not confirmed against the original publication
    LOCAL = "local"  # written for Taperline; not a published, validated item


class Rater(StrEnum):
    SELF = "self"  # the person answers
    CLINICIAN = "clinician"  # a clinician rates at a visit


class TotalRule(StrEnum):
    SUM = "sum"
    MAX = "max"


@dataclass(frozen=True, slots=True)
class Citation:
    text: str
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    note: str = ""  # what of this citation is UNVERIFIED, if anything


@dataclass(frozen=True, slots=True)
class Option:
    value: int
    label: str
    loinc: str | None = None
    wording: WordingStatus = WordingStatus.SOURCED


@dataclass(frozen=True, slots=True)
class Item:
    number: int
    key: str  # stable id, e.g. "phq9_9"
    text: str
    options: tuple[Option, ...]
    loinc: str | None = None
    wording: WordingStatus = WordingStatus.SOURCED
    scored: bool = True
    required: bool = True
    note: str = ""

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    @property
    def max_value(self) -> int:
        return max(self.values)

    def option(self, value: int) -> Option:
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)


@dataclass(frozen=True, slots=True)
class Band:
    low: int
    high: int
    label: str

    def contains(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True, slots=True)
class SafetyItem:
    """An item whose answer at or above `at_least` is a safety event, whatever the total."""

    item_number: int
    at_least: int
    flag: str  # stable id other parts of the system read, e.g. "phq9.item9_positive"
    description: str


@dataclass(frozen=True, slots=True)
class Score:
    instrument_id: str
    instrument_version: str
    total: int | None
    band: str | None
    answers: Mapping[str, int | float | str | None]
    metrics: Mapping[str, float | int | None] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    positive_screen: bool | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "instrument": self.instrument_id,
            "version": self.instrument_version,
            "total": self.total,
            "band": self.band,
            "positive_screen": self.positive_screen,
            "flags": list(self.flags),
            "answers": dict(self.answers),
            "metrics": dict(self.metrics),
        }


class Instrument(Protocol):
    """What the registry, the CLI, storage and docs rely on."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def rater(self) -> Rater: ...
    @property
    def citation(self) -> Citation: ...
    @property
    def has_bands(self) -> bool: ...
    @property
    def structured(self) -> bool:
        """True when answers are a mapping of named fields, not a list in item order."""
        ...

    def score(self, answers: object) -> Score: ...


@dataclass(frozen=True, slots=True)
class ItemScale:
    """A questionnaire whose answers are one integer per item, in item order."""

    id: str
    name: str
    version: str
    rater: Rater
    instructions: str
    items: tuple[Item, ...]
    citation: Citation
    bands: tuple[Band, ...] = ()
    total_rule: TotalRule = TotalRule.SUM
    total_label: str = "Total"
    loinc_panel: str | None = None
    loinc_total: str | None = None
    licence: str = ""
    notes: tuple[str, ...] = ()
    safety_items: tuple[SafetyItem, ...] = ()
    screen_positive_at: int | None = None  # short screens: total at or above is positive
    structured: bool = False

    def __post_init__(self) -> None:
        numbers = [item.number for item in self.items]
        flags = [item.required for item in self.items]
        if flags != sorted(flags, reverse=True):
            raise ValueError(f"{self.id}: optional items must come after the required ones")
        if numbers != list(range(1, len(self.items) + 1)):
            raise ValueError(f"{self.id}: items must be numbered 1..n in order")
        if self.bands:
            if self.bands[0].low != self.min_total or self.bands[-1].high != self.max_total:
                raise ValueError(f"{self.id}: bands must cover {self.min_total}-{self.max_total}")
            for before, after in zip(self.bands, self.bands[1:], strict=False):
                if after.low != before.high + 1:
                    raise ValueError(f"{self.id}: bands must be contiguous")

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    @property
    def min_total(self) -> int:
        lows = [min(item.values) for item in self.scored_items]
        return sum(lows) if self.total_rule is TotalRule.SUM else max(lows)

    @property
    def max_total(self) -> int:
        highs = [item.max_value for item in self.scored_items]
        return sum(highs) if self.total_rule is TotalRule.SUM else max(highs)

    @property
    def has_bands(self) -> bool:
        return bool(self.bands)

    def band_for(self, total: int) -> str | None:
        for band in self.bands:
            if band.contains(total):
                return band.label
        return None

    def score(self, answers: object) -> Score:
        values = self._validate(answers)
        scored = [
            value
            for item, value in zip(self.items, values, strict=True)
            if item.scored and value is not None
        ]
        total = sum(scored) if self.total_rule is TotalRule.SUM else max(scored)
        flags = tuple(
            rule.flag
            for rule in self.safety_items
            if (answer := values[rule.item_number - 1]) is not None and answer >= rule.at_least
        )
        positive = None if self.screen_positive_at is None else total >= self.screen_positive_at
        return Score(
            instrument_id=self.id,
            instrument_version=self.version,
            total=total,
            band=self.band_for(total),
            answers={item.key: value for item, value in zip(self.items, values, strict=True)},
            flags=flags,
            positive_screen=positive,
        )

    def _validate(self, answers: object) -> list[int | None]:
        if isinstance(answers, Mapping):
            known = {item.key for item in self.items}
            unknown = sorted(str(key) for key in answers if key not in known)
            if unknown:
                raise InvalidInput(
                    str(unknown[0]),
                    f"is not an item of {self.name} (its items are "
                    f"{', '.join(item.key for item in self.items)})",
                )
            answers = [answers.get(item.key) for item in self.items]
        if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
            raise InvalidInput(
                "answers", f"give one answer per item, in item order, for {self.name}"
            )
        required = sum(1 for item in self.items if item.required)
        given = len(answers)
        if given > len(self.items):
            raise InvalidInput(
                "answers", f"{self.name} has {len(self.items)} items but {given} answers were given"
            )
        if given < required:
            raise InvalidInput(
                "answers",
                f"{self.name} needs {required} answers but {given} were given "
                f"(item {given + 1} onward is missing)",
            )
        padded = list(answers) + [None] * (len(self.items) - given)
        return [
            _check_answer(self, item, raw) for item, raw in zip(self.items, padded, strict=True)
        ]


def _check_answer(scale: ItemScale, item: Item, raw: object) -> int | None:
    field_name = f"item {item.number}"
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if item.required:
            raise InvalidInput(field_name, f"is missing ({_short(item.text)})")
        return None
    if isinstance(raw, bool):
        raise InvalidInput(field_name, "must be a whole number, not true/false")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()):
            raise InvalidInput(field_name, f"'{raw}' is not a whole number")
        raw = int(text)
    if not isinstance(raw, int):
        raise InvalidInput(field_name, f"'{raw}' is not a whole number")
    if raw not in item.values:
        if scale.rater is Rater.CLINICIAN or _has_gaps(item.values):
            allowed = ", ".join(str(v) for v in item.values)
            raise InvalidInput(field_name, f"{raw} is not one of this item's points ({allowed})")
        raise InvalidInput(
            field_name, f"{raw} is out of range ({min(item.values)} to {max(item.values)})"
        )
    return raw


def _has_gaps(values: tuple[int, ...]) -> bool:
    return list(values) != list(range(min(values), max(values) + 1))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def options(*labels: str, start: int = 0) -> tuple[Option, ...]:
    """Contiguous response options labelled in order, starting at `start`."""
    return tuple(Option(start + offset, label) for offset, label in enumerate(labels))
