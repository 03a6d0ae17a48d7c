"""Interactive check-in: one question at a time, each answer checked as it is typed."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import ItemScale
from taperline.domain.types import KratomForm, MagnesiumForm, parse_enum
from taperline.domain.units import Amount
from taperline.knowledge import load

T = TypeVar("T")


def ask(text: str, parse: Callable[[str], T], default: str | None = None) -> T:
    """Ask until the answer parses; say what was wrong each time."""
    while True:
        raw = typer.prompt(text, default=default, show_default=default is not None)
        try:
            return parse(str(raw))
        except InvalidInput as error:
            typer.echo(f"  Sorry — {error.problem}. Please try again.", err=True)


def yes(text: str, default: bool = False) -> bool:
    return bool(typer.confirm(text, default=default))


def _date(today: dt.date) -> Callable[[str], dt.date]:
    def parse(text: str) -> dt.date:
        try:
            value = dt.date.fromisoformat(text.strip())
        except ValueError:
            raise InvalidInput("date", f"'{text}' is not a date like {today.isoformat()}") from None
        if value > today:
            raise InvalidInput("date", "that date is in the future")
        return value

    return parse


def _clock(text: str) -> str:
    text = text.strip()
    try:
        return dt.time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        raise InvalidInput("time", f"'{text}' is not a time like 07:30 or 22:15") from None


def _optional_clock(text: str) -> str | None:
    return None if text.strip() in ("", "-") else _clock(text)


def _amount(unit: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        amount = Amount.parse(text, unit)
        if amount.value == 0:
            raise InvalidInput("amount", "must be more than zero")
        return format(amount.value.normalize(), "f")

    return parse


def _scale_answers(scale: ItemScale) -> list[int | None]:
    typer.echo(f"\n{scale.name}. {scale.instructions}")
    labels = ", ".join(f"{o.value} = {o.label}" for o in scale.items[0].options)
    typer.echo(f"Answer with a number: {labels}")
    answers: list[int | None] = []
    for item in scale.items:
        if not item.required:
            continue

        def parse(text: str, item_values: tuple[int, ...] = item.values) -> int:
            if not _digits(text) or int(text) not in item_values:
                low, high = min(item_values), max(item_values)
                raise InvalidInput("answer", f"answer with a whole number from {low} to {high}")
            return int(text)

        answers.append(ask(f"{item.number}. {item.text}", parse))
    return answers


def _doses(
    category: str, forms: type[KratomForm] | type[MagnesiumForm] | None, default_unit: str
) -> list[dict[str, Any]]:
    doses: list[dict[str, Any]] = []
    while True:
        dose: dict[str, Any] = {"category": category}
        if forms is not None:
            names = ", ".join(f.value for f in forms)
            dose["form"] = ask(
                f"  Form ({names})",
                lambda t: parse_enum(forms, t, field="form").value,
                default=next(iter(forms)).value,
            )
        unit = "capsule" if dose.get("form") == KratomForm.CAPSULES.value else default_unit
        dose["unit"] = unit
        dose["amount"] = ask(f"  How much, in {unit}?", _amount(unit))
        time = ask("  At what time? (HH:MM, or '-' if unsure)", _optional_clock, default="-")
        if time:
            dose["time"] = time
        doses.append(dose)
        if not yes("  Another dose of this?"):
            return doses


def ask_checkin(today: dt.date) -> dict[str, Any]:
    """Walk through a daily check-in and return it in the --input JSON shape."""
    data: dict[str, Any] = {"kind": "daily", "doses": [], "responses": {}}
    data["date"] = ask(
        "Which day is this check-in for?", _date(today), default=today.isoformat()
    ).isoformat()

    if yes("Did you take kratom that day?"):
        data["doses"] += _doses("kratom", KratomForm, "g")
    if yes("Did you take melatonin?"):
        data["doses"] += _doses("melatonin", None, "mg")
    if yes("Did you take magnesium?"):
        data["doses"] += _doses("magnesium", MagnesiumForm, "mg")

    craving = registry.get("craving")
    assert isinstance(craving, ItemScale)
    typer.echo("\nCraving, from 0 (none) to 10 (extreme).")
    data["responses"]["craving"] = [
        ask(item.text, functools.partial(_in, values=item.values)) for item in craving.items
    ]

    if yes("\nAnswer the withdrawal questions (SOWS) now?", default=True):
        sows = registry.get("sows")
        assert isinstance(sows, ItemScale)
        data["responses"]["sows"] = _scale_answers(sows)

    if yes("\nFill in last night's sleep diary?", default=True):
        data["responses"]["sleep_diary"] = _sleep_diary()

    if yes("\nAnswer this week's mood and anxiety questionnaires (PHQ-9 and GAD-7)?"):
        for instrument_id in ("phq9", "gad7"):
            scale = registry.get(instrument_id)
            assert isinstance(scale, ItemScale)
            data["responses"][instrument_id] = _scale_answers(scale)

    activities: dict[str, Any] = {}
    if yes("\nDid you exercise?"):
        activities["exercise_minutes"] = ask("  For how many minutes?", _minutes)
    if yes("Did you meditate?"):
        activities["meditation_minutes"] = ask("  For how many minutes?", _minutes)
    if yes("Did you have a counseling session?"):
        activities["counseling"] = True
    if yes("Did you go to a support meeting?"):
        activities["support_meeting"] = True
    if activities:
        data["activities"] = activities

    typer.echo(
        "\nA few safety questions. Answer yes if any of these happened since your last check-in."
    )
    flags = [flag for flag in load().red_flags if yes(flag.question)]
    if flags:
        data["red_flags"] = [flag.rule.id for flag in flags]
    if yes("Did you use any opioid that was not prescribed to you?"):
        data["used_non_prescribed_opioids"] = True

    note = typer.prompt(
        "\nAnything else you want your clinician to know? (Enter to skip)",
        default="",
        show_default=False,
    )
    if note.strip():
        data["note"] = note.strip()
    return data


def _in(text: str, values: tuple[int, ...]) -> int:
    if not _digits(text) or int(text) not in values:
        raise InvalidInput(
            "answer", f"answer with a whole number from {min(values)} to {max(values)}"
        )
    return int(text)


_SLEEP_QUESTIONS = (
    ("into_bed", "What time did you get into bed? (HH:MM)", _clock),
    ("tried_to_sleep", "What time did you try to go to sleep?", _clock),
    ("sleep_onset_minutes", "How long did it take you to fall asleep? (minutes)", None),
    ("awakenings", "How many times did you wake up, not counting your final awakening?", None),
    ("awake_minutes", "In total, how long did these awakenings last? (minutes)", None),
    ("final_awakening", "What time was your final awakening?", _clock),
    ("out_of_bed", "What time did you get out of bed for the day?", _clock),
    ("quality", "How would you rate the quality of your sleep? (1 very poor … 5 very good)", None),
)


def _minutes(text: str) -> int:
    if not _digits(text) or not 0 <= int(text) <= 1440:
        raise InvalidInput("minutes", "answer with a number of minutes from 0 to 1440")
    return int(text)


def _digits(text: str) -> bool:
    """Plain ASCII digits only ("²" passes str.isdigit but not int())."""
    stripped = text.strip()
    return stripped.isascii() and stripped.isdigit()


def _whole(text: str) -> int:
    if not _digits(text):
        raise InvalidInput("answer", "answer with a whole number")
    return int(text)


def _sleep_diary() -> dict[str, Any]:
    diary_instrument = registry.get("sleep_diary")
    diary: dict[str, Any] = {}
    pending = [key for key, _, _ in _SLEEP_QUESTIONS]
    questions = {key: (text, parse or _whole) for key, text, parse in _SLEEP_QUESTIONS}
    while True:
        for key in pending:
            text, parse = questions[key]
            diary[key] = ask(text, parse)
        try:
            diary_instrument.score(diary)
            return diary
        except InvalidInput as error:
            typer.echo(f"  That diary does not add up — {error.field}: {error.problem}.", err=True)
            pending = [error.field] if error.field in questions else list(questions)
