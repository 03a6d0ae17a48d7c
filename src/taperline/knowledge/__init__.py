"""Load and validate the safety knowledge base shipped in this folder.

Files (TOML), each entry cited against `references.toml`:
- references.toml   the sources: PMID / DOI / agency page, with a status
- substances.toml   substances with classes and aliases (brand and street names)
- rules.toml        dose limits, trends, taper pace, use and notice rules (with parameters)
- interactions.toml interaction pairs (substance, class or condition), from §G
- red_flags.toml    red-flag questions and what to do now, from §I
- crisis.toml       emergency, crisis-line and poison-control numbers per country
- claims.toml       the evidence library: graded claims (kratom, melatonin, magnesium, MOUD...)
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from taperline.domain.evidence.model import Claim, Grade, Library, Topic
from taperline.domain.safety.knowledge import (
    CrisisContacts,
    EvidenceStatus,
    Interaction,
    Knowledge,
    RedFlag,
    Reference,
    Rule,
    Severity,
    Substance,
)

FILES = (
    "references.toml",
    "substances.toml",
    "rules.toml",
    "interactions.toml",
    "red_flags.toml",
    "crisis.toml",
    "claims.toml",
)
PLACEHOLDERS = frozenset(
    {
        "emergency",
        "crisis_line",
        "crisis_line_name",
        "poison_control",
        "poison_control_name",
        "substances",
        "amount",
        "limit",
        "days",
        "spacing",
        "detail",
    }
)


class KnowledgeError(ValueError):
    """The knowledge base is malformed; raised at load time, never at check time."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferenceModel(_Strict):
    text: str = Field(min_length=10)
    url: str = ""
    pmid: str = ""
    doi: str = ""
    status: EvidenceStatus = EvidenceStatus.SOURCED
    note: str = ""


class SubstanceModel(_Strict):
    name: str
    classes: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(min_length=1)
    evidence_status: EvidenceStatus
    citations: list[str] = Field(min_length=1)
    note: str = ""

    @field_validator("aliases")
    @classmethod
    def _lower(cls, aliases: list[str]) -> list[str]:
        return [alias.strip().lower() for alias in aliases]


class RuleModel(_Strict):
    id: str = Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$")
    family: Literal["dose", "interaction", "red_flag", "trend", "taper", "use", "notice"]
    title: str
    severity: Severity
    person_message: str = Field(min_length=20)
    clinician_message: str = Field(min_length=20)
    citations: list[str] = Field(min_length=1)
    evidence_status: EvidenceStatus
    note: str = ""
    params: dict[str, Any] = Field(default_factory=dict)


class InteractionModel(RuleModel):
    a: str
    b: str
    mechanism: str
    spacing: str = ""


class RedFlagModel(RuleModel):
    question: str
    phrases: list[str] = Field(default_factory=list)  # words in a message that raise it
    phrase_citations: list[str] = Field(default_factory=list)
    phrase_note: str = ""


class CrisisModel(_Strict):
    emergency: str
    crisis_line: str
    poison_control: str
    crisis_line_name: str = ""
    poison_control_name: str = ""


class OverdoseModel(_Strict):
    steps: list[str] = Field(min_length=3)
    citations: list[str] = Field(min_length=1)


