"""The check-in form: which fields the page shows (from the instruments), how the posted
form becomes a check-in submission, and which form field a service error points at. Pure of
I/O: the pages in routes/person.py call it."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Depends, Request

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import ItemScale
from taperline.domain.instruments.sleep_diary import SLEEP_DIARY, AnswerKind, DiaryItem
from taperline.knowledge import load
from taperline.schemas import parse
from taperline.schemas.checkins import CheckinCreate
from taperline.services.consent import CHECKIN_STEPS, OPTIONAL_INSTRUMENTS, STEP_INSTRUMENTS

KRATOM_ROWS = 3
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,100}")
HANDLE_PATTERN = re.compile(r"[a-z0-9_.-]{1,100}")
NOTE_LIMIT = 2000
VALUE_LIMIT = 100
EARLIEST_DATE = dt.date(2000, 1, 1)  # older dates are typing mistakes, not check-ins
LARGEST_AMOUNT = Decimal(1_000_000)  # a sanity bound on typed numbers, not a dose limit
WHOLE = re.compile(r"[0-9]{1,6}")
SLEEP_LABELS = {
    "into_bed": "Into bed",
    "tried_to_sleep": "Tried to sleep",
    "sleep_onset_minutes": "Time to fall asleep",
    "awakenings": "Times you woke up",
    "awake_minutes": "Time awake",
    "final_awakening": "Final awakening",
    "out_of_bed": "Out of bed",
    "quality": "Sleep quality",
}


# -- the check-in form's fields ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RedFlagQuestion:
    name: str  # the form field
    rule_id: str
    question: str


@dataclass(frozen=True, slots=True)
class FormSpec:
    """Every field of the web check-in, by step, with the texts the templates show."""

    scales: Mapping[str, ItemScale]  # craving, sows, phq9, gad7
    sleep_items: tuple[DiaryItem, ...]
    red_flags: tuple[RedFlagQuestion, ...]
    step_fields: Mapping[str, tuple[str, ...]]
    labels: Mapping[str, str]

    @property
    def all_fields(self) -> frozenset[str]:
        return frozenset(name for names in self.step_fields.values() for name in names)

    def step_of(self, field: str) -> str | None:
        return next((s for s, names in self.step_fields.items() if field in names), None)


def _scale(instrument_id: str) -> ItemScale:
    scale = registry.get(instrument_id)
    assert isinstance(scale, ItemScale)
    return scale


@functools.cache
def form_spec() -> FormSpec:
    scales = {i: _scale(i) for i in ("craving", "sows", "phq9", "gad7")}
    sleep_items = tuple(item for item in SLEEP_DIARY.items if item.required)
    red_flags = tuple(
        RedFlagQuestion(
            "flag_" + flag.rule.id.removeprefix("red_flag.").replace(".", "_"),
            flag.rule.id,
            flag.question,
        )
        for flag in load().red_flags
    )
    labels: dict[str, str] = {"date": "Date", "note": "Anything else"}
    doses: list[str] = ["date"]
    for row in range(1, KRATOM_ROWS + 1):
        for part in ("form", "amount", "unit", "time"):
            doses.append(f"kratom_{row}_{part}")
            labels[f"kratom_{row}_{part}"] = f"Kratom dose {row}, {part}"
    for name in ("melatonin_amount", "melatonin_time"):
        doses.append(name)
        labels[name] = "Melatonin " + name.split("_")[1]
    for name in ("magnesium_form", "magnesium_amount", "magnesium_time"):
        doses.append(name)
        labels[name] = "Magnesium " + name.split("_")[1]
    step_fields: dict[str, tuple[str, ...]] = {"doses": tuple(doses)}
    for step, instrument_ids in STEP_INSTRUMENTS.items():
        names: list[str] = []
        for instrument_id in instrument_ids:
            if instrument_id == "sleep_diary":
                for sleep_item in sleep_items:
                    names.append(f"sleep_{sleep_item.key}")
                    labels[f"sleep_{sleep_item.key}"] = SLEEP_LABELS.get(
                        sleep_item.key, sleep_item.key
                    )
                continue
            # Two questionnaires share the weekly step: name which one.
            prefix = f"{scales[instrument_id].name} item" if step == "weekly" else "Item"
            for item in scales[instrument_id].items:
                names.append(f"{instrument_id}_{item.number}")
                labels[f"{instrument_id}_{item.number}"] = f"{prefix} {item.number}"
        step_fields[step] = tuple(names)
    activities = ("exercise_minutes", "meditation_minutes", "counseling", "support_meeting", "note")
    labels.update(
        exercise_minutes="Exercise minutes",
        meditation_minutes="Meditation minutes",
        counseling="Counseling session",
        support_meeting="Support meeting",
        used_non_prescribed_opioids="Opioids not prescribed to you",
    )
    step_fields["activities"] = activities
    step_fields["safety"] = (*(f.name for f in red_flags), "used_non_prescribed_opioids")
    for flag in red_flags:
        labels[flag.name] = "This safety question"
    ordered = {step: step_fields[step] for step in CHECKIN_STEPS}
    return FormSpec(scales, sleep_items, red_flags, ordered, labels)


async def form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(form_fields)]


def form_values(form: Mapping[str, str], spec: FormSpec) -> dict[str, str]:
    """The known answers of the posted form, trimmed; everything else is dropped."""
    values: dict[str, str] = {}
    for name in spec.all_fields | {"weekly_due"}:
        if name in form:
            limit = NOTE_LIMIT if name == "note" else VALUE_LIMIT
            values[name] = form[name].strip()[:limit]
    return values


# -- parsing the form into a check-in ----------------------------------------------------


def _date(values: Mapping[str, str]) -> dt.date:
    text = values.get("date", "")
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("date", f"'{text}' is not a date like 2026-03-14") from None
    if date < EARLIEST_DATE:
        raise InvalidInput("date", f"{text} is too far in the past")
    return date


def _time(values: Mapping[str, str], name: str) -> str | None:
    text = values.get(name, "")
    if not text:
        return None
    try:
        return dt.time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        raise InvalidInput(name, f"'{text}' is not a time like 08:30") from None


def _amount(values: Mapping[str, str], name: str) -> Decimal:
    text = values.get(name, "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(name, f"'{text}' is not a number") from None
    if not number.is_finite() or number < 0:
        raise InvalidInput(name, "must be a number, zero or more")
    if number >= LARGEST_AMOUNT:
        raise InvalidInput(name, f"{text} is too large")
    return number


def _minutes(values: Mapping[str, str], name: str) -> int | None:
    text = values.get(name, "")
    if not text:
        return None
    if not WHOLE.fullmatch(text) or int(text) > 1440:
        raise InvalidInput(name, "give a number of minutes from 0 to 1440")
    return int(text)


def _yes_no(values: Mapping[str, str], name: str, *, required: bool) -> bool | None:
    text = values.get(name, "")
    if text in ("yes", "no"):
        return text == "yes"
    if text or required:
        raise InvalidInput(name, "please answer yes or no")
    return None


def _doses(values: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The doses given, and the form prefix of each (to name a problem's field)."""
    doses: list[dict[str, Any]] = []
    prefixes: list[str] = []
    for row in range(1, KRATOM_ROWS + 1):
        prefix = f"kratom_{row}"
        if values.get(f"{prefix}_amount"):
            doses.append(
                {
                    "category": "kratom",
                    "form": values.get(f"{prefix}_form") or None,
                    "amount": _amount(values, f"{prefix}_amount"),
                    "unit": values.get(f"{prefix}_unit") or "g",
                    "time": _time(values, f"{prefix}_time"),
                }
            )
            prefixes.append(prefix)
    for category in ("melatonin", "magnesium"):
        if values.get(f"{category}_amount"):
            dose: dict[str, Any] = {
                "category": category,
                "amount": _amount(values, f"{category}_amount"),
                "unit": "mg",
                "time": _time(values, f"{category}_time"),
            }
            if category == "magnesium" and values.get("magnesium_form"):
                dose["form"] = values["magnesium_form"]
            doses.append(dose)
            prefixes.append(category)
    return doses, prefixes


