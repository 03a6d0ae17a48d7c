"""Run the safety engine inside the check-in's own transaction; alerts and their lifecycle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import (
    Table,
    case,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from taperline import metrics
from taperline.clock import Clock
from taperline.db.models import (
    Alert,
    CareRelationship,
    User,
)
from taperline.db.models import Finding as StoredFinding
from taperline.domain.access import Action, Actor
from taperline.domain.checkins import DoseInput, PreparedCheckin, prepare_checkin
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.regimen import make_regimen_item
from taperline.domain.safety import engine
from taperline.domain.safety.context import (
    CheckinEvent,
    DayRecord,
    MedicationFact,
    Plan,
    PlanChange,
    Profile,
    SafetyContext,
)
from taperline.domain.safety.findings import Finding
from taperline.domain.safety.knowledge import Knowledge, Severity
from taperline.domain.types import CheckinKind, Condition, Role, parse_enum
from taperline.domain.units import Amount
from taperline.knowledge import load
from taperline.schemas.safety import CheckinEventInput, PlanChangeInput, SafetyCheckInput
from taperline.services import audit, person_facts
from taperline.services.authz import require
from taperline.services.people import find_user
from taperline.services.person_facts import PersonFacts, Window

ALERT_SEVERITIES = frozenset({Severity.WARNING, Severity.URGENT})


class AlertStatus:
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


_INSERT_FINDINGS = insert(cast(Table, StoredFinding.__table__))


@dataclass(frozen=True, slots=True)
class NewCheckin:
    """A check-in just stored, as the safety engine needs it."""

    id: int
    prepared: PreparedCheckin
    red_flags: frozenset[str]
    used_non_prescribed_opioids: bool


def evaluate_checkin(
    session: Session,
    clock: Clock,
    actor: Actor,
    person: User,
    checkin: NewCheckin,
    today: dt.date,
    knowledge: Knowledge | None = None,
    facts: PersonFacts | None = None,
    window: Window | None = None,
) -> list[Finding]:
    """Evaluate a just-stored check-in; store its findings and raise alerts, same transaction.
    `facts` and `window`, when given, are the person's plan and profile and what was stored in
    the history window up to `today` before this check-in, as the caller read them."""
    knowledge = knowledge or load()
    prepared = checkin.prepared
    facts = facts or person_facts.facts_of(session, person.id)
    content = facts.content
    date = prepared.checkin_date
    if window is not None:
        if window.until != today:
            raise ValueError(f"the window read ends on {window.until}, not on {today}")
        day, stored = person_facts.joined(window, prepared)
    else:  # read now, with the check-in already in it
        stored = person_facts.window_of(session, person.id, today)
        day = tuple(dose for dose in stored.doses if dose.taken_on == date)
        if not stored.since <= date <= stored.until:
            day = person_facts.day_doses(session, person.id, date)
    history = person_facts.records(stored)
    context = SafetyContext(
        today=today,
        profile=facts.profile,
        plan=Plan(items=content.regimen_on(prepared.checkin_date)) if content else None,
        event=CheckinEvent(
            date=prepared.checkin_date,
            doses=day,
            scores=prepared.scores,
            red_flags=checkin.red_flags,
            used_non_prescribed_opioids=checkin.used_non_prescribed_opioids,
        ),
        history=history,
        country=person.clinic.country,
    )
    findings = engine.evaluate(context, knowledge)
    now = clock.now()
    if findings:
        session.execute(
            _INSERT_FINDINGS,
            [
                {
                    "checkin_id": checkin.id,
                    "person_id": person.id,
                    "rule_id": finding.rule_id,
                    "severity": finding.severity.value,
                    "payload": finding.to_dict(),
                    "knowledge_version": knowledge.version,
                    "created_at": now,
                    "created_by_id": actor.user_id,
                }
                for finding in findings
            ],
        )
    for finding in findings:
        if finding.severity in ALERT_SEVERITIES:
            _raise_alert(session, clock, actor, person, checkin, finding)
    return findings


def _raise_alert(
    session: Session,
    clock: Clock,
    actor: Actor,
    person: User,
    checkin: NewCheckin,
    finding: Finding,
) -> None:
    raise_alert(
        session,
        clock,
        actor,
        person,
        rule_id=finding.rule_id,
        day=checkin.prepared.checkin_date,
        severity=finding.severity.value,
        title=finding.title,
        clinician_message=finding.clinician_message,
        involved=tuple(finding.involved),
        checkin_id=checkin.id,
    )


def raise_alert(
    session: Session,
    clock: Clock,
    actor: Actor,
    person: User,
    *,
    rule_id: str,
    day: dt.date,
    severity: str,
    title: str,
    clinician_message: str,
    involved: tuple[str, ...] = (),
    checkin_id: int | None = None,
) -> int | None:
    """Open an alert for the person's care team, once per rule, person and day, audited.
    Returns the new alert's id, or None when that alert is already open for the day."""
    exists = session.scalar(
        select(Alert.id).where(
            Alert.person_id == person.id, Alert.rule_id == rule_id, Alert.day == day
        )
    )
    if exists is not None:
        return None
    try:
        with session.begin_nested():
            alert = Alert(
                person_id=person.id,
                rule_id=rule_id,
                day=day,
                severity=severity,
                title=title,
                clinician_message=clinician_message,
                involved=list(involved),
                checkin_id=checkin_id,
                status=AlertStatus.OPEN,
                created_at=clock.now(),
                created_by_id=actor.user_id,
            )
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None  # raised at the same moment by another request: one alert is enough
    audit.record(
        session,
        clock,
        actor,
        "alert.raise",
        person_id=person.id,
        resource_type="alert",
        resource_id=alert.id,
        detail={"rule": rule_id},
    )
    metrics.count_on_commit(session, metrics.ALERTS, severity)
    return alert.id


