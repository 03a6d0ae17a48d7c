"""Enumerations and value objects shared across the domain."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from taperline.domain.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)


class Role(StrEnum):
    """What an account is for. One account has one role."""

    PERSON = "person"  # a person in recovery
    CLINICIAN = "clinician"
    ADMIN = "admin"  # a clinic admin: manages accounts, does not read health data
    SUPPORTER = "supporter"  # in a person's support circle: sees only what the person shares


class Category(StrEnum):
    """The kinds of regimen item and dose log entry."""

    KRATOM = "kratom"
    MOUD = "moud"  # a medication for opioid use disorder
    MELATONIN = "melatonin"
    MAGNESIUM = "magnesium"
    OTHER_MEDICATION = "other_medication"


class KratomForm(StrEnum):
    LEAF_POWDER = "leaf_powder"
    CAPSULES = "capsules"
    EXTRACT = "extract"  # extracts and concentrates, liquid shots included
    SEVEN_OH = "seven_oh"  # concentrated 7-hydroxymitragynine ("7-OH") products


class MoudMedication(StrEnum):
    BUPRENORPHINE = "buprenorphine"
    BUPRENORPHINE_NALOXONE = "buprenorphine_naloxone"
    METHADONE = "methadone"
    NALTREXONE = "naltrexone"


class MagnesiumForm(StrEnum):
    """Magnesium salts named by the NIH ODS fact sheet, and glycinate (common on labels)."""

    CITRATE = "citrate"
    GLYCINATE = "glycinate"
    OXIDE = "oxide"
    CHLORIDE = "chloride"
    LACTATE = "lactate"
    ASPARTATE = "aspartate"
    SULFATE = "sulfate"
    OTHER = "other"


class Condition(StrEnum):
    """Conditions in a person's safety profile that the safety rules read."""

    KIDNEY_DISEASE = "kidney_disease"
    LIVER_DISEASE = "liver_disease"
    SEIZURE_HISTORY = "seizure_history"
    PREGNANCY = "pregnancy"
    BREASTFEEDING = "breastfeeding"
    HEART_RHYTHM_PROBLEM = "heart_rhythm_problem"  # for example a long QT interval
    BREATHING_PROBLEM = "breathing_problem"  # for example COPD or sleep apnoea


class CheckinKind(StrEnum):
    DAILY = "daily"  # filled in by the person
    VISIT = "visit"  # recorded by a clinician at a visit (COWS)


def parse_enum(kind: type[E], value: object, *, field: str) -> E:
    """Read an enum value, with an error that lists what is allowed."""
    text = str(value).strip().lower() if value is not None else ""
    for member in kind:
        if member.value == text:
            return member
    allowed = ", ".join(member.value for member in kind)
    raise InvalidInput(field, f"'{value}' is not one of: {allowed}")
