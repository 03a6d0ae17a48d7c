"""Urgent words in free text: which red flags a person's message names.

Matching is deliberately simple and transparent: the text and each phrase are normalised the
same way (lower case, apostrophes dropped, anything else that is not a letter or digit becomes a
space) and a phrase matches when it appears as whole words. It errs toward flagging: a clinician
reads every flagged message, and a missed flag costs far more than a needless one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from taperline.domain.safety.knowledge import RedFlag

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, accents and apostrophes dropped, every other non-alphanumeric run a space."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", folded)).strip()


def matches(text: str, flags: Iterable[RedFlag]) -> list[tuple[RedFlag, tuple[str, ...]]]:
    """The red flags whose phrases occur in `text`, each with the phrases found, in flag order."""
    padded = f" {normalise(text)} "
    found: list[tuple[RedFlag, tuple[str, ...]]] = []
    for flag in flags:
        hits = tuple(p for p in flag.phrases if f" {normalise(p)} " in padded)
        if hits:
            found.append((flag, hits))
    return found