def stored_findings(session: Session, checkin_id: int) -> list[dict[str, object]]:
    rows = session.scalars(
        select(StoredFinding)
        .where(StoredFinding.checkin_id == checkin_id)
        .order_by(StoredFinding.id)
    )
    return [dict(row.payload) for row in rows]


# -- alerts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertView:
    id: int
    person: str
    rule_id: str
    severity: str
    title: str
    day: dt.date
    status: str
    involved: tuple[str, ...]
    clinician_message: str
    acknowledged_by: str | None
    acknowledged_note: str
    resolved_by: str | None
    resolved_note: str


def list_alerts(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    status: str | None = "open",
    person: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[AlertView]:
    """Alerts the actor may see, unresolved first, then urgent before warning, newest first;
    `limit` and `offset` page through them in that order."""
    if limit is not None and not 1 <= limit <= 1000:
        raise InvalidInput("limit", "must be between 1 and 1000")
    if not 0 <= offset <= 10_000_000:
        raise InvalidInput("offset", "must be between 0 and 10000000")
    statement = select(Alert, User.handle).join(User, User.id == Alert.person_id)
    if status not in (None, "all"):
        if status not in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED):
            raise InvalidInput("status", "use open, acknowledged, resolved or all")
        statement = statement.where(Alert.status == status)
    subject_id: int | None = None
    if person is not None:
        subject = find_user(session, person)
        subject_id = subject.id
        require(session, actor, Action.ALERT_READ, person=subject)
        statement = statement.where(Alert.person_id == subject.id)
    elif not actor.is_operator:
        if actor.role is Role.CLINICIAN:
            statement = statement.where(
                Alert.person_id.in_(
                    select(CareRelationship.person_id).where(
                        CareRelationship.clinician_id == actor.user_id,
                        CareRelationship.ended_at.is_(None),
                    )
                ),
                User.clinic_id == actor.clinic_id,
            )
        elif actor.role is Role.PERSON:
            statement = statement.where(Alert.person_id == actor.user_id)
        else:
            statement = statement.where(Alert.id.is_(None))  # admins read no health data
    statement = statement.order_by(
        case((Alert.status == AlertStatus.RESOLVED, 1), else_=0),
        case((Alert.severity == "urgent", 0), (Alert.severity == "warning", 1), else_=2),
        Alert.day.desc(),
        Alert.id.desc(),
    )
    if limit is not None:
        statement = statement.limit(limit)
    rows = list(session.execute(statement.offset(offset) if offset else statement))
    deciders = {
        user_id
        for alert, _ in rows
        for user_id in (alert.acknowledged_by_id, alert.resolved_by_id)
        if user_id is not None
    }
    handles: dict[int, str] = {}
    if deciders:
        found = session.execute(select(User.id, User.handle).where(User.id.in_(deciders)))
        handles = {user_id: handle for user_id, handle in found}  # noqa: C416 - Result has .keys()
    views = [
        AlertView(
            id=alert.id,
            person=handle,
            rule_id=alert.rule_id,
            severity=alert.severity,
            title=alert.title,
            day=alert.day,
            status=alert.status,
            involved=tuple(alert.involved),
            clinician_message=alert.clinician_message,
            acknowledged_by=handles.get(alert.acknowledged_by_id)
            if alert.acknowledged_by_id
            else None,
            acknowledged_note=alert.acknowledged_note,
            resolved_by=handles.get(alert.resolved_by_id) if alert.resolved_by_id else None,
            resolved_note=alert.resolved_note,
        )
        for alert, handle in rows
    ]
    audit.record(
        session,
        clock,
        actor,
        "alert.list",
        resource_type="alert",
        person_id=subject_id,
        detail={"count": len(views), "status": status or "all", "person": person},
    )
    return views


