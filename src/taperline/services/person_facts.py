"""What the safety engine reads about a person, and the one statement a check-in makes to read
it (issue 19: every statement on the check-in path costs about 0.1 ms of SQLAlchemy's work).

`check_in_subject` reads the person by handle and, in the same row:
- whether they are enrolled in the clinic's rewards;
- their approved plan's content, as the database's JSON text (parsed once per document by
  `stored_content`);
- their safety profile: conditions and current medicines;
- what is stored in the 21 days the check-in is judged over: its check-ins with their trend
  scores, and its doses.

Each of the lists comes as a JSON array the database builds.

It runs before the check-in's own rows go in; `joined` adds them to the window, so the window
is never read again. Statements are built once per dialect, from plain table columns with
bound parameters, so no statement is constructed per check-in. Other callers read the same
facts one at a time: `profile_of`, `approved_content`, `window_of`, `history_of`, `day_doses`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    BindParameter,
    Boolean,
    Text,
    bindparam,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from taperline.db.models import (
    Checkin,
    DoseLog,
    InstrumentResponse,
    Medication,
    PersonCondition,
    PlanVersion,
    RewardEnrolment,
    User,
)
from taperline.domain.checkins import PreparedCheckin
from taperline.domain.doses import DoseEntry, from_thousandths, to_thousandths
from taperline.domain.errors import NotFound
from taperline.domain.plans import PlanContent
from taperline.domain.safety.context import DayRecord, MedicationFact, Profile
from taperline.domain.types import Category, CheckinKind, Condition
from taperline.domain.units import Dimension, Unit
from taperline.schemas.plans import stored_content

HISTORY_DAYS = 21
APPROVED = "approved"

_checkins = Checkin.__table__.c
_responses = InstrumentResponse.__table__.c
_doses = DoseLog.__table__.c
_plans = PlanVersion.__table__.c
_conditions = PersonCondition.__table__.c
_medicines = Medication.__table__.c
_PERSON: BindParameter[int] = bindparam("person_id")
_SINCE: BindParameter[dt.date] = bindparam("since")
_UNTIL: BindParameter[dt.date] = bindparam("until")
_DAY: BindParameter[dt.date] = bindparam("day")


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the safety engine judges a check-in against, besides its history."""

    content: PlanContent | None  # the approved plan, or None
    profile: Profile


@dataclass(frozen=True, slots=True)
class Subject:
    """The person a check-in is for, with the facts read in the same statement."""

    person: User
    enrolled: bool  # in the clinic's contingency-management rewards, now
    window: Window  # as stored before the check-in
    facts: PersonFacts


# -- the person and their facts, in one statement -----------------------------------------

_APPROVED_TEXT = (
    # The newest approved version, should two ever be stored (approval supersedes the last).
    select(sql_cast(_plans.content, Text))
    .where(_plans.person_id == User.id, _plans.status == APPROVED)
    .order_by(_plans.id.desc())
    .limit(1)
    .scalar_subquery()
)


@cache
def _subject(dialect: str) -> Any:
    scores, doses = _window_arrays(dialect, User.id)
    array, aggregate = _json(dialect)
    return select(
        User,
        exists()
        .where(
            RewardEnrolment.__table__.c.person_id == User.id,
            RewardEnrolment.__table__.c.ended_at.is_(None),
        )
        .label("enrolled"),
        _APPROVED_TEXT.label("plan"),
        select(sql_cast(aggregate(_conditions.condition), Text))
        .where(_conditions.person_id == User.id)
        .scalar_subquery()
        .label("conditions"),
        select(sql_cast(aggregate(array(_medicines.name, _medicines.prescribed)), Text))
        .where(_medicines.person_id == User.id, _medicines.stopped_on.is_(None))
        .scalar_subquery()
        .label("medicines"),
        scores.label("window_scores"),
        doses.label("window_doses"),
    ).where(User.handle == bindparam("handle"))


def check_in_subject(
    session: Session, handle: str, day: dt.date, *, field: str = "person"
) -> Subject:
    """The person with this handle (as people.find_user finds them), their facts, and what is
    stored in the window a check-in about `day` is judged over."""
    bounds = window_bounds(day)
    statement = _subject(session.get_bind().dialect.name)
    row = session.execute(statement, {"handle": handle.strip().lower(), **bounds}).first()
    if row is None:
        raise NotFound(f"{field}: nobody has the handle '{handle}'")
    person, enrolled, plan, conditions, medicines, scores, doses = row
    return Subject(
        person=person,
        enrolled=bool(enrolled),
        window=_window_from(bounds, scores, doses),
        facts=PersonFacts(
            content=stored_content(plan) if plan is not None else None,
            profile=Profile(
                conditions=frozenset(Condition(name) for name in _loads(conditions)),
                medications=tuple(
                    MedicationFact(name, bool(prescribed)) for name, prescribed in _loads(medicines)
                ),
            ),
        ),
    )


