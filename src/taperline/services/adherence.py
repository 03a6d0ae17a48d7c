"""Adherence for a person over a date range: kratom against the plan, adjuncts, activities."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import null, select
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
    return day_logs_many(session, {person_id: (start, end)})[person_id]


def day_logs_many(
    session: Session, windows: dict[int, tuple[dt.date, dt.date]], *, kratom_only: bool = False
) -> dict[int, dict[dt.date, adherence.DayLog]]:
    """`day_logs` for many people at once (each with their own first and last day, as their
    local calendars differ): three queries whatever the number of people.

    `kratom_only`: only what kratom adherence reads (which days have a daily check-in, and the
    kratom doses), in two queries; the logs then hold no activities, other doses or bedtimes."""
    if not windows:
        return {}
    ids = list(windows)
    first = min(start for start, _ in windows.values())
    last = max(end for _, end in windows.values())
    checked: set[tuple[int, dt.date]] = set()
    activities: dict[tuple[int, dt.date], dict[str, int | bool]] = defaultdict(dict)
    logged_activities = null() if kratom_only else Checkin.activities
    for person_id, date, kind, logged in session.execute(
        select(Checkin.person_id, Checkin.checkin_date, Checkin.kind, logged_activities).where(
            Checkin.person_id.in_(ids),
            Checkin.checkin_date >= first,
            Checkin.checkin_date <= last,
        )
    ):
        if kind != CheckinKind.DAILY.value:
            continue
        key = (person_id, date)
        checked.add(key)
        for name, value in (logged or {}).items():
            if isinstance(value, bool):
                activities[key][name] = bool(activities[key].get(name)) or value
            elif isinstance(value, int):
                activities[key][name] = int(activities[key].get(name, 0)) + value
    doses: dict[tuple[int, dt.date], list[DoseEntry]] = defaultdict(list)
    for d in session.execute(
        select(
            DoseLog.person_id,
            DoseLog.category,
            DoseLog.form,
            DoseLog.product,
            DoseLog.amount_thousandths,
            DoseLog.unit,
            DoseLog.taken_on,
            DoseLog.taken_time,
        )
        .where(
            DoseLog.person_id.in_(ids),
            DoseLog.taken_on >= first,
            DoseLog.taken_on <= last,
            *([DoseLog.category == Category.KRATOM.value] if kratom_only else []),
        )
        .order_by(DoseLog.id)
    ):
        doses[(d.person_id, d.taken_on)].append(
            DoseEntry(
                Category(d.category),
                d.form,
                d.product,
                from_thousandths(d.amount_thousandths, d.unit),
                d.taken_on,
                d.taken_time,
            )
        )
    bedtimes: dict[tuple[int, dt.date], dt.time] = {}
    # Only the diary's bedtime, picked out by the database: no answers document decoded.
    for person_id, date, text in (
        []
        if kratom_only
        else session.execute(
            select(
                Checkin.person_id,
                Checkin.checkin_date,
                InstrumentResponse.answers["tried_to_sleep"].as_string(),
            )
            .join(InstrumentResponse, InstrumentResponse.checkin_id == Checkin.id)
            .where(
                Checkin.person_id.in_(ids),
                InstrumentResponse.instrument_id == "sleep_diary",
                Checkin.checkin_date > first,
                Checkin.checkin_date <= last + dt.timedelta(days=1),
            )
        )
    ):
        if isinstance(text, str) and text:
            bedtimes[(person_id, date - dt.timedelta(days=1))] = dt.time.fromisoformat(text)
    logs: dict[int, dict[dt.date, adherence.DayLog]] = {}
    for person_id, (start, end) in windows.items():
        mine = logs[person_id] = {}
        for offset in range((end - start).days + 1):
            date = start + dt.timedelta(days=offset)
            key = (person_id, date)
            mine[date] = adherence.DayLog(
                date=date,
                checked_in=key in checked,
                doses=tuple(doses.get(key, ())),
                activities=dict(activities.get(key, {})),
                bedtime=bedtimes.get(key),
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
