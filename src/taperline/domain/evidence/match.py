"""Match sentences to library claims, and build the per-sentence report.

A matcher scores a sentence against every text of every claim (its statement and
alternative phrasings) and keeps, per claim, the best score in [0, 1]. The checker then:

1. splits the text into sentences;
2. keeps the sentences that make a health claim on our topics (`is_health_claim`);
3. considers only claims whose required topics the sentence names;
4. reports the best claim if its score reaches the matcher's threshold, with a confidence,
   and otherwise lists the sentence as "not assessed".

`LexicalMatcher` (TF-IDF over word 1-2-grams and character 3-5-grams, scikit-learn) is the
default. `EncoderMatcher` takes any sentence encoder (the optional sentence-embedding model is
plugged in by the shell, `taperline.services.evidence`), and `CombinedMatcher` averages two.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from taperline.domain.evidence.model import Claim, Grade, Library, Topic
from taperline.domain.evidence.text import (
    SUBJECTS as TAKEN_OR_DONE,
)
from taperline.domain.evidence.text import (
    Sentence,
    is_health_claim,
    is_outcome_claim,
    is_question,
    negated,
    split_sentences,
    topics_in,
)

Matrix = NDArray[np.float64]


class Matcher(Protocol):
    name: str
    threshold: float  # the least best-score that counts as a match
    gate: float  # a sentence this close to a claim is a claim even without a claim cue
    high: float  # from here on the confidence is "high"

    def scores(self, sentences: Sequence[str]) -> Matrix:
        """Shape (len(sentences), len(library.claims)): best similarity per claim."""
        ...


def _best_per_claim(similarity: Matrix, owners: Sequence[int], claims: int) -> Matrix:
    best = np.zeros((similarity.shape[0], claims))
    for column, owner in enumerate(owners):
        best[:, owner] = np.maximum(best[:, owner], similarity[:, column])
    return best


def _claim_texts(library: Library) -> tuple[list[str], list[int]]:
    texts, owners = [], []
    for number, claim in enumerate(library.claims):
        for text in claim.texts:
            texts.append(text)
            owners.append(number)
    return texts, owners


_TOKEN = re.compile(r"[a-z0-9]+")
_SUFFIXES = (
    "istically",
    "istic",
    "ically",
    "ation",
    "ness",
    "ing",
    "ies",
    "ied",
    "ed",
    "es",
    "ly",
    "s",
    "y",
    "e",
)


def stem(word: str) -> str:
    """A crude suffix stripper, enough to meet "combine"/"combined", "synergy"/"synergistic"."""
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _stemmed_words(text: str) -> list[str]:
    return [stem(w) for w in _TOKEN.findall(text.lower()) if w not in _stop_words()]


def _word_ngrams(text: str) -> list[str]:
    words = _stemmed_words(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@cache
def _stop_words() -> frozenset[str]:
    # scikit-learn is imported when the claim checker first runs, not when the app starts:
    # it is the largest import of the server (about 1.8 s of its start on this machine).
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def normalize(matrix: Any) -> Any:
    from sklearn.preprocessing import normalize as rows_to_unit_length

    return rows_to_unit_length(matrix)


class LexicalMatcher:
    """TF-IDF cosine similarity, word and character n-grams averaged."""

    name = "lexical"

    def __init__(
        self, library: Library, *, threshold: float = 0.2, gate: float = 0.35, high: float = 0.45
    ) -> None:
        self.library = library
        self.threshold = threshold
        self.gate = gate
        self.high = high
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts, self._owners = _claim_texts(library)
        self._word = TfidfVectorizer(analyzer=_word_ngrams, sublinear_tf=True)
        self._char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self._word_texts = self._word.fit_transform(texts)
        self._char_texts = self._char.fit_transform(texts)

    def scores(self, sentences: Sequence[str]) -> Matrix:
        if not sentences:
            return np.zeros((0, len(self.library.claims)))
        word = (self._word.transform(sentences) @ self._word_texts.T).toarray()
        char = (self._char.transform(sentences) @ self._char_texts.T).toarray()
        similarity = np.asarray(0.5 * word + 0.5 * char, dtype=np.float64)
        return _best_per_claim(similarity, self._owners, len(self.library.claims))


Encoder = Callable[[list[str]], Matrix]


class EncoderMatcher:
    """Cosine similarity of sentence embeddings from any encoder (texts -> vectors)."""

    name = "embedding"

    def __init__(
        self,
        library: Library,
        encode: Encoder,
        *,
        threshold: float = 0.5,
        gate: float = 0.6,
        high: float = 0.7,
    ) -> None:
        self.library = library
        self.threshold = threshold
        self.gate = gate
        self.high = high
        self._encode = encode
        texts, self._owners = _claim_texts(library)
        self._texts = normalize(encode(texts))

    def scores(self, sentences: Sequence[str]) -> Matrix:
        if not sentences:
            return np.zeros((0, len(self.library.claims)))
        vectors = normalize(self._encode(list(sentences)))
        similarity = np.clip(vectors @ self._texts.T, 0.0, 1.0)
        return _best_per_claim(similarity, self._owners, len(self.library.claims))


class CombinedMatcher:
    """The mean of two matchers' scores, each first scaled by its own threshold."""

    name = "combined"

    def __init__(self, first: Matcher, second: Matcher) -> None:
        self.first, self.second = first, second
        self.threshold = 1.0
        self.gate = (first.gate / first.threshold + second.gate / second.threshold) / 2
        self.high = (first.high / first.threshold + second.high / second.threshold) / 2

    def scores(self, sentences: Sequence[str]) -> Matrix:
        scaled: Matrix = (
            self.first.scores(sentences) / self.first.threshold
            + self.second.scores(sentences) / self.second.threshold
        ) / 2
        return scaled