def _answer(values: Mapping[str, str], name: str, *, number: bool = True) -> str | None:
    """One answer as given; a number must be written in the digits 0-9."""
    text = values.get(name, "")
    if not text:
        return None
    if number and not WHOLE.fullmatch(text):
        raise InvalidInput(name, f"'{text}' is not one of the answers (use a whole number)")
    return text


def _answers(values: Mapping[str, str], instrument_id: str, spec: FormSpec) -> object:
    if instrument_id == "sleep_diary":
        return {
            item.key: _answer(values, f"sleep_{item.key}", number=item.kind != AnswerKind.CLOCK)
            for item in spec.sleep_items
        }
    return [
        _answer(values, f"{instrument_id}_{item.number}")
        for item in spec.scales[instrument_id].items
    ]


def _skipped(values: Mapping[str, str], instrument_id: str, spec: FormSpec) -> bool:
    """The sleep diary may be left empty as a whole: then it is not part of the check-in."""
    if instrument_id not in OPTIONAL_INSTRUMENTS:
        return False
    return not any(values.get(f"sleep_{item.key}") for item in spec.sleep_items)


def submission_from(
    values: Mapping[str, str], upto: str, key: str, spec: FormSpec
) -> tuple[CheckinCreate, list[str]]:
    """The check-in as far as step `upto`, in the shape the services take."""
    reached = CHECKIN_STEPS[: CHECKIN_STEPS.index(upto) + 1]
    doses, prefixes = _doses(values)
    data: dict[str, Any] = {
        "date": _date(values),
        "kind": "daily",
        "idempotency_key": key,
        "doses": doses,
        "responses": {
            instrument_id: _answers(values, instrument_id, spec)
            for step in reached
            for instrument_id in STEP_INSTRUMENTS.get(step, ())
            if not _skipped(values, instrument_id, spec)
        },
    }
    if "activities" in reached:
        data["activities"] = {
            "exercise_minutes": _minutes(values, "exercise_minutes"),
            "meditation_minutes": _minutes(values, "meditation_minutes"),
            "counseling": _yes_no(values, "counseling", required=False),
            "support_meeting": _yes_no(values, "support_meeting", required=False),
        }
        data["note"] = values.get("note", "")
    if "safety" in reached:
        data["red_flags"] = [
            flag.rule_id for flag in spec.red_flags if _yes_no(values, flag.name, required=True)
        ]
        data["used_non_prescribed_opioids"] = bool(
            _yes_no(values, "used_non_prescribed_opioids", required=True)
        )
    return parse(CheckinCreate, data), prefixes