class ClaimModel(_Strict):
    """One claim of the evidence library: graded, explained and cited."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    statement: str = Field(min_length=10)
    grade: Grade
    topics: list[Topic] = Field(min_length=1)
    requires: list[Topic] = Field(min_length=1)
    summary: str = Field(min_length=20)
    explanation: str = Field(min_length=40)
    instead: str = ""
    citations: list[str] = Field(min_length=1)
    reviewed: dt.date
    phrasings: list[str] = Field(min_length=1)
    unverified: str = ""
    sources_silent: bool = False
    key: bool = False

    @field_validator("explanation")
    @classmethod
    def _two_to_four_sentences(cls, text: str) -> str:
        count = len([s for s in text.replace("e.g.", "eg").split(". ") if s.strip()])
        if not 2 <= count <= 4:
            raise ValueError(f"the explanation must be two to four sentences, not {count}")
        return text

    @model_validator(mode="after")
    def _consistent(self) -> ClaimModel:
        if not set(self.requires) <= set(self.topics):
            raise ValueError(f"claim {self.id}: requires must be a subset of topics")
        if self.sources_silent and self.grade is not Grade.NO_EVIDENCE:
            raise ValueError(
                f"claim {self.id}: where the sources are silent the grade is 'no evidence'"
            )
        if self.sources_silent and "silent" not in self.explanation:
            raise ValueError(f"claim {self.id}: the explanation must say the sources are silent")
        return self


def _to_claim(model: ClaimModel) -> Claim:
    return Claim(
        id=model.id,
        statement=model.statement.strip(),
        grade=model.grade,
        topics=tuple(model.topics),
        requires=tuple(model.requires),
        summary=model.summary.strip(),
        explanation=model.explanation.strip(),
        instead=model.instead.strip(),
        citations=tuple(model.citations),
        reviewed=model.reviewed,
        phrasings=tuple(p.strip() for p in model.phrasings),
        unverified=model.unverified.strip(),
        sources_silent=model.sources_silent,
        key=model.key,
    )


def _read(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise KnowledgeError(f"{name}: {error}") from None


def _to_rule(model: RuleModel) -> Rule:
    return Rule(
        id=model.id,
        family=model.family,
        title=model.title,
        severity=model.severity,
        person_message=model.person_message.strip(),
        clinician_message=model.clinician_message.strip(),
        citations=tuple(model.citations),
        evidence_status=model.evidence_status,
        note=model.note,
        params=dict(model.params),
    )


def parse(documents: dict[str, dict[str, Any]]) -> Knowledge:
    """Validate raw TOML documents (file name -> data) into a Knowledge; pure, for tests too."""
    try:
        references = {
            key: Reference(id=key, **ReferenceModel.model_validate(value).model_dump())
            for key, value in documents["references.toml"]["references"].items()
        }
        substances: dict[str, Substance] = {}
        for key, value in documents["substances.toml"]["substances"].items():
            model = SubstanceModel.model_validate(value)
            substances[key] = Substance(
                id=key,
                name=model.name,
                classes=tuple(model.classes),
                aliases=tuple(model.aliases),
                evidence_status=model.evidence_status,
                citations=tuple(model.citations),
                note=model.note,
            )
        rules = [_to_rule(RuleModel.model_validate(r)) for r in documents["rules.toml"]["rules"]]
        interactions = []
        for raw in documents["interactions.toml"]["interactions"]:
            pair = InteractionModel.model_validate(raw)
            interactions.append(
                Interaction(
                    rule=_to_rule(pair),
                    a=pair.a,
                    b=pair.b,
                    mechanism=pair.mechanism,
                    spacing=pair.spacing,
                )
            )
        red_flags = []
        for raw in documents["red_flags.toml"]["red_flags"]:
            flag = RedFlagModel.model_validate(raw)
            red_flags.append(
                RedFlag(
                    rule=_to_rule(flag),
                    question=flag.question,
                    phrases=tuple(p.strip() for p in flag.phrases),
                    phrase_citations=tuple(flag.phrase_citations),
                    phrase_note=flag.phrase_note.strip(),
                )
            )
        crisis = {
            country: CrisisContacts(
                country=country, **CrisisModel.model_validate(value).model_dump()
            )
            for country, value in documents["crisis.toml"]["countries"].items()
        }
        overdose = OverdoseModel.model_validate(documents["crisis.toml"]["overdose"])
        claims = [
            _to_claim(ClaimModel.model_validate(raw))
            for raw in documents.get("claims.toml", {}).get("claims", [])
        ]
        version = str(documents["references.toml"].get("version", "unversioned"))
    except (KeyError, TypeError, ValueError) as error:
        raise KnowledgeError(f"the knowledge base does not validate: {error}") from None

    all_rules = rules + [i.rule for i in interactions] + [f.rule for f in red_flags]
    knowledge = Knowledge(
        version=version,
        references=references,
        substances=substances,
        rules={rule.id: rule for rule in all_rules},
        interactions=tuple(interactions),
        red_flags=tuple(red_flags),
        crisis=crisis,
        overdose_steps=tuple(overdose.steps),
        overdose_citations=tuple(overdose.citations),
        library=Library(tuple(claims)),
    )
    duplicate_claims = len(claims) - len({c.id for c in claims})
    problems = check(knowledge, duplicate_ids=len(all_rules) - len(knowledge.rules))
    if duplicate_claims:
        problems.append(f"{duplicate_claims} claim id(s) defined twice")
    if problems:
        raise KnowledgeError("; ".join(problems))
    return knowledge


def check(knowledge: Knowledge, duplicate_ids: int = 0) -> list[str]:
    """Cross-file checks: citations resolve, every reference is used, selectors resolve."""
    problems: list[str] = []
    if duplicate_ids:
        problems.append(f"{duplicate_ids} rule id(s) defined twice")
    used: set[str] = set()
    cited = [(f"substance {s.id}", s.citations) for s in knowledge.substances.values()]
    cited += [(f"rule {r.id}", r.citations) for r in knowledge.rules.values()]
    cited += [(f"claim {c.id}", c.citations) for c in knowledge.library.claims]
    cited += [("crisis.toml overdose", knowledge.overdose_citations)]
    cited += [(f"red flag {f.rule.id} phrases", f.phrase_citations) for f in knowledge.red_flags]
    for owner, citations in cited:
        for citation in citations:
            if citation not in knowledge.references:
                problems.append(f"{owner} cites unknown reference '{citation}'")
            used.add(citation)
    unused = sorted(set(knowledge.references) - used)
    if unused:
        problems.append(f"references defined but never cited: {', '.join(unused)}")
    classes = {c for s in knowledge.substances.values() for c in s.classes}
    from taperline.domain.types import Condition

    conditions = {c.value for c in Condition}
    for interaction in knowledge.interactions:
        for selector in (interaction.a, interaction.b):
            kind, _, name = selector.partition(":")
            if (
                (not name and selector not in knowledge.substances)
                or (kind == "class" and name not in classes)
                or (kind == "condition" and name not in conditions)
                or (name and kind not in ("class", "condition"))
            ):
                problems.append(f"{interaction.rule.id}: '{selector}' matches nothing")
    for rule in knowledge.rules.values():
        for text in (rule.person_message, rule.clinician_message):
            for name in _placeholders(text):
                if name not in PLACEHOLDERS:
                    problems.append(f"{rule.id}: unknown placeholder {{{name}}}")
    seen: dict[str, str] = {}
    for substance in knowledge.substances.values():
        for alias in substance.aliases:
            if alias in seen and seen[alias] != substance.id:
                problems.append(f"alias '{alias}' names both {seen[alias]} and {substance.id}")
            seen[alias] = substance.id
    for step in knowledge.overdose_steps:
        for name in _placeholders(step):
            if name not in PLACEHOLDERS:
                problems.append(f"crisis.toml overdose: unknown placeholder {{{name}}}")
    if "US" not in knowledge.crisis:
        problems.append("crisis.toml needs the US defaults")
    return problems


def _placeholders(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@lru_cache(maxsize=1)
def load() -> Knowledge:
    """The shipped knowledge base, validated once per process."""
    return parse({name: _read(name) for name in FILES})
