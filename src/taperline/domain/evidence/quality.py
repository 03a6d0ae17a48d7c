"""Precision and recall of "sentence -> correct claim" on a labelled set (for tests and bench)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from taperline.domain.evidence.match import Matcher, Status, classify
from taperline.domain.evidence.model import Grade, Library
from taperline.domain.evidence.text import Sentence

NOT_ASSESSED = "not-assessed"
NONE = "none"


@dataclass(frozen=True, slots=True)
class Labelled:
    split: str
    expected: str  # a claim id, NOT_ASSESSED or NONE
    sentence: str


@dataclass(frozen=True, slots=True)
class Quality:
    covered: int  # sentences whose expected answer is a library claim
    correct: int  # ... matched to that claim
    predicted: int  # sentences matched to any claim
    precision: float
    recall: float
    not_assessed_right: int  # expected "not assessed" and reported so
    not_assessed_total: int
    non_claims_skipped: int  # expected "none" and not reported as a claim
    non_claims_total: int
    unsafe: int  # a contradicted / no-evidence claim reported as a supported one
    mistakes: tuple[tuple[str, str, str], ...]  # (sentence, expected, predicted)


def parse_labelled(text: str) -> list[Labelled]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"line {number}: expected 3 tab-separated fields")
        rows.append(Labelled(*parts))
    return rows


def predict(rows: Sequence[Labelled], library: Library, matcher: Matcher) -> list[str]:
    sentences = [Sentence(i, row.sentence, 0, len(row.sentence)) for i, row in enumerate(rows)]
    answers = []
    for result in classify(sentences, library, matcher):
        if result.match is not None:
            answers.append(result.match.claim.id)
        elif result.status is Status.NOT_ASSESSED:
            answers.append(NOT_ASSESSED)
        else:
            answers.append(NONE)
    return answers


def measure(rows: Sequence[Labelled], library: Library, matcher: Matcher) -> Quality:
    grades = {claim.id: claim.grade for claim in library.claims}
    answers = predict(rows, library, matcher)
    covered = correct = predicted = unsafe = 0
    na_right = na_total = none_right = none_total = 0
    mistakes = []
    for row, answer in zip(rows, answers, strict=True):
        if answer in grades:
            predicted += 1
        if row.expected in grades:
            covered += 1
            correct += answer == row.expected
            if (
                grades[row.expected] in (Grade.CONTRADICTED, Grade.NO_EVIDENCE)
                and answer in grades
                and grades[answer] is Grade.SUPPORTED
            ):
                unsafe += 1
        elif row.expected == NOT_ASSESSED:
            na_total += 1
            na_right += answer == NOT_ASSESSED
        else:
            none_total += 1
            none_right += answer == NONE
        if answer != row.expected:
            mistakes.append((row.sentence, row.expected, answer))
    right_matches = sum(
        1
        for row, answer in zip(rows, answers, strict=True)
        if answer in grades and answer == row.expected
    )
    return Quality(
        covered=covered,
        correct=correct,
        predicted=predicted,
        precision=right_matches / predicted if predicted else 1.0,
        recall=correct / covered if covered else 1.0,
        not_assessed_right=na_right,
        not_assessed_total=na_total,
        non_claims_skipped=none_right,
        non_claims_total=none_total,
        unsafe=unsafe,
        mistakes=tuple(mistakes),
    )