def _loads(document: str | None) -> list[Any]:
    """A JSON array the database built; an aggregate of no rows is NULL on PostgreSQL."""
    return orjson.loads(document) if document else []


# -- the same facts one at a time -------------------------------------------------------------

# A person's safety profile in one statement: conditions (no "prescribed"), then medicines.
_PROFILE = union_all(
    select(
        _conditions.condition,
        sql_cast(null(), Boolean).label("prescribed"),
        literal(0).label("medicine"),
    ).where(_conditions.person_id == _PERSON),
    select(_medicines.name, _medicines.prescribed, literal(1).label("medicine")).where(
        _medicines.person_id == _PERSON, _medicines.stopped_on.is_(None)
    ),
)
# The approved plan as the database's JSON text, undecoded: see stored_content.
_APPROVED = (
    select(sql_cast(_plans.content, Text))
    .where(_plans.person_id == _PERSON, _plans.status == APPROVED)
    .order_by(_plans.id.desc())
    .limit(1)
)


def profile_of(session: Session, person_id: int) -> Profile:
    rows = session.execute(_PROFILE, {"person_id": person_id}).all()
    return Profile(
        conditions=frozenset(Condition(name) for name, _, medicine in rows if not medicine),
        medications=tuple(
            MedicationFact(name, bool(prescribed))
            for name, prescribed, medicine in rows
            if medicine
        ),
    )


def approved_content(session: Session, person_id: int) -> PlanContent | None:
    """The person's approved plan, or None."""
    content = session.execute(_APPROVED, {"person_id": person_id}).scalar()
    return stored_content(content) if content is not None else None


def facts_of(session: Session, person_id: int) -> PersonFacts:
    return PersonFacts(approved_content(session, person_id), profile_of(session, person_id))


# -- the history window ------------------------------------------------------------------------

# The window's check-ins (with their trend scores) and doses, each as one JSON array the
# database builds, so a check-in reads them in the same statement as its person, before its own
# rows go in (`joined` adds those). Elements carry their ids, to be put in order here.
WINDOW_INSTRUMENTS = ("sows", "craving", "cows", "sleep_diary")


def _json(dialect: str) -> tuple[Any, Any]:
    """The functions that build a JSON array of values, and one of rows."""
    if dialect == "postgresql":
        return func.json_build_array, func.json_agg
    return func.json_array, func.json_group_array


@cache
def _window_arrays(dialect: str, person: Any) -> tuple[Any, Any]:
    """(scores, doses) as JSON text: scores [date, kind, instrument, total, efficiency,
    check-in id, response id], doses [category, form, product, thousandths, unit, day, time,
    id], for `person` (a column or a bound parameter) between :since and :until."""
    array, aggregate = _json(dialect)
    scores = (
        select(
            sql_cast(
                aggregate(
                    array(
                        _checkins.checkin_date,
                        _checkins.kind,
                        _responses.instrument_id,
                        _responses.total,
                        # read in SQL: no metrics document is decoded for the one value used
                        _responses.metrics["sleep_efficiency"].as_float(),
                        _checkins.id,
                        _responses.id,
                    )
                ),
                Text,
            )
        )
        .select_from(
            Checkin.__table__.outerjoin(
                InstrumentResponse.__table__,
                (_responses.checkin_id == _checkins.id)
                & _responses.instrument_id.in_(WINDOW_INSTRUMENTS),
            )
        )
        .where(
            _checkins.person_id == person,
            _checkins.checkin_date >= _SINCE,
            _checkins.checkin_date <= _UNTIL,
        )
        .scalar_subquery()
    )
    doses = (
        select(
            sql_cast(
                aggregate(
                    array(
                        _doses.category,
                        _doses.form,
                        _doses.product,
                        _doses.amount_thousandths,
                        _doses.unit,
                        _doses.taken_on,
                        _doses.taken_time,
                        _doses.id,
                    )
                ),
                Text,
            )
        )
        .where(_doses.person_id == person, _doses.taken_on >= _SINCE, _doses.taken_on <= _UNTIL)
        .scalar_subquery()
    )
    return scores, doses


_ScoreRow = tuple[dt.date, str, str | None, int | None, float | None]


@dataclass(frozen=True, slots=True)
class Window:
    """What is stored for a person in the days a check-in is judged over, oldest first."""

    since: dt.date
    until: dt.date
    scores: tuple[_ScoreRow, ...]  # (day, kind, instrument or None, total, sleep efficiency)
    doses: tuple[DoseEntry, ...]


def window_bounds(day: dt.date, days: int = HISTORY_DAYS) -> dict[str, dt.date]:
    return {"since": day - dt.timedelta(days=days - 1), "until": day}