# -- naming a problem's field on the form ------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldError:
    name: str  # the form field, or "" when the problem is not one field's
    step: str
    message: str


_DOSE_FIELD = re.compile(r"doses\[(\d+)\](?:\.(\w+))?(?:\.\w+)*")
_RESPONSE_FIELD = re.compile(r"responses\.(\w+)(?:\.(.+))?")


def _form_field(field: str, prefixes: list[str], spec: FormSpec) -> str | None:
    if field in spec.all_fields:
        return field
    if match := _DOSE_FIELD.fullmatch(field):
        index, part = int(match.group(1)), match.group(2) or "amount"
        if index >= len(prefixes):
            return None
        prefix = prefixes[index]
        if part == "date":
            return "date"
        name = f"{prefix}_{part}"
        return name if name in spec.all_fields else f"{prefix}_amount"
    if match := _RESPONSE_FIELD.fullmatch(field):
        instrument_id, rest = match.group(1), match.group(2) or ""
        if instrument_id == "sleep_diary":
            name = f"sleep_{rest}"
            return name if name in spec.all_fields else f"sleep_{spec.sleep_items[0].key}"
        if instrument_id in spec.scales:
            number = rest.removeprefix("item ").strip()
            name = f"{instrument_id}_{number}"
            return name if name in spec.all_fields else f"{instrument_id}_1"
        return None
    if field.startswith("activities."):
        name = field.removeprefix("activities.")
        return name if name in spec.all_fields else None
    return None


def field_error(
    error: InvalidInput, prefixes: list[str], spec: FormSpec, current: str
) -> FieldError:
    name = _form_field(error.field, prefixes, spec)
    problem = error.problem[:1].upper() + error.problem[1:]
    if name is None:
        return FieldError("", current, problem)
    step = spec.step_of(name) or current
    return FieldError(name, step, f"{spec.labels.get(name, name)}: {error.problem}")
