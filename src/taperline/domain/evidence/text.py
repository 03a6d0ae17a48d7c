"""Plain text into sentences, and which sentences make a health claim on our topics.

The "is this a health claim" gate is a software heuristic (UNVERIFIED as a classifier): a
sentence must name one of the library's topics AND use a claim cue (a verb or adjective that
asserts an effect, a benefit, safety or a recommendation). Sentences that pass the gate but
match no claim are reported as "not assessed", never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

from taperline.domain.evidence.model import Topic

MAX_SENTENCE = 1000  # characters; longer runs (tables, lists without stops) are cut here


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    text: str
    start: int  # offsets into the plain text the sentences came from
    end: int


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


_BLOCK = re.compile(r"[^\n]+(?:\n(?![ \t]*\n)(?![ \t]*(?:[-*•+]|\d+[.)])[ \t])[^\n]+)*")


def split_sentences(text: str) -> list[Sentence]:
    """Sentences in order, with offsets. Blank lines and list items always end a sentence."""
    sentences: list[Sentence] = []
    for block in _BLOCK.finditer(text):
        chunk = block.group(0)
        if not chunk.strip():
            continue
        # a line break inside a paragraph is a space (same length, so offsets hold)
        for span in _segmenter().segment(chunk.replace("\n", " ")):
            raw = str(span.sent)
            stripped = raw.strip()
            if not stripped:
                continue
            lead = len(raw) - len(raw.lstrip())
            start = block.start() + int(span.start) + lead
            for offset in range(0, len(stripped), MAX_SENTENCE):
                piece = stripped[offset : offset + MAX_SENTENCE]
                sentences.append(
                    Sentence(len(sentences), piece, start + offset, start + offset + len(piece))
                )
    return sentences


# -- topics ----------------------------------------------------------------------------------

_TOPIC_WORDS: dict[Topic, tuple[str, ...]] = {
    Topic.KRATOM: (
        r"kratom\w*",
        r"mitragyn\w*",
        r"7[- ]?oh",
        r"7[- ]?hydroxy\w*",
        r"ketum",
        r"kratom's",
        r"speciosa",
    ),
    Topic.SEVEN_OH: (r"7[- ]?oh", r"7[- ]?hydroxy\w*", r"seven[- ]oh"),
    Topic.MELATONIN: (r"melatonin\w*",),
    Topic.MAGNESIUM: (r"magnesium\w*", r"mag glycinate", r"epsom"),
    Topic.MOUD: (
        r"buprenorphine\w*",
        r"suboxone",
        r"subutex",
        r"sublocade",
        r"methadone",
        r"naltrexone",
        r"vivitrol",
        r"moud",
        r"mat",
        r"medication[- ]assisted",
        r"medications? for opioid use disorder",
        r"opioid (?:replacement|agonist|substitution) (?:therapy|treatment)",
        r"bupe",
        r"medications?",
    ),
    Topic.NALOXONE: (r"naloxone", r"narcan"),
    Topic.OPIOIDS: (
        r"opioids?",
        r"opiates?",
        r"opioid's",
        r"heroin",
        r"fentanyl",
        r"oxycodone",
        r"oxy",
        r"painkillers?",
        r"pain pills?",
        r"morphine",
    ),
    Topic.SEDATIVES: (
        r"alcohol",
        r"drinks?",
        r"drinking",
        r"wine",
        r"beers?",
        r"liquor",
        r"booze",
        r"benzo\w*",
        r"xanax",
        r"valium",
        r"klonopin",
        r"ativan",
        r"alprazolam",
        r"diazepam",
        r"clonazepam",
        r"lorazepam",
        r"gabapentin",
        r"neurontin",
        r"pregabalin",
        r"lyrica",
        r"sleeping pills?",
        r"sedatives?",
    ),
    Topic.TAPERING: (
        r"taper\w*",
        r"cold turkey",
        r"wean\w*",
        r"step(?:ping)? down",
        r"cut(?:ting)? (?:back|down)",
        r"reduc\w+ (?:the |your )?dose\w*",
        r"quit\w*",
        r"stop(?:ping|ped)? (?:all at once|abruptly|suddenly|overnight|immediately)",
        r"abrupt\w*",
        r"all at once",
        r"dose reductions?",
    ),
    Topic.WITHDRAWAL: (
        r"withdrawals?",
        r"w/?d",
        r"detox\w*",
        r"dope ?sick",
        r"cravings?",
        r"coming off",
        r"come off",
        r"getting off",
        r"get off",
        r"kick\w*",
        r"recovery",
        r"addiction",
        r"dependence",
        r"use disorder",
        r"sobriety",
        r"clean",
    ),
    Topic.SLEEP: (
        r"sleep\w*",
        r"asleep",
        r"insomnia",
        r"bed(?:time)?",
        r"night",
        r"nightly",
        r"rest(?:ful)?",
        r"drift off",
        r"nod off",
        r"doze\w*",
        r"slumber",
        r"sedati\w+",
        r"drows\w+",
    ),
    Topic.ANXIETY: (
        r"anxi\w+",
        r"stress\w*",
        r"nerves",
        r"nervous\w*",
        r"worr\w+",
        r"panic",
        r"calm\w*",
        r"tension",
        r"on edge",
    ),
    Topic.EXERCISE: (
        r"exercis\w*",
        r"work(?:ing)? ?outs?",
        r"physical activity",
        r"running",
        r"jogg\w+",
        r"walk\w*",
        r"gym",
        r"yoga",
        r"cardio",
        r"sweat\w*",
        r"lifting",
    ),
    Topic.MEDITATION: (r"meditat\w+", r"mindful\w*", r"breathwork"),
    Topic.COUNSELING: (
        r"counsel\w+",
        r"therap(?:y|ist|ists|ies)",
        r"cbt",
        r"psychotherapy",
        r"behaviou?ral[- ]health",
        r"talk(?:ing)? therapy",
    ),
    Topic.SUPPORT: (
        r"support groups?",
        r"peer support",
        r"support networks?",
        r"narcotics anonymous",
        r"na meetings?",
        r"12[- ]step",
        r"twelve[- ]step",
        r"sponsors?",
        r"meetings?",
        r"friends and family",
        r"family and friends",
        r"loved ones",
        r"community",
        r"fellowship",
    ),
}

_TOPIC_PATTERNS = {
    topic: re.compile(r"(?<![\w-])(?:" + "|".join(words) + r")(?![\w])", re.IGNORECASE)
    for topic, words in _TOPIC_WORDS.items()
}

# "medication(s)" alone names MOUD only next to an opioid word; a bare "medication" is too vague.
_BARE_MEDICATION = re.compile(r"^medications?$", re.IGNORECASE)


def topics_in(sentence: str) -> frozenset[Topic]:
    found = set()
    for topic, pattern in _TOPIC_PATTERNS.items():
        hits = [m.group(0) for m in pattern.finditer(sentence)]
        if topic is Topic.MOUD:
            hits = [
                h
                for h in hits
                if not _BARE_MEDICATION.match(h) or _TOPIC_PATTERNS[Topic.OPIOIDS].search(sentence)
            ]
        if hits:
            found.add(topic)
    return frozenset(found)


# -- the claim gate ---------------------------------------------------------------------------

_CUES = re.compile(
    r"(?<![\w])(?:"
    r"help\w*|improv\w*|reduc\w*|eas(?:e|es|ed|ing)|relie\w+|treat\w*|cur(?:e|es|ed|ing)|"
    r"heal\w*|boost\w*|enhanc\w*|amplif\w+|potentiat\w+|strengthen\w*|support\w*|promot\w*|"
    r"prevent\w*|protect\w*|restor\w*|fix\w*|calm\w*|soothe\w*|lower\w*|stop\w*|"
    r"block\w*|beat\w*|manag\w+|work(?:s|ed|ing)?|effective\w*|proven|approved|legal|"
    r"lawful|safe\w*|harmless|gentle|risk[- ]free|risky|dangerous|toxic|addictive|"
    r"habit[- ]forming|hooked|dependen\w+|non[- ]addictive|side effects?|synerg\w+|"
    r"combin\w+|pair\w*|stack\w*|mix\w*|together|complement\w*|contain\w*|rich in|"
    r"source of|packed with|full of|loaded with|natural\w*|should|must|need\w*|"
    r"recommend\w*|best|better|faster|deeper|fall asleep|act(?:s)? on|bind\w*|"
    r"activat\w+|agonist\w*|revers\w+|sav(?:e|es|ed|ing)|bring\w* (?:back|someone)|"
    r"undo\w*|accurate\w*|exactly|standardi[sz]ed|labell?ed|over[- ]the[- ]counter|"
    r"without a prescription|available|guarantee\w*|validated|clinically|"
    r"scientifically|studies show|research shows|doctors?|replace\w*|instead of|"
    r"alternative|substitute\w*|keeps? you|no withdrawal|can't|cannot|won't|"
    r"absorb\w*|bioavailab\w+|upper limit|too much|overdose\w*|as much as|"
    r"fine|okay|ok|good for|great for|perfect for|gold standard|cure-all|"
    r"lead\w* to|leads to|sweat out|all you need|can take|take\w*|detoxif\w+|"
    r"reliev\w+|kick|quit\w*|get off|get clean|stay clean|relapse|deliver\w*|secret|"
    r"deepen\w*|slow\w*|easier|tolerat\w+|get through|gets? you through|nod off|"
    r"no prescription|gives? you|makes? you|works? wonders|miracle|power\w*|"
    r"speed\w* up|faster|quicker|quickest|fastest|answer|solution|remedy|aid\w*"
    r")(?![\w])",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"(?<![\w-])(?:not|no|never|isn't|aren't|doesn't|don't|won't|can't|cannot|without|"
    r"nothing|none|non)(?![\w-])",
    re.IGNORECASE,
)
_QUESTION_ONLY = re.compile(r"\?\s*$")


def is_question(sentence: str) -> bool:
    return _QUESTION_ONLY.search(sentence) is not None


# A sentence that ties something taken or done to a health outcome is a claim even without a
# cue word ("During detox, melatonin is what finally lets you sleep").
SUBJECTS = frozenset(
    {
        Topic.KRATOM,
        Topic.SEVEN_OH,
        Topic.MELATONIN,
        Topic.MAGNESIUM,
        Topic.MOUD,
        Topic.NALOXONE,
        Topic.EXERCISE,
        Topic.MEDITATION,
        Topic.COUNSELING,
        Topic.SUPPORT,
    }
)
_OUTCOMES = frozenset({Topic.SLEEP, Topic.WITHDRAWAL, Topic.ANXIETY, Topic.OPIOIDS})


def is_health_claim(sentence: str, topics: frozenset[Topic]) -> bool:
    """A heuristic: names a topic and asserts something about it (not a bare question)."""
    if not topics or is_question(sentence):
        return False
    if topics & SUBJECTS and topics & _OUTCOMES:
        return True
    return _CUES.search(sentence) is not None or is_outcome_claim(sentence)


# A health claim can name none of our topics ("This ancient leaf boosts energy and
# immunity"): an outcome word with an assertion is still a claim, reported as not in the
# library rather than dropped.
_HEALTH_OUTCOMES = re.compile(
    r"(?<![\w])(?:energy|energi[sz]\w*|immun\w*|pain\w*|aches?|inflammat\w*|mood\w*|focus\w*|"
    r"concentrat\w*|libido|weight|metabolism|stress\w*|depress\w*|blood pressure|heart|"
    r"liver|digest\w*|gut|detox\w*|cancer|diabet\w*|cholesterol|wellness|well-being|"
    r"wellbeing|vitality|stamina|endurance|brain|memory|cognit\w*|headaches?|nausea|"
    r"cravings?|addiction|recovery|healing|health|healthy|insomnia|jitters|fatigue|serotonin|"
    r"dopamine|deaths?|fatal\w*)(?![\w])",
    re.IGNORECASE,
)
_ASSERTIONS = re.compile(
    r"(?<![\w])(?:boost\w*|improv\w*|support\w*|reduc\w*|reliev\w*|relief|cur(?:e|es|ed|ing)|"
    r"heal\w*|promot\w*|enhanc\w*|help\w*|eas(?:e|es|ed|ing)|fight\w*|protect\w*|"
    r"prevent\w*|treat\w*|lower\w*|increas\w*|balanc\w*|restor\w*|sharpen\w*|"
    r"eliminat\w*|banish\w*|melt\w*|burn\w*|strengthen\w*|clears?|cleans\w*|flush\w*|"
    r"proven|guarantee\w*|safe|harmless|lift\w*|uplift\w*|elevat\w*|releas\w*|linked|"
    r"(?:more|less|better) (?:energy|focus|fatigue|concentration|sleep|mood))(?![\w])",
    re.IGNORECASE,
)


def is_outcome_claim(sentence: str) -> bool:
    """A claim about a health outcome that names none of our topics (not a question)."""
    if is_question(sentence):
        return False
    return bool(_HEALTH_OUTCOMES.search(sentence) and _ASSERTIONS.search(sentence))


def negated(text: str) -> bool:
    return _NEGATION.search(text) is not None
