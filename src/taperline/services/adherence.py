"""Adherence for a person over a date range: kratom against the plan, adjuncts, activities."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Checkin, DoseLog, InstrumentResponse
from taperline.domain import adherence
from taperline.domain.access import Action, Actor
from taperline.domain.doses import DoseEntry, from_thousandths
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.types import Category, CheckinKind
from taperline.knowledge import load
from taperline.services import audit, plans
from taperline.services.authz import require
from taperline.services.people import find_user, local_today


@dataclass(frozen=True, slots=True)
class AdherenceReport:
    person: str
    start: dt.date
    end: dt.date
    kratom: adherence.KratomAdherence
    melatonin: list[adherence.MelatoninDay]
    magnesium: list[adherence.SpacingCheck]
    activities: list[adherence.WeekActivity]


def day_logs(
    session: Session, person_id: int, start: dt.date, end: dt.date
) -> dict[dt.date, adherence.DayLog]:
    """One log per day: check-in, doses, activities and that evening's bedtime (the diary
    of the next morning)."""
    checked: set[dt.date] = set()
    activities: dict[dt.date, dict[str, int | bool]] = defaultdict(dict)
    for date, kind, logged in session.execute(
        select(Checkin.checkin_date, Checkin.kind, Checkin.activities).where(
            Checkin.person_id == person_id,
            Checkin.checkin_date >= start,
            Checkin.checkin_date <= end,
        )
    ):
        if kind != CheckinKind.DAILY.value:
            continue
        checked.add(date)
        for key, value in (logged or {}).items():
            if isinstance(value, bool):
                activities[date][key] = bool(activities[date].get(key)) or value
            elif isinstance(value, int):
                activities[date][key] = int(activities[date].get(key, 0)) + value
    doses: dict[dt.date, list[DoseEntry]] = defaultdict(list)
    for d in session.scalars(
        select(DoseLog).where(
            DoseLog.person_id == person_id, DoseLog.taken_on >= start, DoseLog.taken_on <= end
        )
    ):
        doses[d.taken_on].append(
            DoseEntry(
                Category(d.category),
                d.form,
                d.product,
                from_thousandths(d.amount_thousandths, d.unit),
                d.taken_on,
                d.taken_time,
            )
        )
    bedtimes: dict[dt.date, dt.time] = {}
    for date, answers in session.execute(
        select(Checkin.checkin_date, InstrumentResponse.answers)
        .join(InstrumentResponse, InstrumentResponse.checkin_id == Checkin.id)
        .where(
            Checkin.person_id == person_id,
            InstrumentResponse.instrument_id == "sleep_diary",
            Checkin.checkin_date > start,
            Checkin.checkin_date <= end + dt.timedelta(days=1),
        )
    ):
        text = (answers or {}).get("tried_to_sleep")
        if isinstance(text, str):
            bedtimes[date - dt.timedelta(days=1)] = dt.time.fromisoformat(text)
    days = (end - start).days + 1
    logs = {}
    for offset in range(days):
        date = start + dt.timedelta(days=offset)
        logs[date] = adherence.DayLog(
            date=date,
            checked_in=date in checked,
            doses=tuple(doses.get(date, ())),
            activities=dict(activities.get(date, {})),
            bedtime=bedtimes.get(date),
        )
    return logs


def report(
    session: Session, clock: Clock, actor: Actor, handle: str, *, days: int = 14
) -> AdherenceReport:
    if not 1 <= days <= 366:
        raise InvalidInput("days", "must be between 1 and 366")
    person = find_user(session, handle)
    require(session, actor, Action.PLAN_READ, person=person)
    content = plans.approved_content(session, person.id)
    if content is None:
        raise NotFound(
            f"plan: {person.handle} has no approved plan yet, so there is nothing to adhere to"
        )
    end = local_today(person, clock)
    start = end - dt.timedelta(days=days - 1)
    logs = day_logs(session, person.id, start, end)
    audit.record(
        session,
        clock,
        actor,
        "adherence.read",
        person_id=person.id,
        resource_type="adherence",
        detail={"days": days},
    )
    return AdherenceReport(
        person=person.handle,
        start=start,
        end=end,
        kratom=adherence.kratom(content, logs, start, end),
        melatonin=adherence.melatonin(content, logs, start, end),
        magnesium=adherence.magnesium_spacing(content, logs, start, end, load()),
        activities=adherence.activities(content, logs, start, end),
    )