# -- the report -------------------------------------------------------------------------------


class Status(StrEnum):
    MATCHED = "matched"
    NOT_ASSESSED = "not assessed"  # a health claim on our topics that the library does not cover
    NOT_A_CLAIM = "not a claim"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Match:
    claim: Claim
    score: float
    confidence: Confidence
    opposite: bool  # the sentence may say the opposite of the claim (one negates, one not)


@dataclass(frozen=True, slots=True)
class SentenceResult:
    sentence: Sentence
    status: Status
    topics: tuple[Topic, ...]
    match: Match | None = None

    @property
    def grade(self) -> Grade | None:
        return self.match.claim.grade if self.match else None


@dataclass(frozen=True, slots=True)
class CheckReport:
    text: str
    method: str
    results: tuple[SentenceResult, ...]
    counts: dict[str, int] = field(default_factory=dict)  # by grade, plus "not assessed"

    @property
    def claims(self) -> list[SentenceResult]:
        """Sentences that make a health claim, matched or not."""
        return [r for r in self.results if r.status is not Status.NOT_A_CLAIM]


# What a sentence may be about: what the claim checker treats as taken or done, and the
# substances it warns about.
SUBJECTS = TAKEN_OR_DONE | {Topic.SEDATIVES, Topic.OPIOIDS}


def _confidence(score: float, matcher: Matcher) -> Confidence:
    if score >= matcher.high:
        return Confidence.HIGH
    if score >= (matcher.threshold + matcher.high) / 2:
        return Confidence.MEDIUM
    return Confidence.LOW


def _needed(claim: Claim, matcher: Matcher) -> float:
    """The score a match needs. Calling a wrong claim "supported" misleads the most, so a
    claim graded supported or partly supported needs a medium-confidence match; below that
    the sentence is reported "not assessed" (read and flagged, never silently approved)."""
    if claim.grade in (Grade.SUPPORTED, Grade.PARTLY_SUPPORTED):
        return (matcher.threshold + matcher.high) / 2
    return matcher.threshold


_SAFETY_WORDS = re.compile(
    r"(?<![\w])(?:safe\w*|risk\w*|danger\w*|harm\w*|addict\w*|dependen\w+|overdos\w*)(?![\w])",
    re.IGNORECASE,
)


def _speaks_of_safety(claim: Claim) -> bool:
    return any(_SAFETY_WORDS.search(text) for text in claim.texts)


def _best(
    row: Matrix, found: frozenset[Topic], library: Library, sentence: str = ""
) -> tuple[float, int] | None:
    """The best-scoring claim whose required topics the sentence names. A sentence that also
    asserts safety or addiction is never matched to a supported claim that says nothing of
    safety: "works on opioid receptors, but without the risk of addiction" is a safety claim,
    and grading it by its true half would read as "supported"."""
    safety = bool(_SAFETY_WORDS.search(sentence))
    best: tuple[float, int] | None = None
    for number, claim in enumerate(library.claims):
        if not set(claim.requires) <= found:
            continue
        if safety and claim.grade is Grade.SUPPORTED and not _speaks_of_safety(claim):
            continue
        # prefer the claim that accounts for more of what the sentence names, and penalise
        # one that ignores a subject the sentence names (melatonin in a kratom sentence)
        ignored = len((found & SUBJECTS) - set(claim.topics))
        score = float(row[number]) * (1 + 0.05 * len(claim.requires)) * 0.75**ignored
        if best is None or score > best[0]:
            best = (score, number)
    return best


def classify(
    sentences: Sequence[Sentence], library: Library, matcher: Matcher
) -> list[SentenceResult]:
    """One result per sentence. A sentence counts as a health claim when it names one of our
    topics and either uses a claim cue or closely resembles a library claim (score at least
    the matcher's `gate`)."""
    topics = [topics_in(s.text) for s in sentences]
    named = [i for i, s in enumerate(sentences) if topics[i] and not is_question(s.text)]
    scores = matcher.scores([sentences[i].text for i in named])
    results = [
        SentenceResult(
            s,
            Status.NOT_ASSESSED
            if not topics[i] and is_outcome_claim(s.text)
            else Status.NOT_A_CLAIM,
            tuple(sorted(topics[i])),
        )
        for i, s in enumerate(sentences)
    ]
    for row, index in enumerate(named):
        sentence, found = sentences[index], topics[index]
        best = _best(scores[row], found, library, sentence.text)
        resembles = best is not None and best[0] >= matcher.gate
        if not (resembles or is_health_claim(sentence.text, found)):
            continue
        status, match = Status.NOT_ASSESSED, None
        if best is not None and best[0] >= _needed(library.claims[best[1]], matcher):
            claim = library.claims[best[1]]
            words = set(sentence.text.lower().split())
            closest = max(claim.texts, key=lambda t: len(set(t.lower().split()) & words))
            match = Match(
                claim=claim,
                score=round(min(best[0], 9.99), 3),
                confidence=_confidence(best[0], matcher),
                opposite=negated(sentence.text) != negated(closest),
            )
            status = Status.MATCHED
        results[index] = SentenceResult(sentence, status, tuple(sorted(found)), match)
    return results


def check_text(text: str, library: Library, matcher: Matcher) -> CheckReport:
    """Split `text`, find its health claims and grade each against the library."""
    results = classify(split_sentences(text), library, matcher)
    counts: dict[str, int] = {grade.value: 0 for grade in Grade}
    counts[Status.NOT_ASSESSED.value] = 0
    for result in results:
        if result.match is not None:
            counts[result.match.claim.grade.value] += 1
        elif result.status is Status.NOT_ASSESSED:
            counts[Status.NOT_ASSESSED.value] += 1
    return CheckReport(text=text, method=matcher.name, results=tuple(results), counts=counts)