def _alert_for_update(session: Session, actor: Actor, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert: there is no alert {alert_id}")
    person = session.get(User, alert.person_id)
    assert person is not None
    require(session, actor, Action.ALERT_UPDATE, person=person)
    return alert


def acknowledge(session: Session, clock: Clock, actor: Actor, alert_id: int, note: str) -> Alert:
    return _step(session, clock, actor, alert_id, note, AlertStatus.ACKNOWLEDGED)


def resolve(session: Session, clock: Clock, actor: Actor, alert_id: int, note: str) -> Alert:
    return _step(session, clock, actor, alert_id, note, AlertStatus.RESOLVED)


_STEPS = {  # to status: (statuses it may come from, what the note should say, audit action)
    AlertStatus.ACKNOWLEDGED: (
        (AlertStatus.OPEN,),
        "say what you have done or will do",
        "alert.acknowledge",
    ),
    AlertStatus.RESOLVED: (
        (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
        "say how this was resolved",
        "alert.resolve",
    ),
}


def _step(session: Session, clock: Clock, actor: Actor, alert_id: int, note: str, to: str) -> Alert:
    """One step of the lifecycle open → acknowledged → resolved, by a named clinician."""
    alert = _alert_for_update(session, actor, alert_id)
    allowed_from, note_hint, action = _STEPS[to]
    if not note.strip():
        raise InvalidInput("note", note_hint)
    if alert.status not in allowed_from:
        raise InvalidInput("alert", f"alert {alert_id} is already {alert.status}")
    alert.status = to
    if to == AlertStatus.ACKNOWLEDGED:
        alert.acknowledged_by_id, alert.acknowledged_at = actor.user_id, clock.now()
        alert.acknowledged_note = note.strip()
    else:
        alert.resolved_by_id, alert.resolved_at = actor.user_id, clock.now()
        alert.resolved_note = note.strip()
    audit.record(
        session,
        clock,
        actor,
        action,
        person_id=alert.person_id,
        resource_type="alert",
        resource_id=alert.id,
        detail={"note": note.strip()},
    )
    return alert


# -- a described situation (taperline safety check) --------------------------------------


def context_from_input(data: SafetyCheckInput) -> SafetyContext:
    """Build a context from a described situation; validates like a real check-in would."""
    conditions = frozenset(
        parse_enum(Condition, c, field=f"profile.conditions[{i}]")
        for i, c in enumerate(data.profile.conditions)
    )
    medications = tuple(
        MedicationFact(m, True) if isinstance(m, str) else MedicationFact(m.name, m.prescribed)
        for m in data.profile.medications
    )
    plan = None
    if data.plan is not None:
        plan = Plan(
            items=tuple(
                make_regimen_item(
                    category=item.category,
                    form=item.form,
                    product=item.product,
                    amount_per_dose=Amount.parse(
                        item.amount, item.unit, field=f"plan.items[{i}].amount"
                    ),
                    times=item.times,
                    field=f"plan.items[{i}]",
                )
                for i, item in enumerate(data.plan.items)
            )
        )
    event: CheckinEvent | PlanChange | None = None
    if isinstance(data.event, CheckinEventInput):
        date = data.event.date or data.today
        try:
            prepared = prepare_checkin(
                kind=CheckinKind.VISIT if "cows" in data.event.responses else CheckinKind.DAILY,
                checkin_date=date,
                person_today=data.today,
                responses=data.event.responses,
                doses=[
                    DoseInput(
                        d.category,
                        d.form,
                        d.product,
                        Amount.parse(d.amount, d.unit, field=f"doses[{i}].amount"),
                        d.date,
                        d.time,
                    )
                    for i, d in enumerate(data.event.doses)
                ],
                note="(described situation)",
                rated_by_clinician=True,
            )
        except InvalidInput as error:
            raise InvalidInput(f"event.{error.field}", error.problem) from None
        event = CheckinEvent(
            date=date,
            doses=prepared.doses,
            scores=prepared.scores,
            red_flags=frozenset(data.event.red_flags),
            used_non_prescribed_opioids=data.event.used_non_prescribed_opioids,
        )
    elif isinstance(data.event, PlanChangeInput):
        change = data.event
        before = Amount.parse(change.before.amount, change.before.unit, field="event.before.amount")
        after = Amount.parse(change.after.amount, change.after.unit, field="event.after.amount")
        original = (
            Amount.parse(
                change.original.amount, change.original.unit, field="event.original.amount"
            )
            if change.original
            else before
        )
        for name, amount in (("after", after), ("original", original)):
            try:
                amount.to(before.unit)
            except InvalidInput:
                raise InvalidInput(
                    f"event.{name}.unit",
                    f"must be in the same kind of unit as before ({before.unit.value})",
                ) from None
        event = PlanChange(
            before=before,
            after=after,
            original=original,
            step_days=change.step_days,
            long_term_use=change.long_term_use,
        )
    history = tuple(
        DayRecord(
            date=d.date,
            checked_in=d.checked_in,
            kratom_grams=d.kratom_grams,
            sows=d.sows,
            craving=d.craving,
            sleep_efficiency=d.sleep_efficiency,
            cows=d.cows,
        )
        for d in sorted(data.history, key=lambda day: day.date)
    )
    return SafetyContext(
        today=data.today,
        profile=Profile(conditions, medications),
        plan=plan,
        event=event,
        history=history,
        country=data.country.upper(),
    )


def check_situation(data: SafetyCheckInput, knowledge: Knowledge | None = None) -> list[Finding]:
    """Evaluate a described situation. Stores nothing and reads no health data."""
    return engine.evaluate(context_from_input(data), knowledge or load())
