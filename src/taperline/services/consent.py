"""The person's own pages: what is due today, the check-in form's state, and who can see (and
who has looked at) their record.

Every function authorises through `require` and audits its reads of health data in the same
transaction, like every other service; the web's /me pages call these.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import AuditEvent, Checkin, InstrumentResponse, User
from taperline.domain.access import Action, Actor
from taperline.domain.calendar import DueItem
from taperline.domain.doses import make_dose, to_thousandths
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.instruments import registry
from taperline.domain.plans import WEEKDAYS
from taperline.domain.safety.knowledge import Severity
from taperline.domain.taper import TaperStep
from taperline.domain.types import CheckinKind
from taperline.domain.units import Amount
from taperline.schemas.checkins import CheckinCreate
from taperline.services import accounts, audit, calendar, person_facts, plans, safety
from taperline.services.authz import require
from taperline.services.people import find_user, local_today

RECENT_DAYS = 3  # the Today page shows the safety messages of a check-in this recent
WEEKLY_INSTRUMENTS = ("phq9", "gad7")
# Reads of a person's record by someone else, as the audit log names them.
READ_ACTIONS = (
    "person.read",
    "checkin.read",
    "plan.read",
    "adherence.read",
    "alert.list",
    "calendar.export",
)

# The check-in's steps, in order, and the instruments each step answers.
CHECKIN_STEPS = ("doses", "craving", "sows", "sleep", "activities", "safety", "weekly")
STEP_INSTRUMENTS: dict[str, tuple[str, ...]] = {
    "craving": ("craving",),
    "sows": ("sows",),
    "sleep": ("sleep_diary",),
    "weekly": WEEKLY_INSTRUMENTS,
}
OPTIONAL_INSTRUMENTS = frozenset({"sleep_diary"})  # a step a person may leave empty


def _worst_first(findings: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    def rank(finding: dict[str, object]) -> int:
        try:
            return -Severity(str(finding.get("severity"))).rank
        except ValueError:
            return 0

    return sorted(findings, key=rank)


# -- today -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TodayView:
    date: dt.date
    due: tuple[DueItem, ...] | None  # None: no approved plan yet
    findings: tuple[dict[str, object], ...]  # of the latest recent check-in, worst first
    findings_date: dt.date | None  # the day that check-in is about
    checked_in_today: bool


def today(session: Session, clock: Clock, actor: Actor, handle: str) -> TodayView:
    """What is due today, and the safety messages of the latest check-in of the last days."""
    person = find_user(session, handle)
    require(session, actor, Action.PERSON_READ, person=person)
    date = local_today(person, clock)
    due: tuple[DueItem, ...] | None
    try:
        date, items = calendar.due_today(session, clock, actor, person.handle)
        due = tuple(items)
    except NotFound:
        due = None
    latest = session.scalar(
        select(Checkin)
        .where(
            Checkin.person_id == person.id,
            Checkin.checkin_date >= date - dt.timedelta(days=RECENT_DAYS - 1),
            Checkin.checkin_date <= date,
        )
        .order_by(Checkin.checkin_date.desc(), Checkin.id.desc())
        .limit(1)
    )
    checked_in = session.scalar(
        select(Checkin.id)
        .where(
            Checkin.person_id == person.id,
            Checkin.checkin_date == date,
            Checkin.kind == CheckinKind.DAILY.value,
        )
        .limit(1)
    )
    findings = _worst_first(safety.stored_findings(session, latest.id)) if latest else []
    audit.record(
        session,
        clock,
        actor,
        "checkin.read",
        person_id=person.id,
        resource_type="finding",
        resource_id=latest.id if latest else None,
        detail={"days": RECENT_DAYS, "count": len(findings)},
    )
    return TodayView(
        date=date,
        due=due,
        findings=tuple(findings),
        findings_date=latest.checkin_date if latest else None,
        checked_in_today=checked_in is not None,
    )


# -- plan --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnPlan:
    version: plans.VersionView
    today: dt.date
    current_step: TaperStep | None  # the taper step in force today, if a taper is set


def own_plan(session: Session, clock: Clock, actor: Actor, handle: str) -> OwnPlan:
    """The approved plan as the person sees it, with today's taper step."""
    person = find_user(session, handle)
    require(session, actor, Action.PLAN_READ, person=person)
    version = plans.show(session, clock, actor, person.handle)
    date = local_today(person, clock)
    schedule = version.review.schedule
    return OwnPlan(
        version=version,
        today=date,
        current_step=schedule.step_on(date) if schedule is not None else None,
    )


# -- the check-in form -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckinFormState:
    person_today: dt.date
    date: dt.date  # the day the check-in is about
    questionnaires_due: bool  # PHQ-9 and GAD-7 are asked on this check-in
    weekly_day: str | None  # the plan's day for them ("Monday"), None without a plan


