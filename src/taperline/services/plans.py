"""Plans: draft, review with the safety engine, approve, compare; pause and re-plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import Alert, PlanVersion, User
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.plans import Change, PlanContent, diff
from taperline.domain.safety.context import Plan, Profile
from taperline.domain.safety.findings import Finding
from taperline.domain.safety.knowledge import Severity
from taperline.domain.safety.plan_review import StepReview, review_plan, review_schedule
from taperline.domain.taper import TaperSchedule
from taperline.domain.types import Category
from taperline.domain.units import Amount, Unit
from taperline.knowledge import load
from taperline.schemas import parse
from taperline.schemas.plans import PauseIn, PlanInput, stored_content, to_content
from taperline.services import audit, person_facts
from taperline.services.authz import require
from taperline.services.people import find_user, local_today
from taperline.services.person_facts import day_doses, profile_of

DRAFT, APPROVED, SUPERSEDED = "draft", "approved", "superseded"
HOLD_RULES = ("trend.sows_rising", "trend.craving_high", "trend.cows_rising")


@dataclass(frozen=True, slots=True)
class PlanReview:
    """A plan as the safety engine sees it, before or after it is stored."""

    content: PlanContent
    schedule: TaperSchedule | None
    steps: tuple[StepReview, ...]
    findings: tuple[Finding, ...]  # the regimen itself: dose limits, interactions

    @property
    def needs_acknowledging(self) -> list[str]:
        """Rule ids of warning or urgent findings the approving clinician must acknowledge."""
        found = list(self.findings) + [f for s in self.steps for f in s.findings]
        return sorted(
            {f.rule_id for f in found if f.severity in (Severity.WARNING, Severity.URGENT)}
        )


@dataclass(frozen=True, slots=True)
class VersionView:
    number: int
    status: str
    created_at: dt.datetime
    created_by: str | None
    approved_at: dt.datetime | None
    approved_by: str | None
    acknowledged: tuple[str, ...]
    note: str
    data: PlanInput
    review: PlanReview


def review(
    data: PlanInput,
    *,
    profile: Profile | None = None,
    country: str = "US",
    on: dt.date | None = None,
) -> PlanReview:
    """Review a plan without storing it (`taperline taper preview`)."""
    content = to_content(data)
    knowledge = load()
    schedule = content.schedule()
    steps = review_schedule(schedule, knowledge, country) if schedule else ()
    start = on or (content.taper.start if content.taper else dt.date(2000, 1, 1))
    findings = review_plan(
        Plan(items=content.items), profile or Profile(), knowledge, start, country
    )
    return PlanReview(content=content, schedule=schedule, steps=steps, findings=tuple(findings))


def _person(session: Session, actor: Actor, handle: str, action: Action) -> User:
    person = find_user(session, handle)
    if person.role != "person":
        raise InvalidInput("person", f"'{person.handle}' is not a person in recovery")
    require(session, actor, action, person=person)
    return person


def _versions(session: Session, person_id: int) -> list[PlanVersion]:
    return list(
        session.scalars(
            select(PlanVersion)
            .where(PlanVersion.person_id == person_id)
            .order_by(PlanVersion.number)
        )
    )


def _view(session: Session, version: PlanVersion, person: User) -> VersionView:
    data = parse(PlanInput, version.content)
    ids = {i for i in (version.created_by_id, version.approved_by_id) if i is not None}
    handles: dict[int, str] = {}
    if ids:
        rows = session.execute(select(User.id, User.handle).where(User.id.in_(ids)))
        handles = {user_id: handle for user_id, handle in rows}  # noqa: C416 - Result has .keys()
    return VersionView(
        number=version.number,
        status=version.status,
        created_at=version.created_at,
        created_by=handles.get(version.created_by_id) if version.created_by_id else None,
        approved_at=version.approved_at,
        approved_by=handles.get(version.approved_by_id) if version.approved_by_id else None,
        acknowledged=tuple(version.acknowledged),
        note=version.note,
        data=data,
        review=review(data, profile=profile_of(session, person.id), country=person.clinic.country),
    )


def draft(
    session: Session, clock: Clock, actor: Actor, handle: str, data: PlanInput, note: str = ""
) -> VersionView:
    person = _person(session, actor, handle, Action.PLAN_DRAFT)
    to_content(data)  # every problem named before anything is stored
    number = (
        session.scalar(
            select(func.max(PlanVersion.number)).where(PlanVersion.person_id == person.id)
        )
        or 0
    ) + 1
    version = PlanVersion(
        person_id=person.id,
        number=number,
        status=DRAFT,
        content=data.model_dump(mode="json"),
        note=note.strip(),
        acknowledged=[],
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        "plan.draft",
        person_id=person.id,
        resource_type="plan_version",
        resource_id=version.id,
        detail={"number": number},
    )
    return _view(session, version, person)


def approve(
    session: Session, clock: Clock, actor: Actor, handle: str, number: int, acknowledge: list[str]
) -> VersionView:
    person = _person(session, actor, handle, Action.PLAN_APPROVE)
    version = _version(session, person, number)
    if version.status != DRAFT:
        raise InvalidInput("version", f"version {number} is {version.status}, not a draft")
    view = _view(session, version, person)
    needed = view.review.needs_acknowledging
    missing = [rule for rule in needed if rule not in acknowledge]
    if missing:
        raise InvalidInput(
            "acknowledge",
            "approving this plan needs you to acknowledge its warnings: "
            + ", ".join(missing)
            + " (acknowledge each one after reviewing it)",
        )
    for earlier in _versions(session, person.id):
        if earlier.status == APPROVED:
            earlier.status = SUPERSEDED
    version.status = APPROVED
    version.approved_at = clock.now()
    version.approved_by_id = actor.user_id
    version.acknowledged = sorted(set(acknowledge) & set(needed))
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        "plan.approve",
        person_id=person.id,
        resource_type="plan_version",
        resource_id=version.id,
        detail={"number": number, "acknowledged": version.acknowledged},
    )
    return _view(session, version, person)


def _version(session: Session, person: User, number: int) -> PlanVersion:
    version = session.scalar(
        select(PlanVersion).where(PlanVersion.person_id == person.id, PlanVersion.number == number)
    )
    if version is None:
        raise NotFound(f"version: {person.handle} has no plan version {number}")
    return version


def approved_content(session: Session, person_id: int) -> PlanContent | None:
    """The approved plan, for other services (adherence, calendar, safety)."""
    return person_facts.approved_content(session, person_id)


def show(
    session: Session, clock: Clock, actor: Actor, handle: str, number: int | None = None
) -> VersionView:
    """The approved version (or a given one). A person sees approved versions only."""
    person = _person(session, actor, handle, Action.PLAN_READ)
    if number is None:
        versions = [v for v in _versions(session, person.id) if v.status == APPROVED]
        if not versions:
            raise NotFound(f"plan: {person.handle} has no approved plan yet")
        version = versions[-1]
    else:
        version = _version(session, person, number)
        if version.status == DRAFT and actor.user_id == person.id:
            raise NotFound(f"plan: {person.handle} has no plan version {number} to show yet")
    audit.record(
        session,
        clock,
        actor,
        "plan.read",
        person_id=person.id,
        resource_type="plan_version",
        resource_id=version.id,
    )
    return _view(session, version, person)


def versions(
    session: Session, clock: Clock, actor: Actor, handle: str
) -> list[tuple[int, str, dt.datetime]]:
    person = _person(session, actor, handle, Action.PLAN_READ)
    rows = [
        (v.number, v.status, v.created_at)
        for v in _versions(session, person.id)
        if not (v.status == DRAFT and actor.user_id == person.id)
    ]
    audit.record(
        session, clock, actor, "plan.list", person_id=person.id, resource_type="plan_version"
    )
    return rows


def compare(
    session: Session, clock: Clock, actor: Actor, handle: str, old: int, new: int
) -> list[Change]:
    person = _person(session, actor, handle, Action.PLAN_READ)
    before = stored_content(_version(session, person, old).content)
    after = stored_content(_version(session, person, new).content)
    audit.record(
        session,
        clock,
        actor,
        "plan.read",
        person_id=person.id,
        resource_type="plan_version",
        detail={"diff": [old, new]},
    )
    return diff(before, after)


def pause(
    session: Session,
    clock: Clock,
    actor: Actor,
    handle: str,
    start: dt.date,
    days: int,
    note: str = "",
) -> VersionView:
    """A new draft that holds the current step `days` days longer from `start`."""
    person = _person(session, actor, handle, Action.PLAN_DRAFT)
    data = _approved_input(session, person)
    if data.taper is None:
        raise InvalidInput("taper", f"{person.handle}'s approved plan has no taper to pause")
    data.taper.pauses.append(PauseIn(start=start, days=days))
    return draft(
        session, clock, actor, handle, data, note or f"Pause for {days} days from {start}."
    )


def replan(
    session: Session,
    clock: Clock,
    actor: Actor,
    handle: str,
    *,
    days: int = 7,
    start: dt.date | None = None,
    note: str = "",
) -> VersionView:
    """A new draft that restarts the taper from what the person actually took lately: the mean
    of the last `days` days with a kratom log, rounded down to the smallest step."""
    person = _person(session, actor, handle, Action.PLAN_DRAFT)
    data = _approved_input(session, person)
    if data.taper is None:
        raise InvalidInput("taper", f"{person.handle}'s approved plan has no taper to re-plan")
    taper = data.taper
    unit = Amount.parse(taper.current.amount, taper.current.unit).unit
    quantum = Amount.parse(taper.smallest_step.amount, taper.smallest_step.unit).to(unit).value
    today = local_today(person, clock)
    totals: list[Decimal] = []
    for back in range(days):
        logged = [
            d.amount
            for d in day_doses(session, person.id, today - dt.timedelta(days=back))
            if d.category is Category.KRATOM and _converts(d.amount, unit)
        ]
        if logged:
            totals.append(sum((a.to(unit).value for a in logged), Decimal(0)))
    if not totals:
        raise InvalidInput(
            "history", f"no kratom was logged in the last {days} days to re-plan from"
        )
    mean = sum(totals, Decimal(0)) / len(totals)
    actual = (mean / quantum).to_integral_value(rounding=ROUND_FLOOR) * quantum
    if actual <= Amount.parse(taper.target.amount, taper.target.unit).to(unit).value:
        raise InvalidInput(
            "history", f"the recent amount ({mean:.2f} {unit.value}) is at or below the target"
        )
    taper.current.amount = actual
    taper.current.unit = unit.value
    taper.start = start or today + dt.timedelta(days=1)
    taper.pauses = []
    return draft(
        session,
        clock,
        actor,
        handle,
        data,
        note
        or f"Re-planned from the actual amount: {actual.normalize():f} {unit.value} a day "
        f"(mean of {len(totals)} logged days).",
    )


def _converts(amount: Amount, unit: Unit) -> bool:
    try:
        amount.to(unit)
    except InvalidInput:
        return False
    return True


def _approved_input(session: Session, person: User) -> PlanInput:
    version = session.scalar(
        select(PlanVersion).where(
            PlanVersion.person_id == person.id, PlanVersion.status == APPROVED
        )
    )
    if version is None:
        raise NotFound(f"plan: {person.handle} has no approved plan yet")
    return parse(PlanInput, version.content)


def hold_suggestions(session: Session, person_id: int) -> list[str]:
    """When withdrawal or craving rises, suggest a hold to the clinician. Never acts by itself
    and never suggests an increase."""
    rules = session.scalars(
        select(Alert.rule_id)
        .where(
            Alert.person_id == person_id, Alert.status != "resolved", Alert.rule_id.in_(HOLD_RULES)
        )
        .distinct()
    ).all()
    if not rules:
        return []
    return [
        "Withdrawal or craving is rising (" + ", ".join(sorted(rules)) + "). Consider holding the "
        "current step by drafting a pause (`taperline plan pause PERSON --days N`) for you to "
        "review and approve. Nothing changes until you approve it."
    ]
