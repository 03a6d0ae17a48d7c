"""Progress: a person's trends, n-of-1 comparisons, the relapse-risk signal and printable report
data (the clinic overview is `services.clinic_overview`). Authorised and audited reads; the
analytics are pure (taperline.domain.progress).

A person's data is read with a fixed number of queries whatever the range (day logs: three;
responses, check-in flags and the plan: one each). The caseload's risk column is read for
everyone at once in two queries (`risk_for_people`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.engine import begin_snapshot
from taperline.db.models import Checkin, InstrumentResponse, User
from taperline.domain.access import Action, Actor
from taperline.domain.adherence import DayLog
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.plans import PlanContent, describe_item, describe_taper
from taperline.domain.progress import nof1, risk, series
from taperline.domain.types import CheckinKind, Role
from taperline.services import adherence, audit, derived, people, plans, safety
from taperline.services.authz import require
from taperline.services.people import find_user, local_today

MAX_DAYS = 366
DEFAULT_DAYS = 90
RISK_LOOKBACK = 21  # days the risk signal reads
RISK_INSTRUMENTS = ("sows", "craving", "sleep_diary")  # what its rules look at
SCORED = ("sows", "craving", "phq9", "gad7", "cows", "sleep_diary")


def check_days(days: int) -> int:
    if not 14 <= days <= MAX_DAYS:
        raise InvalidInput("days", f"must be between 14 and {MAX_DAYS}")
    return days


@dataclass(frozen=True, slots=True)
class Latest:
    instrument: str
    total: float
    band: str | None
    on: dt.date


@dataclass(frozen=True, slots=True)
class ProgressView:
    handle: str
    name: str
    today: dt.date
    series: series.PersonSeries
    risk: risk.RiskSignal
    latest: tuple[Latest, ...]  # the latest score per instrument in the range, with its band


def _person(session: Session, actor: Actor, handle: str) -> User:
    person = find_user(session, handle)
    require(session, actor, Action.PERSON_READ, person=person)
    if person.role != Role.PERSON.value:
        raise InvalidInput("person", f"'{person.handle}' is not a person in recovery")
    return person


def _response_rows(
    session: Session,
    extra: Sequence[Any],
    ids: Sequence[int],
    start: dt.date,
    end: dt.date,
    instruments: Iterable[str],
) -> Any:
    """(person, date, kind, instrument, total, *extra) for the people's scores in the dates,
    in the order they were given."""
    return session.execute(
        select(
            Checkin.person_id,
            Checkin.checkin_date,
            Checkin.kind,
            InstrumentResponse.instrument_id,
            InstrumentResponse.total,
            *extra,
        )
        .join(Checkin, Checkin.id == InstrumentResponse.checkin_id)
        .where(
            Checkin.person_id.in_(ids),
            Checkin.checkin_date >= start,
            Checkin.checkin_date <= end,
            InstrumentResponse.instrument_id.in_(instruments),
        )
        .order_by(Checkin.checkin_date, Checkin.id, InstrumentResponse.id)
    )


def _responses(
    session: Session,
    ids: Sequence[int],
    start: dt.date,
    end: dt.date,
) -> dict[int, list[tuple[series.Response, str | None]]]:
    found: dict[int, list[tuple[series.Response, str | None]]] = defaultdict(list)
    if not ids:
        return found
    extra = (InstrumentResponse.metrics, InstrumentResponse.answers, InstrumentResponse.band)
    rows = _response_rows(session, extra, ids, start, end, SCORED)
    for person_id, date, kind, instrument, total, metrics, answers, band in rows:
        found[person_id].append(
            (series.Response(date, kind, instrument, total, metrics or {}, answers or {}), band)
        )
    return found


def _risk_responses(
    session: Session, ids: Sequence[int], start: dt.date, end: dt.date
) -> dict[int, list[series.Response]]:
    """Only what the risk rules read (SOWS and craving totals, sleep efficiency), with the one
    diary value picked out by the database: no JSON documents decoded per row."""
    found: dict[int, list[series.Response]] = defaultdict(list)
    extra = (InstrumentResponse.metrics["sleep_efficiency"].as_float(),)
    rows = _response_rows(session, extra, ids, start, end, RISK_INSTRUMENTS)
    for person_id, date, kind, instrument, total, efficiency in rows:
        metrics = {"sleep_efficiency": efficiency} if instrument == "sleep_diary" else {}
        found[person_id].append(series.Response(date, kind, instrument, total, metrics, {}))
    return found


def _opioid_flags(
    session: Session, ids: Sequence[int], start: dt.date, end: dt.date
) -> dict[int, dict[dt.date, bool]]:
    found: dict[int, dict[dt.date, bool]] = defaultdict(dict)
    if not ids:
        return found
    for person_id, date, used in session.execute(
        select(Checkin.person_id, Checkin.checkin_date, Checkin.used_non_prescribed_opioids).where(
            Checkin.person_id.in_(ids),
            Checkin.kind == CheckinKind.DAILY.value,
            Checkin.checkin_date >= start,
            Checkin.checkin_date <= end,
        )
    ):
        found[person_id][date] = bool(found[person_id].get(date)) or bool(used)
    return found


def load_series(
    session: Session, person: User, start: dt.date, end: dt.date
) -> tuple[series.PersonSeries, list[Latest]]:
    """The person's series from `start` to `end`: six queries, whatever the range."""
    logs = adherence.day_logs(session, person.id, start, end)
    content = plans.approved_content(session, person.id)
    responses = _responses(session, [person.id], start, end)[person.id]
    flags = _opioid_flags(session, [person.id], start, end)[person.id]
    built = series.build(start, end, logs, [r for r, _ in responses], content, opioid_use=flags)
    latest: dict[str, Latest] = {}
    for response, band in responses:
        value = (
            response.metrics.get("sleep_efficiency")
            if response.instrument == "sleep_diary"
            else response.total
        )
        if isinstance(value, int | float) and not isinstance(value, bool):
            latest[response.instrument] = Latest(
                response.instrument, float(value), band, response.date
            )
    return built, sorted(latest.values(), key=lambda x: SCORED.index(x.instrument))


