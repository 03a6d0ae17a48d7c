"""A clinician's caseload at a glance, and the live plan check of the plan editor.

`caseload` lists the people the actor may see with their latest scores, today's planned
kratom, last week's adherence, open alerts and how long since they last checked in, most
urgent first. The columns that come straight from the database (latest scores, open alerts,
last check-in) are read for everyone at once, in a constant number of queries whatever the
size of the caseload.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session, lazyload, load_only

from taperline.clock import Clock
from taperline.db.engine import begin_snapshot
from taperline.db.models import (
    Alert,
    CareRelationship,
    Checkin,
    DoseLog,
    LatestScore,
    PersonStatus,
    PlanVersion,
    User,
)
from taperline.domain import adherence as adherence_domain
from taperline.domain.access import Action, Actor, Subject, can
from taperline.domain.adherence import DayLog
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.plans import PlanContent
from taperline.domain.progress.risk import RiskSignal
from taperline.domain.types import Role
from taperline.domain.units import Amount
from taperline.schemas.plans import PlanInput, stored_content
from taperline.services import audit, derived, messages, plans, progress
from taperline.services.adherence import day_logs_many
from taperline.services.authz import AccessDenied, require
from taperline.services.people import find_user, local_today
from taperline.services.person_facts import profile_of
from taperline.services.safety import AlertStatus

SCORED = ("sows", "craving", "phq9", "sleep_diary")
ADHERENCE_DAYS = 7
SEARCH_MAX = 100
_SEVERITY_RANK = {"urgent": 0, "warning": 1}


@dataclass(frozen=True, slots=True)
class Latest:
    """A person's most recent result on one instrument."""

    value: int | float
    on: dt.date
    band: str | None = None

    @property
    def when(self) -> str:
        """The day, as the caseload shows it: "Mar 14"."""
        return f"{self.on:%b} {self.on.day}"


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    person_id: int
    handle: str
    name: str
    sows: Latest | None
    craving: Latest | None
    phq9: Latest | None
    sleep_efficiency: Latest | None  # percent
    planned_kratom: Amount | None  # today's daily amount in the approved plan
    on_target_days: int | None  # of the last ADHERENCE_DAYS days; None without a plan
    has_plan: bool
    open_alerts: int
    highest_severity: str | None  # of the open alerts: "urgent" or "warning"
    last_checkin: dt.date | None  # the last daily check-in
    days_since_checkin: int | None  # None: never checked in
    risk: RiskSignal | None = None  # the relapse-risk signal (services.progress)
    unread_messages: int = 0  # messages from the person (or others) the viewer has not opened

    @property
    def risk_factors(self) -> str:
        """The risk's factors as words: "craving rising, checkins missed"."""
        factors = self.risk.factors if self.risk else ()
        return ", ".join(factor.id for factor in factors).replace("_", " ")

    @property
    def urgency(self) -> tuple[int, float, str]:
        """Urgent alerts first, then warnings, then the longest silence, then the handle."""
        silence = float("inf") if self.days_since_checkin is None else self.days_since_checkin
        return (_SEVERITY_RANK.get(self.highest_severity or "", 2), -silence, self.handle)


def caseload(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    search: str | None = None,
    only_alerts: bool = False,
    reading: Session | None = None,
) -> list[CaseloadRow]:
    """The people the actor may see, most urgent first.

    A clinician sees the people they have an active care relationship with in their clinic;
    the operator sees everyone. Admins manage accounts and read no health data, and a person
    has no caseload: both are refused (AccessDenied), and the refusal is audited.

    Everything is read for all listed people at once, in a fixed number of queries whatever
    the size of the caseload: latest scores and last check-ins from the status each check-in
    keeps, open alerts, approved plans, and the last week of logs.

    `reading` (SQLite): a read-only session. Everything is read through it, as one snapshot,
    so that the single writer is held only for the audit row (`session`), not while hundreds
    of people are read; check-ins arriving meanwhile do not wait for the page.
    """
    if not actor.is_operator and actor.role is not Role.CLINICIAN:
        raise AccessDenied(actor, Action.PERSON_READ, None)
    term = (search or "").strip().lower()
    if len(term) > SEARCH_MAX:
        raise InvalidInput("q", f"use at most {SEARCH_MAX} characters")

    reader = reading or session
    begin_snapshot(reader)
    people = _people(reader, actor, term)
    ids = [person.id for person in people]
    latest = _latest_scores(reader, ids)
    alerts = _open_alerts(reader, ids)
    last_checkins = _last_daily_checkins(reader, ids)
    approved = _approved_plans(reader, ids)
    risks = progress.risk_for_people(reader, people, clock)  # two queries for everyone
    unread = messages.unread_for(reader, actor.user_id, ids) if actor.user_id else {}

    todays = {person.id: local_today(person, clock) for person in people}
    columns = _plan_columns_many(reader, approved, todays)

    rows: list[CaseloadRow] = []
    for person in people:
        count, severity = alerts.get(person.id, (0, None))
        if only_alerts and count == 0:
            continue
        today = todays[person.id]
        last = last_checkins.get(person.id)
        planned, on_target = columns.get(person.id, (None, None))
        scores = latest.get(person.id, {})
        rows.append(
            CaseloadRow(
                person_id=person.id,
                handle=person.handle,
                name=person.display_name,
                sows=scores.get("sows"),
                craving=scores.get("craving"),
                phq9=scores.get("phq9"),
                sleep_efficiency=scores.get("sleep_diary"),
                planned_kratom=planned,
                on_target_days=on_target,
                has_plan=person.id in approved,
                open_alerts=count,
                highest_severity=severity,
                last_checkin=last,
                days_since_checkin=None if last is None else max(0, (today - last).days),
                risk=risks.get(person.id),
                unread_messages=unread.get(person.id, 0),
            )
        )
    rows.sort(key=lambda row: row.urgency)
    audit.record(
        session,
        clock,
        actor,
        "caseload.read",
        resource_type="person",
        detail={
            "count": len(rows),
            "people": [row.person_id for row in rows],
            "search": bool(term),
            "only_alerts": only_alerts,
        },
    )
    return rows


