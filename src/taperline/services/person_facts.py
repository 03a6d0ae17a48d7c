"""What the safety engine reads about a person, and the two statements a check-in makes to read
it (issue 19: every statement on the check-in path costs about 0.1 ms of SQLAlchemy's work):

- `check_in_subject`: the person by handle, with, in the same row, whether they are enrolled in
  the clinic's rewards, their approved plan's content (as the database's JSON text, parsed once
  per document by `stored_content`) and their safety profile (conditions and current
  medicines, each folded into one string by the database);
- `around`: the history window's check-ins, scores and doses in one statement (a UNION ALL),
  from which both the check-in day's doses and the 21 days the trend rules read are built.

Every statement is built once, from plain table columns with bound parameters, so no statement
is constructed, no cache key computed and no ORM row loaded per check-in (the person excepted).
Other callers read the same facts one at a time: `profile_of`, `approved_content`,
`history_of`, `day_doses`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    Float,
    String,
    Text,
    Time,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
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
from taperline.domain.doses import DoseEntry, from_thousandths
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
    facts: PersonFacts


# -- the person and their facts, in one statement -----------------------------------------

# A unit separator between the folded values: names are validated text and never hold it.
_SEPARATOR = "\x1f"
_APPROVED_TEXT = (
    # The newest approved version, should two ever be stored (approval supersedes the last).
    select(sql_cast(_plans.content, Text))
    .where(_plans.person_id == User.id, _plans.status == APPROVED)
    .order_by(_plans.id.desc())
    .limit(1)
    .scalar_subquery()
)
_SUBJECT = select(
    User,
    exists()
    .where(
        RewardEnrolment.__table__.c.person_id == User.id,
        RewardEnrolment.__table__.c.ended_at.is_(None),
    )
    .label("enrolled"),
    _APPROVED_TEXT.label("plan"),
    select(func.aggregate_strings(_conditions.condition, _SEPARATOR))
    .where(_conditions.person_id == User.id)
    .scalar_subquery()
    .label("conditions"),
    # "1:name" for a prescribed medicine, "0:name" for one that is not.
    select(
        func.aggregate_strings(
            case((_medicines.prescribed, "1:"), else_="0:") + _medicines.name, _SEPARATOR
        )
    )
    .where(_medicines.person_id == User.id, _medicines.stopped_on.is_(None))
    .scalar_subquery()
    .label("medicines"),
).where(User.handle == bindparam("handle"))


def check_in_subject(session: Session, handle: str, *, field: str = "person") -> Subject:
    """The person with this handle (as people.find_user finds them) and their facts."""
    row = session.execute(_SUBJECT, {"handle": handle.strip().lower()}).first()
    if row is None:
        raise NotFound(f"{field}: nobody has the handle '{handle}'")
    person, enrolled, plan, conditions, medicines = row
    return Subject(
        person=person,
        enrolled=bool(enrolled),
        facts=PersonFacts(
            content=stored_content(plan) if plan is not None else None,
            profile=Profile(
                conditions=frozenset(Condition(name) for name in _unfold(conditions)),
                medications=tuple(
                    MedicationFact(folded[2:], folded.startswith("1:"))
                    for folded in _unfold(medicines)
                ),
            ),
        ),
    )


def _unfold(folded: str | None) -> list[str]:
    return folded.split(_SEPARATOR) if folded else []


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


# -- the history window, in one statement ----------------------------------------------------

# Doses first: a UNION takes its column types from its first SELECT (the time of day above all).
_WINDOW_DOSES = select(
    literal(1).label("is_dose"),
    _doses.taken_on.label("day"),
    _doses.category.label("kind"),
    _doses.form.label("name"),
    _doses.amount_thousandths.label("number"),
    sql_cast(null(), Float).label("efficiency"),
    _doses.product.label("product"),
    _doses.unit.label("unit"),
    _doses.taken_time.label("taken_time"),
    _doses.id.label("first"),
    literal(0).label("second"),
).where(_doses.person_id == _PERSON, _doses.taken_on >= _SINCE, _doses.taken_on <= _UNTIL)
_WINDOW_SCORES = (
    select(
        literal(0),
        _checkins.checkin_date,
        _checkins.kind,
        _responses.instrument_id,
        _responses.total,
        # Read in SQL: no JSON document is parsed in Python for the one metric the rules use.
        _responses.metrics["sleep_efficiency"].as_float(),
        sql_cast(null(), String),
        sql_cast(null(), String),
        sql_cast(null(), Time),
        _checkins.id,
        _responses.id,
    )
    .select_from(
        Checkin.__table__.outerjoin(
            InstrumentResponse.__table__,
            (_responses.checkin_id == _checkins.id)
            & _responses.instrument_id.in_(("sows", "craving", "cows", "sleep_diary")),
        )
    )
    .where(
        _checkins.person_id == _PERSON,
        _checkins.checkin_date >= _SINCE,
        _checkins.checkin_date <= _UNTIL,
    )
)
# Scores by day, check-in and response; doses by day and id.
_WINDOW = union_all(_WINDOW_DOSES, _WINDOW_SCORES).order_by(
    *(literal_column(name) for name in ("is_dose", "day", "first", "second"))
)
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

_ScoreRow = tuple[dt.date, str, str | None, int | None, float | None]


def _window(
    session: Session, person_id: int, today: dt.date, days: int
) -> tuple[list[_ScoreRow], list[DoseEntry]]:
    since = today - dt.timedelta(days=days - 1)
    scores: list[_ScoreRow] = []
    doses: list[DoseEntry] = []
    window = {"person_id": person_id, "since": since, "until": today}
    for row in session.execute(_WINDOW, window):
        is_dose, day, kind, name, number, efficiency, product, unit, taken_time = row[:9]
        if is_dose:
            doses.append(
                DoseEntry(
                    Category(kind),
                    name,
                    product,
                    from_thousandths(number, unit),
                    day,
                    taken_time,
                )
            )
        else:
            scores.append((day, kind, name, number, efficiency))
    return scores, doses


def around(
    session: Session, person_id: int, date: dt.date, today: dt.date
) -> tuple[tuple[DoseEntry, ...], tuple[DayRecord, ...]]:
    """The doses of the day a check-in is about, and the history window's day records, in one
    statement when that day is inside the window (as it is for every check-in made on its own
    day; a back-filled one from before the window reads its day's doses apart)."""
    scores, doses = _window(session, person_id, today, HISTORY_DAYS)
    since = today - dt.timedelta(days=HISTORY_DAYS - 1)
    if since <= date <= today:
        day = tuple(dose for dose in doses if dose.taken_on == date)
    else:
        day = day_doses(session, person_id, date)
    return day, _records(scores, doses)


def history_of(
    session: Session, person_id: int, today: dt.date, days: int = HISTORY_DAYS
) -> tuple[DayRecord, ...]:
    """One record per calendar day with data, oldest first. Unreported values stay None."""
    return _records(*_window(session, person_id, today, days))


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