def progress(
    session: Session, clock: Clock, actor: Actor, handle: str, *, days: int = DEFAULT_DAYS
) -> ProgressView:
    person = _person(session, actor, handle)
    check_days(days)
    today = local_today(person, clock)
    built, latest = load_series(session, person, today - dt.timedelta(days=days - 1), today)
    audit.record(
        session,
        clock,
        actor,
        "progress.read",
        person_id=person.id,
        resource_type="progress",
        detail={"days": days},
    )
    return ProgressView(
        handle=person.handle,
        name=person.display_name,
        today=today,
        series=built,
        risk=risk.assess(built.days, today),
        latest=tuple(latest),
    )


def compare(
    session: Session,
    clock: Clock,
    actor: Actor,
    handle: str,
    *,
    exposure: str,
    outcome: str,
    threshold: float | None = None,
    days: int = DEFAULT_DAYS,
    seed: int = nof1.DEFAULT_SEED,
) -> nof1.Comparison:
    """An n-of-1 comparison over the last `days` days. Access is checked before the question,
    so a refusal never depends on the question asked."""
    person = _person(session, actor, handle)
    check_days(days)
    today = local_today(person, clock)
    built, _ = load_series(session, person, today - dt.timedelta(days=days - 1), today)
    question = nof1.question(exposure, outcome, threshold, built.kratom_unit or "")
    result = nof1.compare(built.days, question, seed=seed)
    audit.record(
        session,
        clock,
        actor,
        "progress.compare",
        person_id=person.id,
        resource_type="progress",
        detail={
            "exposure": question.exposure.value,
            "outcome": question.outcome.value,
            "threshold": question.threshold,
            "days": days,
        },
    )
    return result


# -- the caseload's risk column ----------------------------------------------------------


# A signal depends only on the person's check-ins in the lookback window (and the answers stored
# with them) and on the day it is for: (person, day, how many check-ins the window holds, the
# newest one's id) names its input exactly (see services.derived).
RiskKey = tuple[int, dt.date, int, int]
RISK_CACHE_SIZE = 100_000


def risk_for_people(
    session: Session, people_list: Sequence[User], clock: Clock
) -> dict[int, risk.RiskSignal]:
    """The risk signal for many people at once, in a fixed number of queries whatever their
    number: one asks what each person's window holds now; the signals already computed from
    exactly that are reused, and two more queries read the rest. The caller (the caseload)
    has already decided and audited who may be seen."""
    if not people_list:
        return {}
    begin_snapshot(session)  # the key and the rows it stands for from one snapshot
    todays = {person.id: local_today(person, clock) for person in people_list}
    first = min(todays.values()) - dt.timedelta(days=RISK_LOOKBACK - 1)
    last = max(todays.values())
    held = {
        person_id: (count, newest)
        for person_id, count, newest in session.execute(
            select(Checkin.person_id, func.count(Checkin.id), func.max(Checkin.id))
            .where(
                Checkin.person_id.in_(list(todays)),
                Checkin.checkin_date >= first,
                Checkin.checkin_date <= last,
            )
            .group_by(Checkin.person_id)
        )
    }
    keys: dict[int, RiskKey] = {
        person_id: (person_id, today, *held.get(person_id, (0, 0)))
        for person_id, today in todays.items()
    }
    cache = derived.cache_for(session, "risk", RISK_CACHE_SIZE)
    signals: dict[int, risk.RiskSignal] = {}
    if cache is not None:
        for person_id, key in keys.items():
            cached = cache.get(key)
            if cached is not None:
                signals[person_id] = cached
    missing = {pid: today for pid, today in todays.items() if pid not in signals}
    if missing:
        computed = _compute_risks(session, missing)
        signals.update(computed)
        if cache is not None:
            derived.keep(session, cache, ((keys[pid], signal) for pid, signal in computed.items()))
    return signals