def _people(session: Session, actor: Actor, term: str) -> list[User]:
    # Only the columns the caseload reads (a whole account row is several times as much).
    statement = (
        select(User)
        .options(
            load_only(
                User.handle, User.display_name, User.clinic_id, User.timezone, raiseload=True
            ),
            lazyload(User.clinic),  # not joined in: the caseload never reads it
        )
        .where(User.role == Role.PERSON.value)
    )
    if not actor.is_operator:
        statement = statement.where(
            User.clinic_id == actor.clinic_id,
            User.id.in_(
                select(CareRelationship.person_id).where(
                    CareRelationship.clinician_id == actor.user_id,
                    CareRelationship.ended_at.is_(None),
                )
            ),
        )
    if term:
        statement = statement.where(
            or_(
                User.handle.icontains(term, autoescape=True),
                User.display_name.icontains(term, autoescape=True),
            )
        )
    found = list(session.scalars(statement.order_by(User.handle)))
    # The query selected the care facts; the policy still has the last word on every row.
    return [
        person
        for person in found
        if can(
            actor,
            Action.PERSON_READ,
            Subject(person_id=person.id, clinic_id=person.clinic_id, cares_for=True),
        )
    ]


def _latest_scores(session: Session, ids: list[int]) -> dict[int, dict[str, Latest]]:
    """The newest response per person and instrument, as kept by every check-in."""
    if not ids:
        return {}
    found: dict[int, dict[str, Latest]] = {}
    rows = session.execute(
        select(
            LatestScore.person_id,
            LatestScore.checkin_date,
            LatestScore.instrument_id,
            LatestScore.total,
            LatestScore.band,
            LatestScore.metrics["sleep_efficiency"].as_float(),  # the one value read from it
        ).where(LatestScore.person_id.in_(ids), LatestScore.instrument_id.in_(SCORED))
    )
    for person_id, on, instrument, total, band, efficiency in rows:
        value = (
            (None if efficiency is None else float(efficiency))
            if instrument == "sleep_diary"
            else total
        )
        if value is not None:
            found.setdefault(person_id, {})[instrument] = Latest(value, on, band)
    return found


def _open_alerts(session: Session, ids: list[int]) -> dict[int, tuple[int, str | None]]:
    """Open (not yet acknowledged) alerts per person, and the highest severity among them."""
    if not ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    for person_id, severity, count in session.execute(
        select(Alert.person_id, Alert.severity, func.count(Alert.id))
        .where(Alert.person_id.in_(ids), Alert.status == AlertStatus.OPEN)
        .group_by(Alert.person_id, Alert.severity)
    ):
        counts.setdefault(person_id, {})[severity] = count
    return {
        person_id: (
            sum(by_severity.values()),
            min(by_severity, key=lambda s: (_SEVERITY_RANK.get(s, 2), s)),
        )
        for person_id, by_severity in counts.items()
    }


def _last_daily_checkins(session: Session, ids: list[int]) -> dict[int, dt.date]:
    if not ids:
        return {}
    rows = session.execute(
        select(PersonStatus.person_id, PersonStatus.last_daily_checkin).where(
            PersonStatus.person_id.in_(ids)
        )
    )
    return {person_id: last for person_id, last in rows if last is not None}


def _approved_plans(session: Session, ids: list[int]) -> dict[int, tuple[int, PlanContent]]:
    """Each person's approved plan: its version's id, and its content."""
    if not ids:
        return {}
    documents = session.execute(
        select(PlanVersion.person_id, PlanVersion.id, cast(PlanVersion.content, Text)).where(
            and_(PlanVersion.person_id.in_(ids), PlanVersion.status == plans.APPROVED)
        )
    )
    # As the database's text, undecoded: a plan already read is not decoded again.
    return {
        person_id: (version_id, stored_content(document))
        for person_id, version_id, document in documents
    }