def checkin_step(
    session: Session,
    clock: Clock,
    actor: Actor,
    handle: str,
    *,
    step: str | None = None,
    submission: CheckinCreate | None = None,
) -> CheckinFormState:
    """Check one step of the web check-in before the next is shown, and say whether the
    weekly questionnaires are due. Nothing is stored; `checkins.submit_checkin` stores the
    whole check-in and checks everything again."""
    person = find_user(session, handle)
    require(session, actor, Action.CHECKIN_CREATE, person=person)
    person_today = local_today(person, clock)
    date = submission.date if submission is not None else person_today
    if step is not None:
        if step not in CHECKIN_STEPS:
            raise InvalidInput("step", f"'{step}' is not a step of the check-in")
        if submission is None:
            raise InvalidInput("responses", "is missing")
        _check_step(step, submission, person_today)
    content = person_facts.approved_content(session, person.id)
    weekly = content.monitoring.weekly_questionnaires_day if content is not None else None
    due = _questionnaires_due(session, person.id, date, weekly)
    audit.record(
        session,
        clock,
        actor,
        "checkin.read",
        person_id=person.id,
        resource_type="instrument_response",
        detail={"purpose": "questionnaires due", "date": date.isoformat()},
    )
    return CheckinFormState(
        person_today=person_today,
        date=date,
        questionnaires_due=due,
        weekly_day=WEEKDAYS[weekly].capitalize() if weekly is not None else None,
    )


def _check_step(step: str, submission: CheckinCreate, person_today: dt.date) -> None:
    """The same checks `prepare_checkin` makes, for one step's part of the check-in."""
    if step == "doses":
        if submission.date > person_today:
            raise InvalidInput(
                "date", f"{submission.date.isoformat()} is in the future (today is {person_today})"
            )
        for index, dose in enumerate(submission.doses):
            field = f"doses[{index}]"
            amount = Amount.parse(dose.amount, dose.unit, field=f"{field}.amount")
            make_dose(
                category=dose.category,
                form=dose.form,
                product=dose.product,
                amount=amount,
                taken_on=dose.date or submission.date,
                taken_time=dose.time,
                field=field,
            )
            to_thousandths(amount, field=f"{field}.amount")
    for instrument_id in STEP_INSTRUMENTS.get(step, ()):
        field = f"responses.{instrument_id}"
        if instrument_id not in submission.responses:
            if instrument_id in OPTIONAL_INSTRUMENTS:
                continue
            raise InvalidInput(field, "is missing")
        try:
            registry.get(instrument_id).score(submission.responses[instrument_id])
        except InvalidInput as error:
            raise InvalidInput(f"{field}.{error.field}", error.problem) from None


def _questionnaires_due(
    session: Session, person_id: int, date: dt.date, weekly_day: int | None
) -> bool:
    """Due on the plan's weekday (unless already answered that day), or when no PHQ-9 was
    answered in the 7 days up to `date`."""
    answered = list(
        session.scalars(
            select(Checkin.checkin_date)
            .join(InstrumentResponse, InstrumentResponse.checkin_id == Checkin.id)
            .where(
                Checkin.person_id == person_id,
                InstrumentResponse.instrument_id == "phq9",
                Checkin.checkin_date >= date - dt.timedelta(days=6),
                Checkin.checkin_date <= date,
            )
        )
    )
    if not answered:
        return True
    return weekly_day is not None and date.weekday() == weekly_day and date not in answered


# -- access ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViewEvent:
    at: dt.datetime  # in the person's time zone
    who: str  # a handle, or the operator's label
    name: str
    role: str | None
    action: str
    outcome: str  # "allowed" or "denied"


def viewers_of(
    session: Session, clock: Clock, actor: Actor, handle: str, limit: int = 50
) -> list[ViewEvent]:
    """Reads of the person's record by anyone but the person, newest first."""
    if not 1 <= limit <= 500:
        raise InvalidInput("limit", "must be between 1 and 500")
    person = find_user(session, handle)
    require(session, actor, Action.PERSON_READ, person=person)
    rows = session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.person_id == person.id,
            or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != person.id),
            AuditEvent.action.in_(READ_ACTIONS),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    zone = zoneinfo.ZoneInfo(person.timezone)
    events = [
        ViewEvent(
            at=event.occurred_at.astimezone(zone),
            who=user.handle if user is not None else event.actor_label,
            name=user.display_name if user is not None else event.actor_label,
            role=user.role if user is not None else None,
            action=event.action,
            outcome=event.outcome,
        )
        for event, user in rows
    ]
    audit.record(
        session,
        clock,
        actor,
        "consent.read",
        person_id=person.id,
        resource_type="audit_event",
        detail={"count": len(events)},
    )
    return events


@dataclass(frozen=True, slots=True)
class AccessOverview:
    clinicians: tuple[accounts.AccessEntry, ...]
    views: tuple[ViewEvent, ...]


def access_overview(
    session: Session, clock: Clock, actor: Actor, handle: str, limit: int = 50
) -> AccessOverview:
    """Who can see the record, and who has looked at it."""
    clinicians = accounts.who_has_access(session, clock, actor, handle)
    return AccessOverview(
        clinicians=tuple(clinicians),
        views=tuple(viewers_of(session, clock, actor, handle, limit)),
    )


def revoke(
    session: Session, clock: Clock, actor: Actor, handle: str, clinician_handle: str
) -> None:
    """The person ends a clinician's access to their own record (the record stays)."""
    person = find_user(session, handle)
    require(session, actor, Action.PERSON_READ, person=person)
    accounts.revoke_access(session, clock, actor, clinician_handle)