def _compute_risks(session: Session, todays: dict[int, dt.date]) -> dict[int, risk.RiskSignal]:
    first = min(todays.values()) - dt.timedelta(days=RISK_LOOKBACK - 1)
    last = max(todays.values())
    ids = list(todays)
    activities: dict[int, dict[dt.date, dict[str, int | bool]]] = defaultdict(dict)
    flags: dict[int, dict[dt.date, bool]] = defaultdict(dict)
    for person_id, date, logged, used in session.execute(
        select(
            Checkin.person_id,
            Checkin.checkin_date,
            Checkin.activities,
            Checkin.used_non_prescribed_opioids,
        ).where(
            Checkin.person_id.in_(ids),
            Checkin.kind == CheckinKind.DAILY.value,
            Checkin.checkin_date >= first,
            Checkin.checkin_date <= last,
        )
    ):
        merged = activities[person_id].setdefault(date, {})
        for key, value in (logged or {}).items():
            if isinstance(value, bool):
                merged[key] = bool(merged.get(key)) or value
            elif isinstance(value, int):
                merged[key] = int(merged.get(key, 0)) + value
        flags[person_id][date] = bool(flags[person_id].get(date)) or bool(used)
    responses = _risk_responses(session, ids, first, last)
    signals = {}
    for person_id, today in todays.items():
        start = today - dt.timedelta(days=RISK_LOOKBACK - 1)
        logs = {
            date: DayLog(date=date, checked_in=True, activities=logged)
            for date, logged in activities[person_id].items()
            if start <= date <= today
        }
        built = series.build(
            start,
            today,
            logs,
            [r for r in responses.get(person_id, []) if start <= r.date <= today],
            None,
            opioid_use=flags[person_id],
            summaries=False,
        )
        signals[person_id] = risk.assess(built.days, today)
    return signals


# -- printable reports -------------------------------------------------------------------

REPORT_KINDS = ("visit", "progress")


@dataclass(frozen=True, slots=True)
class ReportData:
    kind: str
    generated_on: dt.date
    handle: str
    name: str
    clinic: str
    clinicians: tuple[str, ...]
    progress: ProgressView
    plan_lines: tuple[str, ...]  # the approved plan, in words
    plan_number: int | None
    alerts: tuple[safety.AlertView, ...]  # open or acknowledged
    adherence: adherence.AdherenceReport | None


def report_data(
    session: Session, clock: Clock, actor: Actor, handle: str, *, kind: str, days: int = 0
) -> ReportData:
    """Everything a printed report shows. A visit summary covers the last 28 days (or since
    the last visit), a progress report the last 90."""
    if kind not in REPORT_KINDS:
        raise InvalidInput("kind", "use visit or progress")
    person = _person(session, actor, handle)
    view = progress(
        session, clock, actor, person.handle, days=days or (28 if kind == "visit" else 90)
    )
    detail = people.show_person(session, clock, actor, person.handle)
    try:
        plan = plans.show(session, clock, actor, person.handle)
        content: PlanContent | None = plan.review.content
        number: int | None = plan.number
    except NotFound:
        content, number = None, None
    lines: list[str] = []
    if content is not None:
        if content.taper is not None:
            lines.append(f"Kratom taper: {describe_taper(content.taper)}.")
        lines += [describe_item(item) for item in content.items]
        lines += [f"Goal: {goal}" for goal in content.goals]
    alerts = tuple(
        alert
        for alert in safety.list_alerts(session, clock, actor, status="all", person=person.handle)
        if alert.status != safety.AlertStatus.RESOLVED
    )
    try:
        adhered: adherence.AdherenceReport | None = adherence.report(
            session, clock, actor, person.handle, days=14
        )
    except NotFound:
        adhered = None
    audit.record(
        session,
        clock,
        actor,
        "report.read",
        person_id=person.id,
        resource_type="report",
        detail={"kind": kind},
    )
    return ReportData(
        kind=kind,
        generated_on=view.today,
        handle=person.handle,
        name=person.display_name,
        clinic=detail.clinic,
        clinicians=detail.clinicians,
        progress=view,
        plan_lines=tuple(lines),
        plan_number=number,
        alerts=alerts,
        adherence=adhered,
    )