# (person, today, approved plan version, the window's check-ins: how many and the newest id,
# its doses: the same). Approved versions never change; check-ins and doses are only added.
PlanColumnsKey = tuple[int, dt.date, int, int, int, int, int]
PLAN_COLUMNS_CACHE_SIZE = 100_000


def _plan_columns_many(
    session: Session, approved: dict[int, tuple[int, PlanContent]], todays: dict[int, dt.date]
) -> dict[int, tuple[Amount | None, int | None]]:
    """The plan columns of everyone with an approved plan. Two small counting queries name
    each person's inputs; only the people whose inputs changed since they were last worked out
    in this process have their week of logs read and judged (services.derived)."""
    windows = {
        person_id: (today - dt.timedelta(days=ADHERENCE_DAYS - 1), today)
        for person_id, today in todays.items()
        if person_id in approved
    }
    if not windows:
        return {}
    ids = list(windows)
    first = min(start for start, _ in windows.values())
    last = max(end for _, end in windows.values())
    held = [
        {
            person_id: (count, newest)
            for person_id, count, newest in session.execute(
                select(table.person_id, func.count(table.id), func.max(table.id))
                .where(table.person_id.in_(ids), day >= first, day <= last)
                .group_by(table.person_id)
            )
        }
        for table, day in ((Checkin, Checkin.checkin_date), (DoseLog, DoseLog.taken_on))
    ]
    keys: dict[int, PlanColumnsKey] = {
        person_id: (
            person_id,
            end,
            approved[person_id][0],
            *held[0].get(person_id, (0, 0)),
            *held[1].get(person_id, (0, 0)),
        )
        for person_id, (_, end) in windows.items()
    }
    cache = derived.cache_for(session, "caseload_plan_columns", PLAN_COLUMNS_CACHE_SIZE)
    found: dict[int, tuple[Amount | None, int | None]] = {}
    if cache is not None:
        for person_id, key in keys.items():
            hit = cache.get(key)
            if hit is not None:
                found[person_id] = hit
    missing = {person_id: windows[person_id] for person_id in ids if person_id not in found}
    if missing:
        logs = day_logs_many(session, missing, kratom_only=True)
        computed = {
            person_id: _plan_columns(approved[person_id][1], logs[person_id], end)
            for person_id, (_, end) in missing.items()
        }
        found.update(computed)
        if cache is not None:
            derived.keep(session, cache, ((keys[pid], value) for pid, value in computed.items()))
    return found


def _plan_columns(
    content: PlanContent, logs: dict[dt.date, DayLog], today: dt.date
) -> tuple[Amount | None, int | None]:
    """Today's planned kratom (the taper step in force, else the regimen's kratom) and the
    on-target days of the last week."""
    start = today - dt.timedelta(days=ADHERENCE_DAYS - 1)
    result = adherence_domain.kratom(content, logs, start, today)
    planned = result.days[-1].target if result.days else None
    return planned, result.counts[adherence_domain.KratomStatus.ON_TARGET]


# -- the plan editor's live check --------------------------------------------------------


def review_draft(
    session: Session, clock: Clock, actor: Actor, handle: str, data: PlanInput | None
) -> plans.PlanReview | None:
    """Review a plan being edited for this person, against their own safety profile (their
    conditions and medications) and their clinic's country. Stores nothing but the audit row:
    reading the profile is a read of health data.

    With `data` None (a half-filled form that is not a plan yet) it only checks that the
    actor may draft this person's plan, and returns None."""
    person = find_user(session, handle)
    if person.role != Role.PERSON:
        raise InvalidInput("person", f"'{person.handle}' is not a person in recovery")
    require(session, actor, Action.PLAN_DRAFT, person=person)
    if data is None:
        return None
    found = plans.review(
        data, profile=profile_of(session, person.id), country=person.clinic.country
    )
    audit.record(
        session,
        clock,
        actor,
        "plan.review",
        person_id=person.id,
        resource_type="plan_version",
        detail={"needs_acknowledging": found.needs_acknowledging},
    )
    return found


@dataclass(frozen=True, slots=True)
class PlanEditor:
    """What the plan editor starts from: the approved version, if any, and waiting drafts."""

    handle: str
    name: str
    approved: plans.VersionView | None
    drafts: tuple[tuple[int, dt.datetime], ...]  # (number, created at), oldest first


def plan_editor(session: Session, clock: Clock, actor: Actor, handle: str) -> PlanEditor:
    """Open the plan editor: only a clinician who may draft this person's plan may."""
    person = find_user(session, handle)
    if person.role != Role.PERSON:
        raise InvalidInput("person", f"'{person.handle}' is not a person in recovery")
    require(session, actor, Action.PLAN_DRAFT, person=person)
    try:
        approved: plans.VersionView | None = plans.show(session, clock, actor, person.handle)
    except NotFound:
        approved = None
    drafts = tuple(
        (number, created)
        for number, status, created in plans.versions(session, clock, actor, person.handle)
        if status == plans.DRAFT
    )
    return PlanEditor(person.handle, person.display_name, approved, drafts)