def _window_from(bounds: dict[str, dt.date], scores: str | None, doses: str | None) -> Window:
    found = sorted(
        (dt.date.fromisoformat(day), checkin_id, response_id or 0, kind, name, total, efficiency)
        for day, kind, name, total, efficiency, checkin_id, response_id in _loads(scores)
    )
    taken = sorted(
        (dt.date.fromisoformat(day), dose_id, category, form, product, thousandths, unit, time)
        for category, form, product, thousandths, unit, day, time, dose_id in _loads(doses)
    )
    return Window(
        since=bounds["since"],
        until=bounds["until"],
        scores=tuple((day, kind, name, total, eff) for day, _, _, kind, name, total, eff in found),
        doses=tuple(
            DoseEntry(
                Category(category),
                form,
                product,
                from_thousandths(thousandths, unit),
                day,
                dt.time.fromisoformat(time) if time else None,
            )
            for day, _, category, form, product, thousandths, unit, time in taken
        ),
    )


def window_of(session: Session, person_id: int, today: dt.date, days: int = HISTORY_DAYS) -> Window:
    bounds = window_bounds(today, days)
    scores, doses = _window_arrays(session.get_bind().dialect.name, _PERSON)
    row = session.execute(select(scores, doses), {"person_id": person_id, **bounds}).one()
    return _window_from(bounds, *row)


def joined(window: Window, checkin: PreparedCheckin) -> tuple[tuple[DoseEntry, ...], Window]:
    """The window as it is once `checkin` is stored (read before it went in, not read again),
    and the doses of the day it is about."""
    date = checkin.checkin_date
    scores = (
        (date, checkin.kind.value, None, None, None),  # the check-in itself, as the outer join
        *(
            (date, checkin.kind.value, s.instrument_id, s.total, s.metrics.get("sleep_efficiency"))
            for s in checkin.scores
            if s.instrument_id in WINDOW_INSTRUMENTS
        ),
    )
    doses = tuple(
        # as the database gives it back: exact thousandths
        DoseEntry(
            dose.category,
            dose.form,
            dose.product,
            from_thousandths(to_thousandths(dose.amount), dose.amount.unit.value),
            dose.taken_on,
            dose.taken_time,
        )  # fmt: skip
        for dose in checkin.doses
        if window.since <= dose.taken_on <= window.until
    )
    whole = Window(window.since, window.until, window.scores + scores, window.doses + doses)
    return tuple(dose for dose in whole.doses if dose.taken_on == date), whole


def history_of(
    session: Session, person_id: int, today: dt.date, days: int = HISTORY_DAYS
) -> tuple[DayRecord, ...]:
    """One record per calendar day with data, oldest first. Unreported values stay None."""
    return records(window_of(session, person_id, today, days))


def records(window: Window) -> tuple[DayRecord, ...]:
    return _records(window.scores, window.doses)


def _records(scores: Iterable[_ScoreRow], doses: Iterable[DoseEntry]) -> tuple[DayRecord, ...]:
    grams: dict[dt.date, list[int]] = defaultdict(list)
    for dose in doses:
        if dose.category is Category.KRATOM and dose.amount.dimension is Dimension.MASS:
            grams[dose.taken_on].append(int(dose.amount.to(Unit.MG).value))
    by_day: dict[dt.date, dict[str, object]] = defaultdict(dict)
    for date, kind, instrument_id, total, efficiency in scores:
        day = by_day[date]
        if kind == CheckinKind.DAILY.value:
            day["checked_in"] = True
        if instrument_id == "sleep_diary":
            day["sleep_efficiency"] = efficiency
        elif instrument_id is not None:
            day[instrument_id] = total
    records = []
    for date in sorted(set(by_day) | set(grams)):
        values = by_day.get(date, {})
        kratom = Decimal(sum(grams[date])) / 1000 if date in grams else None
        records.append(
            DayRecord(
                date=date,
                checked_in=bool(values.get("checked_in", False)),
                kratom_grams=kratom,
                sows=_int(values.get("sows")),
                craving=_int(values.get("craving")),
                sleep_efficiency=_float(values.get("sleep_efficiency")),
                cows=_int(values.get("cows")),
            )
        )
    return tuple(records)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


_DAY_DOSES = (
    select(
        _doses.category,
        _doses.form,
        _doses.product,
        _doses.amount_thousandths,
        _doses.unit,
        _doses.taken_on,
        _doses.taken_time,
    )
    .where(_doses.person_id == _PERSON, _doses.taken_on == _DAY)
    .order_by(_doses.id)
)


def day_doses(session: Session, person_id: int, date: dt.date) -> tuple[DoseEntry, ...]:
    return _entries(session.execute(_DAY_DOSES, {"person_id": person_id, "day": date}))


def _entries(rows: Iterable[Any]) -> tuple[DoseEntry, ...]:
    return tuple(
        DoseEntry(
            Category(category),
            form,
            product,
            from_thousandths(thousandths, unit),
            taken_on,
            taken_time,
        )
        for category, form, product, thousandths, unit, taken_on, taken_time in rows
    )
