"""Turn a check-in submission into validated doses and scored responses. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from taperline.domain.doses import DoseEntry, make_dose
from taperline.domain.errors import InvalidInput
from taperline.domain.instruments import registry
from taperline.domain.instruments.base import Rater, Score
from taperline.domain.types import CheckinKind
from taperline.domain.units import Amount

MAX_BACKFILL_DAYS = 3653  # about ten years


@dataclass(frozen=True, slots=True)
class DoseInput:
    category: str
    form: str | None
    product: str
    amount: Amount
    taken_on: dt.date | None
    taken_time: dt.time | None


@dataclass(frozen=True, slots=True)
class PreparedCheckin:
    kind: CheckinKind
    checkin_date: dt.date
    doses: tuple[DoseEntry, ...]
    scores: tuple[Score, ...]
    note: str

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(flag for score in self.scores for flag in score.flags)


def prepare_checkin(
    *,
    kind: CheckinKind,
    checkin_date: dt.date,
    person_today: dt.date,
    responses: Mapping[str, object],
    doses: Sequence[DoseInput],
    note: str,
    rated_by_clinician: bool,
) -> PreparedCheckin:
    """Validate everything before anything is stored; the first problem names its field."""
    if checkin_date > person_today:
        raise InvalidInput(
            "date", f"{checkin_date.isoformat()} is in the future (today is {person_today})"
        )
    if checkin_date < person_today - dt.timedelta(days=MAX_BACKFILL_DAYS):
        raise InvalidInput("date", f"{checkin_date.isoformat()} is more than 10 years ago")
    if kind is CheckinKind.VISIT and not rated_by_clinician:
        raise InvalidInput("kind", "visit check-ins are recorded by a clinician")

    scores: list[Score] = []
    seen: dict[str, str] = {}
    for instrument_id, answers in responses.items():
        field = f"responses.{instrument_id}"
        try:
            instrument = registry.get(instrument_id)
        except InvalidInput as error:
            raise InvalidInput(field, error.problem) from None
        if instrument.id in seen:
            raise InvalidInput(
                field,
                f"{instrument.name} is answered twice (also as '{seen[instrument.id]}'); "
                "give each questionnaire once",
            )
        seen[instrument.id] = instrument_id
        if instrument.rater is Rater.CLINICIAN and kind is not CheckinKind.VISIT:
            raise InvalidInput(
                field, f"{instrument.name} is rated by a clinician at a visit (kind 'visit')"
            )
        try:
            scores.append(instrument.score(answers))
        except InvalidInput as error:
            raise InvalidInput(f"{field}.{error.field}", error.problem) from None

    entries: list[DoseEntry] = []
    for index, dose in enumerate(doses):
        field = f"doses[{index}]"
        taken_on = dose.taken_on or checkin_date
        if taken_on > person_today:
            raise InvalidInput(f"{field}.date", f"{taken_on.isoformat()} is in the future")
        entries.append(
            make_dose(
                category=dose.category,
                form=dose.form,
                product=dose.product,
                amount=dose.amount,
                taken_on=taken_on,
                taken_time=dose.taken_time,
                field=field,
            )
        )

    if not scores and not entries and not note.strip():
        raise InvalidInput("responses", "a check-in needs at least one answer, dose or note")
    return PreparedCheckin(
        kind=kind,
        checkin_date=checkin_date,
        doses=tuple(entries),
        scores=tuple(scores),
        note=note.strip(),
    )
